// Round trips through the IPC writer and readers: every type, both formats, every codec, with
// nulls, slices, empty batches, several batches, dictionaries (shared, deltas, replacements),
// deep nesting; plus the writer's layout rules (alignment, zero-copy reads, metadata).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <sstream>
#include <tuple>

#include "arrow/core_test_arrays.hpp"
#include "arrow/ipc/ipc_test_support.hpp"
#include "legolasflux/arrow/builder.hpp"
#include "legolasflux/arrow/compare.hpp"
#include "legolasflux/arrow/ipc.hpp"
#include "legolasflux/arrow/validate.hpp"
#include "legolasflux/errors.hpp"
#include "support/ipc_walk.hpp"

namespace {

using namespace legolasflux::arrow;
using ipctest::Bytes;
using legolasflux::InvalidArgument;
using legolasflux::IoError;
namespace samples = legolasflux::arrow::testing;

// A field describing `a` (dictionary arrays get a DictionaryEncoding with `dict_id`).
Field field_for(const std::string& name, const ArrayPtr& a, int64_t dict_id = 0) {
    if (a->dictionary) {
        Field f = field(name, a->dictionary->type);
        f.dictionary = DictionaryEncoding{dict_id, a->type, false};
        return f;
    }
    return field(name, a->type);
}

Table make_table(std::vector<Field> fields, std::vector<std::vector<ArrayPtr>> batches,
                 KeyValueMetadata metadata = {}) {
    auto schema = std::make_shared<Schema>();
    schema->fields = std::move(fields);
    schema->metadata = std::move(metadata);
    Table t;
    t.schema = schema;
    for (auto& columns : batches) {
        RecordBatch b;
        b.schema = schema;
        b.length = columns.empty() ? 0 : columns[0]->length;
        b.columns = std::move(columns);
        t.batches.push_back(std::move(b));
    }
    return t;
}

Buffer to_buffer(const Bytes& bytes) { return Buffer::copy_of(bytes.data(), static_cast<int64_t>(bytes.size())); }

Table round_trip(const Table& t, bool file_format, const WriteOptions& o = {}, IpcFileInfo* info = nullptr) {
    const Bytes bytes = file_format ? write_file(t, o) : write_stream(t, o);
    return file_format ? read_file(to_buffer(bytes), {}, info) : read_stream(to_buffer(bytes), {}, info);
}

void expect_same_batches(const Table& expected, const Table& actual) {
    ASSERT_TRUE(actual.schema);
    EXPECT_EQ(*expected.schema, *actual.schema);
    ASSERT_EQ(expected.batches.size(), actual.batches.size());
    for (size_t b = 0; b < expected.batches.size(); ++b) {
        ASSERT_EQ(expected.batches[b].length, actual.batches[b].length) << "batch " << b;
        for (size_t c = 0; c < expected.batches[b].columns.size(); ++c)
            EXPECT_TRUE(array_equals(*expected.batches[b].columns[c], *actual.batches[b].columns[c]))
                << "batch " << b << " column " << expected.schema->fields[c].name;
    }
    EXPECT_TRUE(table_equals(expected, actual)) << table_difference(expected, actual);
}

using Case = std::tuple<bool, Compression>;

class IpcAllTypes : public ::testing::TestWithParam<Case> {};

// Every sample type, as a whole batch, a slice in the middle (offset 1) and an empty slice.
TEST_P(IpcAllTypes, RoundTripWholeSlicedAndEmpty) {
    const auto [file_format, codec] = GetParam();
    WriteOptions o;
    o.compression = codec;
    for (const auto& [name, array] : samples::sample_arrays()) {
        SCOPED_TRACE(name);
        ASSERT_GE(array->length, 1);
        const int64_t off = std::min<int64_t>(1, array->length - 1);
        const Table t =
            make_table({field_for(name, array)},
                       {{array}, {slice(array, off, array->length - off)}, {slice(array, array->length, 0)}});
        IpcFileInfo info;
        const Table back = round_trip(t, file_format, o, &info);
        expect_same_batches(t, back);
        EXPECT_EQ(info.is_file_format, file_format);
        EXPECT_EQ(info.metadata_version, MetadataVersion::V5);
    }
}

// All columns in one table, sliced from the start and from an odd offset.
TEST_P(IpcAllTypes, WideTableSlicedAtOddOffsets) {
    const auto [file_format, codec] = GetParam();
    WriteOptions o;
    o.compression = codec;
    std::vector<Field> fields;
    std::vector<ArrayPtr> first, second;
    int64_t id = 0;
    for (const auto& [name, array] : samples::sample_arrays()) {
        fields.push_back(field_for(name, array, id++));
        first.push_back(slice(array, 0, 1));
        second.push_back(slice(array, array->length - 1, 1));
    }
    const Table t = make_table(fields, {first, second});
    expect_same_batches(t, round_trip(t, file_format, o));
}

std::string case_name(const ::testing::TestParamInfo<Case>& p) {
    static const char* const codecs[] = {"none", "lz4", "zstd"};
    return std::string(std::get<0>(p.param) ? "file_" : "stream_") + codecs[static_cast<int>(std::get<1>(p.param))];
}

INSTANTIATE_TEST_SUITE_P(Ipc, IpcAllTypes,
                         ::testing::Combine(::testing::Bool(),
                                            ::testing::Values(Compression::None, Compression::Lz4Frame,
                                                              Compression::Zstd)),
                         case_name);

TEST(Ipc, MetadataVersionV4RoundTripsEveryTypeIncludingUnions) {
    WriteOptions o;
    o.metadata_version = MetadataVersion::V4;
    for (const auto& [name, array] : samples::sample_arrays()) {
        SCOPED_TRACE(name);
        const Table t = make_table({field_for(name, array)}, {{array}});
        for (bool file_format : {true, false}) {
            IpcFileInfo info;
            expect_same_batches(t, round_trip(t, file_format, o, &info));
            EXPECT_EQ(info.metadata_version, MetadataVersion::V4);
        }
    }
    // V4 unions carry an (empty) validity buffer first: 2 buffers for sparse instead of 1.
    const auto unions = samples::sample_arrays();
    for (const auto& s : unions) {
        if (s.name != "sparse_union") continue;
        const Table t = make_table({field_for(s.name, s.array)}, {{s.array}});
        const lftest::FileWalk w4 = lftest::walk_file(write_file(t, o));
        const lftest::FileWalk w5 = lftest::walk_file(write_file(t));
        ASSERT_EQ(w4.messages.size(), 2u);
        EXPECT_EQ(w4.messages[1].message.batch.buffers.size(), w5.messages[1].message.batch.buffers.size() + 1);
        EXPECT_EQ(w4.messages[1].message.batch.buffers[0].length, 0);
        EXPECT_EQ(w4.messages[1].message.version, lftest::kMetadataV4);
    }
}

TEST(Ipc, SlicedValuesAreWrittenAsIfUnsliced) {
    // A list<utf8> sliced at offset 3: the written offsets must start at 0 and the child hold
    // only the referenced strings.
    auto strings =
        make_strings({"a", "bb", "ccc", "dddd", "e", "ff", "g"}, {true, true, false, true, true, true, true});
    auto lists = make_list(list(field("", utf8())), {1, 2, 0, 3, 1}, strings, {true, true, false, true, true});
    const Table t = make_table({field("l", lists->type)}, {{slice(lists, 3, 2)}});
    const Bytes bytes = write_file(t);
    const lftest::FileWalk w = lftest::walk_file(bytes);
    const auto& rb = w.messages.at(1).message.batch;
    ASSERT_EQ(rb.nodes.size(), 2u);
    EXPECT_EQ(rb.nodes[0].length, 2);
    EXPECT_EQ(rb.nodes[1].length, 4);  // "dddd", "e", "ff", "g"
    EXPECT_EQ(rb.nodes[1].null_count, 0);
    const uint64_t body = w.messages.at(1).body_offset;
    const auto offsets = rb.buffers.at(1);
    EXPECT_EQ(lftest::load_le<int32_t>(bytes, body + static_cast<uint64_t>(offsets.offset)), 0);
    EXPECT_EQ(lftest::load_le<int32_t>(bytes, body + static_cast<uint64_t>(offsets.offset) + 8), 4);
    const Table back = read_file(to_buffer(bytes));
    expect_same_batches(t, back);
    EXPECT_EQ(back.batches[0].columns[0]->children[0]->bytes_value(0), "dddd");
}

TEST(Ipc, BitmapsShiftedForOddOffsets) {
    std::vector<bool> values, valid;
    for (int i = 0; i < 37; ++i) {
        values.push_back(i % 3 == 0);
        valid.push_back(i % 5 != 1);
    }
    auto b = make_bool(values, valid);
    for (int64_t off : {1, 3, 7, 8, 9}) {
        const Table t = make_table({field("b", boolean())}, {{slice(b, off, 37 - off)}});
        for (bool file_format : {true, false}) {
            const Table back = round_trip(t, file_format);
            expect_same_batches(t, back);
            const Array& a = *back.batches[0].columns[0];
            for (int64_t i = 0; i < a.length; ++i) {
                ASSERT_EQ(a.is_valid(i), valid[static_cast<size_t>(off + i)]) << off << " " << i;
                if (a.is_valid(i)) ASSERT_EQ(a.bool_value(i), values[static_cast<size_t>(off + i)]);
            }
        }
    }
}

// list<struct<a: list<fixed_size_list<int32>[2]>, b: utf8>> with nulls at every level: depth 4.
ArrayPtr deep_array() {
    auto ints = make_primitive(int32(), std::vector<int32_t>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12},
                               {true, true, false, true, true, true, true, true, true, false, true, true});
    const DataType fsl = fixed_size_list(field("", int32()), 2);
    auto pairs = make_fixed_size_list(fsl, 6, ints, {true, true, true, false, true, true});
    const DataType inner = list(field("", fsl));
    auto lists = make_list(inner, {2, 0, 1, 3, 0}, pairs, {true, false, true, true, true});
    auto names = make_strings({"p", "q", "r", "s", "t"}, {true, true, true, false, true});
    const DataType st = struct_({field("a", inner), field("b", utf8())});
    auto structs = make_struct(st, 5, {lists, names}, {true, true, false, true, true});
    return make_list(list(field("", st)), {2, 1, 0, 2}, structs, {true, true, false, true});
}

