// read_json / write_json, type by type: the exact bytes read_json lays out, the exact JSON
// write_json prints (also for sliced arrays), and the errors malformed documents give.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "arrow/core_test_arrays.hpp"
#include "legolasflux/arrow/builder.hpp"
#include "legolasflux/arrow/compare.hpp"
#include "legolasflux/arrow/json.hpp"
#include "legolasflux/errors.hpp"

namespace {

using namespace legolasflux::arrow;
using legolasflux::FormatError;
using legolasflux::UnsupportedError;
using Json = nlohmann::json;

// A document with one column `x` of the given field type and the given column body.
Json one_column(Json type, Json column, Json children_fields = Json::array(), bool nullable = true) {
    Json field = {
        {"name", "x"}, {"nullable", nullable}, {"type", std::move(type)}, {"children", std::move(children_fields)}};
    column["name"] = "x";
    const Json count = column.at("count");
    return Json{{"schema", {{"fields", Json::array({field})}}},
                {"batches", Json::array({Json{{"count", count}, {"columns", Json::array({column})}}})}};
}

Table read(const Json& doc) { return read_json(doc.dump()); }

const Array& column0(const Table& t) { return *t.batches.at(0).columns.at(0); }

// The first column of the first batch of write_json's output.
Json written_column(const Table& t) { return Json::parse(write_json(t)).at("batches").at(0).at("columns").at(0); }

template <class T>
std::vector<T> values_of(const Array& a) {
    std::vector<T> out(static_cast<size_t>(a.length));
    std::memcpy(out.data(), a.buffers.at(1).data() + a.offset * static_cast<int64_t>(sizeof(T)),
                out.size() * sizeof(T));
    return out;
}

Table table_of(std::vector<Field> fields, std::vector<ArrayPtr> columns, KeyValueMetadata metadata = {}) {
    auto schema = std::make_shared<Schema>();
    schema->fields = std::move(fields);
    schema->metadata = std::move(metadata);
    Table t;
    t.schema = schema;
    RecordBatch b;
    b.schema = schema;
    b.length = columns.empty() ? 0 : columns[0]->length;
    b.columns = std::move(columns);
    t.batches.push_back(std::move(b));
    return t;
}

// The message of the FormatError read_json throws for `doc` (fails the test if none is thrown).
std::string read_error(const std::string& doc) {
    try {
        read_json(doc);
    } catch (const FormatError& e) {
        return e.what();
    }
    ADD_FAILURE() << "no FormatError for " << doc.substr(0, 200);
    return {};
}

#define EXPECT_CONTAINS(haystack, needle)                            \
    EXPECT_NE(std::string(haystack).find(needle), std::string::npos) \
        << "\"" << (haystack) << "\" lacks \"" << (needle) << "\""

// ---- primitives ----------------------------------------------------------------------------------

TEST(JsonRead, Int8WithNulls) {
    const Table t = read(one_column({{"name", "int"}, {"bitWidth", 8}, {"isSigned", true}},
                                    {{"count", 3}, {"VALIDITY", {1, 0, 1}}, {"DATA", {-128, 0, 127}}}));
    const Array& a = column0(t);
    EXPECT_EQ(a.type, int8());
    EXPECT_EQ(a.length, 3);
    EXPECT_EQ(a.null_count, 1);
    EXPECT_TRUE(a.is_valid(0));
    EXPECT_FALSE(a.is_valid(1));
    EXPECT_EQ(values_of<int8_t>(a), (std::vector<int8_t>{-128, 0, 127}));
}

TEST(JsonRead, AllValidColumnHasNoBitmap) {
    const Table t = read(one_column({{"name", "int"}, {"bitWidth", 16}, {"isSigned", false}},
                                    {{"count", 2}, {"VALIDITY", {1, 1}}, {"DATA", {65535, 1}}}));
    EXPECT_TRUE(column0(t).buffers[0].empty());
    EXPECT_EQ(column0(t).null_count, 0);
    EXPECT_EQ(values_of<uint16_t>(column0(t)), (std::vector<uint16_t>{65535, 1}));
}

TEST(JsonRead, SixtyFourBitIntegersAsStringsOrNumbers) {
    const Table t = read(one_column(
        {{"name", "int"}, {"bitWidth", 64}, {"isSigned", true}},
        {{"count", 3}, {"VALIDITY", {1, 1, 1}}, {"DATA", {"-9223372036854775808", "9223372036854775807", 5}}}));
    EXPECT_EQ(values_of<int64_t>(column0(t)), (std::vector<int64_t>{INT64_MIN, INT64_MAX, 5}));
    const Table u = read(one_column({{"name", "int"}, {"bitWidth", 64}, {"isSigned", false}},
                                    {{"count", 1}, {"VALIDITY", {1}}, {"DATA", {"18446744073709551615"}}}));
    EXPECT_EQ(values_of<uint64_t>(column0(u)), (std::vector<uint64_t>{UINT64_MAX}));
}

TEST(JsonWrite, IntegersAsNumbersAndSixtyFourBitsAsStrings) {
    const Table t = table_of(
        {field("a", int32()), field("b", int64()), field("c", uint64())},
        {make_primitive<int32_t>(int32(), {7, -1}, {true, false}), make_primitive<int64_t>(int64(), {INT64_MIN, 2}),
         make_primitive<uint64_t>(uint64(), {UINT64_MAX, 0})});
    const Json doc = Json::parse(write_json(t));
    const Json& cols = doc["batches"][0]["columns"];
    EXPECT_EQ(cols[0]["DATA"][0], 7);  // DATA[1] is whatever the builder left under the null
    EXPECT_EQ(cols[0]["VALIDITY"], Json({1, 0}));
    EXPECT_EQ(cols[1]["DATA"], Json({"-9223372036854775808", "2"}));
    EXPECT_EQ(cols[1]["VALIDITY"], Json({1, 1}));
    EXPECT_EQ(cols[2]["DATA"], Json({"18446744073709551615", "0"}));
    EXPECT_EQ(doc["schema"]["fields"][1], Json({{"name", "b"},
                                                {"nullable", true},
                                                {"type", {{"name", "int"}, {"bitWidth", 64}, {"isSigned", true}}},
                                                {"children", Json::array()}}));
    EXPECT_EQ(doc["batches"][0]["count"], 2);
    EXPECT_FALSE(doc.contains("dictionaries"));
}

TEST(JsonRoundTrip, BoolAcceptsNumbersAndWritesBooleans) {
    const Table t =
        read(one_column({{"name", "bool"}}, {{"count", 4}, {"VALIDITY", {1, 1, 0, 1}}, {"DATA", {true, 0, 1, false}}}));
    const Array& a = column0(t);
    EXPECT_TRUE(a.bool_value(0));
    EXPECT_FALSE(a.bool_value(1));
    EXPECT_TRUE(a.bool_value(2));  // the bit under a null slot is kept
    EXPECT_FALSE(a.bool_value(3));
    EXPECT_EQ(written_column(t)["DATA"], Json({true, false, true, false}));
}

TEST(JsonRoundTrip, Float16) {
    const Table t = read(one_column(
        {{"name", "floatingpoint"}, {"precision", "HALF"}},
        {{"count", 5}, {"VALIDITY", {1, 1, 1, 1, 1}}, {"DATA", {1.5, 0.1, 65504, -0.0, 5.960464477539063e-08}}}));
    EXPECT_EQ(values_of<uint16_t>(column0(t)), (std::vector<uint16_t>{0x3E00, 0x2E66, 0x7BFF, 0x8000, 0x0001}));
    const Json data = written_column(t)["DATA"];
    EXPECT_EQ(data[0].get<double>(), 1.5);
    EXPECT_EQ(data[1].get<double>(), 0.1);      // the shortest decimal that reads back as the same half
    EXPECT_EQ(data[2].get<double>(), 65500.0);  // halves are 32 apart there: 65500 reads back as 65504
    EXPECT_TRUE(std::signbit(data[3].get<double>()));
    EXPECT_EQ(data[4].get<double>(), 6e-08);
}

TEST(JsonRoundTrip, Float32WritesShortestDecimal) {
    const Table t =
        read(one_column({{"name", "floatingpoint"}, {"precision", "SINGLE"}},
                        {{"count", 3}, {"VALIDITY", {1, 1, 1}}, {"DATA", {0.1, 3.4028234663852886e+38, -2.5}}}));
    EXPECT_EQ(values_of<float>(column0(t)), (std::vector<float>{0.1f, 3.4028235e38f, -2.5f}));
    EXPECT_EQ(written_column(t)["DATA"], Json({0.1, 3.4028235e+38, -2.5}));
}

TEST(JsonRoundTrip, NonFiniteFloatsAsStrings) {
    const Table t =
        read(one_column({{"name", "floatingpoint"}, {"precision", "DOUBLE"}},
                        {{"count", 3}, {"VALIDITY", {1, 1, 1}}, {"DATA", {"NaN", "Infinity", "-Infinity"}}}));
    const auto v = values_of<double>(column0(t));
    EXPECT_TRUE(std::isnan(v[0]));
    EXPECT_EQ(v[1], HUGE_VAL);
    EXPECT_EQ(v[2], -HUGE_VAL);
    EXPECT_EQ(written_column(t)["DATA"], Json({"NaN", "Infinity", "-Infinity"}));
}

TEST(JsonRoundTrip, Decimal128And256And32) {
    const Table t = read(one_column(
        {{"name", "decimal"}, {"precision", 38}, {"scale", 2}, {"bitWidth", 128}},
        {{"count", 3}, {"VALIDITY", {1, 1, 1}}, {"DATA", {"-1", "170141183460469231731687303715884105727", "12345"}}}));
    const Array& a = column0(t);
    EXPECT_EQ(a.type, decimal(128, 38, 2));
    const uint8_t* p = a.buffers[1].data();
    for (int i = 0; i < 16; ++i) EXPECT_EQ(p[i], 0xFF);
    for (int i = 16; i < 31; ++i) EXPECT_EQ(p[i], 0xFF);
    EXPECT_EQ(p[31], 0x7F);
    int64_t low;
    std::memcpy(&low, p + 32, 8);
    EXPECT_EQ(low, 12345);
    EXPECT_EQ(written_column(t)["DATA"], Json({"-1", "170141183460469231731687303715884105727", "12345"}));

    const std::string min256 = "-57896044618658097711785492504343953926634992332820282019728792003956564819968";
    const Table w = read(one_column({{"name", "decimal"}, {"precision", 76}, {"scale", 0}, {"bitWidth", 256}},
                                    {{"count", 1}, {"VALIDITY", {1}}, {"DATA", {min256}}}));
    EXPECT_EQ(column0(w).buffers[1].data()[31], 0x80);
    EXPECT_EQ(written_column(w)["DATA"], Json({min256}));

    const Table d32 = read(one_column({{"name", "decimal"}, {"precision", 9}, {"scale", 0}, {"bitWidth", 32}},
                                      {{"count", 2}, {"VALIDITY", {1, 1}}, {"DATA", {"-999999999", "7"}}}));
    EXPECT_EQ(values_of<int32_t>(column0(d32)), (std::vector<int32_t>{-999999999, 7}));
}

TEST(JsonRead, DecimalWithoutBitWidthIs128) {
    const Table t = read(one_column({{"name", "decimal"}, {"precision", 10}, {"scale", 3}},
                                    {{"count", 0}, {"VALIDITY", Json::array()}, {"DATA", Json::array()}}));
    EXPECT_EQ(t.schema->fields[0].type, decimal(128, 10, 3));
}

TEST(JsonRead, DecimalOutOfRange) {
    const std::string msg =
        read_error(one_column({{"name", "decimal"}, {"precision", 9}, {"scale", 0}, {"bitWidth", 32}},
                              {{"count", 1}, {"VALIDITY", {1}}, {"DATA", {"2147483648"}}})
                       .dump());
    EXPECT_CONTAINS(msg, "batch 0, column x DATA[0]");
    EXPECT_CONTAINS(msg, "does not fit a 32-bit decimal");
}

TEST(JsonRoundTrip, TemporalTypes) {
    const Json fields =
        Json::array({Json{{"name", "d64"},
                          {"nullable", true},
                          {"type", {{"name", "date"}, {"unit", "MILLISECOND"}}},
                          {"children", Json::array()}},
                     Json{{"name", "t32"},
                          {"nullable", true},
                          {"type", {{"name", "time"}, {"unit", "MILLISECOND"}, {"bitWidth", 32}}},
                          {"children", Json::array()}},
                     Json{{"name", "ts"},
                          {"nullable", false},
                          {"type", {{"name", "timestamp"}, {"unit", "NANOSECOND"}, {"timezone", "Europe/Paris"}}},
                          {"children", Json::array()}}});
    const Json doc = {{"schema", {{"fields", fields}}},
                      {"batches",
                       {{{"count", 1},
                         {"columns",
                          {{{"name", "d64"}, {"count", 1}, {"VALIDITY", {1}}, {"DATA", {"86400000"}}},
                           {{"name", "t32"}, {"count", 1}, {"VALIDITY", {1}}, {"DATA", {1000}}},
                           {{"name", "ts"}, {"count", 1}, {"VALIDITY", {1}}, {"DATA", {"-1"}}}}}}}}};
    const Table t = read(doc);
    EXPECT_EQ(t.schema->fields[0].type, date64());
    EXPECT_EQ(t.schema->fields[1].type, time32(TimeUnit::Millisecond));
    EXPECT_EQ(t.schema->fields[2].type, timestamp(TimeUnit::Nanosecond, "Europe/Paris"));
    EXPECT_FALSE(t.schema->fields[2].nullable);
    EXPECT_EQ(values_of<int64_t>(*t.batches[0].columns[0]), (std::vector<int64_t>{86400000}));
    EXPECT_EQ(values_of<int32_t>(*t.batches[0].columns[1]), (std::vector<int32_t>{1000}));
    EXPECT_EQ(values_of<int64_t>(*t.batches[0].columns[2]), (std::vector<int64_t>{-1}));
    EXPECT_EQ(Json::parse(write_json(t)), doc);
}

TEST(JsonRead, TimeBitWidthMustMatchUnit) {
    const std::string msg = read_error(one_column({{"name", "time"}, {"unit", "NANOSECOND"}, {"bitWidth", 32}},
                                                  {{"count", 0}, {"VALIDITY", Json::array()}, {"DATA", Json::array()}})
                                           .dump());
    EXPECT_CONTAINS(msg, "field x type time");
    EXPECT_CONTAINS(msg, "does not match unit");
}

TEST(JsonRoundTrip, Intervals) {
    const Table dt =
        read(one_column({{"name", "interval"}, {"unit", "DAY_TIME"}},
                        {{"count", 1}, {"VALIDITY", {1}}, {"DATA", {{{"days", -3}, {"milliseconds", 250}}}}}));
    EXPECT_EQ(values_of<int64_t>(column0(dt)).size(), 1u);
    const auto raw =
        values_of<int32_t>(Array{interval(IntervalUnit::YearMonth), 2, 0, 0, column0(dt).buffers, {}, nullptr});
    EXPECT_EQ(raw, (std::vector<int32_t>{-3, 250}));
    EXPECT_EQ(written_column(dt)["DATA"], Json::parse(R"([{"days": -3, "milliseconds": 250}])"));

    const Table mdn =
        read(one_column({{"name", "interval"}, {"unit", "MONTH_DAY_NANO"}},
                        {{"count", 1},
                         {"VALIDITY", {1}},
                         {"DATA", {{{"months", 14}, {"days", -1}, {"nanoseconds", -9223372036854775807LL - 1}}}}}));
    const uint8_t* p = column0(mdn).buffers[1].data();
    int32_t months, days;
    int64_t ns;
    std::memcpy(&months, p, 4);
    std::memcpy(&days, p + 4, 4);
    std::memcpy(&ns, p + 8, 8);
    EXPECT_EQ(months, 14);
    EXPECT_EQ(days, -1);
    EXPECT_EQ(ns, INT64_MIN);
    EXPECT_EQ(written_column(mdn)["DATA"][0]["nanoseconds"].get<int64_t>(), INT64_MIN);
}

// ---- binary-like ---------------------------------------------------------------------------------

TEST(JsonRoundTrip, Utf8Layout) {
    const Table t = read(
        one_column({{"name", "utf8"}},
                   {{"count", 3}, {"VALIDITY", {1, 0, 1}}, {"OFFSET", {0, 3, 3, 6}}, {"DATA", {"hé", "", "xyz"}}}));
    const Array& a = column0(t);
    EXPECT_EQ(values_of<int32_t>(Array{int32(), 4, 0, 0, {Buffer{}, a.buffers[1]}, {}, nullptr}),
              (std::vector<int32_t>{0, 3, 3, 6}));
    EXPECT_EQ(a.buffers[2].as_string_view().substr(0, 6), "h\xc3\xa9xyz");
    EXPECT_EQ(a.bytes_value(0), "hé");
    EXPECT_EQ(a.bytes_value(2), "xyz");
}

TEST(JsonRead, Utf8LengthMustMatchOffsets) {
    const std::string msg =
        read_error(one_column({{"name", "utf8"}},
                              {{"count", 2}, {"VALIDITY", {1, 1}}, {"OFFSET", {0, 1, 3}}, {"DATA", {"a", "bcd"}}})
                       .dump());
    EXPECT_CONTAINS(msg, "batch 0, column x DATA[1]");
    EXPECT_CONTAINS(msg, "3 bytes but OFFSET gives 2");
}

TEST(JsonRoundTrip, BinaryHexAndLargeOffsets) {
    const Table t = read(
        one_column({{"name", "largebinary"}},
                   {{"count", 2}, {"VALIDITY", {1, 1}}, {"OFFSET", {"0", "4", "5"}}, {"DATA", {"deadBEEF", "00"}}}));
    EXPECT_EQ(column0(t).bytes_value(0), std::string_view("\xde\xad\xbe\xef", 4));
    EXPECT_EQ(column0(t).bytes_value(1), std::string_view("\0", 1));
    const Json col = written_column(t);
    EXPECT_EQ(col["DATA"], Json({"DEADBEEF", "00"}));
    EXPECT_EQ(col["OFFSET"], Json({"0", "4", "5"}));
}

TEST(JsonWrite, SlicedStringsRebaseOffsets) {
    const ArrayPtr s = make_strings({"aa", "b", "cccc", "dd"}, {true, true, false, true});
    const Table t = table_of({field("x", utf8())}, {slice(s, 1, 2)});
    const Json col = written_column(t);
    EXPECT_EQ(col["count"], 2);
    EXPECT_EQ(col["VALIDITY"], Json({1, 0}));
    EXPECT_EQ(col["OFFSET"].front(), 0);
    EXPECT_EQ(col["DATA"][0], "b");
    EXPECT_EQ(col["OFFSET"][1], 1);
}

TEST(JsonRoundTrip, FixedSizeBinary) {
    const Table t = read(one_column({{"name", "fixedsizebinary"}, {"byteWidth", 3}},
                                    {{"count", 2}, {"VALIDITY", {0, 1}}, {"DATA", {"000000", "0A0B0C"}}}));
    EXPECT_EQ(column0(t).bytes_value(1), "\x0a\x0b\x0c");
    EXPECT_EQ(written_column(t)["DATA"], Json({"000000", "0A0B0C"}));
    const std::string msg = read_error(one_column({{"name", "fixedsizebinary"}, {"byteWidth", 3}},
                                                  {{"count", 1}, {"VALIDITY", {1}}, {"DATA", {"0A0B"}}})
                                           .dump());
    EXPECT_CONTAINS(msg, "2 bytes in a fixedsizebinary(3)");
}

TEST(JsonRoundTrip, ViewsInlineAndOutOfLine) {
    const Json views = Json::parse(R"([
        {"SIZE": 3, "INLINED": "abc"},
        {"SIZE": 13, "PREFIX_HEX": "6C6F6E67", "BUFFER_INDEX": 1, "OFFSET": 2},
        {"SIZE": 0, "INLINED": ""}])");
    const Json col = {{"count", 3},
                      {"VALIDITY", {1, 1, 0}},
                      {"VIEWS", views},
                      {"VARIADIC_DATA_BUFFERS", {"FF", "00006C6F6E6720737472696E672121"}}};
    const Table t = read(one_column({{"name", "utf8view"}}, col));
    const Array& a = column0(t);
    ASSERT_EQ(a.buffers.size(), 4u);  // validity, views, two data buffers
    EXPECT_EQ(a.bytes_value(0), "abc");
    EXPECT_EQ(a.bytes_value(1), "long string!!");
    Json expected = col;
    expected["name"] = "x";
    EXPECT_EQ(written_column(t), expected);

