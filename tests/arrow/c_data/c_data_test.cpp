// The Arrow C data and stream interfaces (legolasflux/arrow/c_data.hpp):
//   - every file of the integration-JSON corpus survives export → import, through a stream, per
//     record batch, and sliced, with every buffer shared rather than copied;
//   - format strings, flags and the binary metadata layout are the spec's;
//   - dictionary ids are numbered as documented; what the interface cannot say is refused.
// Ownership, release callbacks, foreign producers and stream errors: c_data_ownership_test.cpp.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "legolasflux/arrow/c_data.hpp"
#include "legolasflux/arrow/compare.hpp"
#include "legolasflux/arrow/json.hpp"
#include "legolasflux/errors.hpp"
#include "support/corpus.hpp"

namespace {

using namespace legolasflux::arrow;
namespace fs = std::filesystem;

using lftest::corpus_names;
using lftest::corpus_table;
using lftest::sliceable_corpus_names;

// The C interface carries no dictionary ids; the importer numbers them depth-first. This gives the
// schema the ids an import assigns, to compare with.
void renumber(Field& f, int64_t& next) {
    if (f.dictionary) f.dictionary->id = next++;
    for (Field& c : f.type.children) renumber(c, next);
}

std::shared_ptr<const Schema> renumbered(const Schema& schema) {
    auto s = std::make_shared<Schema>(schema);
    int64_t next = 0;
    for (Field& f : s->fields) renumber(f, next);
    return s;
}

// Nested types name their child fields, dictionary ids included: the array of `field` with the
// types of `field` (buffers shared).
ArrayPtr retyped(const ArrayPtr& a, const Field& field) {
    auto out = std::make_shared<Array>(*a);
    const DataType& values = field.type;
    if (field.dictionary) {
        out->type = field.dictionary->index_type;
        out->dictionary = retyped(a->dictionary, Field{"", values, true, {}, std::nullopt});
        return out;
    }
    out->type = values;
    for (size_t k = 0; k < out->children.size(); ++k) out->children[k] = retyped(a->children[k], values.children[k]);
    return out;
}

// The table with the dictionary ids an import assigns, in its schema and its arrays' types.
Table renumbered(const Table& t) {
    Table out{renumbered(*t.schema), {}};
    for (const RecordBatch& b : t.batches) {
        RecordBatch r{out.schema, b.length, {}};
        for (size_t i = 0; i < b.columns.size(); ++i) r.columns.push_back(retyped(b.columns[i], out.schema->fields[i]));
        out.batches.push_back(std::move(r));
    }
    return out;
}

// Every non-empty buffer of `imported` must be the very memory of the same buffer of `original`,
// and no larger than it (the sizes the importer computes never claim bytes we do not own).
void expect_shared(const Array& original, const Array& imported, const std::string& path, int& compared) {
    ASSERT_EQ(original.buffers.size(), imported.buffers.size()) << path;
    for (size_t i = 0; i < imported.buffers.size(); ++i) {
        const Buffer& b = imported.buffers[i];
        if (b.empty()) continue;
        EXPECT_EQ(static_cast<const void*>(b.data()), static_cast<const void*>(original.buffers[i].data()))
            << path << " buffer " << i << " was copied";
        EXPECT_LE(b.size(), original.buffers[i].size()) << path << " buffer " << i;
        ++compared;
    }
    ASSERT_EQ(original.children.size(), imported.children.size()) << path;
    for (size_t k = 0; k < imported.children.size(); ++k)
        expect_shared(*original.children[k], *imported.children[k], path + "." + std::to_string(k), compared);
    ASSERT_EQ(!original.dictionary, !imported.dictionary) << path;
    if (original.dictionary)
        expect_shared(*original.dictionary, *imported.dictionary, path + " (dictionary)", compared);
}

// ---- the corpus --------------------------------------------------------------------------------

class CorpusCData : public ::testing::TestWithParam<std::string> {};

TEST_P(CorpusCData, SchemaRoundTrips) {
    const Table t = corpus_table(GetParam());
    ArrowSchema c;
    export_schema(*t.schema, &c);
    const Schema back = import_schema(&c);
    EXPECT_EQ(c.release, nullptr) << "import takes the schema";
    EXPECT_TRUE(back == *renumbered(*t.schema)) << to_string(back) << "\nexpected\n" << to_string(*t.schema);
}

TEST_P(CorpusCData, TableRoundTripsThroughAStream) {
    const Table t = corpus_table(GetParam());
    ArrowArrayStream stream;
    export_table(t, &stream);
    const Table back = import_table(&stream);
    EXPECT_EQ(stream.release, nullptr);
    EXPECT_EQ(back.batches.size(), t.batches.size());
    const Table expected = renumbered(t);
    EXPECT_TRUE(table_equals(expected, back)) << table_difference(expected, back);
}

TEST_P(CorpusCData, BatchesAreSharedNotCopied) {
    const Table t = corpus_table(GetParam());
    const auto schema = renumbered(*t.schema);
    int compared = 0;
    for (const RecordBatch& batch : t.batches) {
        ArrowArray c;
        export_record_batch(batch, &c);
        const RecordBatch back = import_record_batch(&c, schema);
        ASSERT_EQ(back.columns.size(), batch.columns.size());
        for (size_t i = 0; i < batch.columns.size(); ++i)
            expect_shared(*batch.columns[i], *back.columns[i], schema->fields[i].name, compared);
    }
    if (t.num_rows() > 0) EXPECT_GT(compared, 0);
}

class CorpusCDataSliced : public CorpusCData {};

TEST_P(CorpusCDataSliced, SlicedBatchesRoundTrip) {
    const Table t = renumbered(corpus_table(GetParam()));
    const auto schema = t.schema;
    bool any = false;
    for (const RecordBatch& batch : t.batches) {
        if (batch.length < 2) continue;
        any = true;
        const int64_t n = batch.length - 2;
        // Columns sliced one by one: every column array has offset 1.
        RecordBatch sliced{schema, n, {}};
        for (const auto& column : batch.columns) sliced.columns.push_back(slice(column, 1, n));
        ArrowArray c;
        export_record_batch(sliced, &c);
        ASSERT_EQ(c.offset, 0);
        for (int64_t k = 0; k < c.n_children; ++k) EXPECT_EQ(c.children[k]->offset, 1);
        const RecordBatch back = import_record_batch(&c, schema);
        EXPECT_TRUE(table_equals(Table{schema, {sliced}}, Table{schema, {back}}))
            << table_difference(Table{schema, {sliced}}, Table{schema, {back}});

        // The whole batch as one struct array sliced at the top: the importer slices the columns.
        auto top = std::make_shared<Array>();
        top->type = struct_(schema->fields);
        top->length = batch.length;
        top->buffers = {Buffer()};
        top->children = batch.columns;
        ArrowArray s;
        export_array(slice(top, 1, n), &s);
        ASSERT_EQ(s.offset, 1);
        const RecordBatch back2 = import_record_batch(&s, schema);
        EXPECT_TRUE(table_equals(Table{schema, {sliced}}, Table{schema, {back2}}))
            << table_difference(Table{schema, {sliced}}, Table{schema, {back2}});
    }
    EXPECT_TRUE(any);
}

std::string name_of(const ::testing::TestParamInfo<std::string>& info) { return info.param; }

INSTANTIATE_TEST_SUITE_P(Corpus, CorpusCData, ::testing::ValuesIn(corpus_names()), name_of);
INSTANTIATE_TEST_SUITE_P(Corpus, CorpusCDataSliced, ::testing::ValuesIn(sliceable_corpus_names()), name_of);

// ---- format strings, flags, metadata ------------------------------------------------------------

std::string format_of(const DataType& t) {
    ArrowSchema c;
    export_type(t, &c);
    std::string f = c.format;
    EXPECT_TRUE(import_type(&c) == t) << "type " << to_string(t) << " did not come back";
    return f;
}

TEST(CDataFormat, EveryTypeHasTheSpecsFormatString) {
    const Field item = field("item", int32());
    const std::vector<std::pair<DataType, std::string>> cases = {
        {null(), "n"},
        {boolean(), "b"},
        {int8(), "c"},
        {uint8(), "C"},
        {int16(), "s"},
        {uint16(), "S"},
        {int32(), "i"},
        {uint32(), "I"},
        {int64(), "l"},
        {uint64(), "L"},
        {float16(), "e"},
        {float32(), "f"},
        {float64(), "g"},
        {binary(), "z"},
        {large_binary(), "Z"},
        {binary_view(), "vz"},
        {utf8(), "u"},
        {large_utf8(), "U"},
        {utf8_view(), "vu"},
        {decimal(128, 19, 10), "d:19,10"},
        {decimal(256, 40, -2), "d:40,-2,256"},
        {decimal(32, 7, 3), "d:7,3,32"},
        {decimal(64, 15, 0), "d:15,0,64"},
        {fixed_size_binary(4), "w:4"},
        {date32(), "tdD"},
        {date64(), "tdm"},
        {time32(TimeUnit::Second), "tts"},
        {time32(TimeUnit::Millisecond), "ttm"},
        {time64(TimeUnit::Microsecond), "ttu"},
        {time64(TimeUnit::Nanosecond), "ttn"},
        {timestamp(TimeUnit::Second), "tss:"},
        {timestamp(TimeUnit::Millisecond, "UTC"), "tsm:UTC"},
        {timestamp(TimeUnit::Microsecond, "Europe/Paris"), "tsu:Europe/Paris"},
        {timestamp(TimeUnit::Nanosecond), "tsn:"},
        {duration(TimeUnit::Second), "tDs"},
        {duration(TimeUnit::Nanosecond), "tDn"},
        {interval(IntervalUnit::YearMonth), "tiM"},
        {interval(IntervalUnit::DayTime), "tiD"},
        {interval(IntervalUnit::MonthDayNano), "tin"},
        {list(item), "+l"},
        {large_list(item), "+L"},
        {list_view(item), "+vl"},
        {large_list_view(item), "+vL"},
        {fixed_size_list(item, 3), "+w:3"},
        {struct_({item, field("b", utf8())}), "+s"},
        {map(field("key", utf8(), false), item), "+m"},
        {union_(UnionMode::Sparse, {item, field("b", utf8())}), "+us:0,1"},
        {union_(UnionMode::Dense, {item, field("b", utf8())}, {5, 2}), "+ud:5,2"},
        {run_end_encoded(int32(), field("values", utf8())), "+r"},
    };
    for (const auto& [type, format] : cases) EXPECT_EQ(format_of(type), format) << to_string(type);
}

TEST(CDataFormat, FlagsAndMetadataFollowTheSpec) {
    Field f = field("tags", map(field("key", utf8(), false), field("value", int64()), /*keys_sorted=*/true), false,
                    {{"k1", "v"}, {"", "empty key"}});
    ArrowSchema c;
    export_field(f, &c);
    EXPECT_STREQ(c.name, "tags");
    EXPECT_EQ(c.flags, ARROW_FLAG_MAP_KEYS_SORTED) << "not nullable, keys sorted";
    // int32 count, then (int32 length, bytes) for each key and value, native byte order.
    std::string expected;
    auto put = [&](int32_t v) { expected.append(reinterpret_cast<const char*>(&v), 4); };
    put(2);
    put(2), expected += "k1", put(1), expected += "v";
    put(0), put(9), expected += "empty key";
    ASSERT_NE(c.metadata, nullptr);
    EXPECT_EQ(std::string(c.metadata, expected.size()), expected);
    ASSERT_EQ(c.n_children, 1);
    EXPECT_STREQ(c.children[0]->format, "+s");
    EXPECT_EQ(c.children[0]->flags, 0) << "map entries are not nullable";
    EXPECT_EQ(c.children[0]->children[1]->flags, ARROW_FLAG_NULLABLE);
    EXPECT_EQ(c.children[0]->metadata, nullptr);
    EXPECT_TRUE(import_field(&c) == f);

    // A dictionary-encoded field: the index type as format, the value type in `dictionary`.
    Field d = field("colour", utf8());
    d.dictionary = DictionaryEncoding{0, int16(), /*ordered=*/true};
    export_field(d, &c);
    EXPECT_STREQ(c.format, "s");
    EXPECT_EQ(c.flags, ARROW_FLAG_NULLABLE | ARROW_FLAG_DICTIONARY_ORDERED);
    ASSERT_NE(c.dictionary, nullptr);
    EXPECT_STREQ(c.dictionary->format, "u");
    EXPECT_TRUE(import_field(&c) == d);
}

TEST(CDataFormat, DictionaryIdsAreNumberedDepthFirst) {
    Field inner = field("inner", utf8());
    inner.dictionary = DictionaryEncoding{42, int8(), false};
    Field outer = field("outer", list(inner));
    outer.dictionary = DictionaryEncoding{7, int32(), false};
    Field last = field("last", binary());
    last.dictionary = DictionaryEncoding{3, uint8(), false};
    ArrowSchema c;
    export_schema(Schema{{outer, last}, {}, Endianness::Little}, &c);
    const Schema s = import_schema(&c);
    EXPECT_EQ(s.fields[0].dictionary->id, 0);
    EXPECT_EQ(s.fields[0].type.children[0].dictionary->id, 1);
    EXPECT_EQ(s.fields[1].dictionary->id, 2);
}

TEST(CDataFormat, WhatTheInterfaceCannotSayIsRefused) {
    ArrowSchema c;
    c.release = nullptr;
    EXPECT_THROW(export_type(int_type(128, true), &c), legolasflux::UnsupportedError);
    EXPECT_EQ(c.release, nullptr) << "nothing is exported on error";
    Schema big;
    big.endianness = Endianness::Big;
    EXPECT_THROW(export_schema(big, &c), legolasflux::UnsupportedError);
}

}  // namespace