TEST(Ipc, NestedToDepthFour) {
    auto deep = deep_array();
    EXPECT_EQ(nesting_depth(deep->type), 4);
    const Table deep_only = make_table({field("deep", deep->type)}, {{deep}, {slice(deep, 1, 3)}});
    const Table weights = make_table({field("w", samples::weights_type())}, {{samples::weights_column(3)}});
    for (bool file_format : {true, false})
        for (Compression c : {Compression::None, Compression::Zstd}) {
            WriteOptions o;
            o.compression = c;
            expect_same_batches(deep_only, round_trip(deep_only, file_format, o));
            expect_same_batches(weights, round_trip(weights, file_format, o));
        }
}

// --- dictionaries ---------------------------------------------------------------------------

TEST(IpcDictionaries, SharedBetweenTwoFieldsWrittenOnce) {
    auto dict = make_strings({"red", "green", "blue"});
    auto a = make_dictionary(int8(), {0, 1, 2, 1}, dict);
    auto b = make_dictionary(int8(), {2, 2, 0, 1}, dict, {true, false, true, true});
    const Table t = make_table({field_for("a", a, 5), field_for("b", b, 5)}, {{a, b}});
    for (bool file_format : {true, false}) {
        IpcFileInfo info;
        const Table back = round_trip(t, file_format, {}, &info);
        expect_same_batches(t, back);
        EXPECT_EQ(info.num_dictionary_batches, 1);
        EXPECT_EQ(back.batches[0].columns[0]->dictionary, back.batches[0].columns[1]->dictionary);
    }
}

