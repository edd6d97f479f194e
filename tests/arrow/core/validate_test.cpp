#include <gtest/gtest.h>

#include <cstdio>
#include <functional>
#include <random>

#include "arrow/core_test_arrays.hpp"
#include "legolasflux/arrow/builder.hpp"
#include "legolasflux/arrow/compare.hpp"
#include "legolasflux/arrow/pretty_print.hpp"
#include "legolasflux/arrow/validate.hpp"
#include "legolasflux/errors.hpp"

namespace legolasflux::arrow {
namespace {

using testing::copy;
using testing::edit_buffer;
using testing::poke;

// The FormatError message of `f`, or "" when it does not throw one.
std::string error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const FormatError& e) {
        return e.what();
    }
    return "";
}

std::string full_error(const Array& a, const std::string& path = "col") {
    return error_of([&] { validate(a, path, ValidationLevel::Full); });
}
std::string structural_error(const Array& a, const std::string& path = "col") {
    return error_of([&] { validate(a, path, ValidationLevel::Minimal); });
}

TEST(Validate, EveryTypeBuiltByTheBuildersIsValid) {
    for (const auto& [name, array] : testing::sample_arrays()) {
        SCOPED_TRACE(name);
        EXPECT_EQ(structural_error(*array), "");
        EXPECT_EQ(full_error(*array), "");
        // Every slice of it too, including empty ones at either end.
        for (int64_t off = 0; off <= array->length; ++off)
            for (int64_t len = 0; off + len <= array->length; ++len) {
                auto s = slice(array, off, len);
                EXPECT_EQ(full_error(*s), "") << "slice " << off << "+" << len;
            }
    }
}

TEST(Validate, ShrunkValuesBufferIsStructuralError) {
    auto a = copy(make_primitive(int32(), std::vector<int32_t>{1, 2, 3, 4}));
    a->buffers[1] = a->buffers[1].slice(0, 15);
    EXPECT_EQ(structural_error(*a, "model.ids"),
              "ids values buffer (buffer 1) too small: 15 bytes, need 16 for offset 0 + length 4 in field model.ids");
    // The same bytes suffice for a slice that ends earlier.
    auto s = copy(slice(a, 0, 3));
    EXPECT_EQ(full_error(*s), "");
    // An offset counts as much as the length.
    auto b = copy(make_primitive(int64(), std::vector<int64_t>{1, 2, 3}));
    b->offset = 1;
    EXPECT_NE(structural_error(*b).find("too small: 24 bytes, need 32 for offset 1 + length 3"), std::string::npos);
}

TEST(Validate, ValidityBitmapChecks) {
    auto a = copy(make_primitive(int32(), std::vector<int32_t>(20, 7), std::vector<bool>(20, false)));
    EXPECT_EQ(a->null_count, 20);
    a->buffers[0] = a->buffers[0].slice(0, 2);
    EXPECT_NE(structural_error(*a).find("validity buffer (buffer 0) too small: 2 bytes, need 3"), std::string::npos);

    auto b = copy(make_primitive(int32(), std::vector<int32_t>{1, 2, 3}, {true, false, true}));
    b->null_count = 2;
    EXPECT_EQ(structural_error(*b), "");  // counting bits is a full check
    EXPECT_EQ(full_error(*b), "col null_count is 2 but the validity bitmap has 1 nulls in field col");

    auto c = copy(make_primitive(int32(), std::vector<int32_t>{1, 2, 3}));
    c->null_count = 1;
    EXPECT_EQ(structural_error(*c), "col null_count is 1 but there is no validity bitmap in field col");
    c->null_count = 4;
    EXPECT_EQ(structural_error(*c), "col null_count 4 exceeds length 3 in field col");
}

