// safetensors: round trips of every dtype, a structural check of the files we write made with a
// JSON library rather than our reader, hostile headers, and model rows ↔ safetensors.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>

#include "legolasflux/arrow/compare.hpp"
#include "legolasflux/errors.hpp"
#include "legolasflux/legolasflux.hpp"
#include "legolasflux/safetensors_model.hpp"
#include "support/bytes.hpp"

using namespace legolasflux;
namespace la = legolasflux::arrow;
using D = SafetensorsDtype;

struct SafetensorsRowV1 : ModelV1 {
    std::optional<int64_t> epoch;
    std::optional<float> accuracy;
    std::optional<double> loss;
    std::optional<bool> converged;
    std::optional<std::string> commit_sha;
};
LEGOLAS_RECORD_EXTENDS(SafetensorsRowV1, "safetensors-test.model", 1, ModelV1, epoch, accuracy, loss, converged,
                       commit_sha);

namespace {

const std::vector<D> kAllDtypes{D::BOOL, D::U8,  D::I8,  D::I16, D::U16, D::F16, D::BF16,
                                D::I32,  D::U32, D::F32, D::F64, D::I64, D::U64};

std::filesystem::path temp_path(const std::string& name) {
    return std::filesystem::temp_directory_path() /
           ("legolasflux_safetensors_" + std::to_string(::getpid()) + "_" + name);
}

// Distinct bytes per element (0/1 for BOOL).
la::Buffer pattern(D dtype, int64_t count, int seed) {
    std::vector<uint8_t> bytes(static_cast<size_t>(count * dtype_size(dtype)));
    for (size_t i = 0; i < bytes.size(); ++i)
        bytes[i] = dtype == D::BOOL ? static_cast<uint8_t>((i + static_cast<size_t>(seed)) % 2)
                                    : static_cast<uint8_t>(i * 7 + static_cast<size_t>(seed) * 31 + 1);
    return la::Buffer::copy_of(bytes);
}

SafetensorsFile read_bytes(const std::vector<uint8_t>& bytes, const SafetensorsReadOptions& options = {}) {
    return read_safetensors(lftest::exact_buffer(bytes), options);
}

// A file from a header text (padded to 8 when asked) and data bytes, as a hostile writer makes it.
std::vector<uint8_t> raw_file(const std::string& header, const std::vector<uint8_t>& data, bool pad = true) {
    std::string h = header;
    if (pad) h.append((8 - h.size() % 8) % 8, ' ');
    std::vector<uint8_t> out(8);
    for (int i = 0; i < 8; ++i) out[static_cast<size_t>(i)] = static_cast<uint8_t>(uint64_t{h.size()} >> (8 * i));
    out.insert(out.end(), h.begin(), h.end());
    out.insert(out.end(), data.begin(), data.end());
    return out;
}

template <class E>
std::string error_of(const std::vector<uint8_t>& bytes, const SafetensorsReadOptions& options = {}) {
    try {
        (void)read_bytes(bytes, options);
    } catch (const E& e) {
        return e.what();
    } catch (const std::exception& e) {
        return std::string("WRONG EXCEPTION TYPE: ") + e.what();
    }
    return "NO ERROR";
}

#define EXPECT_FORMAT_ERROR(bytes, fragment) \
    EXPECT_PRED_FORMAT2(::testing::IsSubstring, fragment, error_of<FormatError>(bytes))

SafetensorsFile sample_file() {
    SafetensorsFile f;
    f.tensors.push_back({"layer.0.weight", D::F32, {2, 3}, pattern(D::F32, 6, 1)});
    f.tensors.push_back({"layer.0.bias", D::F32, {2}, pattern(D::F32, 2, 2)});
    f.tensors.push_back({"bn.num_batches_tracked", D::I64, {}, pattern(D::I64, 1, 3)});
    f.tensors.push_back({"mask", D::BOOL, {5}, pattern(D::BOOL, 5, 4)});
    f.tensors.push_back({"half", D::F16, {3}, pattern(D::F16, 3, 5)});
    f.metadata = {{"format", "pt"}, {"note", "ünïcode ok"}};
    return f;
}

}  // namespace

TEST(Safetensors, RoundTripsEveryDtype) {
    for (D dtype : kAllDtypes) {
        SafetensorsFile f;
        f.tensors.push_back({"t", dtype, {2, 3}, pattern(dtype, 6, 0)});
        f.tensors.push_back({"scalar", dtype, {}, pattern(dtype, 1, 1)});
        f.tensors.push_back({"empty", dtype, {0, 4}, la::Buffer()});
        const SafetensorsFile back = read_bytes(write_safetensors(f));
        ASSERT_EQ(back.tensors.size(), 3u) << dtype_name(dtype);
        for (const auto& original : f.tensors) {
            auto it = std::find_if(back.tensors.begin(), back.tensors.end(),
                                   [&](const SafeTensor& t) { return t.name == original.name; });
            ASSERT_NE(it, back.tensors.end()) << original.name;
            EXPECT_EQ(it->dtype, dtype);
            EXPECT_EQ(it->shape, original.shape);
            EXPECT_TRUE(la::same_bytes(it->data, original.data)) << dtype_name(dtype) << " " << original.name;
        }
        EXPECT_EQ(parse_dtype(dtype_name(dtype)), dtype);
    }
}

TEST(Safetensors, RoundTripsMetadataThroughAFile) {
    const auto path = temp_path("meta.safetensors");
    write_safetensors(path, sample_file());
    const SafetensorsFile back = read_safetensors(path);
    const la::KeyValueMetadata expected{{"format", "pt"}, {"note", "ünïcode ok"}};
    EXPECT_EQ(back.metadata, expected);
    EXPECT_EQ(back.tensors.size(), 5u);
    std::filesystem::remove(path);
}