TEST(IpcDictionaries, GrowingDictionaryIsSentAsDelta) {
    auto d1 = make_strings({"a", "b"});
    auto d2 = make_strings({"a", "b", "c", "d"});
    auto c1 = make_dictionary(int32(), {0, 1, 1}, d1);
    auto c2 = make_dictionary(int32(), {3, 2, 0}, d2);
    const Table t = make_table({field_for("c", c1, 0)}, {{c1}, {c2}});
    for (bool file_format : {true, false})
        for (Compression codec : {Compression::None, Compression::Lz4Frame}) {
            WriteOptions o;
            o.compression = codec;
            const Bytes bytes = file_format ? write_file(t, o) : write_stream(t, o);
            IpcFileInfo info;
            const Table back =
                file_format ? read_file(to_buffer(bytes), {}, &info) : read_stream(to_buffer(bytes), {}, &info);
            EXPECT_TRUE(table_equals(t, back)) << table_difference(t, back);
            EXPECT_EQ(info.num_dictionary_batches, 2);
            // The delta carries only the two new values.
            const auto& d = back.batches[1].columns[0]->dictionary;
            ASSERT_EQ(d->length, 4);
            EXPECT_EQ(d->bytes_value(3), "d");
            // Order in the stream: dict, batch, delta dict, batch.
            if (!file_format) {
                const lftest::StreamWalk w = lftest::walk_stream(bytes);
                ASSERT_EQ(w.messages.size(), 5u);
                EXPECT_EQ(w.messages[1].message.header_type, lftest::kHeaderDictionaryBatch);
                EXPECT_EQ(w.messages[2].message.header_type, lftest::kHeaderRecordBatch);
                EXPECT_EQ(w.messages[3].message.header_type, lftest::kHeaderDictionaryBatch);
            }
        }
}