    Json bad = col;
    bad["VIEWS"][1]["PREFIX_HEX"] = "41414141";
    EXPECT_CONTAINS(read_error(one_column({{"name", "utf8view"}}, bad).dump()),
                    "VIEWS[1]: PREFIX_HEX 41414141 does not match");
    bad = col;
    bad["VIEWS"][1]["BUFFER_INDEX"] = 2;
    EXPECT_CONTAINS(read_error(one_column({{"name", "utf8view"}}, bad).dump()),
                    "BUFFER_INDEX 2 but only 2 variadic buffers");
}

TEST(JsonRoundTrip, BinaryViewInlinedIsHex) {
    const Table t = read(one_column({{"name", "binaryview"}}, {{"count", 1},
                                                               {"VALIDITY", {1}},
                                                               {"VIEWS", {{{"SIZE", 2}, {"INLINED", "00FF"}}}},
                                                               {"VARIADIC_DATA_BUFFERS", Json::array()}}));
    EXPECT_EQ(column0(t).bytes_value(0), std::string_view("\0\xff", 2));
    EXPECT_EQ(written_column(t)["VIEWS"][0]["INLINED"], "00FF");
}

// ---- nested --------------------------------------------------------------------------------------

Json int_field(const std::string& name, int bits = 32) {
    return {{"name", name},
            {"nullable", true},
            {"type", {{"name", "int"}, {"bitWidth", bits}, {"isSigned", true}}},
            {"children", Json::array()}};
}
Json int_column(const std::string& name, const std::vector<int>& values) {
    return {
        {"name", name}, {"count", values.size()}, {"VALIDITY", std::vector<int>(values.size(), 1)}, {"DATA", values}};
}

