#include <gtest/gtest.h>

#include <map>

#include "arrow/core_test_arrays.hpp"
#include "legolasflux/arrow/builder.hpp"
#include "legolasflux/arrow/pretty_print.hpp"

namespace legolasflux::arrow {
namespace {

std::map<std::string, ArrayPtr> samples() {
    std::map<std::string, ArrayPtr> out;
    for (auto& [name, array] : testing::sample_arrays()) out[name] = array;
    return out;
}

TEST(PrettyPrint, SmallTableExactly) {
    auto schema = std::make_shared<Schema>();
    schema->fields = {field("id", int64(), false), field("name", utf8()), field("score", float64()),
                      field("tags", list(field("item", utf8())))};
    schema->metadata = {{"origin", "test"}};
    const DataType tags_type = schema->fields[3].type;
    Table t{schema, {}};
    t.batches.push_back(make_batch(
        schema,
        {make_primitive(int64(), std::vector<int64_t>{1, 2, 3}), make_strings({"a", "", "c\"q"}, {true, false, true}),
         make_primitive(float64(), std::vector<double>{1.5, -0.25, 0}, {true, true, false}),
         make_list(tags_type, {2, 0, 0}, make_strings({"x", "y"}), {true, true, false})}));
    t.batches.push_back(make_batch(
        schema, {make_primitive(int64(), std::vector<int64_t>{4}), make_strings({"d"}),
                 make_primitive(float64(), std::vector<double>{2}), make_list(tags_type, {1}, make_strings({"z"}))}));
    EXPECT_EQ(pretty_print(t, 2),
              "id: int64 not null\n"
              "name: utf8\n"
              "score: float64\n"
              "tags: list<item: utf8>\n"
              "metadata origin = test\n"
              "\n"
              "record batch 0: 3 rows\n"
              "id | name | score | tags\n"
              "---+------+-------+-----------\n"
              "1  | \"a\"  | 1.5   | [\"x\", \"y\"]\n"
              "2  | null | -0.25 | []\n"
              "... 1 more row\n"
              "\n"
              "record batch 1: 1 row\n"
              "id | name | score | tags\n"
              "---+------+-------+------\n"
              "4  | \"d\"  | 2.0   | [\"z\"]\n");
    // Negative: every row.
    const std::string all = pretty_print(t, -1);
    EXPECT_NE(all.find("3  | \"c\\\"q\" | null  | null\n"), std::string::npos) << all;
    EXPECT_EQ(all.find("more row"), std::string::npos);
    // Zero rows per batch: headers only.
    EXPECT_NE(pretty_print(t, 0).find("---+------+-------+-----\n... 3 more rows\n"), std::string::npos);
}

TEST(PrettyPrint, WideTablesPrintOneValuePerLine) {
    auto schema = std::make_shared<Schema>();
    schema->fields = {field("id", int64()), field("text", utf8())};
    const std::string long_text(200, 'x');
    Table t{
        schema,
        {make_batch(schema, {make_primitive(int64(), std::vector<int64_t>{7, 8}), make_strings({long_text, "y"})})}};
    EXPECT_EQ(pretty_print(t, 1), "id: int64\ntext: utf8\n\nrecord batch 0: 2 rows\nrow 0\n  id: 7\n  text: \"" +
                                      long_text + "\"\n... 1 more row\n");
}

TEST(PrettyPrint, EmptyTable) {
    auto schema = std::make_shared<Schema>();
    schema->fields = {field("x", int32())};
    EXPECT_EQ(pretty_print(Table{schema, {}}), "x: int32\n\n(no record batches)\n");
    Table one_empty{schema, {make_batch(schema, {make_primitive(int32(), std::vector<int32_t>{})})}};
    EXPECT_EQ(pretty_print(one_empty), "x: int32\n\nrecord batch 0: 0 rows\nx\n-\n");
}

TEST(FormatValue, Scalars) {
    auto s = samples();
    EXPECT_EQ(format_value(*s["null"], 0), "null");
    EXPECT_EQ(format_value(*s["bool"], 0), "true");
    EXPECT_EQ(format_value(*s["bool"], 1), "null");
    EXPECT_EQ(format_value(*s["bool"], 3), "true");
    EXPECT_EQ(format_value(*s["bool"], 2), "true");
    EXPECT_EQ(format_value(*s["int8"], 2), "3");
    EXPECT_EQ(format_value(*s["int16"], 1), "-2");
    EXPECT_EQ(format_value(*s["uint8"], 2), "255");
    EXPECT_EQ(format_value(*s["uint32"], 2), "4000000000");
    EXPECT_EQ(format_value(*s["uint64"], 2), "18000000000000000000");
    EXPECT_EQ(format_value(*s["float16"], 0), "1.0");
    EXPECT_EQ(format_value(*s["float16"], 1), "-2.0");
    EXPECT_EQ(format_value(*s["float16"], 2), "nan");
    EXPECT_EQ(format_value(*s["float32"], 1), "null");
    EXPECT_EQ(format_value(*s["float32"], 0), "1.5");
    EXPECT_EQ(format_value(*s["float64"], 2), "1e+300");
    EXPECT_EQ(format_value(*s["float64"], 1), "-2.25");
}

TEST(FormatValue, DecimalsAndWideIntegers) {
    auto s = samples();
    EXPECT_EQ(format_value(*s["decimal128"], 0), "123.45");
    EXPECT_EQ(format_value(*s["decimal128"], 1), "0.00");
    EXPECT_EQ(format_value(*s["decimal128"], 2), "-0.05");
    EXPECT_EQ(format_value(*s["decimal128"], 3), "null");
    EXPECT_EQ(format_value(*make_primitive(decimal(32, 5, 0), std::vector<int32_t>{-42}), 0), "-42");
    EXPECT_EQ(format_value(*make_primitive(decimal(64, 5, -3), std::vector<int64_t>{42, 0}), 0), "42000");
    EXPECT_EQ(format_value(*make_primitive(decimal(64, 5, -3), std::vector<int64_t>{42, 0}), 1), "0");
    // -10^20 as a decimal256 with scale 3.
    // 10^20 = 5 * 2^64 + 7766279631452241920; negated in two's complement.
    std::vector<uint64_t> big = {~uint64_t{7766279631452241920ull} + 1, ~uint64_t{5}, ~uint64_t{0}, ~uint64_t{0}};
    EXPECT_EQ(format_value(*make_fixed_width(decimal(256, 40, 3), big.data(), 1), 0), "-100000000000000000.000");
    std::vector<uint64_t> i128 = {~uint64_t{0}, ~uint64_t{0}};
    EXPECT_EQ(format_value(*make_fixed_width(int_type(128, true), i128.data(), 1), 0), "-1");
    EXPECT_EQ(format_value(*make_fixed_width(int_type(128, false), i128.data(), 1), 0),
              "340282366920938463463374607431768211455");
}

TEST(FormatValue, Temporal) {
    auto s = samples();
    EXPECT_EQ(format_value(*s["date32"], 0), "1970-01-01");
    EXPECT_EQ(format_value(*s["date32"], 1), "2022-01-08");
    EXPECT_EQ(format_value(*s["date32"], 2), "1969-12-31");
    EXPECT_EQ(format_value(*s["date64"], 1), "1970-01-02");
    EXPECT_EQ(format_value(*s["time32"], 1), "01:02:03.004");
    EXPECT_EQ(format_value(*s["time64"], 0), "00:00:00.000000001");
    EXPECT_EQ(format_value(*s["timestamp"], 1), "1970-01-01T00:00:01.000000Z");
    EXPECT_EQ(format_value(*make_primitive(timestamp(TimeUnit::Nanosecond), std::vector<int64_t>{-1}), 0),
              "1969-12-31T23:59:59.999999999");
    EXPECT_EQ(format_value(*make_primitive(timestamp(TimeUnit::Second), std::vector<int64_t>{951782400}), 0),
              "2000-02-29T00:00:00");
    EXPECT_EQ(format_value(*make_primitive(time32(TimeUnit::Second), std::vector<int32_t>{86399}), 0), "23:59:59");
    EXPECT_EQ(format_value(*s["duration"], 1), "-5s");
    EXPECT_EQ(format_value(*s["interval_ym"], 0), "14M");
    EXPECT_EQ(format_value(*s["interval_dt"], 0), "1d 2ms");
    EXPECT_EQ(format_value(*s["interval_mdn"], 0), "1M 2d 3ns");
}

TEST(FormatValue, BinaryAndStrings) {
    auto s = samples();
    EXPECT_EQ(format_value(*s["fixed_size_binary"], 0), "0x616263");
    EXPECT_EQ(format_value(*s["fixed_size_binary"], 1), "null");
    EXPECT_EQ(format_value(*s["binary"], 0), "0x0001");
    EXPECT_EQ(format_value(*s["large_binary"], 2), "0x7273");
    EXPECT_EQ(format_value(*s["utf8"], 2), "\"wörld\"");
    EXPECT_EQ(format_value(*s["utf8"], 1), "null");
    EXPECT_EQ(format_value(*s["large_utf8"], 2), "\"\"");
    EXPECT_EQ(format_value(*s["utf8_view"], 1), "\"a string longer than twelve\"");
    EXPECT_EQ(format_value(*s["utf8_view"], 2), "null");
    EXPECT_EQ(format_value(*s["binary_view"], 0), "0x74696e79");
    EXPECT_EQ(format_value(*make_strings({std::string("a\"b\\c\n\x01\t", 8)}), 0), "\"a\\\"b\\\\c\\n\\x01\\t\"");
}

TEST(FormatValue, Nested) {
    auto s = samples();
    EXPECT_EQ(format_value(*s["list"], 0), "[1, 2]");
    EXPECT_EQ(format_value(*s["list"], 1), "null");
    EXPECT_EQ(format_value(*s["list"], 3), "[6, 7, 8]");
    EXPECT_EQ(format_value(*s["large_list"], 1), "[5, 6, 7, 8]");
    EXPECT_EQ(format_value(*s["map"], 0), "{\"a\": 1, \"b\": null}");
    EXPECT_EQ(format_value(*s["map"], 1), "{\"c\": 3}");
    EXPECT_EQ(format_value(*s["list_view"], 0), "[5, 6]");
    EXPECT_EQ(format_value(*s["list_view"], 1), "[1, 2, 3]");
    EXPECT_EQ(format_value(*s["list_view"], 2), "null");
    EXPECT_EQ(format_value(*s["large_list_view"], 0), "[7, 8]");
    EXPECT_EQ(format_value(*s["fixed_size_list"], 3), "[7, 8]");
    EXPECT_EQ(format_value(*s["fixed_size_list"], 2), "null");
    EXPECT_EQ(format_value(*s["struct"], 0), "{name: \"x\", num: 1.0}");
    EXPECT_EQ(format_value(*s["struct"], 1), "null");
    EXPECT_EQ(format_value(*s["sparse_union"], 1), "\"b\"");
    EXPECT_EQ(format_value(*s["sparse_union"], 2), "30");
    EXPECT_EQ(format_value(*s["dense_union"], 0), "10");
    EXPECT_EQ(format_value(*s["dense_union"], 2), "null");
    EXPECT_EQ(format_value(*s["dense_union"], 3), "\"q\"");
    EXPECT_EQ(format_value(*s["run_end_encoded"], 1), "\"a\"");
    EXPECT_EQ(format_value(*s["run_end_encoded"], 3), "null");
    EXPECT_EQ(format_value(*s["run_end_encoded"], 5), "\"c\"");
    EXPECT_EQ(format_value(*slice(s["run_end_encoded"], 4, 2), 1), "\"c\"");
    EXPECT_EQ(format_value(*s["dictionary"], 0), "\"blue\"");
    EXPECT_EQ(format_value(*s["dictionary"], 1), "\"red\"");
    EXPECT_EQ(format_value(*s["dictionary"], 4), "null");
    EXPECT_EQ(format_value(*s["weights"], 0),
              "{weights: [{vec: [0.0, 0.5], size: [2]}, {vec: [1.0, 1.5], size: [2]}, {vec: [2.0, 2.5], size: [2]}]}");
    // Sliced arrays print their own slots.
    EXPECT_EQ(format_value(*slice(s["list"], 2, 2), 0), "[3, 4, 5]");
    EXPECT_EQ(format_value(*slice(s["struct"], 2, 1), 0), "{name: \"z\", num: 3.0}");
}

TEST(FormatValue, LongListsAreAbbreviated) {
    std::vector<int32_t> v(12);
    for (int k = 0; k < 12; ++k) v[static_cast<size_t>(k)] = k + 1;
    auto l = make_list(list(field("", int32())), {12}, make_primitive(int32(), v));
    EXPECT_EQ(format_value(*l, 0), "[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, ... 2 more]");
    EXPECT_EQ(format_value(*l, 0, 3), "[1, 2, 3, ... 9 more]");
    EXPECT_EQ(format_value(*l, 0, 0), "[... 12 more]");
    EXPECT_EQ(format_value(*l, 0, -1), "[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]");
}

}  // namespace
}  // namespace legolasflux::arrow