TEST(Validate, NegativeOrOverflowingSizes) {
    auto a = copy(make_primitive(int32(), std::vector<int32_t>{1}));
    a->length = -1;
    EXPECT_NE(structural_error(*a).find("negative length"), std::string::npos);
    a->length = 1;
    a->offset = INT64_MAX;
    EXPECT_NE(structural_error(*a).find("offset + length overflows"), std::string::npos);
    auto b = copy(make_binary_like(fixed_size_binary(1 << 30), {}));
    b->length = int64_t{1} << 40;
    EXPECT_NE(structural_error(*b).find("overflows 64 bits"), std::string::npos);
    auto n = copy(make_null(3));
    n->null_count = 2;
    EXPECT_EQ(structural_error(*n), "col null_count 2 must equal length 3 for the null type in field col");
}

TEST(Validate, WrongBufferCount) {
    auto a = copy(make_strings({"a", "b"}));
    a->buffers.pop_back();
    EXPECT_EQ(structural_error(*a), "col has 2 buffers, expected 3 for utf8 in field col");
    auto v = copy(make_binary_like(utf8_view(), {"a"}));
    v->buffers.resize(1);
    EXPECT_EQ(structural_error(*v), "col has 1 buffers, expected at least 2 for utf8_view in field col");
}

// Julia's weights column: weights (struct) . weights (list) . "" (struct) . vec (list<float32>).
TEST(Validate, BrokenNestedOffsetNamesPathAndIndex) {
    auto column = testing::weights_column(10);
    ASSERT_EQ(full_error(*column, "weights"), "");
    auto weights = copy(column->children[0]);
    auto flat = copy(weights->children[0]);
    auto vec = copy(flat->children[0]);
    poke<int32_t>(*vec, 1, 7, 5);  // offsets ... 12, 5, 16 ...
    flat->children[0] = vec;
    weights->children[0] = flat;
    auto broken = copy(column);
    broken->children[0] = weights;
    EXPECT_EQ(structural_error(*broken, "weights"), "");  // first and last offsets are fine
    EXPECT_EQ(full_error(*broken, "weights"),
              "vec offsets not increasing at index 7 in field weights.weights.vec (12 then 5)");
}

TEST(Validate, OffsetsBeyondDataOrChild) {
    auto s = copy(make_strings({"abc", "de"}));
    s->buffers[2] = s->buffers[2].slice(0, 4);
    EXPECT_EQ(structural_error(*s), "col offsets end at 5 beyond the data buffer length 4 in field col");
    auto first = copy(make_strings({"abc", "de"}));
    poke<int32_t>(*first, 1, 0, -1);
    EXPECT_EQ(structural_error(*first), "col offsets start negative (-1) at index 0 in field col");
    auto l = copy(make_list(list(field("", int64())), {1, 2}, make_primitive(int64(), std::vector<int64_t>{1, 2, 3})));
    auto child = copy(l->children[0]);
    child->length = 2;
    l->children[0] = child;
    EXPECT_EQ(structural_error(*l), "col offsets end at 3 beyond the child length 2 in field col");
    auto shortoffs = copy(make_binary_like(large_binary(), {"a", "b"}));
    shortoffs->buffers[1] = shortoffs->buffers[1].slice(0, 16);
    EXPECT_NE(structural_error(*shortoffs).find("offsets buffer (buffer 1) too small: 16 bytes, need 24"),
              std::string::npos);
    // An empty array may have an empty offsets buffer.
    auto empty = copy(make_strings({}));
    empty->buffers[1] = Buffer();
    EXPECT_EQ(full_error(*empty), "");
}

