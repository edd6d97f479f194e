// Our reader against the real file Julia wrote (LegolasFlux.jl examples/test.digits-model.arrow):
// every fact of fixtures/julia/README.md and docs/julia-format.md §1.2, §6.2 and §7, checked through
// the public API (read_file, read_any, read_stream).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <sstream>

#include "legolasflux/arrow/compare.hpp"
#include "legolasflux/arrow/ipc.hpp"
#include "legolasflux/arrow/validate.hpp"
#include "legolasflux/errors.hpp"
#include "support/bytes.hpp"
#include "support/ipc_walk.hpp"

namespace {

using namespace legolasflux::arrow;

const KeyValueMetadata kWeightsExt = {{"ARROW:extension:name", "JuliaLang.LegolasFlux.Weights"},
                                      {"ARROW:extension:metadata", ""}};
const KeyValueMetadata kFlatArrayExt = {{"ARROW:extension:name", "JuliaLang.LegolasFlux.FlatArray"},
                                        {"ARROW:extension:metadata", ""}};

void expect_field(const Field& f, const std::string& name, TypeId id, bool nullable, const KeyValueMetadata& metadata,
                  size_t num_children) {
    SCOPED_TRACE("field '" + name + "'");
    EXPECT_EQ(f.name, name);
    EXPECT_EQ(f.type.id, id) << to_string(f.type);
    EXPECT_EQ(f.nullable, nullable);
    EXPECT_EQ(f.metadata, metadata);
    EXPECT_FALSE(f.dictionary.has_value());
    EXPECT_EQ(f.type.children.size(), num_children);
}

void expect_int64(const DataType& t) {
    EXPECT_EQ(t.id, TypeId::Int);
    EXPECT_EQ(t.bit_width, 64);
    EXPECT_TRUE(t.is_signed);
}

void expect_float32(const DataType& t) {
    EXPECT_EQ(t.id, TypeId::FloatingPoint);
    EXPECT_EQ(t.precision, Precision::Single);
}

// One weight array as the README and §6.2 tabulate it.
struct ExpectedArray {
    std::vector<int64_t> size;
    double sum;
    float min, max;
    float first[3];
    float last;
};

// Sums from fixtures/julia/README.md; sizes, min, max, first and last values from julia-format.md §6.2.
const ExpectedArray kExpected[14] = {
    {{3, 3, 1, 32},
     0.715672037,
     -0.146674305f,
     0.147828415f,
     {-0.0473921262f, 0.137616649f, 0.0166006908f},
     0.0780221596f},
    {{32},
     0.0776231076,
     -0.00539333746f,
     0.00774485478f,
     {0.00421002228f, 0.00162075215f, 0.00423335331f},
     0.00606295746f},
    {{32},
     -0.0846068974,
     -0.00791090913f,
     0.0054507046f,
     {-0.00183731259f, -0.00558063062f, -0.00495054247f},
     -0.00576519547f},
    {{32}, 31.893577, 0.992300034f, 1.00510848f, {0.995971322f, 0.993806183f, 0.995441377f}, 0.993886232f},
    {{32}, 1.39437326, 0.0f, 0.159203619f, {0.0601754412f, 0.00276860897f, 0.0797619894f}, 0.159203619f},
    {{32}, 11.2124002, 0.34867835f, 0.353836387f, {0.351141661f, 0.348855287f, 0.352160275f}, 0.352313459f},
    {{3, 3, 32, 16},
     -6.66395014,
     -0.125137582f,
     0.123265423f,
     {-0.0583446659f, -0.0368163325f, -0.0923212841f},
     -0.0668259561f},
    {{16},
     -0.0364561137,
     -0.00695267925f,
     0.00540537946f,
     {-0.00518567581f, -0.00473461952f, -0.00405697199f},
     -0.00504779629f},
    {{3, 3, 16, 10},
     -1.5625874,
     -0.165642977f,
     0.163395077f,
     {0.114085235f, -0.159773946f, 0.0820394382f},
     0.00431318535f},
    {{10},
     -0.0395106333,
     -0.00683106203f,
     0.00377319474f,
     {-0.00524688791f, -0.00575188501f, -0.00657656277f},
     -0.00266718632f},
    {{10, 90}, 1.62471617, -0.248686895f, 0.245085821f, {-0.226197004f, -0.0892375484f, 0.00942416675f}, -0.10643407f},
    {{10},
     -0.00720195821,
     -0.00801551621f,
     0.00546174683f,
     {-0.00367023097f, 0.00521778548f, -0.00576214259f},
     1.66401733e-05f},
    {{10, 10},
     0.0496683645,
     -0.529422045f,
     0.535344183f,
     {-0.401266128f, -0.325359851f, -0.146998137f},
     -0.0144571336f},
    {{10},
     0.00525941455,
     -0.00496635586f,
     0.00742607191f,
     {0.00218684901f, 0.00570745021f, -0.00340539031f},
     -0.00148211641f},
};

class JuliaFixture : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        bytes_ = new lftest::Bytes(lftest::load_bytes(lftest::julia_fixture_path()));
        table_ = new Table(read_file(lftest::julia_fixture_path(), ReadOptions{}, &info_));
    }
    static void TearDownTestSuite() {
        delete table_;
        delete bytes_;
    }
    static const Table& table() { return *table_; }
    static const RecordBatch& batch() { return table_->batches.at(0); }

    static lftest::Bytes* bytes_;
    static Table* table_;
    static IpcFileInfo info_;
};
lftest::Bytes* JuliaFixture::bytes_ = nullptr;
Table* JuliaFixture::table_ = nullptr;
IpcFileInfo JuliaFixture::info_;