TEST(JsonRoundTrip, ListAndSlicedListWrite) {
    const Json doc = one_column({{"name", "list"}},
                                {{"count", 3},
                                 {"VALIDITY", {1, 0, 1}},
                                 {"OFFSET", {0, 2, 2, 5}},
                                 {"children", {int_column("item", {1, 2, 3, 4, 5})}}},
                                Json::array({int_field("item")}));
    const Table t = read(doc);
    const Array& a = column0(t);
    EXPECT_EQ(a.list_range(2), (std::pair<int64_t, int64_t>{2, 5}));
    EXPECT_EQ(a.children[0]->length, 5);
    EXPECT_EQ(Json::parse(write_json(t)), doc);

    // Rows 1..2 of the list: offsets rebased to 0 and the child cut to the values they use.
    const Table s = table_of(t.schema->fields, {slice(t.batches[0].columns[0], 1, 2)});
    const Json col = written_column(s);
    EXPECT_EQ(col["OFFSET"], Json({0, 0, 3}));
    EXPECT_EQ(col["children"][0]["count"], 3);
    EXPECT_EQ(col["children"][0]["DATA"], Json({3, 4, 5}));
}

TEST(JsonRead, ListOffsetsMustNotDecreaseOrPassTheChild) {
    Json doc = one_column(
        {{"name", "list"}},
        {{"count", 2}, {"VALIDITY", {1, 1}}, {"OFFSET", {0, 2, 1}}, {"children", {int_column("item", {1, 2})}}},
        Json::array({int_field("item")}));
    EXPECT_CONTAINS(read_error(doc.dump()), "batch 0, column x OFFSET[2]: 1 is less than the previous offset 2");
    doc["batches"][0]["columns"][0]["OFFSET"] = {0, 2, 3};
    EXPECT_CONTAINS(read_error(doc.dump()), "ends at 3 but the child has 2 values");
}

