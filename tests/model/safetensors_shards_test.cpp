// Hugging Face sharded safetensors checkpoints: the split at shard boundaries, a tensor larger than a
// shard, rows (schema, columns, mixed dtypes) → shards → rows unchanged, every refusal of the reader
// and the writer naming its file, and what a write does to the shards of an earlier one.
#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>

#include "legolasflux/arrow/compare.hpp"
#include "legolasflux/errors.hpp"
#include "legolasflux/legolasflux.hpp"
#include "legolasflux/safetensors_model.hpp"
#include "legolasflux/safetensors_shards.hpp"
#include "support/scratch.hpp"

using namespace legolasflux;
namespace la = legolasflux::arrow;
namespace fs = std::filesystem;
using D = SafetensorsDtype;
using json = nlohmann::json;

struct ShardsRowV1 : ModelV1 {
    std::optional<int64_t> epoch;
    std::optional<double> loss;
    std::optional<std::string> note;
    std::optional<std::vector<int64_t>> milestones;
};
LEGOLAS_RECORD_EXTENDS(ShardsRowV1, "shards-test.model", 1, ModelV1, epoch, loss, note, milestones);

namespace {

// `bytes` distinct bytes of data for a tensor of one dimension.
SafeTensor tensor(const std::string& name, D dtype, int64_t bytes, int seed = 1) {
    std::vector<uint8_t> data(static_cast<size_t>(bytes));
    for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 13 + static_cast<size_t>(seed) * 7);
    if (dtype == D::BOOL)
        for (auto& b : data) b &= 1;
    return {name, dtype, {bytes / dtype_size(dtype)}, la::Buffer::copy_of(data)};
}

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

json index_json(const fs::path& p) { return json::parse(slurp(p)); }
void write_text(const fs::path& p, const std::string& text) { std::ofstream(p, std::ios::binary) << text; }

template <class E>
std::string error_of(const fs::path& index) {
    try {
        (void)read_safetensors_shards(index);
    } catch (const E& e) {
        return e.what();
    } catch (const std::exception& e) {
        return std::string("WRONG EXCEPTION TYPE: ") + e.what();
    }
    return "NO ERROR";
}

#define EXPECT_ERROR(E, index, fragment) EXPECT_PRED_FORMAT2(::testing::IsSubstring, fragment, error_of<E>(index))

void expect_same_tensors(const std::vector<SafeTensor>& a, const std::vector<SafeTensor>& b) {
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) {
        EXPECT_EQ(a[i].name, b[i].name);
        EXPECT_EQ(a[i].dtype, b[i].dtype) << a[i].name;
        EXPECT_EQ(a[i].shape, b[i].shape) << a[i].name;
        EXPECT_TRUE(la::same_bytes(a[i].data, b[i].data)) << a[i].name;
    }
}

// A checkpoint of three shards written by us: a, b | c | d (72 bytes).
fs::path three_shards(const std::string& name) {
    const auto dir = lftest::scratch_dir("safetensors_shards/" + name);
    SafetensorsFile file;
    file.tensors = {tensor("a", D::F32, 16), tensor("b", D::F32, 16, 2), tensor("c", D::I64, 24, 3),
                    tensor("d", D::F16, 16, 4)};
    write_safetensors_shards(dir / "model.safetensors.index.json", file, 32);
    return dir / "model.safetensors.index.json";
}

}  // namespace