TEST(Validate, UnionTypeIdsAndOffsets) {
    const DataType sparse = union_(UnionMode::Sparse, {field("i", int32()), field("s", utf8())}, {5, 7});
    auto a = copy(make_union(sparse, {5, 7, 5}, {},
                             {make_primitive(int32(), std::vector<int32_t>{1, 0, 3}), make_strings({"", "b", ""})}));
    ASSERT_EQ(full_error(*a, "u"), "");
    poke<int8_t>(*a, 0, 2, 6);
    EXPECT_EQ(structural_error(*a, "u"), "");
    EXPECT_EQ(full_error(*a, "u"), "u type id 6 at index 2 is not a declared type id in field u");

    auto short_child = copy(make_union(
        sparse, {5, 7, 5}, {}, {make_primitive(int32(), std::vector<int32_t>{1, 0, 3}), make_strings({"", "b", ""})}));
    short_child->children[1] = slice(short_child->children[1], 0, 2);
    EXPECT_EQ(structural_error(*short_child, "u"),
              "u child 1 has length 2, need at least 3 for a sparse union in field u");

    const DataType dense = union_(UnionMode::Dense, {field("i", int32()), field("s", utf8())});
    auto d = copy(make_union(dense, {0, 1, 1}, {0, 1, 0},
                             {make_primitive(int32(), std::vector<int32_t>{1}), make_strings({"p", "q"})}));
    ASSERT_EQ(full_error(*d, "u"), "");  // offsets need not increase within a child
    poke<int32_t>(*d, 1, 2, 2);
    EXPECT_EQ(full_error(*d, "u"), "u offset 2 at index 2 outside child 1 of length 2 in field u");
    poke<int32_t>(*d, 1, 2, -1);
    EXPECT_EQ(full_error(*d, "u"), "u offset -1 at index 2 outside child 1 of length 2 in field u");
    poke<int8_t>(*d, 0, 0, -3);
    EXPECT_EQ(full_error(*d, "u"), "u type id -3 at index 0 is not a declared type id in field u");

    auto bad_type = copy(d);
    bad_type->type.type_ids = {1, 1};
    EXPECT_NE(structural_error(*bad_type, "u").find("type id 1 declared twice"), std::string::npos);
}

TEST(Validate, DictionaryIndices) {
    auto a = copy(make_dictionary(int8(), {0, 1, 2, 9}, make_strings({"a", "b", "c"}), {true, true, true, false}));
    ASSERT_EQ(full_error(*a, "color"), "");  // the index under a null slot is not checked
    poke<int8_t>(*a, 1, 1, 3);
    EXPECT_EQ(structural_error(*a, "color"), "");
    EXPECT_EQ(full_error(*a, "color"),
              "color dictionary index 3 at index 1 outside the dictionary of length 3 in field color");
    poke<int8_t>(*a, 1, 1, -1);
    EXPECT_NE(full_error(*a, "color").find("dictionary index -1 at index 1"), std::string::npos);

    auto u = copy(make_dictionary(uint64(), {0, 1}, make_strings({"a", "b"})));
    poke<uint64_t>(*u, 1, 0, UINT64_MAX);
    EXPECT_NE(full_error(*u).find("at index 0 outside the dictionary"), std::string::npos);

    auto f = copy(make_dictionary(int32(), {0}, make_strings({"a"})));
    f->type = float32();
    EXPECT_NE(structural_error(*f).find("is not an integer index type"), std::string::npos);

    // The dictionary itself is validated.
    auto bad_dict = copy(make_strings({"a", "b"}));
    bad_dict->buffers[2] = Buffer();
    auto g = copy(make_dictionary(int32(), {0}, make_strings({"a", "b"})));
    g->dictionary = bad_dict;
    EXPECT_EQ(structural_error(*g, "color"),
              "color dictionary offsets end at 2 beyond the data buffer length 0 in field color");
}