// Done-when 3 of issue 6: our files checked with nlohmann::json and byte arithmetic only.
TEST(Safetensors, WrittenFilesPassAStrictStructuralCheck) {
    const SafetensorsFile f = sample_file();
    const std::vector<uint8_t> bytes = write_safetensors(f);
    ASSERT_GE(bytes.size(), 8u);
    uint64_t n = 0;
    for (int i = 7; i >= 0; --i) n = (n << 8) | bytes[static_cast<size_t>(i)];
    ASSERT_LE(8 + n, bytes.size());
    EXPECT_EQ((8 + n) % 8, 0u) << "the data section starts at a multiple of 8";
    const std::string text(bytes.begin() + 8, bytes.begin() + 8 + static_cast<std::ptrdiff_t>(n));
    ASSERT_EQ(text.front(), '{');
    const size_t last = text.find_last_not_of(' ');
    EXPECT_EQ(text[last], '}') << "only spaces pad the header";

    const auto header = nlohmann::ordered_json::parse(text);
    ASSERT_TRUE(header.is_object());
    auto it = header.begin();
    ASSERT_EQ(it.key(), "__metadata__") << "metadata comes first";
    EXPECT_EQ(it.value(), (nlohmann::ordered_json{{"format", "pt"}, {"note", "ünïcode ok"}}));

    // Tensors in header order must be in offset order, contiguous from 0 to the end of the file,
    // sorted as the reference writer sorts (larger alignment first, then by name), each aligned.
    const uint64_t data_start = 8 + n, data_size = bytes.size() - data_start;
    uint64_t expected_begin = 0;
    std::vector<std::pair<std::string, std::string>> seen;  // (dtype, name)
    for (++it; it != header.end(); ++it) {
        const auto& t = it.value();
        ASSERT_EQ(t.size(), 3u) << it.key();
        const std::string dtype = t.at("dtype");
        const auto shape = t.at("shape").get<std::vector<uint64_t>>();
        const auto offsets = t.at("data_offsets").get<std::vector<uint64_t>>();
        ASSERT_EQ(offsets.size(), 2u);
        EXPECT_EQ(offsets[0], expected_begin) << it.key() << ": contiguous";
        const int size = dtype_size(*parse_dtype(dtype));
        uint64_t count = 1;
        for (auto d : shape) count *= d;
        EXPECT_EQ(offsets[1] - offsets[0], count * static_cast<uint64_t>(size)) << it.key();
        EXPECT_EQ((data_start + offsets[0]) % static_cast<uint64_t>(size), 0u) << it.key() << ": aligned";
        // The bytes at the offsets are the tensor's.
        auto original =
            std::find_if(f.tensors.begin(), f.tensors.end(), [&](const SafeTensor& x) { return x.name == it.key(); });
        ASSERT_NE(original, f.tensors.end());
        EXPECT_EQ(0,
                  std::memcmp(bytes.data() + data_start + offsets[0], original->data.data(), offsets[1] - offsets[0]));
        expected_begin = offsets[1];
        seen.emplace_back(dtype, it.key());
    }
    EXPECT_EQ(expected_begin, data_size) << "the tensors cover the data section exactly";
    const std::vector<std::pair<std::string, std::string>> reference_order{{"I64", "bn.num_batches_tracked"},
                                                                           {"F32", "layer.0.bias"},
                                                                           {"F32", "layer.0.weight"},
                                                                           {"F16", "half"},
                                                                           {"BOOL", "mask"}};
    EXPECT_EQ(seen, reference_order);
}

TEST(Safetensors, EmptyFileIsTheReferenceWritersBytes) {
    // {} padded to 8: what the reference writer produces for no tensors and no metadata.
    const std::vector<uint8_t> expected{8, 0, 0, 0, 0, 0, 0, 0, '{', '}', ' ', ' ', ' ', ' ', ' ', ' '};
    EXPECT_EQ(write_safetensors(SafetensorsFile{}), expected);
    EXPECT_TRUE(read_bytes(expected).tensors.empty());
}

TEST(Safetensors, WriterRejectsWhatCannotBeAFile) {
    SafetensorsFile dup;
    dup.tensors.push_back({"a", D::U8, {1}, pattern(D::U8, 1, 0)});
    dup.tensors.push_back({"a", D::U8, {1}, pattern(D::U8, 1, 0)});
    EXPECT_THROW(write_safetensors(dup), InvalidArgument);
    SafetensorsFile reserved;
    reserved.tensors.push_back({"__metadata__", D::U8, {1}, pattern(D::U8, 1, 0)});
    EXPECT_THROW(write_safetensors(reserved), InvalidArgument);
    SafetensorsFile short_data;
    short_data.tensors.push_back({"a", D::F32, {3}, pattern(D::F32, 2, 0)});
    EXPECT_THROW(write_safetensors(short_data), InvalidArgument);
    SafetensorsFile dup_key;
    dup_key.metadata = {{"k", "1"}, {"k", "2"}};
    EXPECT_THROW(write_safetensors(dup_key), InvalidArgument);
    EXPECT_THROW(write_safetensors(temp_path("no_such_dir") / "x.safetensors", SafetensorsFile{}), IoError);
}

TEST(SafetensorsHostile, TruncatedAnywhereIsAFormatError) {
    const std::vector<uint8_t> bytes = write_safetensors(sample_file());
    for (size_t cut = 0; cut < bytes.size(); ++cut) {
        const std::vector<uint8_t> prefix(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(cut));
        EXPECT_THROW((void)read_bytes(prefix), FormatError) << "cut at " << cut;
    }
    EXPECT_FORMAT_ERROR(std::vector<uint8_t>(5, 0), "fewer than the 8");
    EXPECT_FORMAT_ERROR(std::vector<uint8_t>(bytes.begin(), bytes.end() - 1), "truncated");
}

TEST(SafetensorsHostile, HeaderSizeIsLimited) {
    std::vector<uint8_t> huge(16, ' ');
    for (int i = 0; i < 8; ++i) huge[static_cast<size_t>(i)] = 0xff;
    EXPECT_FORMAT_ERROR(huge, "exceeds the limit");
    // Within the limit but past the end of the file.
    std::vector<uint8_t> past{64, 0, 0, 0, 0, 0, 0, 0, '{', '}'};
    EXPECT_FORMAT_ERROR(past, "runs past the end");
    // The limit is configurable.
    const auto bytes = write_safetensors(sample_file());
    SafetensorsReadOptions small;
    small.max_header_size = 16;
    EXPECT_PRED_FORMAT2(::testing::IsSubstring, "exceeds the limit of 16", error_of<FormatError>(bytes, small));
}