TEST(SafetensorsShards, SplitsAtShardBoundariesInOrder) {
    const auto dir = lftest::scratch_dir("safetensors_shards/split");
    SafetensorsFile file;
    // 32 bytes a shard: a+b fill one exactly; c starts the next; big (40) is a shard of its own and
    // closes c's; d+e fill one exactly again; f starts the last.
    file.tensors = {tensor("a", D::F32, 16),      tensor("b", D::BF16, 16, 2), tensor("c", D::I64, 8, 3),
                    tensor("big", D::F64, 40, 4), tensor("d", D::U8, 4, 5),    tensor("e", D::F32, 28, 6),
                    tensor("f", D::BOOL, 1, 7)};
    file.metadata = {{"note", "kept in the index"}};
    const auto index = dir / "model.safetensors.index.json";
    const SafetensorsShards written = write_safetensors_shards(index, file, 32);

    const std::vector<std::vector<std::string>> expected{{"a", "b"}, {"c"}, {"big"}, {"d", "e"}, {"f"}};
    const std::vector<int64_t> bytes{32, 8, 40, 32, 1};
    ASSERT_EQ(written.shards.size(), expected.size());
    for (size_t k = 0; k < expected.size(); ++k) {
        EXPECT_EQ(written.shards[k].file, "model-0000" + std::to_string(k + 1) + "-of-00005.safetensors");
        EXPECT_EQ(written.shards[k].tensors, expected[k]);
        EXPECT_EQ(written.shards[k].bytes, bytes[k]);
        const SafetensorsFile shard = read_safetensors(dir / written.shards[k].file);
        EXPECT_EQ(shard.metadata, (la::KeyValueMetadata{{"format", "pt"}})) << "transformers' loader wants it";
    }
    EXPECT_EQ(written.total_size, 113);
    EXPECT_TRUE(written.removed.empty());

    // The index, as transformers writes it.
    const json j = index_json(index);
    EXPECT_EQ(j["metadata"]["total_size"], 113);
    EXPECT_EQ(j["metadata"]["note"], "kept in the index");
    EXPECT_EQ(j["weight_map"].size(), 7u);
    EXPECT_EQ(j["weight_map"]["big"], "model-00003-of-00005.safetensors");
    EXPECT_EQ(j["weight_map"]["e"], "model-00004-of-00005.safetensors");
    EXPECT_TRUE(slurp(index).starts_with("{\n  \"metadata\": {\n")) << "indented by 2, keys sorted";

    // Read back: shards by name, each in data-offset order (the reference writer's: dtype, then name).
    const SafetensorsShards read = read_safetensors_shards(index);
    ASSERT_EQ(read.shards.size(), 5u);
    EXPECT_EQ(read.shards[0].tensors, (std::vector<std::string>{"a", "b"})) << "F32 before BF16";
    EXPECT_EQ(read.shards[3].tensors, (std::vector<std::string>{"e", "d"})) << "F32 before U8";
    EXPECT_EQ(read.total_size, 113);
    EXPECT_EQ(read.file.metadata, (la::KeyValueMetadata{{"note", "kept in the index"}})) << "format is the files'";
    std::vector<SafeTensor> in_read_order;
    for (const char* name : {"a", "b", "c", "big", "e", "d", "f"})
        in_read_order.push_back(*std::find_if(file.tensors.begin(), file.tensors.end(),
                                              [&](const SafeTensor& t) { return t.name == name; }));
    expect_same_tensors(read.file.tensors, in_read_order);
}

TEST(SafetensorsShards, OneLargeTensorAndOneShardAndNoTensors) {
    const auto dir = lftest::scratch_dir("safetensors_shards/edges");
    SafetensorsFile one;
    one.tensors = {tensor("huge", D::F32, 400)};
    auto written = write_safetensors_shards(dir / "x.safetensors.index.json", one, 10);
    ASSERT_EQ(written.shards.size(), 1u);
    EXPECT_EQ(written.shards[0].file, "x-00001-of-00001.safetensors") << "named as a shard even alone";
    expect_same_tensors(read_safetensors_shards(dir / "x.safetensors.index.json").file.tensors, one.tensors);

    // A first tensor larger than the shard does not leave an empty shard before it.
    SafetensorsFile two;
    two.tensors = {tensor("huge", D::F32, 400), tensor("small", D::F32, 4, 2)};
    written = write_safetensors_shards(dir / "y.safetensors.index.json", two, 10);
    ASSERT_EQ(written.shards.size(), 2u);
    EXPECT_EQ(written.shards[1].tensors, std::vector<std::string>{"small"});

    written = write_safetensors_shards(dir / "z.safetensors.index.json", SafetensorsFile{}, 10);
    EXPECT_TRUE(written.shards.empty());
    const SafetensorsShards read = read_safetensors_shards(dir / "z.safetensors.index.json");
    EXPECT_TRUE(read.file.tensors.empty());
    EXPECT_EQ(index_json(dir / "z.safetensors.index.json")["weight_map"], json::object());
}