TEST(Validate, RunEnds) {
    const DataType ree = run_end_encoded(int32(), field("values", utf8()));
    auto make = [&](std::vector<int32_t> ends, int64_t length) {
        std::vector<std::string> vals(ends.size(), "v");
        return copy(make_run_end_encoded(ree, length, make_primitive(int32(), ends), make_strings(vals)));
    };
    EXPECT_EQ(full_error(*make({2, 5, 6}, 6), "r"), "");
    EXPECT_EQ(full_error(*make({2, 5, 6}, 4), "r"), "");  // runs may extend beyond the length
    EXPECT_EQ(full_error(*make({2, 2, 6}, 6), "r"),
              "r run ends not strictly increasing and positive at index 1 in field r (2 then 2)");
    EXPECT_EQ(structural_error(*make({2, 2, 6}, 6), "r"), "");
    EXPECT_EQ(full_error(*make({0, 2, 6}, 6), "r"),
              "r run ends not strictly increasing and positive at index 0 in field r (0 then 0)");
    auto too_long = make({2, 5}, 5);
    too_long->length = 6;
    EXPECT_EQ(structural_error(*too_long, "r"), "r last run end 5 is less than offset + length 6 in field r");
    EXPECT_THROW(make({2, 5}, 6), InvalidArgument);
    auto sliced = copy(slice(make({2, 5, 6}, 6), 2, 4));
    EXPECT_EQ(full_error(*sliced, "r"), "");
    sliced->length = 5;
    EXPECT_NE(structural_error(*sliced, "r").find("last run end 6 is less than offset + length 7"), std::string::npos);

    auto fewer_values = make({2, 5, 6}, 6);
    fewer_values->children[1] = make_strings({"a", "b"});
    EXPECT_EQ(structural_error(*fewer_values, "r"), "r values child has length 2, less than the 3 run ends in field r");

    auto nulls = make({2, 5, 6}, 6);
    nulls->children[0] = make_primitive(int32(), std::vector<int32_t>{2, 5, 6}, {true, false, true});
    EXPECT_EQ(structural_error(*nulls, "r"), "r run ends contain 1 nulls in field r");

    auto wrong = copy(make({2}, 2));
    wrong->type = run_end_encoded(int8(), field("values", utf8()));
    EXPECT_NE(structural_error(*wrong, "r").find("run ends must be int16, int32 or int64"), std::string::npos);
}

TEST(Validate, Views) {
    auto a = copy(make_binary_like(utf8_view(), {"short", "a string longer than twelve"}));
    ASSERT_EQ(full_error(*a, "s"), "");
    auto bad_index = copy(a);
    poke<int32_t>(*bad_index, 1, 1 * 4 + 2, 1);  // view 1, buffer index field
    EXPECT_EQ(structural_error(*bad_index, "s"), "");
    EXPECT_EQ(full_error(*bad_index, "s"), "s view at index 1 refers to data buffer 1 of 1 in field s");
    auto bad_offset = copy(a);
    poke<int32_t>(*bad_offset, 1, 1 * 4 + 3, 5);
    EXPECT_EQ(full_error(*bad_offset, "s"),
              "s view at index 1 (offset 5, length 27) outside data buffer 0 of 27 bytes in field s");
    auto negative = copy(a);
    poke<int32_t>(*negative, 1, 0, -4);
    EXPECT_EQ(full_error(*negative, "s"), "s view at index 0 has negative length -4 in field s");
    auto few_views = copy(a);
    few_views->buffers[1] = few_views->buffers[1].slice(0, 31);
    EXPECT_NE(structural_error(*few_views, "s").find("views buffer (buffer 1) too small: 31 bytes, need 32"),
              std::string::npos);
}

TEST(Validate, ListViewsAndFixedSizeLists) {
    auto child = make_primitive(int32(), std::vector<int32_t>{1, 2, 3, 4});
    auto lv = copy(make_list_view(list_view(field("", int32())), {3, 0}, {1, 4}, child));
    ASSERT_EQ(full_error(*lv, "lv"), "");
    poke<int32_t>(*lv, 2, 0, 2);
    EXPECT_EQ(structural_error(*lv, "lv"), "");
    EXPECT_EQ(full_error(*lv, "lv"),
              "lv list view at index 0 (offset 3, size 2) outside the child of length 4 in field lv");
    // Even a null slot must stay in bounds.
    auto nulled = copy(make_list_view(list_view(field("", int32())), {9, 0}, {1, 4}, child, {false, true}));
    EXPECT_NE(full_error(*nulled, "x.lv").find("list view at index 0 (offset 9, size 1)"), std::string::npos);

    auto fsl = copy(make_fixed_size_list(fixed_size_list(field("", int32()), 2), 2, child));
    fsl->length = 3;
    EXPECT_EQ(structural_error(*fsl, "m"), "m child has length 4, need 6 for 3 lists of 2 in field m");
}