TEST(SafetensorsHostile, HeaderJsonIsValidated) {
    EXPECT_FORMAT_ERROR(raw_file("{\"a\": {\"dtype\": \"F32\",", {}), "not valid JSON");
    EXPECT_FORMAT_ERROR(raw_file("[1, 2]", {}), "does not start with '{'");
    EXPECT_FORMAT_ERROR(raw_file("{} x", {}), "not valid JSON");
    // A NUL ends the JSON library's input: what follows would be ignored.
    EXPECT_FORMAT_ERROR(raw_file(std::string("{\"a\":1}") + '\0' + "garbage", {}, false),
                        "contains a NUL byte at offset 15");
    EXPECT_FORMAT_ERROR(raw_file(std::string("{}\0     ", 8), {}, false), "NUL byte");
    EXPECT_FORMAT_ERROR(raw_file("{\"a\": 1}", {}), "tensor 'a' must be an object");
    EXPECT_FORMAT_ERROR(raw_file(R"({"a": {"dtype": "U8", "shape": [1]}})", {0}), "tensor 'a' has no data_offsets");
    EXPECT_FORMAT_ERROR(raw_file(R"({"a": {"dtype": 3, "shape": [1], "data_offsets": [0, 1]}})", {0}),
                        "dtype must be a string");
    EXPECT_FORMAT_ERROR(raw_file(R"({"a": {"dtype": "U8", "shape": [-1], "data_offsets": [0, 1]}})", {0}), "shape[0]");
    EXPECT_FORMAT_ERROR(raw_file(R"({"a": {"dtype": "U8", "shape": [1.0], "data_offsets": [0, 1]}})", {0}),
                        "non-negative integer");
    EXPECT_FORMAT_ERROR(raw_file(R"({"a": {"dtype": "U8", "shape": [1], "data_offsets": [0]}})", {0}), "[begin, end]");
    EXPECT_FORMAT_ERROR(raw_file(R"({"a": {"dtype": "U8", "shape": [1], "data_offsets": [1, 0]}})", {0}),
                        "end before they begin");
    // Duplicate keys would let the JSON library silently drop a tensor.
    EXPECT_FORMAT_ERROR(raw_file(R"({"a": {"dtype": "U8", "shape": [1], "data_offsets": [0, 1]},
                                     "a": {"dtype": "U8", "shape": [1], "data_offsets": [1, 2]}})",
                                 {0, 0}),
                        "'a' appears twice");
    EXPECT_FORMAT_ERROR(raw_file(R"({"a": {"dtype": "U8", "dtype": "U8", "shape": [1], "data_offsets": [0, 1]}})", {0}),
                        "appears twice");
    EXPECT_FORMAT_ERROR(raw_file(R"({"a": {"dtype": "U8", "shape": [[[1]]], "data_offsets": [0, 1]}})", {0}),
                        "nested deeper");
    EXPECT_FORMAT_ERROR(
        raw_file(std::string("{\"a\":") + std::string(100000, '[') + std::string(100000, ']') + "}", {}),
        "nested deeper");
    EXPECT_FORMAT_ERROR(raw_file(R"({"__metadata__": {"k": 1}})", {}), "__metadata__ value of 'k' must be a string");
    EXPECT_FORMAT_ERROR(raw_file(R"({"__metadata__": ["k"]})", {}), "__metadata__ must be an object");
    EXPECT_FORMAT_ERROR(raw_file("{\"a\xff\": 1}", {}), "not valid JSON");  // not UTF-8
}

TEST(SafetensorsHostile, DtypesAreChecked) {
    EXPECT_FORMAT_ERROR(raw_file(R"({"a": {"dtype": "Q7", "shape": [1], "data_offsets": [0, 1]}})", {0}),
                        "tensor 'a' has the unknown dtype \"Q7\"");
    EXPECT_PRED_FORMAT2(::testing::IsSubstring, "F8_E4M3, which LegolasFlux does not read",
                        error_of<UnsupportedError>(
                            raw_file(R"({"a": {"dtype": "F8_E4M3", "shape": [1], "data_offsets": [0, 1]}})", {0})));
    EXPECT_PRED_FORMAT2(::testing::IsSubstring, "field 'strides'",
                        error_of<UnsupportedError>(raw_file(
                            R"({"a": {"dtype": "U8", "shape": [1], "data_offsets": [0, 1], "strides": [1]}})", {0})));
    EXPECT_FORMAT_ERROR(raw_file(R"({"b": {"dtype": "BOOL", "shape": [2], "data_offsets": [0, 2]}})", {1, 2}),
                        "tensor 'b' is BOOL but element 1 is 2");
}

TEST(SafetensorsHostile, OffsetsMustTileTheDataSection) {
    const std::vector<uint8_t> four(4, 0), eight(8, 0);
    EXPECT_FORMAT_ERROR(raw_file(R"({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 4]}})", four),
                        "tensor 'w': dtype F32 and shape [2] make 8 bytes, but data_offsets [0,4] span 4");
    EXPECT_FORMAT_ERROR(raw_file(R"({"a": {"dtype": "U8", "shape": [4], "data_offsets": [0, 4]},
                                     "b": {"dtype": "U8", "shape": [4], "data_offsets": [2, 6]}})",
                                 eight),
                        "tensor 'b' (bytes 2..6) overlaps tensor 'a' (bytes 0..4)");
    EXPECT_FORMAT_ERROR(raw_file(R"({"a": {"dtype": "U8", "shape": [2], "data_offsets": [0, 2]},
                                     "b": {"dtype": "U8", "shape": [4], "data_offsets": [4, 8]}})",
                                 eight),
                        "bytes 2..4 of the data section belong to no tensor (a gap before tensor 'b')");
    EXPECT_FORMAT_ERROR(raw_file(R"({"a": {"dtype": "U8", "shape": [4], "data_offsets": [4, 8]}})", eight),
                        "bytes 0..4 of the data section belong to no tensor");
    EXPECT_FORMAT_ERROR(raw_file(R"({"a": {"dtype": "U8", "shape": [4], "data_offsets": [0, 4]}})", eight),
                        "4 bytes after the last tensor");
    EXPECT_FORMAT_ERROR(raw_file(R"({"a": {"dtype": "U8", "shape": [16], "data_offsets": [0, 16]}})", eight),
                        "tensor 'a' ends at byte 16 of the data section, which has 8 bytes");
    EXPECT_FORMAT_ERROR(
        raw_file(R"({"a": {"dtype": "F64", "shape": [4611686018427387904, 4], "data_offsets": [0, 8]}})", eight),
        "more elements than can be addressed");
    EXPECT_FORMAT_ERROR(
        raw_file(R"({"a": {"dtype": "F64", "shape": [1], "data_offsets": [0, 18446744073709551615]}})", eight),
        "too large");
    // Listed out of order in the header is fine: the tiling is checked by offset.
    const auto ok = read_bytes(raw_file(R"({"b": {"dtype": "U8", "shape": [4], "data_offsets": [4, 8]},
                                            "a": {"dtype": "U8", "shape": [4], "data_offsets": [0, 4]}})",
                                        eight));
    ASSERT_EQ(ok.tensors.size(), 2u);
    EXPECT_EQ(ok.tensors[0].name, "a");
}