TEST(JsonRoundTrip, StructSlicedWriteCutsChildren) {
    const Json doc = one_column({{"name", "struct"}},
                                {{"count", 3}, {"VALIDITY", {1, 1, 0}}, {"children", {int_column("a", {1, 2, 3})}}},
                                Json::array({int_field("a")}));
    const Table t = read(doc);
    EXPECT_EQ(Json::parse(write_json(t)), doc);
    const Json col = written_column(table_of(t.schema->fields, {slice(t.batches[0].columns[0], 1, 2)}));
    EXPECT_EQ(col["VALIDITY"], Json({1, 0}));
    EXPECT_EQ(col["children"][0]["DATA"], Json({2, 3}));
}

TEST(JsonRead, NestedErrorsNameThePath) {
    const Json doc =
        one_column({{"name", "struct"}}, {{"count", 2}, {"VALIDITY", {1, 1}}, {"children", {int_column("a", {1})}}},
                   Json::array({int_field("a")}));
    const std::string msg = read_error(doc.dump());
    EXPECT_CONTAINS(msg, "batch 0, column x.a");
}

TEST(JsonRoundTrip, FixedSizeList) {
    const Json doc = one_column({{"name", "fixedsizelist"}, {"listSize", 2}},
                                {{"count", 2}, {"VALIDITY", {1, 0}}, {"children", {int_column("item", {1, 2, 0, 0})}}},
                                Json::array({int_field("item")}));
    const Table t = read(doc);
    EXPECT_EQ(t.schema->fields[0].type.list_size, 2);
    EXPECT_EQ(Json::parse(write_json(t)), doc);
    Json bad = doc;
    bad["batches"][0]["columns"][0]["children"][0] = int_column("item", {1, 2, 3});
    EXPECT_CONTAINS(read_error(bad.dump()), "expected 4 values, found 3");
}