TEST(IpcDictionaries, ReplacementWorksInStreamsAndIsRefusedInFiles) {
    auto c1 = make_dictionary(int16(), {0, 1}, make_strings({"x", "y"}));
    auto c2 = make_dictionary(int16(), {1, 0, 1}, make_strings({"p", "q"}));
    const Table t = make_table({field_for("c", c1, 3)}, {{c1}, {c2}});
    IpcFileInfo info;
    const Table back = round_trip(t, false, {}, &info);
    expect_same_batches(t, back);
    EXPECT_EQ(info.num_dictionary_batches, 2);
    EXPECT_EQ(back.batches[0].columns[0]->dictionary->bytes_value(0), "x");
    EXPECT_EQ(back.batches[1].columns[0]->dictionary->bytes_value(0), "p");
    EXPECT_THROW(write_file(t), InvalidArgument);
}

TEST(IpcDictionaries, DeltasOfNestedValueTypes) {
    // list<int32> and struct dictionaries grow too.
    const DataType lt = list(field("", int32()));
    auto ints = make_primitive(int32(), std::vector<int32_t>{1, 2, 3, 4, 5, 6});
    auto full = make_list(lt, {1, 2, 3}, ints);
    auto c1 = make_dictionary(int8(), {0, 1}, slice(full, 0, 2));
    auto c2 = make_dictionary(int8(), {2, 1, 0}, full);
    const Table t = make_table({field_for("c", c1, 1)}, {{c1}, {c2}});
    for (bool file_format : {true, false}) expect_same_batches(t, round_trip(t, file_format));
}

TEST(IpcDictionaries, NestedDictionaries) {
    // Outer dictionary values: struct{s: dictionary<utf8, id 2>}.
    auto inner_dict = make_strings({"u", "v"});
    auto inner = make_dictionary(int8(), {1, 0, 1}, inner_dict);
    Field s = field("s", utf8());
    s.dictionary = DictionaryEncoding{2, int8(), false};
    const DataType st = struct_({s});
    auto outer_values = make_struct(st, 3, {inner});
    auto column = make_dictionary(int32(), {2, 2, 0, 1}, outer_values);
    Field f = field("o", st);
    f.dictionary = DictionaryEncoding{1, int32(), false};
    const Table t = make_table({f}, {{column}});
    for (bool file_format : {true, false}) {
        IpcFileInfo info;
        const Table back = round_trip(t, file_format, {}, &info);
        expect_same_batches(t, back);
        EXPECT_EQ(info.num_dictionary_batches, 2);
    }
}

// --- layout ---------------------------------------------------------------------------------