TEST(SafetensorsShards, RowsRoundTripWithSchemaColumnsAndDtypes) {
    const auto dir = lftest::scratch_dir("safetensors_shards/rows");
    ShardsRowV1 typed;
    typed.weights = Weights({FlatArray::from_values<float>({3, 2}, {1, 2, 3, 4, 5, 6}),
                             FlatArray::from_values<float>({2}, {-1, 0.5f}),
                             FlatArray::from_values<float>({2, 2, 1}, {9, 8, 7, 6})});
    typed.architecture_version = 2;
    typed.epoch = 7;
    typed.loss = 0.125;
    typed.note = "three shards";
    typed.milestones = std::vector<int64_t>{10, 20};
    ModelWriteOptions options;
    options.weight_names = {"z.weight", "z.bias", "a.conv.weight"};
    write_model_row(dir / "row.arrow", typed, options);
    const ModelRow row = read_model_row(dir / "row.arrow");

    const auto index = dir / "model.safetensors.index.json";
    const SafetensorsShards written = write_safetensors_shards(index, to_safetensors(row), 16);
    EXPECT_EQ(written.shards.size(), 3u);
    const ModelRow back = from_safetensors(read_safetensors_shards(index).file);
    // The row as a file made from it carries it: without the checksums of row.arrow's bytes.
    ModelRow expected = row;
    auto schema = std::make_shared<la::Schema>(*row.table.schema);
    const auto before = schema->metadata.size();
    std::erase_if(schema->metadata, [](const auto& kv) { return kv.first == kChecksumsMetadataKey; });
    ASSERT_EQ(schema->metadata.size(), before - 1) << "row.arrow records checksums";
    expected.table.schema = schema;
    for (auto& batch : expected.table.batches) batch.schema = schema;
    EXPECT_TRUE(la::table_equals(back.table, expected.table)) << la::table_difference(back.table, expected.table);
    EXPECT_EQ(back.weight_names, row.weight_names) << "the row's order, not the shards' (weight_order)";
    EXPECT_EQ(back.qualified_identifier, "shards-test.model@1>legolas-flux.model@1");

    // Mixed dtypes: promoted once, each tensor's own dtype back in the shards.
    SafetensorsFile mixed;
    const std::vector<uint16_t> bf16{0x3f80, 0xc000};  // 1, -2
    const std::vector<uint16_t> f16{0x3c00, 0x3800};   // 1, 0.5
    mixed.tensors = {{"w", D::BF16, {2}, la::Buffer::copy_of(bf16)},
                     {"v", D::F16, {2}, la::Buffer::copy_of(f16)},
                     {"steps", D::I64, {}, la::Buffer::copy_of(std::vector<int64_t>{12345})},
                     {"x", D::F32, {1, 2}, la::Buffer::copy_of(std::vector<float>{0.1f, 3})}};
    const ModelRow promoted = from_safetensors(mixed);
    ASSERT_TRUE(promoted.weight_dtypes);
    write_safetensors_shards(dir / "mixed.safetensors.index.json", to_safetensors(promoted), 8);
    const SafetensorsShards read = read_safetensors_shards(dir / "mixed.safetensors.index.json");
    EXPECT_EQ(read.shards.size(), 3u) << "w+v, steps, x";
    const ModelRow again = from_safetensors(read.file);
    EXPECT_TRUE(la::table_equals(again.table, promoted.table)) << la::table_difference(again.table, promoted.table);
    expect_same_tensors(row_tensors(again), mixed.tensors);
}

TEST(SafetensorsShards, ForeignMetadataBecomesColumns) {
    const auto dir = lftest::scratch_dir("safetensors_shards/foreign");
    SafetensorsFile a, b;
    a.tensors = {tensor("a", D::F32, 8)};
    a.metadata = {{"format", "pt"}, {"origin", "hub"}};
    b.tensors = {tensor("b", D::F32, 8, 2)};
    b.metadata = {{"format", "pt"}, {"origin", "hub"}};
    write_safetensors(dir / "model-00001-of-00002.safetensors", a);
    write_safetensors(dir / "model-00002-of-00002.safetensors", b);
    write_text(dir / "model.safetensors.index.json",
               R"({"metadata": {"total_parameters": 4, "total_size": 16},
                   "weight_map": {"b": "model-00002-of-00002.safetensors", "a": "model-00001-of-00002.safetensors"}})");
    const SafetensorsShards read = read_safetensors_shards(dir / "model.safetensors.index.json");
    EXPECT_EQ(read.file.metadata, (la::KeyValueMetadata{{"origin", "hub"}, {"total_parameters", "4"}}));
    const ModelRow row = from_safetensors(read.file);
    EXPECT_EQ(row.weight_names, (std::vector<std::string>{"a", "b"}));
    EXPECT_EQ(row.table.schema->fields.size(), 4u) << "weights, origin, total_parameters, weight_names";

    // One key, two values.
    b.metadata = {{"origin", "elsewhere"}};
    write_safetensors(dir / "model-00002-of-00002.safetensors", b);
    EXPECT_ERROR(FormatError, dir / "model.safetensors.index.json",
                 "model-00002-of-00002.safetensors: the metadata key 'origin' is \"elsewhere\" here but \"hub\" in");
}