TEST(JsonRoundTrip, MapType) {
    const Json entries = {
        {"name", "entries"},
        {"nullable", false},
        {"type", {{"name", "struct"}}},
        {"children",
         {{{"name", "key"}, {"nullable", false}, {"type", {{"name", "utf8"}}}, {"children", Json::array()}},
          int_field("value")}}};
    const Json entries_col = {
        {"name", "entries"},
        {"count", 2},
        {"VALIDITY", {1, 1}},
        {"children",
         {{{"name", "key"}, {"count", 2}, {"VALIDITY", {1, 1}}, {"OFFSET", {0, 1, 2}}, {"DATA", {"a", "b"}}},
          int_column("value", {10, 20})}}};
    const Json doc =
        one_column({{"name", "map"}, {"keysSorted", true}},
                   {{"count", 2}, {"VALIDITY", {1, 1}}, {"OFFSET", {0, 2, 2}}, {"children", {entries_col}}},
                   Json::array({entries}));
    const Table t = read(doc);
    EXPECT_EQ(t.schema->fields[0].type, map(field("key", utf8(), false), field("value", int32()), true));
    EXPECT_EQ(Json::parse(write_json(t)), doc);
}

TEST(JsonRoundTrip, DenseUnion) {
    const Json type = {{"name", "union"}, {"mode", "DENSE"}, {"typeIds", {4, 9}}};
    const Json doc = one_column(type,
                                {{"count", 3},
                                 {"TYPE_ID", {9, 4, 9}},
                                 {"OFFSET", {0, 0, 1}},
                                 {"children", {int_column("a", {7}), int_column("b", {8, 9})}}},
                                {int_field("a"), int_field("b")});
    const Table t = read(doc);
    const Array& a = column0(t);
    EXPECT_EQ(a.type.union_mode, UnionMode::Dense);
    EXPECT_EQ(a.type.type_ids, (std::vector<int32_t>{4, 9}));
    ASSERT_EQ(a.buffers.size(), 2u);
    EXPECT_EQ(std::vector<int8_t>(a.buffers[0].data(), a.buffers[0].data() + 3), (std::vector<int8_t>{9, 4, 9}));
    EXPECT_EQ(values_of<int32_t>(a), (std::vector<int32_t>{0, 0, 1}));
    EXPECT_EQ(Json::parse(write_json(t)), doc);

    Json bad = doc;
    bad["batches"][0]["columns"][0]["TYPE_ID"][1] = 5;
    EXPECT_CONTAINS(read_error(bad.dump()), "TYPE_ID[1]: 5 is not one of the union's typeIds");
    bad = doc;
    bad["batches"][0]["columns"][0]["OFFSET"][2] = 2;
    EXPECT_CONTAINS(read_error(bad.dump()), "OFFSET[2]: 2 is past the end of child \"b\"");
}