TEST(IpcLayout, AlignmentOfBodiesAndBuffers) {
    const auto arrays = samples::sample_arrays();
    std::vector<Field> fields;
    std::vector<ArrayPtr> columns;
    for (size_t i = 0; i < arrays.size(); ++i) {
        fields.push_back(field_for(arrays[i].name, arrays[i].array, static_cast<int64_t>(i)));
        columns.push_back(slice(arrays[i].array, 0, 1));
    }
    const Table t = make_table(fields, {columns});
    for (int32_t alignment : {8, 16, 32, 64}) {
        SCOPED_TRACE(alignment);
        WriteOptions o;
        o.alignment = alignment;
        const Bytes bytes = write_file(t, o);
        const lftest::FileWalk w = lftest::walk_file(bytes);
        EXPECT_TRUE(w.eos_offsets.empty()) << "no EOS marker before the footer";
        ASSERT_GE(w.messages.size(), 2u);
        EXPECT_EQ(w.messages[0].message.header_type, lftest::kHeaderSchema);
        for (const auto& m : w.messages) {
            EXPECT_EQ(m.metadata_length % 8, 0);
            EXPECT_EQ(m.body_offset % static_cast<uint64_t>(alignment), 0u) << "body at " << m.body_offset;
            for (const auto& b : m.message.batch.buffers)
                EXPECT_EQ(b.offset % alignment, 0) << "buffer at " << b.offset;
        }
        ASSERT_EQ(w.footer.record_batches.size(), 1u);
        const auto& block = w.footer.record_batches[0];
        EXPECT_EQ(static_cast<uint64_t>(block.offset), w.messages.back().marker_offset);
        EXPECT_EQ(block.metadata_length, 8 + w.messages.back().metadata_length);
        EXPECT_EQ(block.body_length, w.messages.back().message.body_length);
        EXPECT_EQ(w.footer.schema, w.messages[0].message.schema);
        expect_same_batches(t, read_file(to_buffer(bytes)));
    }
    WriteOptions bad;
    bad.alignment = 12;
    EXPECT_THROW(write_file(t, bad), InvalidArgument);
}

TEST(IpcLayout, UncompressedReadsAreViewsCompressedOnesCopies) {
    auto ints = make_primitive(int64(), std::vector<int64_t>{1, 2, 3, 4, 5, 6, 7, 8});
    const Table t = make_table({field("i", int64())}, {{ints}});
    const Buffer plain = to_buffer(write_stream(t));
    const Table a = read_stream(plain);
    const uint8_t* values = a.batches[0].columns[0]->buffers[1].data();
    EXPECT_GE(values, plain.data());
    EXPECT_LT(values, plain.data() + plain.size());

    WriteOptions o;
    o.compression = Compression::Zstd;
    const Buffer packed = to_buffer(write_stream(t, o));
    const Table b = read_stream(packed);
    const uint8_t* copied = b.batches[0].columns[0]->buffers[1].data();
    EXPECT_TRUE(copied < packed.data() || copied >= packed.data() + packed.size());
    EXPECT_EQ(b.batches[0].columns[0]->values<int64_t>()[7], 8);
}

TEST(IpcLayout, MisalignedInputIsCopiedToAlignedMemory) {
    auto ints = make_primitive(int64(), std::vector<int64_t>{10, 20, 30});
    const Table t = make_table({field("i", int64())}, {{ints}});
    const Bytes bytes = write_stream(t);
    // The same bytes at an odd address.
    Buffer holder = Buffer::allocate(static_cast<int64_t>(bytes.size()) + 1);
    std::memcpy(holder.mutable_data() + 1, bytes.data(), bytes.size());
    const Table back = read_stream(holder.slice(1, static_cast<int64_t>(bytes.size())));
    const Array& a = *back.batches[0].columns[0];
    EXPECT_EQ(reinterpret_cast<uintptr_t>(a.buffers[1].data()) % 8, 0u);
    EXPECT_EQ(a.values<int64_t>()[2], 30);
}

TEST(IpcLayout, MetadataNullabilityAndNamesSurvive) {
    Field item = field("", float32(), false);
    Field l = field("weights", list(item), false, {{"k", "1"}, {"k", "2"}, {"ARROW:extension:name", "x.y"}});
    auto values = make_primitive(float32(), std::vector<float>{1, 2, 3});
    auto column = make_list(l.type, {3}, values);
    const Table t = make_table({l}, {{column}}, {{"legolas_schema_qualified", "a@1>b@1"}, {"dup", "x"}, {"dup", "y"}});
    for (bool file_format : {true, false}) {
        const Table back = round_trip(t, file_format);
        ASSERT_TRUE(back.schema);
        EXPECT_EQ(back.schema->metadata, t.schema->metadata);
        EXPECT_EQ(back.schema->fields[0].metadata, l.metadata);
        EXPECT_FALSE(back.schema->fields[0].nullable);
        EXPECT_EQ(back.schema->fields[0].type.children[0].name, "");
        EXPECT_FALSE(back.schema->fields[0].type.children[0].nullable);
    }
}