// --- model rows ↔ safetensors --------------------------------------------------------------

namespace {

Weights model_weights() {
    // Julia sizes; the torch shapes are reversed: (4, 3) and (4,), (2, 2, 1).
    return Weights({FlatArray::from_values<float>({3, 4}, std::vector<float>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12.5f}),
                    FlatArray::from_values<float>({4}, std::vector<float>{-1, -2, -3, 0.1f}),
                    FlatArray::from_values<float>({1, 2, 2}, std::vector<float>{1e-30f, 3e38f, -0.0f, 7})});
}

// Names whose sorted order differs from the model's, so that the order must be restored.
const std::vector<std::string> kNames{"z.weight", "z.bias", "a.conv.weight"};

}  // namespace

// A schema as a file made from it carries it: without the Arrow file's checksums, which describe
// bytes the other file does not have.
la::Schema without_checksums(la::Schema schema) {
    std::erase_if(schema.metadata, [](const auto& kv) { return kv.first == kChecksumsMetadataKey; });
    return schema;
}

bool has_checksums(const la::Schema& schema) {
    return std::any_of(schema.metadata.begin(), schema.metadata.end(),
                       [](const auto& kv) { return kv.first == kChecksumsMetadataKey; });
}

TEST(SafetensorsModel, ArrowRowRoundTripsExactly) {
    SafetensorsRowV1 row;
    row.weights = model_weights();
    row.architecture_version = 3;
    row.epoch = 12;
    row.accuracy = 0.1f;
    row.loss = 1.0 / 3.0;
    row.converged = true;  // commit_sha stays missing
    ModelWriteOptions options;
    options.weight_names = kNames;
    const auto path = temp_path("row.arrow");
    write_model_row(path, row, options);
    const ModelRow original = read_model_row(path);

    const SafetensorsFile st = to_safetensors(original);
    ASSERT_EQ(st.tensors.size(), 3u);
    EXPECT_EQ(st.tensors[0].name, "z.weight");
    EXPECT_EQ(st.tensors[0].shape, (std::vector<int64_t>{4, 3})) << "torch shape: the Julia size reversed";
    EXPECT_EQ(st.tensors[2].shape, (std::vector<int64_t>{2, 2, 1}));
    EXPECT_EQ(st.tensors[0].dtype, D::F32);
    auto md = [&](const std::string& key) {
        return std::string(la::find_metadata(st.metadata, key).value_or("<none>"));
    };
    EXPECT_EQ(md("legolas_schema_qualified"), "safetensors-test.model@1>legolas-flux.model@1");
    EXPECT_EQ(md("architecture_version"), "3");
    EXPECT_EQ(md("epoch"), "12");
    EXPECT_EQ(md("accuracy"), "0.1");
    EXPECT_EQ(md("loss"), "0.3333333333333333");
    EXPECT_EQ(md("converged"), "true");
    EXPECT_EQ(md("commit_sha"), "<none>");
    EXPECT_EQ(md("legolasflux.weight_names"), "stored");

    const std::vector<uint8_t> bytes = write_safetensors(st);
    const SafetensorsFile read = read_bytes(bytes);
    EXPECT_EQ(read.tensors[0].name, "a.conv.weight") << "the file is in the reference writer's order";
    const ModelRow back = from_safetensors(read);
    ASSERT_TRUE(back.weights);
    EXPECT_EQ(*back.weights, *original.weights);
    EXPECT_EQ(back.weight_names, original.weight_names);
    EXPECT_EQ(back.architecture_version, original.architecture_version);
    EXPECT_EQ(back.qualified_identifier, original.qualified_identifier);
    EXPECT_EQ(back.schema_version, original.schema_version);
    EXPECT_EQ(*back.table.schema, without_checksums(*original.table.schema));

    // Written back as .arrow, it reads as the typed row it was.
    const auto again = temp_path("again.arrow");
    write_model_row(again, back);
    std::vector<std::string> names;
    const auto typed = read_model_row<SafetensorsRowV1>(again, &names);
    EXPECT_EQ(names, kNames);
    EXPECT_EQ(typed.epoch, 12);
    EXPECT_EQ(typed.accuracy, 0.1f);
    EXPECT_EQ(typed.loss, 1.0 / 3.0);
    EXPECT_EQ(typed.converged, true);
    EXPECT_FALSE(typed.commit_sha);
    EXPECT_EQ(*typed.weights, *original.weights);
    std::filesystem::remove(path);
    std::filesystem::remove(again);
}

TEST(SafetensorsModel, SchemaMetadataBeyondTheTagIsKept) {
    ModelV1 row;
    row.weights = model_weights();
    const auto path = temp_path("schema_md.arrow");
    write_model_row(path, row);
    ModelRow original = read_model_row(path);
    auto schema = std::make_shared<la::Schema>(*original.table.schema);
    schema->metadata.insert(schema->metadata.begin(), {"legolas_schema_provider_name", "mypackage"});
    schema->metadata.emplace_back("note", "trained on fold 3");
    original.table.schema = schema;
    original.table.batches[0].schema = schema;
    const SafetensorsFile st = to_safetensors(original);
    const ModelRow back = from_safetensors(read_bytes(write_safetensors(st)));
    ASSERT_TRUE(has_checksums(*schema)) << "the row was read from a file of ours";
    EXPECT_FALSE(has_checksums(*back.table.schema));
    EXPECT_EQ(back.table.schema->metadata, without_checksums(*schema).metadata);
    EXPECT_EQ(*back.table.schema, without_checksums(*schema));
    std::filesystem::remove(path);
}