TEST(Validate, StructChildren) {
    const DataType t = struct_({field("a", int32()), field("b", utf8())});
    auto s = copy(make_struct(t, 2, {make_primitive(int32(), std::vector<int32_t>{1, 2}), make_strings({"x", "y"})}));
    ASSERT_EQ(full_error(*s, "rec"), "");
    auto missing = copy(s);
    missing->children.pop_back();
    EXPECT_EQ(structural_error(*missing, "rec"), "rec has 1 children, expected 2 in field rec");
    auto null_child = copy(s);
    null_child->children[1] = nullptr;
    EXPECT_EQ(structural_error(*null_child, "rec"), "rec child 1 is missing in field rec");
    auto wrong_type = copy(s);
    wrong_type->children[0] = make_primitive(int64(), std::vector<int64_t>{1, 2});
    EXPECT_EQ(structural_error(*wrong_type, "rec"), "a has type int64, expected int32 in field rec.a");
    auto short_child = copy(s);
    short_child->children[1] = make_strings({"x"});
    EXPECT_EQ(structural_error(*short_child, "rec"), "rec child 1 (b) has length 1, need at least 2 in field rec");
    auto sliced = copy(slice(s, 1, 1));
    EXPECT_EQ(full_error(*sliced, "rec"), "");
    sliced->children[1] = make_strings({"x"});
    EXPECT_EQ(structural_error(*sliced, "rec"), "rec child 1 (b) has length 1, need at least 2 in field rec");
    // Errors deep inside children carry the child's path.
    auto inner = copy(s->children[1]);
    inner->buffers[2] = Buffer();
    auto deep = copy(s);
    deep->children[1] = inner;
    EXPECT_EQ(structural_error(*deep, "rec"), "b offsets end at 2 beyond the data buffer length 0 in field rec.b");
}

TEST(Validate, DepthIsBounded) {
    // Built by hand: the builders validate, so they refuse such nesting themselves.
    DataType t = int32();
    ArrayPtr a = make_primitive(int32(), std::vector<int32_t>{});
    for (int k = 0; k < 300; ++k) {
        t = list(field("", t));
        auto level = std::make_shared<Array>();
        level->type = t;
        level->buffers = {Buffer(), Buffer()};
        level->children = {a};
        a = level;
    }
    EXPECT_NE(full_error(*a, "deep").find("nested deeper than 256 levels"), std::string::npos);
    EXPECT_THROW(make_list(list(field("", t)), {}, a), InvalidArgument);
}

std::shared_ptr<const Schema> schema_of(std::vector<Field> fields) {
    auto s = std::make_shared<Schema>();
    s->fields = std::move(fields);
    return s;
}

TEST(Validate, RecordBatches) {
    auto schema = schema_of({field("id", int64()), field("name", utf8())});
    RecordBatch batch{schema, 2, {make_primitive(int64(), std::vector<int64_t>{1, 2}), make_strings({"a", "b"})}};
    EXPECT_EQ(error_of([&] { validate(batch); }), "");

    RecordBatch few = batch;
    few.columns.pop_back();
    EXPECT_EQ(error_of([&] { validate(few); }), "record batch has 1 columns but the schema has 2 fields");
    RecordBatch longer = batch;
    longer.length = 3;
    EXPECT_EQ(error_of([&] { validate(longer); }), "column id has length 2 but the record batch has length 3");
    RecordBatch wrong = batch;
    wrong.columns[1] = make_binary_like(binary(), {"a", "b"});
    EXPECT_EQ(error_of([&] { validate(wrong); }), "name has type binary, expected utf8 in field name");
    RecordBatch corrupt = batch;
    auto bad = copy(batch.columns[1]);
    poke<int32_t>(*bad, 1, 1, 5);
    corrupt.columns[1] = bad;
    EXPECT_EQ(error_of([&] { validate(corrupt, ValidationLevel::Minimal); }), "");
    EXPECT_EQ(error_of([&] { validate(corrupt); }), "name offsets not increasing at index 2 in field name (5 then 2)");
}