TEST(SafetensorsShards, BrokenCheckpointsAreRefusedNamingTheFile) {
    const auto index = three_shards("broken");
    const auto dir = index.parent_path();
    const std::string original = slurp(index);
    const json j = json::parse(original);
    const auto with = [&](const std::function<void(json&)>& change) {
        json k = j;
        change(k);
        write_text(index, k.dump(2));
    };
    const std::string shard1 = (dir / "model-00001-of-00003.safetensors").string();

    with([](json& k) { k["weight_map"]["ghost"] = "model-00001-of-00003.safetensors"; });
    EXPECT_ERROR(FormatError, index, shard1 + ": has no tensor 'ghost', which " + index.string() + " puts in it");

    with([](json& k) { k["weight_map"].erase("b"); });
    EXPECT_ERROR(FormatError, index, shard1 + ": tensor 'b' is not in the weight_map of " + index.string());

    with([](json& k) { k["weight_map"]["b"] = "model-00002-of-00003.safetensors"; });
    EXPECT_ERROR(FormatError, index, "tensor 'b' is in this shard, but " + index.string() + " puts it in model-00002");

    with([](json& k) { k["metadata"]["total_size"] = 73; });
    EXPECT_ERROR(FormatError, index, index.string() + ": metadata.total_size is 73 but the shards' tensors hold 72");
    with([](json& k) { k["metadata"]["total_size"] = -1; });
    EXPECT_ERROR(FormatError, index, "metadata.total_size must be a number of bytes, not -1");
    with([](json& k) { k["metadata"].erase("total_size"); });
    EXPECT_EQ(read_safetensors_shards(index).file.tensors.size(), 4u) << "total_size is optional";

    for (const std::string escape : {"../model-00001-of-00003.safetensors", "/etc/passwd", "", "a/../../x"}) {
        with([&](json& k) { k["weight_map"]["a"] = escape; });
        EXPECT_ERROR(FormatError, index,
                     index.string() + ": the weight_map puts 'a' in the shard " + json(escape).dump() +
                         ", which is not a file of the index's directory");
    }

    write_text(index, R"({"weight_map": {"a": "model-00001-of-00003.safetensors", "a": "x"}})");
    EXPECT_ERROR(FormatError, index, "safetensors index: the key 'a' appears twice in one object");
    write_text(index, R"({"weight_map": {"a": 3}})");
    EXPECT_ERROR(FormatError, index, "the weight_map entry of 'a' is not a file name but 3");
    write_text(index, R"({"metadata": {}})");
    EXPECT_ERROR(FormatError, index, "has no weight_map object");
    write_text(index, R"({"weight_map": {}, "extra": 1})");
    EXPECT_ERROR(UnsupportedError, index, "has the entry 'extra'");
    write_text(index, "{\"weight_map\": ");
    EXPECT_ERROR(FormatError, index, index.string() + ": safetensors index is not valid JSON");
    write_text(index, "[1]");
    EXPECT_ERROR(FormatError, index, "is not a JSON object");

    // A shard missing: an IoError naming it and the index.
    write_text(index, original);
    fs::remove(dir / "model-00002-of-00003.safetensors");
    EXPECT_ERROR(IoError, index, (dir / "model-00002-of-00003.safetensors").string() + ": the shard is missing");
    EXPECT_ERROR(IoError, index, "puts 1 tensor in it: 'c'");

    // A tensor in two shards.
    SafetensorsFile two;
    two.tensors = {tensor("c", D::I64, 24, 3), tensor("a", D::F32, 16)};
    write_safetensors(dir / "model-00002-of-00003.safetensors", two);
    EXPECT_ERROR(FormatError, index,
                 "tensor 'a' is in two shards, model-00001-of-00003.safetensors and "
                 "model-00002-of-00003.safetensors (the index puts it in model-00001");

    // A shard that is not a safetensors file: the reader's error, naming the shard.
    write_text(dir / "model-00002-of-00003.safetensors", "not a shard");
    EXPECT_ERROR(FormatError, index, (dir / "model-00002-of-00003.safetensors").string() + ": safetensors:");
    EXPECT_ERROR(IoError, dir / "nothing.safetensors.index.json", "nothing.safetensors.index.json");
}