TEST(SafetensorsModel, EveryScalarColumnTypeRoundTrips) {
    SafetensorsFile f;
    f.tensors.push_back({"w", D::F64, {2}, la::Buffer::copy_of(std::vector<double>{0.1, -2})});
    f.metadata = {{"legolasflux.columns", R"([{"name":"n","type":"null"},{"name":"b","type":"bool","nullable":false},
        {"name":"i8","type":"int8"},{"name":"i16","type":"int16"},{"name":"i32","type":"int32"},
        {"name":"weights","type":"weights"},{"name":"architecture_version","type":"int64"},
        {"name":"u8","type":"uint8"},{"name":"u16","type":"uint16"},{"name":"u32","type":"uint32"},{"name":"u64","type":"uint64"},
        {"name":"f16","type":"float16"},{"name":"f32","type":"float32"},{"name":"f64","type":"float64"},
        {"name":"s","type":"utf8","metadata":[["ARROW:extension:name","JuliaLang.Symbol"]]},
        {"name":"ls","type":"large_utf8"},{"name":"missing","type":"float32"}])"},
                  {"b", "false"},
                  {"i8", "-128"},
                  {"i16", "-32768"},
                  {"i32", "2147483647"},
                  {"architecture_version", "-9223372036854775808"},
                  {"u8", "255"},
                  {"u16", "65535"},
                  {"u32", "4294967295"},
                  {"u64", "18446744073709551615"},
                  {"f16", "0.1"},
                  {"f32", "-inf"},
                  {"f64", "5e-324"},
                  {"s", "ünï"},
                  {"ls", "a long string"}};
    const ModelRow first = from_safetensors(f);
    EXPECT_EQ(first.architecture_version, std::numeric_limits<int64_t>::min());
    const auto& fields = first.table.schema->fields;
    ASSERT_EQ(fields.size(), 18u);
    EXPECT_EQ(fields[17].name, "weight_names") << "no legolasflux.weight_names key: the tensor names are stored";
    EXPECT_EQ(fields[5].name, "weights") << "the described column order is kept";
    EXPECT_FALSE(fields[1].nullable);
    EXPECT_EQ(fields[14].extension_name().value_or(""), "JuliaLang.Symbol");
    EXPECT_TRUE(first.table.batches[0].columns[16]->is_null(0));

    const SafetensorsFile again = to_safetensors(first);
    auto md = [&](const std::string& key) {
        return std::string(la::find_metadata(again.metadata, key).value_or("<none>"));
    };
    EXPECT_EQ(md("b"), "false");
    EXPECT_EQ(md("i8"), "-128");
    EXPECT_EQ(md("u64"), "18446744073709551615");
    EXPECT_EQ(md("f16"), "0.099975586") << "the half nearest 0.1, shortest float text";
    EXPECT_EQ(md("f32"), "-inf");
    EXPECT_EQ(md("f64"), "5e-324");
    EXPECT_EQ(md("s"), "ünï");
    EXPECT_EQ(md("missing"), "<none>");
    EXPECT_EQ(md("n"), "<none>");
    const ModelRow second = from_safetensors(read_bytes(write_safetensors(again)));
    EXPECT_EQ(*second.table.schema, *first.table.schema);
    EXPECT_TRUE(la::table_equals(second.table, first.table)) << la::table_difference(second.table, first.table);
    // A non-nullable column without a value cannot be rebuilt.
    auto broken = f;
    broken.metadata.erase(broken.metadata.begin() + 1);  // "b"
    EXPECT_THROW((void)from_safetensors(broken), FormatError);
}

TEST(SafetensorsModel, RowsWithoutNamesGetGeneratedOnesAndKeepNone) {
    ModelV1 row;
    row.weights = model_weights();
    const auto path = temp_path("nonames.arrow");
    write_model_row(path, row);
    const ModelRow original = read_model_row(path);
    const SafetensorsFile st = to_safetensors(original);
    ASSERT_EQ(st.tensors.size(), 3u);
    EXPECT_EQ(st.tensors[0].name, "weight_0001");
    EXPECT_EQ(st.tensors[2].name, "weight_0003");
    const ModelRow back = from_safetensors(read_bytes(write_safetensors(st)));
    EXPECT_FALSE(back.weight_names);
    EXPECT_EQ(*back.weights, *original.weights);
    EXPECT_EQ(generated_weight_name(9999, 10000), "weight_10000");
    EXPECT_EQ(generated_weight_name(0, 10000), "weight_00001");
    std::filesystem::remove(path);
}

TEST(SafetensorsModel, EveryElementTypeConvertsBothWays) {
    for (D dtype : kAllDtypes) {
        if (dtype == D::BF16) continue;  // no element type of its own: see BFloat16IsReadAsFloat32Exactly
        const ElementType type = element_type_for(dtype);
        EXPECT_EQ(dtype_for(type), dtype);
        SafetensorsFile f;
        f.tensors.push_back({"w", dtype, {3, 2}, pattern(dtype, 6, 2)});
        const ModelRow converted = from_safetensors(f);
        ASSERT_TRUE(converted.weights);
        EXPECT_EQ(converted.weights->element_type, type);
        EXPECT_EQ((*converted.weights)[0].size, (std::vector<int64_t>{2, 3}));
        const SafetensorsFile back = to_safetensors(converted);
        ASSERT_EQ(back.tensors.size(), 1u);
        EXPECT_EQ(back.tensors[0].dtype, dtype);
        EXPECT_EQ(back.tensors[0].shape, (std::vector<int64_t>{3, 2}));
        EXPECT_TRUE(la::same_bytes(back.tensors[0].data, f.tensors[0].data)) << dtype_name(dtype);
    }
}