TEST(JsonWrite, UnionWithoutTypeIdsWritesThemExplicitly) {
    const DataType u = union_(UnionMode::Sparse, {field("a", int32()), field("b", int32())});
    const ArrayPtr arr =
        make_union(u, {1, 0}, {}, {make_primitive<int32_t>(int32(), {0, 5}), make_primitive<int32_t>(int32(), {6, 0})});
    const Json doc = Json::parse(write_json(table_of({field("u", u)}, {arr})));
    EXPECT_EQ(doc["schema"]["fields"][0]["type"]["typeIds"], Json({0, 1}));
    EXPECT_EQ(doc["batches"][0]["columns"][0]["TYPE_ID"], Json({1, 0}));
    EXPECT_FALSE(doc["batches"][0]["columns"][0].contains("VALIDITY"));
}

TEST(JsonRoundTrip, ListView) {
    const Json doc = one_column({{"name", "largelistview"}},
                                {{"count", 3},
                                 {"VALIDITY", {1, 0, 1}},
                                 {"OFFSET", {"2", "0", "0"}},
                                 {"SIZE", {"1", "5", "3"}},
                                 {"children", {int_column("item", {1, 2, 3})}}},
                                Json::array({int_field("item")}));
    EXPECT_CONTAINS(read_error(doc.dump()), "OFFSET[1]: view [0, 5) is outside the child's 3 values");
    Json ok = doc;
    ok["batches"][0]["columns"][0]["SIZE"][1] = "0";
    const Table t = read(ok);
    EXPECT_EQ(column0(t).list_range(0), (std::pair<int64_t, int64_t>{2, 3}));
    EXPECT_EQ(Json::parse(write_json(t)), ok);
}

TEST(JsonRoundTrip, RunEndEncodedAndSlicedWrite) {
    const Json run_ends = {{"name", "run_ends"},
                           {"nullable", false},
                           {"type", {{"name", "int"}, {"bitWidth", 32}, {"isSigned", true}}},
                           {"children", Json::array()}};
    const Json doc =
        one_column({{"name", "runendencoded"}},
                   {{"count", 6}, {"children", {int_column("run_ends", {2, 5, 6}), int_column("values", {7, 8, 9})}}},
                   {run_ends, int_field("values")});
    const Table t = read(doc);
    EXPECT_EQ(Json::parse(write_json(t)), doc);
    // Slots 3..4 both lie in the second run (ends at 5): one run of length 2.
    const Json col = written_column(table_of(t.schema->fields, {slice(t.batches[0].columns[0], 3, 2)}));
    EXPECT_EQ(col["children"][0]["DATA"], Json({2}));
    EXPECT_EQ(col["children"][1]["DATA"], Json({8}));
    // Slots 1..4 span the first two runs.
    const Json col2 = written_column(table_of(t.schema->fields, {slice(t.batches[0].columns[0], 1, 4)}));
    EXPECT_EQ(col2["children"][0]["DATA"], Json({1, 4}));
    EXPECT_EQ(col2["children"][1]["DATA"], Json({7, 8}));

    Json bad = doc;
    bad["batches"][0]["columns"][0]["children"][0] = int_column("run_ends", {2, 2, 6});
    EXPECT_CONTAINS(read_error(bad.dump()), "run end 2 does not increase past 2");
    bad["batches"][0]["columns"][0]["children"][0] = int_column("run_ends", {1, 2, 3});
    EXPECT_CONTAINS(read_error(bad.dump()), "the last run ends at 3, before the column's 6 slots");
}

// ---- dictionaries and metadata -------------------------------------------------------------------

const char* kDictionaryDoc = R"({
  "schema": {"fields": [
    {"name": "a", "nullable": true, "type": {"name": "utf8"}, "children": [],
     "dictionary": {"id": 3, "indexType": {"name": "int", "bitWidth": 8, "isSigned": true}, "isOrdered": false}},
    {"name": "b", "nullable": false, "type": {"name": "utf8"}, "children": [],
     "dictionary": {"id": 3, "indexType": {"name": "int", "bitWidth": 8, "isSigned": true}, "isOrdered": false}}]},
  "dictionaries": [{"id": 3, "data": {"count": 2, "columns": [
    {"name": "DICT3", "count": 2, "VALIDITY": [1, 1], "OFFSET": [0, 3, 5], "DATA": ["red", "ok"]}]}}],
  "batches": [{"count": 3, "columns": [
    {"name": "a", "count": 3, "VALIDITY": [1, 0, 1], "DATA": [1, 0, 0]},
    {"name": "b", "count": 3, "VALIDITY": [1, 1, 1], "DATA": [0, 0, 1]}]}]
})";

TEST(JsonRoundTrip, SharedDictionary) {
    const Table t = read_json(kDictionaryDoc);
    const Field& fa = t.schema->fields[0];
    ASSERT_TRUE(fa.dictionary.has_value());
    EXPECT_EQ(fa.type, utf8());
    EXPECT_EQ(fa.dictionary->id, 3);
    EXPECT_EQ(fa.dictionary->index_type, int8());
    const Array& a = *t.batches[0].columns[0];
    const Array& b = *t.batches[0].columns[1];
    EXPECT_EQ(a.type, int8());
    ASSERT_TRUE(a.dictionary);
    EXPECT_EQ(a.dictionary, b.dictionary);  // one array for one id
    EXPECT_EQ(a.dictionary->bytes_value(1), "ok");
    EXPECT_EQ(Json::parse(write_json(t)), Json::parse(kDictionaryDoc));
}