TEST_F(JuliaFixture, FileIsTheOneDocumented) {
    ASSERT_EQ(bytes_->size(), 33578u);
    EXPECT_EQ(std::memcmp(bytes_->data(), "ARROW1\0\0", 8), 0);
}

TEST_F(JuliaFixture, FileInfo) {
    EXPECT_EQ(info_.metadata_version, MetadataVersion::V5);
    EXPECT_TRUE(info_.is_file_format);
    EXPECT_EQ(info_.num_dictionary_batches, 0);
}

TEST_F(JuliaFixture, SchemaTopLevel) {
    const Schema& s = *table().schema;
    EXPECT_EQ(s.endianness, Endianness::Little);
    EXPECT_EQ(s.metadata, (KeyValueMetadata{{"legolas_schema_qualified", "digits.model@1>legolas-flux.model@1"}}));
    ASSERT_EQ(s.fields.size(), 5u);
    expect_field(s.fields[0], "weights", TypeId::Struct, false, kWeightsExt, 1);
    expect_field(s.fields[1], "architecture_version", TypeId::Int, true, {}, 0);
    expect_int64(s.fields[1].type);
    expect_field(s.fields[2], "config", TypeId::Struct, false, {}, 2);
    expect_field(s.fields[3], "epoch", TypeId::Int, true, {}, 0);
    expect_int64(s.fields[3].type);
    expect_field(s.fields[4], "accuracy", TypeId::FloatingPoint, true, {}, 0);
    expect_float32(s.fields[4].type);
    EXPECT_EQ(s.fields[0].extension_name(), std::optional<std::string_view>("JuliaLang.LegolasFlux.Weights"));
    EXPECT_EQ(s.fields[2].extension_name(), std::nullopt);
}

TEST_F(JuliaFixture, SchemaWeightsTree) {
    const Field& col = table().schema->fields.at(0);
    ASSERT_EQ(col.type.children.size(), 1u);
    const Field& list = col.type.children[0];
    expect_field(list, "weights", TypeId::List, false, {}, 1);
    const Field& flat = list.type.children.at(0);
    expect_field(flat, "", TypeId::Struct, false, kFlatArrayExt, 2);
    EXPECT_EQ(flat.extension_name(), std::optional<std::string_view>("JuliaLang.LegolasFlux.FlatArray"));
    ASSERT_EQ(flat.type.children.size(), 2u);
    const Field& vec = flat.type.children[0];
    const Field& size = flat.type.children[1];
    expect_field(vec, "vec", TypeId::List, false, {}, 1);
    expect_field(size, "size", TypeId::List, false, {}, 1);
    ASSERT_EQ(vec.type.children.size(), 1u);
    ASSERT_EQ(size.type.children.size(), 1u);
    expect_field(vec.type.children[0], "", TypeId::FloatingPoint, false, {}, 0);
    expect_float32(vec.type.children[0].type);
    expect_field(size.type.children[0], "", TypeId::Int, false, {}, 0);
    expect_int64(size.type.children[0].type);
}

TEST_F(JuliaFixture, SchemaConfig) {
    const Field& config = table().schema->fields.at(2);
    ASSERT_EQ(config.type.children.size(), 2u);
    expect_field(config.type.children[0], "seed", TypeId::Int, false, {}, 0);
    expect_int64(config.type.children[0].type);
    expect_field(config.type.children[1], "dropout_rate", TypeId::FloatingPoint, false, {}, 0);
    expect_float32(config.type.children[1].type);
}