TEST(SafetensorsModel, BFloat16IsReadAsFloat32Exactly) {
    // 1.5, -2, the smallest normal, a NaN; little-endian bfloat16 bits.
    const std::vector<uint16_t> bits{0x3FC0, 0xC000, 0x0080, 0x7FC1};
    SafetensorsFile f;
    f.tensors.push_back({"w", D::BF16, {4}, la::Buffer::copy_of(bits)});
    const ModelRow row = from_safetensors(read_bytes(write_safetensors(f)));
    ASSERT_TRUE(row.weights);
    ASSERT_EQ(row.weights->element_type, ElementType::Float32);
    const auto values = (*row.weights)[0].data<float>();
    for (size_t i = 0; i < bits.size(); ++i) {
        uint32_t got = 0;
        std::memcpy(&got, &values[i], 4);
        EXPECT_EQ(got, uint32_t{bits[i]} << 16) << i;
    }
}

TEST(SafetensorsModel, ForeignFilesBecomeModelRows) {
    // As PyTorch writes a state_dict: mixed dtypes, sorted names, free-form metadata.
    SafetensorsFile f;
    f.tensors.push_back({"bn.num_batches_tracked", D::I64, {}, la::Buffer::copy_of(std::vector<int64_t>{7})});
    f.tensors.push_back({"fc.weight", D::F32, {2, 2}, la::Buffer::copy_of(std::vector<float>{1, 2, 3, 4})});
    f.metadata = {{"format", "pt"}};
    const ModelRow row = from_safetensors(read_bytes(write_safetensors(f)));
    EXPECT_EQ(row.qualified_identifier, "legolas-flux.model@1");
    ASSERT_TRUE(row.weights);
    EXPECT_EQ(row.weights->element_type, ElementType::Float32) << "promoted as Julia's Weights does";
    EXPECT_EQ((*row.weights)[0].to_doubles(), std::vector<double>{7});
    EXPECT_EQ(row.weight_names, (std::vector<std::string>{"bn.num_batches_tracked", "fc.weight"}));
    EXPECT_FALSE(row.architecture_version);
    // Each tensor's own dtype, recorded so that the way out restores it.
    EXPECT_EQ(row.weight_dtypes, (std::vector<ElementType>{ElementType::Int64, ElementType::Float32}));
    const auto& fields = row.table.schema->fields;
    ASSERT_EQ(fields.size(), 4u);
    EXPECT_EQ(fields[1].name, "format");
    EXPECT_EQ(fields[1].type.id, la::TypeId::Utf8);
    EXPECT_EQ(fields[3].name, kWeightDtypesColumn);
}

TEST(SafetensorsModel, RowsThatCannotBeExpressedAreRefused) {
    // A list column once had no metadata form; now only a column named like a key of ours has none.
    for (const std::string name : {"history", "legolasflux.history"}) {
        ModelRow row = from_safetensors(SafetensorsFile{});
        auto schema = std::make_shared<la::Schema>(*row.table.schema);
        schema->fields.push_back(la::field(name, la::list(la::field("", la::int64(), false))));
        auto batch = row.table.batches[0];
        batch.columns.push_back(la::make_list(schema->fields.back().type, {1},
                                              la::make_primitive<int64_t>(la::int64(), std::vector<int64_t>{1})));
        batch.schema = schema;
        row.table.schema = schema;
        row.table.batches = {batch};
        if (name == "history")
            EXPECT_NO_THROW((void)to_safetensors(row));
        else
            EXPECT_THROW((void)to_safetensors(row), UnsupportedError);
    }
}

TEST(SafetensorsModel, HostileMetadataIsAFormatError) {
    auto with = [](la::KeyValueMetadata md) {
        SafetensorsFile f;
        f.tensors.push_back({"a", D::F32, {1}, la::Buffer::copy_of(std::vector<float>{1})});
        f.tensors.push_back({"b", D::F32, {1}, la::Buffer::copy_of(std::vector<float>{2})});
        f.metadata = std::move(md);
        return f;
    };
    EXPECT_THROW((void)from_safetensors(with({{"legolasflux.weight_order", R"(["a", "c"])"}})), FormatError);
    EXPECT_THROW((void)from_safetensors(with({{"legolasflux.weight_order", R"(["a", "a"])"}})), FormatError);
    EXPECT_THROW((void)from_safetensors(with({{"legolasflux.weight_order", R"(["a"])"}})), FormatError);
    EXPECT_THROW((void)from_safetensors(with({{"legolasflux.weight_order", "not json"}})), FormatError);
    const std::string columns =
        R"([{"name":"weights","type":"weights"},{"name":"epoch","type":"int64","nullable":true}])";
    EXPECT_THROW((void)from_safetensors(with({{"legolasflux.columns", columns}, {"epoch", "12abc"}})), FormatError);
    EXPECT_THROW((void)from_safetensors(with({{"legolasflux.columns", columns}, {"epoch", "99999999999999999999"}})),
                 FormatError);
    EXPECT_EQ(from_safetensors(with({{"legolasflux.columns", columns}, {"epoch", "12"}})).table.schema->fields.size(),
              3u);
    EXPECT_THROW((void)from_safetensors(with({{"legolasflux.columns", R"([{"name":"epoch","type":"int64"}])"}})),
                 FormatError);
    EXPECT_THROW(
        (void)from_safetensors(
            with({{"legolasflux.columns", R"([{"name":"weights","type":"weights"},{"name":"x","type":"struct"}])"}})),
        FormatError);
    EXPECT_THROW((void)from_safetensors(with({{"weights", "1"}})), FormatError);
    EXPECT_THROW((void)from_safetensors(with({{"legolasflux.weight_names", "maybe"}})), FormatError);
    // The schema's own rules still hold: architecture_version is an Int64 column.
    EXPECT_THROW((void)from_safetensors(with({{"architecture_version", "3"}})), SchemaError);
}

// --- columns of every other type, as integration JSON ----------------------------------------