TEST(SafetensorsShards, WriterRefusesBeforeTouchingTheDisk) {
    const auto dir = lftest::scratch_dir("safetensors_shards/refused");
    const auto index = dir / "model.safetensors.index.json";
    SafetensorsFile file;
    file.tensors = {tensor("a", D::F32, 8), tensor("b", D::F32, 8)};
    const auto refused = [&](const fs::path& where, const SafetensorsFile& f, int64_t size, const std::string& what) {
        try {
            write_safetensors_shards(where, f, size);
            ADD_FAILURE() << "no error; expected " << what;
        } catch (const InvalidArgument& e) {
            EXPECT_PRED_FORMAT2(::testing::IsSubstring, what, e.what());
        }
        EXPECT_TRUE(fs::is_empty(dir)) << what;
    };
    refused(index, file, 0, "the shard size must be at least 1 byte");
    refused(dir / "model.json", file, 8, "must end in .safetensors.index.json");
    refused(dir / ".safetensors.index.json", file, 8, "does not name an index file");
    SafetensorsFile twice = file;
    twice.tensors[1].name = "a";
    refused(index, twice, 8, "two tensors are named 'a'");
    SafetensorsFile reserved = file;
    reserved.metadata = {{"total_size", "1"}};
    refused(index, reserved, 8, "the metadata key total_size is the index's own");
    SafetensorsFile short_data = file;
    short_data.tensors[1].shape = {3};
    refused(index, short_data, 8, "tensor 'b' (F32) needs 12 bytes for its shape, has 8");
    SafetensorsFile bad_utf8 = file;
    bad_utf8.tensors[1].name = "\xff";
    refused(index, bad_utf8, 8, "not valid UTF-8");
}

TEST(SafetensorsShards, EarlierShardsAreReplacedSafely) {
    const auto index = three_shards("rewrite");
    const auto dir = index.parent_path();
    write_text(dir / "notes.txt", "mine");
    write_text(dir / "model-extra.safetensors", "not a shard name");

    // Fewer shards: the new index is written, then the old shards (other names) are removed.
    SafetensorsFile fewer;
    fewer.tensors = {tensor("a", D::F32, 16, 9), tensor("b", D::F32, 16, 8)};
    const SafetensorsShards written = write_safetensors_shards(index, fewer, 1000);
    EXPECT_EQ(written.removed,
              (std::vector<std::string>{"model-00001-of-00003.safetensors", "model-00002-of-00003.safetensors",
                                        "model-00003-of-00003.safetensors"}));
    EXPECT_TRUE(fs::exists(dir / "model-00001-of-00001.safetensors"));
    EXPECT_FALSE(fs::exists(dir / "model-00001-of-00003.safetensors"));
    EXPECT_EQ(slurp(dir / "notes.txt"), "mine");
    EXPECT_TRUE(fs::exists(dir / "model-extra.safetensors"));
    expect_same_tensors(read_safetensors_shards(index).file.tensors, fewer.tensors);

    // A write that fails while a shard name of the old index is being replaced leaves no index:
    // the old one would name a shard whose content changed.
    fs::remove(dir / "model-00001-of-00001.safetensors");
    fs::create_directory(dir / "model-00001-of-00001.safetensors");  // cannot be replaced by a file
    write_text(dir / "model-00001-of-00001.safetensors" / "x", "");
    EXPECT_THROW(write_safetensors_shards(index, fewer, 1000), IoError);
    EXPECT_FALSE(fs::exists(index));

    // One that fails without touching the old index's shards leaves the old checkpoint whole.
    fs::remove_all(dir / "model-00001-of-00001.safetensors");
    write_safetensors_shards(index, fewer, 1000);
    SafetensorsFile more;
    more.tensors = {tensor("a", D::F32, 16, 5), tensor("b", D::F32, 16, 6)};
    fs::create_directory(dir / "model-00002-of-00002.safetensors");
    write_text(dir / "model-00002-of-00002.safetensors" / "x", "");
    EXPECT_THROW(write_safetensors_shards(index, more, 16), IoError);
    expect_same_tensors(read_safetensors_shards(index).file.tensors, fewer.tensors);
}