TEST(IpcLayout, ValidityOmittedWithoutNullsPaddedWithNulls) {
    auto x = make_primitive(int64(), std::vector<int64_t>{1, 2, 3});
    auto y = make_primitive(int64(), std::vector<int64_t>{1, 2, 3}, {true, false, true});
    const Table t = make_table({field("x", int64()), field("y", int64())}, {{x, y}});
    WriteOptions o;
    o.alignment = 8;
    const Bytes bytes = write_file(t, o);
    const auto rb = lftest::walk_file(bytes).messages.at(1).message.batch;
    ASSERT_EQ(rb.buffers.size(), 4u);
    EXPECT_EQ(rb.buffers[0].length, 0);
    EXPECT_EQ(rb.buffers[1].length, 24);
    EXPECT_EQ(rb.buffers[2].length, 8);  // validity padded to 8 bytes
    EXPECT_EQ(rb.nodes[1].null_count, 1);
    EXPECT_EQ(rb.buffers[3].length, 24);
}

// --- entry points ---------------------------------------------------------------------------

Table small_table() {
    auto x = make_primitive(int32(), std::vector<int32_t>{1, 2, 3}, {true, false, true});
    auto s = make_strings({"a", "b", "c"});
    return make_table({field("x", int32()), field("s", utf8())}, {{x, s}, {slice(x, 1, 2), slice(s, 0, 2)}});
}

TEST(IpcEntryPoints, PathsAndIostreams) {
    const Table t = small_table();
    const auto dir = std::filesystem::temp_directory_path() / ("lf_ipc_test_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const auto path = dir / "t.arrow";
    write_file(path, t);
    IpcFileInfo info;
    expect_same_batches(t, read_file(path, {}, &info));
    EXPECT_TRUE(info.is_file_format);
    expect_same_batches(t, read_any(path));
    EXPECT_EQ(read_whole_file(path).size(), static_cast<int64_t>(write_file(t).size()));

    std::ostringstream out;
    write_stream(out, t);
    std::istringstream in(out.str());
    expect_same_batches(t, read_stream(in));
    const std::string stream_text = out.str();
    const Bytes stream_bytes(stream_text.begin(), stream_text.end());
    IpcFileInfo any_info;
    expect_same_batches(t, read_any(to_buffer(stream_bytes), {}, &any_info));
    EXPECT_FALSE(any_info.is_file_format);

    std::ostringstream file_out;
    write_file(file_out, t);
    const std::string s = file_out.str();
    expect_same_batches(t, read_any(to_buffer(Bytes(s.begin(), s.end()))));

    try {
        read_file(dir / "missing.arrow");
        ADD_FAILURE() << "no IoError";
    } catch (const IoError& e) {
        EXPECT_NE(std::string(e.what()).find("missing.arrow"), std::string::npos) << e.what();
    }
    EXPECT_THROW(write_file(dir / "no" / "such" / "dir.arrow", t), IoError);
    std::filesystem::remove_all(dir);
}

TEST(IpcEntryPoints, LegacyFramingWithoutContinuationMarker) {
    const Table t = small_table();
    const Bytes modern = write_stream(t);
    const lftest::StreamWalk w = lftest::walk_stream(modern);
    Bytes legacy;
    for (const auto& m : w.messages) {
        ipctest::append_value<int32_t>(legacy, m.metadata_length);
        const auto meta_start = m.marker_offset + 8;
        legacy.insert(
            legacy.end(), modern.begin() + static_cast<std::ptrdiff_t>(meta_start),
            modern.begin() + static_cast<std::ptrdiff_t>(m.body_offset + static_cast<uint64_t>(m.message.body_length)));
    }
    ipctest::append_value<int32_t>(legacy, 0);  // the old end-of-stream marker
    expect_same_batches(t, read_stream(to_buffer(legacy)));
    std::istringstream in(std::string(legacy.begin(), legacy.end()));
    expect_same_batches(t, read_stream(in));
    // And a stream that simply ends after a message, without any marker.
    legacy.resize(legacy.size() - 4);
    expect_same_batches(t, read_stream(to_buffer(legacy)));
}

TEST(IpcEntryPoints, StreamWithoutBatches) {
    Table t = small_table();
    t.batches.clear();
    for (bool file_format : {true, false}) {
        const Table back = round_trip(t, file_format);
        EXPECT_EQ(*back.schema, *t.schema);
        EXPECT_TRUE(back.batches.empty());
    }
}

}  // namespace