namespace {

// Every column of `a` and `b`, field and values, then the tables as a whole.
void expect_same_columns(const la::Table& a, const la::Table& b) {
    ASSERT_EQ(a.schema->fields.size(), b.schema->fields.size());
    ASSERT_EQ(a.batches.size(), 1u);
    ASSERT_EQ(b.batches.size(), 1u);
    for (size_t k = 0; k < a.schema->fields.size(); ++k) {
        SCOPED_TRACE(a.schema->fields[k].name);
        EXPECT_EQ(a.schema->fields[k], b.schema->fields[k])
            << la::to_string(a.schema->fields[k]) << " vs " << la::to_string(b.schema->fields[k]);
        EXPECT_TRUE(la::array_equals(*a.batches[0].columns[k], *b.batches[0].columns[k]));
    }
    EXPECT_EQ(*a.schema, *b.schema);
    EXPECT_TRUE(la::table_equals(a, b)) << la::table_difference(a, b);
}

ModelRow through_safetensors(const ModelRow& row) {
    return from_safetensors(read_bytes(write_safetensors(to_safetensors(row))));
}

template <class T>
la::ArrayPtr values_of(la::DataType type, std::vector<T> values) {
    return la::make_primitive<T>(std::move(type), values);
}

// A legolas-flux.model@1 row: its weights (unnamed: no weight_names column, which would come last),
// then the `extra` columns.
ModelRow row_with(const std::vector<std::pair<la::Field, la::ArrayPtr>>& extra) {
    SafetensorsFile f;
    f.tensors.push_back({"w", D::F32, {2}, la::Buffer::copy_of(std::vector<float>{1, -0.0f})});
    f.metadata = {{"legolasflux.weight_names", "generated"}};
    ModelRow row = from_safetensors(f);
    auto schema = std::make_shared<la::Schema>(*row.table.schema);
    std::vector<la::ArrayPtr> columns = row.table.batches[0].columns;
    for (const auto& [field, array] : extra) {
        schema->fields.push_back(field);
        columns.push_back(array);
    }
    row.table.schema = schema;
    row.table.batches = {la::make_batch(schema, std::move(columns))};
    return row;
}

}  // namespace

TEST(SafetensorsModel, JuliasDigitsRowRoundTripsWithItsStructColumn) {
    const ModelRow original = read_model_row(lftest::julia_fixture_path());
    const SafetensorsFile st = to_safetensors(original);
    const auto config = la::find_metadata(st.metadata, "config");
    ASSERT_TRUE(config);
    const auto doc = nlohmann::json::parse(*config);
    EXPECT_EQ(doc["schema"]["fields"][0]["name"], "config");
    EXPECT_EQ(config->find('\n'), std::string_view::npos) << "stored compact";
    const auto columns =
        nlohmann::json::parse(std::string(la::find_metadata(st.metadata, "legolasflux.columns").value()));
    bool described = false;
    for (const auto& c : columns)
        if (c["name"] == "config") described = c["type"] == "arrow_json";
    EXPECT_TRUE(described) << columns.dump();

    const ModelRow back = from_safetensors(read_bytes(write_safetensors(st)));
    EXPECT_EQ(back.qualified_identifier, original.qualified_identifier);
    EXPECT_EQ(back.schema_version, original.schema_version);
    ASSERT_TRUE(back.weights);
    EXPECT_EQ(*back.weights, *original.weights);
    EXPECT_EQ(back.architecture_version, original.architecture_version);
    expect_same_columns(original.table, back.table);
}