TEST_F(JuliaFixture, OneBatchOneRow) {
    ASSERT_EQ(table().batches.size(), 1u);
    EXPECT_EQ(table().num_rows(), 1);
    EXPECT_EQ(batch().length, 1);
    ASSERT_EQ(batch().columns.size(), 5u);
    for (const auto& c : batch().columns) {
        ASSERT_TRUE(c);
        EXPECT_EQ(c->length, 1);
    }
    EXPECT_NO_THROW(validate(table(), ValidationLevel::Full));
}

TEST_F(JuliaFixture, WeightsLayout) {
    const Array& weights = *batch().columns[0];
    EXPECT_EQ(weights.type.id, TypeId::Struct);
    EXPECT_EQ(weights.null_count, 0);
    EXPECT_TRUE(weights.is_valid(0));
    ASSERT_EQ(weights.children.size(), 1u);
    const Array& list = *weights.children[0];
    EXPECT_EQ(list.type.id, TypeId::List);
    EXPECT_EQ(list.length, 1);
    EXPECT_EQ(list.null_count, 0);
    EXPECT_EQ(list.list_range(weights.offset + 0), (std::pair<int64_t, int64_t>{0, 14}));

    ASSERT_EQ(list.children.size(), 1u);
    const Array& flat = *list.children[0];
    EXPECT_EQ(flat.type.id, TypeId::Struct);
    EXPECT_EQ(flat.length, 14);
    EXPECT_EQ(flat.null_count, 0);
    ASSERT_EQ(flat.children.size(), 2u);
    const Array& vec = *flat.children[0];
    const Array& size = *flat.children[1];
    EXPECT_EQ(vec.length, 14);
    EXPECT_EQ(size.length, 14);
    EXPECT_EQ(vec.null_count, 0);
    EXPECT_EQ(size.null_count, 0);

    const int64_t vec_offsets[15] = {0, 288, 320, 352, 384, 416, 448, 5056, 5072, 6512, 6522, 7422, 7432, 7532, 7542};
    const int64_t size_offsets[15] = {0, 4, 5, 6, 7, 8, 9, 13, 14, 18, 19, 21, 22, 24, 25};
    for (int64_t i = 0; i < 14; ++i) {
        SCOPED_TRACE("array " + std::to_string(i));
        const int64_t slot = flat.offset + i;  // struct offsets apply to the children
        EXPECT_EQ(vec.list_range(slot), (std::pair<int64_t, int64_t>{vec_offsets[i], vec_offsets[i + 1]}));
        EXPECT_EQ(size.list_range(slot), (std::pair<int64_t, int64_t>{size_offsets[i], size_offsets[i + 1]}));
        EXPECT_TRUE(vec.is_valid(slot));
        EXPECT_TRUE(size.is_valid(slot));
    }
    ASSERT_EQ(vec.children.size(), 1u);
    ASSERT_EQ(size.children.size(), 1u);
    EXPECT_EQ(vec.children[0]->length, 7542);
    EXPECT_EQ(vec.children[0]->null_count, 0);
    EXPECT_EQ(size.children[0]->length, 25);
    EXPECT_EQ(size.children[0]->null_count, 0);
}

TEST_F(JuliaFixture, WeightsValues) {
    const Array& flat = *batch().columns[0]->children.at(0)->children.at(0);
    const Array& vec = *flat.children.at(0);
    const Array& size = *flat.children.at(1);
    const Array& values = *vec.children.at(0);
    const Array& dims = *size.children.at(0);
    ASSERT_EQ(values.type.id, TypeId::FloatingPoint);
    ASSERT_EQ(dims.type.id, TypeId::Int);
    const float* v = values.values<float>();
    const int64_t* d = dims.values<int64_t>();

    int64_t total = 0;
    for (int i = 0; i < 14; ++i) {
        SCOPED_TRACE("array " + std::to_string(i));
        const ExpectedArray& e = kExpected[i];
        const auto [d0, d1] = size.list_range(flat.offset + i);
        EXPECT_EQ(std::vector<int64_t>(d + d0, d + d1), e.size);
        int64_t n = 1;
        for (int64_t k : e.size) n *= k;
        const auto [b, end] = vec.list_range(flat.offset + i);
        ASSERT_EQ(end - b, n);
        total += n;
        double sum = 0;
        float lo = v[b], hi = v[b];
        for (int64_t k = b; k < end; ++k) {
            EXPECT_TRUE(values.is_valid(k));
            sum += static_cast<double>(v[k]);
            lo = std::min(lo, v[k]);
            hi = std::max(hi, v[k]);
        }
        EXPECT_NEAR(sum, e.sum, 1e-6 * std::abs(e.sum)) << "sum";
        // Nine significant digits identify a float32 exactly, so these compare for equality.
        EXPECT_EQ(lo, e.min);
        EXPECT_EQ(hi, e.max);
        EXPECT_EQ(v[b], e.first[0]);
        EXPECT_EQ(v[b + 1], e.first[1]);
        EXPECT_EQ(v[b + 2], e.first[2]);
        EXPECT_EQ(v[end - 1], e.last);
    }
    EXPECT_EQ(total, 7542);
    uint8_t first_bytes[4];
    std::memcpy(first_bytes, v, 4);
    EXPECT_EQ(lftest::hex(first_bytes), "3f 1e 42 bd");
}