TEST(Validate, DictionaryFieldsInBatches) {
    Field f = field("color", utf8());
    f.dictionary = DictionaryEncoding{0, int8(), false};
    auto schema = schema_of({f});
    auto column = make_dictionary(int8(), {0, 1}, make_strings({"r", "g"}));
    EXPECT_EQ(error_of([&] { validate(RecordBatch{schema, 2, {column}}); }), "");
    auto plain = make_primitive(int8(), std::vector<int8_t>{0, 1});
    EXPECT_EQ(error_of([&] {
                  validate(RecordBatch{schema, 2, {plain}});
              }),
              "color is dictionary-encoded but the array has no dictionary in field color");
    auto wide = make_dictionary(int16(), {0, 1}, make_strings({"r", "g"}));
    EXPECT_EQ(error_of([&] {
                  validate(RecordBatch{schema, 2, {wide}});
              }),
              "color is dictionary-encoded with index type int8 but the array has type int16 in field color");
    auto binary_dict = make_dictionary(int8(), {0, 1}, make_binary_like(binary(), {"r", "g"}));
    EXPECT_EQ(error_of([&] {
                  validate(RecordBatch{schema, 2, {binary_dict}});
              }),
              "color dictionary has type binary, expected utf8 in field color");
    auto unexpected = schema_of({field("color", int8())});
    EXPECT_EQ(error_of([&] {
                  validate(RecordBatch{unexpected, 2, {column}});
              }),
              "color is not dictionary-encoded but the array has a dictionary in field color");

    // A dictionary-encoded child of a struct.
    Field inner = f;
    const DataType st = struct_({inner});
    auto s = make_struct(st, 2, {column});
    EXPECT_EQ(error_of([&] { validate(*s, "rec"); }), "");
    auto s_plain = copy(s);
    s_plain->children[0] = plain;
    EXPECT_EQ(error_of([&] { validate(*s_plain, "rec"); }),
              "color is dictionary-encoded but the array has no dictionary in field rec.color");
}

TEST(Validate, Tables) {
    auto schema = schema_of({field("id", int64())});
    Table t{schema,
            {RecordBatch{schema, 1, {make_primitive(int64(), std::vector<int64_t>{1})}},
             RecordBatch{schema, 2, {make_primitive(int64(), std::vector<int64_t>{2, 3})}}}};
    EXPECT_EQ(error_of([&] { validate(t); }), "");
    Table same_schema_copy = t;
    same_schema_copy.batches[1].schema = schema_of({field("id", int64())});
    EXPECT_EQ(error_of([&] { validate(same_schema_copy); }), "");
    Table other = t;
    other.batches[1].schema = schema_of({field("id", int32())});
    other.batches[1].columns[0] = make_primitive(int32(), std::vector<int32_t>{2, 3});
    EXPECT_EQ(error_of([&] { validate(other); }), "record batch 1 has a schema different from the table's");
    Table bad = t;
    auto col = copy(t.batches[1].columns[0]);
    col->buffers[1] = col->buffers[1].slice(0, 8);
    bad.batches[1].columns[0] = col;
    EXPECT_EQ(
        error_of([&] { validate(bad); }),
        "record batch 1: id values buffer (buffer 1) too small: 8 bytes, need 16 for offset 0 + length 2 in field id");
}