TEST(JsonRead, DictionaryErrors) {
    Json doc = Json::parse(kDictionaryDoc);
    doc["batches"][0]["columns"][1]["DATA"][2] = 2;
    EXPECT_CONTAINS(read_error(doc.dump()),
                    "batch 0, column b DATA[2]: dictionary index 2 outside the dictionary's 2 values");
    doc = Json::parse(kDictionaryDoc);
    doc["dictionaries"][0]["id"] = 4;
    EXPECT_CONTAINS(read_error(doc.dump()), "dictionary id 4 is not used by any schema field");
    doc = Json::parse(kDictionaryDoc);
    doc.erase("dictionaries");
    EXPECT_CONTAINS(read_error(doc.dump()), "batch 0, column a: no dictionary with id 3");
}

TEST(JsonRead, UnreferencedDictionaryIsStillChecked) {
    Json doc = Json::parse(kDictionaryDoc);
    doc["batches"] = Json::array();
    doc["dictionaries"][0]["data"]["columns"][0]["OFFSET"] = {0, 3, 4};
    EXPECT_CONTAINS(read_error(doc.dump()), "dictionary id 3 column DATA[1]: 2 bytes but OFFSET gives 1");
}

TEST(JsonWrite, DictionaryThatChangesBetweenBatchesIsUnsupported) {
    Table t = read_json(kDictionaryDoc);
    RecordBatch second = t.batches[0];
    auto replaced = std::make_shared<Array>(*second.columns[0]);
    replaced->dictionary = make_strings({"other", "values"});
    second.columns[0] = replaced;
    t.batches.push_back(second);
    EXPECT_THROW(write_json(t), UnsupportedError);
    // The same values in a different array are fine.
    replaced->dictionary = make_strings({"red", "ok"});
    EXPECT_NO_THROW(write_json(t));
}

TEST(JsonRoundTrip, FieldAndSchemaMetadata) {
    const Json doc = Json::parse(R"({
      "schema": {"fields": [{"name": "u", "nullable": false, "type": {"name": "fixedsizebinary", "byteWidth": 2}, "children": [],
                             "metadata": [{"key": "ARROW:extension:name", "value": "my.ext"},
                                          {"key": "ARROW:extension:metadata", "value": ""},
                                          {"key": "k", "value": "1"}, {"key": "k", "value": "2"}]}],
                 "metadata": [{"key": "s", "value": "v"}]},
      "batches": []})");
    const Table t = read(doc);
    const Field& f = t.schema->fields[0];
    EXPECT_EQ(f.extension_name(), "my.ext");
    ASSERT_EQ(f.metadata.size(), 4u);
    EXPECT_EQ(f.metadata[3], (std::pair<std::string, std::string>{"k", "2"}));
    EXPECT_EQ(t.schema->metadata, (KeyValueMetadata{{"s", "v"}}));
    EXPECT_TRUE(t.batches.empty());
    EXPECT_EQ(Json::parse(write_json(t)), doc);
}

TEST(JsonRead, NullMetadataAndMissingChildrenAreAccepted) {
    const Table t = read_json(
        R"({"schema": {"fields": [{"name": "n", "nullable": true, "type": {"name": "null"}, "metadata": null}],
                                              "metadata": null},
                                  "batches": [{"count": 4, "columns": [{"name": "n", "count": 4}]}]})");
    EXPECT_EQ(column0(t).type, null());
    EXPECT_EQ(column0(t).null_count, 4);
    EXPECT_TRUE(column0(t).buffers.empty());
}

// ---- every sample array, whole and in every slice -----------------------------------------------

TEST(JsonRoundTrip, EverySampleArrayInEverySlice) {
    for (const auto& [name, array] : legolasflux::arrow::testing::sample_arrays()) {
        Field f = field(name, array->type);
        if (array->dictionary) {
            f.type = array->dictionary->type;
            f.dictionary = DictionaryEncoding{0, array->type, false};
        }
        for (int64_t off = 0; off <= array->length; ++off) {
            for (int64_t len = 0; off + len <= array->length; ++len) {
                SCOPED_TRACE(name + " slice(" + std::to_string(off) + ", " + std::to_string(len) + ")");
                const ArrayPtr part = slice(array, off, len);
                const Table t = table_of({f}, {part});
                const std::string text = write_json(t);
                const Table back = read_json(text);
                ASSERT_TRUE(array_equals(*part, column0(back))) << text;
                // What was read is written the same way: the output is canonical.
                EXPECT_EQ(write_json(back), text);
            }
        }
    }
}

// ---- malformed documents -------------------------------------------------------------------------

TEST(JsonRead, NotJson) {
    EXPECT_CONTAINS(read_error("{\"schema\": "), "not valid JSON");
    EXPECT_CONTAINS(read_error("[1, 2]"), "document: must be an object");
    EXPECT_CONTAINS(read_error("{\"batches\": []}"), "document: missing key \"schema\"");
}

