#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "arrow/core_test_arrays.hpp"
#include "legolasflux/arrow/builder.hpp"
#include "legolasflux/arrow/compare.hpp"

namespace legolasflux::arrow {
namespace {

using testing::copy;
using testing::poke;

TEST(Compare, EveryArrayEqualsItselfAndItsSlices) {
    const auto arrays = testing::sample_arrays();
    for (const auto& [name, a] : arrays) {
        SCOPED_TRACE(name);
        EXPECT_TRUE(array_equals(*a, *a));
        EXPECT_TRUE(array_equals(*slice(a, 1, a->length - 1), *slice(a, 1, a->length - 1)));
        if (a->length > 1 && name != "null") {
            EXPECT_FALSE(array_equals(*slice(a, 0, a->length - 1), *slice(a, 1, a->length - 1)));
        }
        for (const auto& [other_name, b] : arrays) {
            if (other_name != name) {
                EXPECT_FALSE(array_equals(*a, *b)) << other_name;
            }
        }
    }
}

TEST(Compare, SlicesEqualFreshArrays) {
    auto a = make_primitive(int32(), std::vector<int32_t>{9, 1, 2, 3, 9}, {true, true, false, true, true});
    auto fresh = make_primitive(int32(), std::vector<int32_t>{1, 0, 3}, {true, false, true});
    EXPECT_TRUE(array_equals(*slice(a, 1, 3), *fresh));
    EXPECT_FALSE(array_equals(*slice(a, 0, 3), *fresh));

    auto s = make_strings({"zz", "ab", "", "c"}, {true, true, false, true});
    EXPECT_TRUE(array_equals(*slice(s, 1, 3), *make_strings({"ab", "", "c"}, {true, false, true})));
    EXPECT_FALSE(array_equals(*slice(s, 1, 3), *make_strings({"ab", "", "c"})));  // null vs empty string

    auto b = make_bool({false, true, true, false, true, true, false, true, true, false});
    EXPECT_TRUE(array_equals(*slice(b, 3, 6), *make_bool({false, true, true, false, true, true})));
    EXPECT_FALSE(array_equals(*slice(b, 3, 6), *make_bool({false, true, true, false, true, false})));

    // A list whose child is sliced and whose offsets do not start at 0.
    auto child = make_primitive(int64(), std::vector<int64_t>{0, 0, 1, 2, 3});
    auto lists = make_list(list(field("item", int64())), {2, 2, 1}, child);
    auto expected =
        make_list(list(field("item", int64())), {2, 1}, make_primitive(int64(), std::vector<int64_t>{1, 2, 3}));
    EXPECT_TRUE(array_equals(*slice(lists, 1, 2), *expected));
    auto shifted = make_list(list(field("item", int64())), {2, 1}, slice(child, 2, 3));
    EXPECT_TRUE(array_equals(*shifted, *expected));

    auto st = testing::sample_arrays();
    for (const auto& [name, arr] : st) {
        if (name != "struct") continue;
        auto tail = slice(arr, 1, 2);
        auto names = make_strings({"y", "z"}, {true, true});
        auto nums = make_primitive(float64(), std::vector<double>{2, 3});
        auto rebuilt = make_struct(arr->type, 2, {names, nums}, {false, true});
        EXPECT_TRUE(array_equals(*tail, *rebuilt));
    }
}

TEST(Compare, BytesUnderNullsAndPaddingDoNotMatter) {
    auto a = copy(make_primitive(int32(), std::vector<int32_t>{1, 2, 3}, {true, false, true}));
    auto b = copy(a);
    poke<int32_t>(*b, 1, 1, 12345);
    EXPECT_TRUE(array_equals(*a, *b));
    poke<int32_t>(*b, 1, 2, 4);
    EXPECT_FALSE(array_equals(*a, *b));
    // Trailing bits of the validity byte.
    auto c = copy(a);
    testing::edit_buffer(*c, 0, [](uint8_t* p) { p[0] |= 0xf0; });
    EXPECT_TRUE(array_equals(*a, *c));
    // A bitmap full of ones equals no bitmap.
    auto d = copy(make_primitive(int32(), std::vector<int32_t>{1, 2}));
    auto e = copy(d);
    e->buffers[0] = Buffer::copy_of(std::string("\x03"));
    EXPECT_TRUE(array_equals(*d, *e));
}

TEST(Compare, FloatsAreBitExactExceptNaN) {
    const double nan1 = std::numeric_limits<double>::quiet_NaN();
    const double nan2 = -std::numeric_limits<double>::quiet_NaN();
    EXPECT_TRUE(array_equals(*make_primitive(float64(), std::vector<double>{1.0, nan1}),
                             *make_primitive(float64(), std::vector<double>{1.0, nan2})));
    EXPECT_FALSE(array_equals(*make_primitive(float64(), std::vector<double>{0.0}),
                              *make_primitive(float64(), std::vector<double>{-0.0})));
    EXPECT_FALSE(array_equals(*make_primitive(float32(), std::vector<float>{1.0f}),
                              *make_primitive(float32(), std::vector<float>{std::nextafter(1.0f, 2.0f)})));
    EXPECT_TRUE(array_equals(*make_primitive(float32(), std::vector<float>{std::nanf("1")}),
                             *make_primitive(float32(), std::vector<float>{std::nanf("2")})));
    EXPECT_FALSE(array_equals(*make_primitive(float32(), std::vector<float>{std::nanf("1")}),
                              *make_primitive(float32(), std::vector<float>{INFINITY})));
    EXPECT_TRUE(array_equals(*make_primitive(float16(), std::vector<uint16_t>{0x7e00}),
                             *make_primitive(float16(), std::vector<uint16_t>{0xfe01})));
    EXPECT_FALSE(array_equals(*make_primitive(float16(), std::vector<uint16_t>{0x7c00}),
                              *make_primitive(float16(), std::vector<uint16_t>{0x7e00})));
    // Same bits, different type.
    EXPECT_FALSE(array_equals(*make_primitive(int32(), std::vector<int32_t>{1}),
                              *make_primitive(uint32(), std::vector<uint32_t>{1})));
}

TEST(Compare, DictionariesCompareDecodedValues) {
    auto a = make_dictionary(int8(), {0, 1, 0}, make_strings({"x", "y"}));
    auto b = make_dictionary(int8(), {1, 0, 1}, make_strings({"y", "x", "unused"}));
    EXPECT_TRUE(array_equals(*a, *b));
    auto c = make_dictionary(int8(), {1, 1, 1}, make_strings({"y", "x"}));
    EXPECT_FALSE(array_equals(*a, *c));
    auto wider = make_dictionary(int16(), {0, 1, 0}, make_strings({"x", "y"}));
    EXPECT_FALSE(array_equals(*a, *wider));
    auto plain = make_primitive(int8(), std::vector<int8_t>{0, 1, 0});
    EXPECT_FALSE(array_equals(*a, *plain));
    // A null slot equals a null slot whatever its index; a null dictionary value is a null too.
    auto n1 = make_dictionary(int8(), {0, 5}, make_strings({"x"}), {true, false});
    auto n2 = make_dictionary(int8(), {0, 0}, make_strings({"x"}), {true, false});
    EXPECT_TRUE(array_equals(*n1, *n2));
}

TEST(Compare, Unions) {
    const DataType dense = union_(UnionMode::Dense, {field("i", int32()), field("s", utf8())});
    auto a = make_union(dense, {0, 1, 0}, {0, 0, 1},
                        {make_primitive(int32(), std::vector<int32_t>{5, 6}), make_strings({"x"})});
    // Same values, laid out differently in the children.
    auto b = make_union(dense, {0, 1, 0}, {2, 1, 0},
                        {make_primitive(int32(), std::vector<int32_t>{6, 99, 5}), make_strings({"unused", "x"})});
    EXPECT_TRUE(array_equals(*a, *b));
    auto c = make_union(dense, {0, 1, 0}, {0, 0, 0},
                        {make_primitive(int32(), std::vector<int32_t>{5, 6}), make_strings({"x"})});
    EXPECT_FALSE(array_equals(*a, *c));
    const DataType sparse = union_(UnionMode::Sparse, {field("i", int32()), field("s", utf8())});
    auto s1 =
        make_union(sparse, {0, 1}, {}, {make_primitive(int32(), std::vector<int32_t>{1, 7}), make_strings({"q", "r"})});
    auto s2 =
        make_union(sparse, {0, 1}, {}, {make_primitive(int32(), std::vector<int32_t>{1, 8}), make_strings({"z", "r"})});
    EXPECT_TRUE(array_equals(*s1, *s2));  // unselected child slots do not matter
    auto s3 =
        make_union(sparse, {0, 0}, {}, {make_primitive(int32(), std::vector<int32_t>{1, 8}), make_strings({"z", "r"})});
    EXPECT_FALSE(array_equals(*s1, *s3));
    EXPECT_TRUE(array_equals(*slice(s1, 1, 1), *slice(s2, 1, 1)));
    EXPECT_FALSE(array_equals(*slice(s1, 1, 1), *slice(s3, 1, 1)));
}

TEST(Compare, RunEndEncodedComparesLogicalValues) {
    const DataType ree = run_end_encoded(int32(), field("v", int64()));
    auto a = make_run_end_encoded(ree, 4, make_primitive(int32(), std::vector<int32_t>{2, 4}),
                                  make_primitive(int64(), std::vector<int64_t>{7, 8}));
    auto b = make_run_end_encoded(ree, 4, make_primitive(int32(), std::vector<int32_t>{1, 2, 3, 4}),
                                  make_primitive(int64(), std::vector<int64_t>{7, 7, 8, 8}));
    EXPECT_TRUE(array_equals(*a, *b));
    auto c = make_run_end_encoded(ree, 4, make_primitive(int32(), std::vector<int32_t>{3, 4}),
                                  make_primitive(int64(), std::vector<int64_t>{7, 8}));
    EXPECT_FALSE(array_equals(*a, *c));
    EXPECT_TRUE(array_equals(*slice(a, 1, 2), *slice(b, 1, 2)));
    EXPECT_TRUE(array_equals(*slice(a, 2, 2), *slice(c, 2, 2)) == false);
    EXPECT_TRUE(array_equals(*slice(a, 3, 1), *slice(c, 3, 1)));
}

TEST(Compare, NestedDifferences) {
    auto w1 = testing::weights_column(3);
    auto w2 = testing::weights_column(3);
    EXPECT_TRUE(array_equals(*w1, *w2));
    EXPECT_FALSE(array_equals(*w1, *testing::weights_column(4)));
    auto views1 = make_list_view(list_view(field("", int32())), {0, 2}, {2, 1},
                                 make_primitive(int32(), std::vector<int32_t>{1, 2, 3}));
    auto views2 = make_list_view(list_view(field("", int32())), {1, 0}, {2, 1},
                                 make_primitive(int32(), std::vector<int32_t>{3, 1, 2}));
    EXPECT_TRUE(array_equals(*views1, *views2));
}

std::shared_ptr<const Schema> schema_of(std::vector<Field> fields, KeyValueMetadata metadata = {}) {
    auto s = std::make_shared<Schema>();
    s->fields = std::move(fields);
    s->metadata = std::move(metadata);
    return s;
}

Table table_of(std::shared_ptr<const Schema> schema, const std::vector<std::vector<int64_t>>& id_batches,
               const std::vector<std::vector<std::string>>& name_batches) {
    Table t{schema, {}};
    for (size_t k = 0; k < id_batches.size(); ++k)
        t.batches.push_back(
            make_batch(schema, {make_primitive(int64(), id_batches[k]), make_strings(name_batches[k])}));
    return t;
}

TEST(Compare, TablesIgnoreBatchBoundaries) {
    auto schema = schema_of({field("id", int64()), field("name", utf8())});
    Table a = table_of(schema, {{1, 2, 3}, {4, 5}}, {{"a", "b", "c"}, {"d", "e"}});
    Table b = table_of(schema, {{1}, {}, {2, 3, 4, 5}}, {{"a"}, {}, {"b", "c", "d", "e"}});
    EXPECT_TRUE(table_equals(a, b));
    EXPECT_EQ(table_difference(a, b), "");
    Table c = table_of(schema, {{1, 2}, {3, 4, 5}}, {{"a", "b"}, {"c", "D", "e"}});
    EXPECT_FALSE(table_equals(a, c));
    EXPECT_EQ(table_difference(a, c), "column name differs at row 3: \"d\" vs \"D\"");
    Table shorter = table_of(schema, {{1, 2}}, {{"a", "b"}});
    EXPECT_FALSE(table_equals(a, shorter));
    EXPECT_EQ(table_difference(a, shorter), "the tables have 5 and 2 rows");
}

TEST(Compare, TableSchemasMustMatchIncludingMetadata) {
    auto s1 = schema_of({field("id", int64()), field("name", utf8())}, {{"k", "v"}});
    auto s2 = schema_of({field("id", int64()), field("name", utf8())}, {{"k", "w"}});
    Table a = table_of(s1, {{1}}, {{"a"}});
    Table b = table_of(s2, {{1}}, {{"a"}});
    EXPECT_FALSE(table_equals(a, b));
    EXPECT_EQ(table_difference(a, b), "the schemas' metadata differ");
    auto s3 = schema_of({field("id", int64()), field("name", utf8(), false)}, {{"k", "v"}});
    Table c = table_of(s3, {{1}}, {{"a"}});
    EXPECT_EQ(table_difference(a, c), "field 1 of the schemas differs: name: utf8 vs name: utf8 not null");
    Field with_meta = field("name", utf8(), true, {{"ARROW:extension:name", "x"}});
    Field other_meta = field("name", utf8(), true, {{"ARROW:extension:name", "x"}, {"more", "1"}});
    Table d = table_of(schema_of({field("id", int64()), with_meta}), {{1}}, {{"a"}});
    Table e = table_of(schema_of({field("id", int64()), other_meta}), {{1}}, {{"a"}});
    EXPECT_EQ(table_difference(d, e),
              "field 1 of the schemas differs: name: utf8 extension<x> (metadata differs) vs name: utf8 extension<x> "
              "(metadata differs)");
    EXPECT_EQ(table_difference(a, table_of(schema_of({field("id", int64())}, {{"k", "v"}}), {}, {})),
              "the schemas have 2 and 1 fields");
}

TEST(Compare, DifferenceNamesTheNestedPath) {
    auto schema = schema_of({field("weights", testing::weights_type())});
    Table a{schema, {make_batch(schema, {testing::weights_column(3)})}};
    // Change the value at vec[1] of flat array 2.
    auto column = testing::weights_column(3);
    auto weights = copy(column->children[0]);
    auto flat = copy(weights->children[0]);
    auto vec = copy(flat->children[0]);
    auto values = copy(vec->children[0]);
    poke<float>(*values, 1, 5, 42.0f);
    vec->children[0] = values;
    flat->children[0] = vec;
    weights->children[0] = flat;
    auto changed = copy(column);
    changed->children[0] = weights;
    Table b{schema, {make_batch(schema, {changed})}};
    EXPECT_FALSE(table_equals(a, b));
    EXPECT_EQ(table_difference(a, b), "column weights differs at row 0 at weights.weights[2].vec[1]: 2.5 vs 42.0");
}

TEST(Compare, DifferenceOfNullsAndListLengths) {
    auto schema = schema_of({field("l", list(field("", int32())))});
    auto child = make_primitive(int32(), std::vector<int32_t>{1, 2, 3});
    Table a{schema, {make_batch(schema, {make_list(schema->fields[0].type, {1, 2}, child)})}};
    Table b{schema, {make_batch(schema, {make_list(schema->fields[0].type, {1, 1}, child)})}};
    Table c{schema, {make_batch(schema, {make_list(schema->fields[0].type, {1, 2}, child, {true, false})})}};
    EXPECT_EQ(table_difference(a, b), "column l differs at row 1: [2, 3] vs [2]");
    EXPECT_EQ(table_difference(a, c), "column l differs at row 1: [2, 3] vs null");
}

}  // namespace
}  // namespace legolasflux::arrow