TEST(Validate, UnnamedArraysAndListItemsAreLabelledByType) {
    auto l = copy(make_list(list(field("", float32())), {2}, make_primitive(float32(), std::vector<float>{1, 2})));
    auto child = copy(l->children[0]);
    child->buffers[1] = child->buffers[1].slice(0, 4);
    l->children[0] = child;
    EXPECT_EQ(structural_error(*l, ""),
              "float32 values buffer (buffer 1) too small: 4 bytes, need 8 for offset 0 + length 2 in unnamed array");
    EXPECT_EQ(structural_error(*l, "w.vec"),
              "float32 values buffer (buffer 1) too small: 4 bytes, need 8 for offset 0 + length 2 in field w.vec");
}

// A deep copy whose buffers are exactly sized heap blocks, so that AddressSanitizer sees any read
// past their end (Buffer::allocate pads to 64 bytes, which would hide small overreads).
std::shared_ptr<Array> exact_copy(const ArrayPtr& a, std::vector<Array*>& nodes) {
    auto out = std::make_shared<Array>(*a);
    nodes.push_back(out.get());
    for (auto& b : out->buffers) b = Buffer::from_vector(std::vector<uint8_t>(b.data(), b.data() + b.size()));
    for (auto& c : out->children) c = exact_copy(c, nodes);
    if (out->dictionary) out->dictionary = exact_copy(out->dictionary, nodes);
    return out;
}

// Random damage to arrays of every type: whatever the damage, Full validation either rejects the
// array with a FormatError or leaves an array that can be read (compared, printed) safely.
TEST(Validate, RandomCorruptionIsRejectedOrSafe) {
    std::mt19937_64 rng(20240601);
    const auto samples = testing::sample_arrays();
    int rejected = 0, accepted = 0;
    for (int trial = 0; trial < 4000; ++trial) {
        const auto& sample = samples[static_cast<size_t>(trial) % samples.size()];
        std::vector<Array*> nodes;
        auto root = exact_copy(sample.array, nodes);
        for (int hits = 1 + static_cast<int>(rng() % 3); hits > 0; --hits) {
            Array& node = *nodes[rng() % nodes.size()];
            switch (rng() % 6) {
                case 0: node.length += static_cast<int64_t>(rng() % 5) - 2; break;
                case 1: node.offset += static_cast<int64_t>(rng() % 5) - 1; break;
                case 2: node.null_count += static_cast<int64_t>(rng() % 3) - 1; break;
                case 3:
                case 4:
                case 5: {
                    if (node.buffers.empty()) break;
                    Buffer& b = node.buffers[rng() % node.buffers.size()];
                    std::vector<uint8_t> bytes(b.data(), b.data() + b.size());
                    if (rng() % 3 == 0) {
                        bytes.resize(bytes.empty() ? 0 : rng() % bytes.size());
                    } else if (!bytes.empty()) {
                        bytes[rng() % bytes.size()] = static_cast<uint8_t>(rng());
                    }
                    b = Buffer::from_vector(std::move(bytes));
                    break;
                }
            }
        }
        try {
            validate(*root, sample.name, ValidationLevel::Full);
        } catch (const FormatError& e) {
            ++rejected;
            EXPECT_NE(std::string(e.what()).find(sample.name), std::string::npos) << e.what();
            continue;
        }
        ++accepted;
        std::string text;
        for (int64_t i = 0; i < root->length; ++i) text += format_value(*root, i);
        EXPECT_TRUE(array_equals(*root, *root));
        EXPECT_EQ(
            array_equals(*root, *sample.array),
            root->length == sample.array->length && text ==
                                                        [&] {
                                                            std::string t;
                                                            for (int64_t i = 0; i < sample.array->length; ++i)
                                                                t += format_value(*sample.array, i);
                                                            return t;
                                                        }())
            << sample.name;
    }
    std::printf("random corruption: %d rejected, %d accepted\n", rejected, accepted);
    EXPECT_GT(rejected, 1000);
    EXPECT_GT(accepted, 100);
}

}  // namespace
}  // namespace legolasflux::arrow