TEST(SafetensorsModel, EveryOtherColumnTypeRoundTripsExactly) {
    constexpr double inf = std::numeric_limits<double>::infinity();
    constexpr double nan = std::numeric_limits<double>::quiet_NaN();
    constexpr int64_t i64_min = std::numeric_limits<int64_t>::min();
    constexpr uint64_t u64_max = std::numeric_limits<uint64_t>::max();
    std::vector<std::pair<la::Field, la::ArrayPtr>> extra;

    // A nested record, with the extension metadata Legolas gives it.
    const la::DataType config = la::struct_(
        {la::field("seed", la::int64(), false), la::field("rate", la::float32()), la::field("name", la::utf8())});
    extra.push_back({la::field("config", config, false,
                               {{"ARROW:extension:name", "JuliaLang.test-config@1"}, {"ARROW:extension:metadata", ""}}),
                     la::make_struct(config, 1,
                                     {values_of<int64_t>(la::int64(), {i64_min}),
                                      values_of<float>(la::float32(), {0.1f}), la::make_strings({"ünï\"code\"\n"})})});
    // Floats that text loses unless it is careful: -0.0, NaN, ±Infinity, subnormals, extremes.
    const la::DataType f64s = la::list(la::field("", la::float64(), false));
    extra.push_back({la::field("losses", f64s),
                     la::make_list(f64s, {8},
                                   values_of<double>(la::float64(), {-0.0, nan, inf, -inf, 5e-324, 0.1, 1.0 / 3.0,
                                                                     std::numeric_limits<double>::max()}))});
    const la::DataType f32s = la::list(la::field("", la::float32(), false));
    const std::vector<float> accuracies{-0.0f, 1e-45f, 0.1f, std::numeric_limits<float>::max(),
                                        -std::numeric_limits<float>::infinity()};
    extra.push_back(
        {la::field("accuracies", f32s), la::make_list(f32s, {5}, values_of<float>(la::float32(), accuracies))});
    const la::DataType f16s = la::list(la::field("", la::float16(), false));  // -0, smallest subnormal, max, ~1/3
    extra.push_back({la::field("halves", f16s),
                     la::make_list(f16s, {4}, values_of<uint16_t>(la::float16(), {0x8000, 0x0001, 0x7BFF, 0x3555}))});
    // A map with 64-bit values at their extremes (Arrow.jl writes a Dict as a Map).
    const la::DataType counts = la::map(la::field("key", la::utf8(), false), la::field("value", la::uint64()));
    const la::DataType entries = counts.children.at(0).type;
    extra.push_back({la::field("counts", counts, false),
                     la::make_list(counts, {3},
                                   la::make_struct(entries, 3,
                                                   {la::make_strings({"a", "b", "c"}),
                                                    la::make_primitive<uint64_t>(la::uint64(), {u64_max, 0, 1},
                                                                                 {true, true, false})}))});
    // Bytes that are not text.
    extra.push_back({la::field("blob", la::binary(), false),
                     la::make_binary_like(la::binary(), {std::string("\x00\xff\xfe ARROW1\x80", 11)})});
    extra.push_back({la::field("digest", la::fixed_size_binary(4), false),
                     la::make_binary_like(la::fixed_size_binary(4), {std::string("\xde\xad\x00\x01", 4)})});
    // Lists of records holding lists, with a missing element.
    const la::DataType tags = la::list(la::field("", la::utf8(), false));
    const la::DataType item = la::struct_({la::field("id", la::int64(), false), la::field("tags", tags)});
    const la::DataType items = la::list(la::field("", item));
    extra.push_back(
        {la::field("items", items, false),
         la::make_list(
             items, {3},
             la::make_struct(item, 3,
                             {values_of<int64_t>(la::int64(), {std::numeric_limits<int64_t>::max(), -1, 0}),
                              la::make_list(tags, {2, 0, 0}, la::make_strings({"x", ""}), {true, true, false})},
                             {true, true, false}))});
    // Time, and a missing value of a nested type (its document still carries the type).
    const la::DataType when = la::timestamp(la::TimeUnit::Nanosecond, "UTC");
    extra.push_back({la::field("trained_at", when), values_of<int64_t>(when, {1'700'000'000'123'456'789})});
    extra.push_back({la::field("missing_config", config),
                     la::make_struct(config, 1,
                                     {values_of<int64_t>(la::int64(), {0}), values_of<float>(la::float32(), {0}),
                                      la::make_strings({""})},
                                     {false})});
    // A dictionary-encoded string (Arrow.jl writes pooled and categorical arrays this way).
    la::Field fold = la::field("fold", la::utf8(), false);
    fold.dictionary = la::DictionaryEncoding{7, la::int32(), false};
    extra.push_back({fold, la::make_dictionary(la::int32(), {1}, la::make_strings({"train", "test"}))});

    const ModelRow row = row_with(extra);
    const SafetensorsFile st = to_safetensors(row);
    for (const auto& [field, array] : extra) {
        SCOPED_TRACE(field.name);
        const auto value = la::find_metadata(st.metadata, field.name);
        ASSERT_TRUE(value) << "every value has an entry, a missing one too";
        EXPECT_TRUE(nlohmann::json::accept(*value));
    }
    const auto text = [&](const std::string& key) { return std::string(la::find_metadata(st.metadata, key).value()); };
    EXPECT_NE(text("config").find("\"-9223372036854775808\""), std::string::npos) << "64-bit integers as strings";
    EXPECT_NE(text("counts").find("\"18446744073709551615\""), std::string::npos);
    EXPECT_NE(text("blob").find("00FFFE204152524F573180"), std::string::npos) << "binary as uppercase hex";

    const ModelRow back = from_safetensors(read_bytes(write_safetensors(st)));
    expect_same_columns(row.table, back.table);
    // Bit for bit where NaN equality could hide a difference: the signs of zero, the NaN itself.
    ASSERT_EQ(back.table.schema->fields[2].name, "losses");
    const la::Array& losses = *back.table.batches[0].columns[2]->children[0];
    EXPECT_TRUE(std::signbit(losses.values<double>()[0]));
    EXPECT_TRUE(std::isnan(losses.values<double>()[1]));
    const la::Array& halves = *back.table.batches[0].columns[4]->children[0];
    EXPECT_EQ(halves.values<uint16_t>()[0], 0x8000);

    // And again: the second trip writes the same metadata as the first.
    EXPECT_EQ(to_safetensors(back).metadata, st.metadata);
    expect_same_columns(row.table, through_safetensors(back).table);
}

TEST(SafetensorsModel, BadIntegrationJsonValuesAreFormatErrors) {
    const std::string columns =
        R"([{"name":"weights","type":"weights"},{"name":"c","type":"arrow_json","nullable":false}])";
    auto with = [&](const std::string& value) {
        SafetensorsFile f;
        f.tensors.push_back({"a", D::F32, {1}, la::Buffer::copy_of(std::vector<float>{1})});
        f.metadata = {{"legolasflux.columns", columns}, {"legolasflux.weight_names", "generated"}};
        if (!value.empty()) f.metadata.emplace_back("c", value);
        return f;
    };
    const auto doc = [](const std::string& name, bool nullable, const std::string& count, const std::string& data) {
        return R"({"schema":{"fields":[{"name":")" + name + R"(","nullable":)" + (nullable ? "true" : "false") +
               R"(,"type":{"name":"int","bitWidth":64,"isSigned":true},"children":[]}]},"batches":[{"count":)" + count +
               R"(,"columns":[{"name":")" + name + R"(","count":)" + count + R"(,"VALIDITY":[1],"DATA":[)" + data +
               "]}]}]}";
    };
    const ModelRow ok = from_safetensors(with(doc("c", false, "1", R"("-9223372036854775808")")));
    ASSERT_EQ(ok.table.schema->fields.back().name, "c");
    EXPECT_EQ(ok.table.batches[0].columns.back()->values<int64_t>()[0], std::numeric_limits<int64_t>::min());

    const auto error = [&](const SafetensorsFile& f) {
        try {
            (void)from_safetensors(f);
        } catch (const FormatError& e) {
            return std::string(e.what());
        }
        return std::string("no FormatError");
    };
    EXPECT_NE(error(with("")).find("'c' has no value"), std::string::npos);
    EXPECT_NE(error(with("{not json")).find("the value of 'c'"), std::string::npos);
    EXPECT_NE(error(with(doc("d", false, "1", "1"))).find("one field named 'c'"), std::string::npos);
    EXPECT_NE(error(with(doc("c", true, "1", "1"))).find("nullable"), std::string::npos);
    EXPECT_NE(error(with(doc("c", false, "1", R"("12abc")"))).find("the value of 'c'"), std::string::npos);
    const std::string two_rows = R"({"schema":{"fields":[{"name":"c","nullable":false,"type":{"name":"bool"},)"
                                 R"("children":[]}]},"batches":[{"count":2,"columns":[{"name":"c","count":2,)"
                                 R"("VALIDITY":[1,1],"DATA":[true,false]}]}]})";
    EXPECT_NE(error(with(two_rows)).find("one batch of one row"), std::string::npos);
}