TEST(JsonRead, SchemaErrors) {
    EXPECT_CONTAINS(
        read_error(
            R"({"schema": {"fields": [{"name": "a", "nullable": true, "type": {"name": "quaternion"}}]}, "batches": []})"),
        "field a: unknown type name \"quaternion\"");
    EXPECT_CONTAINS(read_error(R"({"schema": {"fields": [{"name": "a", "type": {"name": "bool"}}]}, "batches": []})"),
                    "field a: missing key \"nullable\"");
    EXPECT_CONTAINS(
        read_error(
            R"({"schema": {"fields": [{"name": "a", "nullable": true, "type": {"name": "int", "bitWidth": 12, "isSigned": true}}]}, "batches": []})"),
        "int bitWidth 12 is not 8, 16, 32 or 64");
    EXPECT_CONTAINS(
        read_error(
            R"({"schema": {"fields": [{"name": "a", "nullable": true, "type": {"name": "list"}, "children": []}]}, "batches": []})"),
        "type \"list\" needs 1 child field(s), found 0");
    EXPECT_CONTAINS(
        read_error(
            R"({"schema": {"fields": [{"name": "a", "nullable": true, "type": {"name": "floatingpoint", "precision": "QUAD"}}]}, "batches": []})"),
        "unknown precision \"QUAD\"");
    EXPECT_CONTAINS(
        read_error(
            R"({"schema": {"fields": [{"name": "a", "nullable": true, "type": {"name": "bool"}, "metadata": [{"key": 1}]}]}, "batches": []})"),
        "field a metadata[0]");
}

TEST(JsonRead, ColumnErrorsSayWhere) {
    const Json type = {{"name", "int"}, {"bitWidth", 8}, {"isSigned", true}};
    EXPECT_CONTAINS(read_error(one_column(type, {{"count", 2}, {"VALIDITY", {1}}, {"DATA", {1, 2}}}).dump()),
                    "batch 0, column x VALIDITY: expected 2 entries, found 1");
    EXPECT_CONTAINS(read_error(one_column(type, {{"count", 1}, {"VALIDITY", {1}}, {"DATA", {128}}}).dump()),
                    "batch 0, column x DATA[0]: 128 is outside [-128, 127]");
    EXPECT_CONTAINS(read_error(one_column(type, {{"count", 1}, {"VALIDITY", {2}}, {"DATA", {1}}}).dump()),
                    "VALIDITY[0]: expected 0, 1, true or false");
    EXPECT_CONTAINS(read_error(one_column(type, {{"count", 1}, {"VALIDITY", {1}}, {"DATA", {"x1"}}}).dump()),
                    "\"x1\" is not a 64-bit integer");
    EXPECT_CONTAINS(read_error(one_column(type, {{"count", 1}, {"VALIDITY", {1}}}).dump()),
                    "batch 0, column x: missing key \"DATA\"");
    EXPECT_CONTAINS(read_error(one_column({{"name", "binary"}},
                                          {{"count", 1}, {"VALIDITY", {1}}, {"OFFSET", {0, 1}}, {"DATA", {"ABC"}}})
                                   .dump()),
                    "odd number of digits");

    Json doc = one_column(type, {{"count", 1}, {"VALIDITY", {1}}, {"DATA", {1}}});
    doc["batches"][0]["columns"][0]["name"] = "y";
    EXPECT_CONTAINS(read_error(doc.dump()), "column is named \"y\" but the schema field is \"x\"");
    doc = one_column(type, {{"count", 1}, {"VALIDITY", {1}}, {"DATA", {1}}});
    doc["batches"][0]["count"] = 2;
    EXPECT_CONTAINS(read_error(doc.dump()), "count 1 but the batch count is 2");
    doc["batches"].push_back(doc["batches"][0]);
    doc["batches"][1]["count"] = 1;
    doc["batches"][0]["count"] = 1;
    doc["batches"][1]["columns"][0]["DATA"] = {"a"};
    EXPECT_CONTAINS(read_error(doc.dump()), "batch 1, column x DATA[0]");
}

TEST(JsonRead, DeepNestingIsRefused) {
    Json f = int_field("leaf");
    for (int i = 0; i < 80; ++i)
        f = Json{{"name", "l"}, {"nullable", true}, {"type", {{"name", "list"}}}, {"children", {f}}};
    const Json doc = {{"schema", {{"fields", {f}}}}, {"batches", Json::array()}};
    EXPECT_CONTAINS(read_error(doc.dump()), "nest deeper than 64");
}

TEST(JsonWrite, InvalidUtf8IsAFormatError) {
    const ArrayPtr s = make_strings({"ok", std::string("\xff\xfe", 2)});
    const Table t = table_of({field("s", utf8())}, {s});
    try {
        write_json(t);
        ADD_FAILURE() << "no error";
    } catch (const FormatError& e) {
        EXPECT_CONTAINS(e.what(), "batch 0, column s DATA[1]: not valid UTF-8");
    }
}

TEST(JsonWrite, KeysAreSortedAndOutputIsIndented) {
    const Table t = table_of({field("a", boolean(), false)}, {make_bool({true})});
    const std::string text = write_json(t);
    EXPECT_LT(text.find("\"batches\""), text.find("\"schema\""));
    EXPECT_LT(text.find("\"VALIDITY\""), text.find("\"count\""));
    EXPECT_NE(text.find("\n  \"batches\": ["), std::string::npos);
}

// One field on its own, as the legolas layer's declarations spell exact types: the same form as a
// document's schema fields, every part of a field, and hostile nesting refused before parsing.
TEST(JsonField, OneFieldReadsBackEqual) {
    const Field f = field("m",
                          map(field("key", utf8(), false),
                              field("value", list(field("", timestamp(TimeUnit::Nanosecond, "UTC"), false)))),
                          true, {{"ARROW:extension:name", "x.y"}, {"ARROW:extension:metadata", ""}});
    const std::string text = write_field_json(f);
    EXPECT_EQ(text.find('\n'), std::string::npos) << text;
    EXPECT_EQ(read_field_json(text), f);
    try {
        read_field_json(std::string(100000, '[') + std::string(100000, ']'));
        FAIL();
    } catch (const FormatError& e) {
        EXPECT_NE(std::string(e.what()).find("fields nest deeper than 64"), std::string::npos) << e.what();
    }
    EXPECT_THROW(read_field_json("{\"name\": 1}"), FormatError);
    EXPECT_THROW(read_field_json("{"), FormatError);
}

}  // namespace