TEST_F(JuliaFixture, ScalarColumns) {
    const Array& arch = *batch().columns[1];
    EXPECT_EQ(arch.type.id, TypeId::Int);
    EXPECT_EQ(arch.null_count, 1);
    EXPECT_TRUE(arch.is_null(0));

    const Array& config = *batch().columns[2];
    EXPECT_EQ(config.null_count, 0);
    EXPECT_TRUE(config.is_valid(0));
    ASSERT_EQ(config.children.size(), 2u);
    const Array& seed = *config.children[0];
    const Array& dropout = *config.children[1];
    EXPECT_EQ(seed.length, 1);
    EXPECT_EQ(dropout.length, 1);
    EXPECT_TRUE(seed.is_valid(config.offset));
    EXPECT_TRUE(dropout.is_valid(config.offset));
    EXPECT_EQ(seed.values<int64_t>()[config.offset], 5);
    EXPECT_EQ(dropout.values<float>()[config.offset], 0.0f);
    EXPECT_FALSE(std::signbit(dropout.values<float>()[config.offset]));

    const Array& epoch = *batch().columns[3];
    EXPECT_EQ(epoch.null_count, 0);
    EXPECT_TRUE(epoch.is_valid(0));
    EXPECT_EQ(epoch.values<int64_t>()[0], 1);

    const Array& accuracy = *batch().columns[4];
    EXPECT_EQ(accuracy.null_count, 0);
    EXPECT_TRUE(accuracy.is_valid(0));
    const float acc = accuracy.values<float>()[0];
    EXPECT_EQ(acc, 0.06f);
    uint8_t acc_bytes[4];
    std::memcpy(acc_bytes, &acc, 4);
    EXPECT_EQ(lftest::hex(acc_bytes), "8f c2 75 3d");
}

TEST_F(JuliaFixture, ReadAnyAgreesWithReadFile) {
    IpcFileInfo info;
    info.is_file_format = false;
    const Table from_path = read_any(lftest::julia_fixture_path(), ReadOptions{}, &info);
    EXPECT_TRUE(info.is_file_format);
    EXPECT_EQ(info.metadata_version, MetadataVersion::V5);
    EXPECT_EQ(table_difference(from_path, table()), "");
    EXPECT_TRUE(table_equals(from_path, table()));

    const Buffer buf = lftest::exact_buffer(*bytes_);
    const Table from_buffer = read_any(buf);
    EXPECT_TRUE(table_equals(from_buffer, table()));
    const Table from_file_buffer = read_file(buf);
    EXPECT_TRUE(table_equals(from_file_buffer, table()));
    EXPECT_EQ(*from_file_buffer.schema, *table().schema);
}

TEST_F(JuliaFixture, SameBytesAsAStream) {
    const lftest::Bytes stream = lftest::file_to_stream(*bytes_);
    ASSERT_EQ(stream.size(), 32384u - 8u + 8u);
    const Buffer buf = lftest::exact_buffer(stream);

    IpcFileInfo info;
    const Table t = read_stream(buf, ReadOptions{}, &info);
    EXPECT_FALSE(info.is_file_format);
    EXPECT_EQ(info.metadata_version, MetadataVersion::V5);
    EXPECT_EQ(table_difference(t, table()), "");

    info.is_file_format = true;
    const Table any = read_any(buf, ReadOptions{}, &info);
    EXPECT_FALSE(info.is_file_format);
    EXPECT_TRUE(table_equals(any, table()));

    std::istringstream in(std::string(stream.begin(), stream.end()));
    const Table from_istream = read_stream(in);
    EXPECT_TRUE(table_equals(from_istream, table()));
}

TEST_F(JuliaFixture, StreamReaderRejectsFileBytes) {
    // The file starts with "ARROW1", not with a continuation marker.
    EXPECT_THROW(read_stream(lftest::exact_buffer(*bytes_)), legolasflux::FormatError);
}

}  // namespace
