#include <gtest/gtest.h>

#include <cstring>

#include "legolasflux/arrow/builder.hpp"
#include "legolasflux/arrow/validate.hpp"
#include "legolasflux/errors.hpp"

namespace legolasflux::arrow {
namespace {

template <class T>
std::vector<T> as_vector(const Buffer& b, int64_t count) {
    std::vector<T> out(static_cast<size_t>(count));
    std::memcpy(out.data(), b.data(), static_cast<size_t>(count) * sizeof(T));
    return out;
}

bool aligned(const Buffer& b) { return reinterpret_cast<uintptr_t>(b.data()) % 64 == 0; }

TEST(Builder, FixedWidthWithoutNullsHasNoValidity) {
    auto a = make_primitive(int32(), std::vector<int32_t>{1, -2, 3});
    EXPECT_EQ(a->type, int32());
    EXPECT_EQ(a->length, 3);
    EXPECT_EQ(a->offset, 0);
    EXPECT_EQ(a->null_count, 0);
    ASSERT_EQ(a->buffers.size(), 2u);
    EXPECT_TRUE(a->buffers[0].empty());
    EXPECT_EQ(a->buffers[1].size(), 12);
    EXPECT_TRUE(aligned(a->buffers[1]));
    EXPECT_EQ(as_vector<int32_t>(a->buffers[1], 3), (std::vector<int32_t>{1, -2, 3}));
    // An all-true validity vector also means no bitmap.
    auto b = make_primitive(int32(), std::vector<int32_t>{1, 2}, {true, true});
    EXPECT_TRUE(b->buffers[0].empty());
    EXPECT_EQ(b->null_count, 0);
}

TEST(Builder, ValidityBitmapIsLsbFirst) {
    std::vector<bool> valid(10, true);
    valid[1] = valid[8] = false;
    auto a = make_primitive(float64(), std::vector<double>(10, 1.0), valid);
    EXPECT_EQ(a->null_count, 2);
    ASSERT_EQ(a->buffers[0].size(), 2);
    EXPECT_TRUE(aligned(a->buffers[0]));
    EXPECT_EQ(a->buffers[0].data()[0], 0xfd);
    EXPECT_EQ(a->buffers[0].data()[1], 0x02);
    EXPECT_TRUE(a->is_null(1));
    EXPECT_TRUE(a->is_null(8));
    EXPECT_TRUE(a->is_valid(9));
    EXPECT_THROW(make_primitive(float64(), std::vector<double>(3, 1.0), {true}), InvalidArgument);
}

TEST(Builder, OptionalValues) {
    auto a = make_primitive(int64(), std::vector<std::optional<int64_t>>{5, std::nullopt, 7});
    EXPECT_EQ(a->null_count, 1);
    EXPECT_TRUE(a->is_null(1));
    EXPECT_EQ(a->values<int64_t>()[0], 5);
    EXPECT_EQ(a->values<int64_t>()[1], 0);
    EXPECT_EQ(a->values<int64_t>()[2], 7);
    auto b = make_primitive(float32(), std::vector<std::optional<float>>{1.5f});
    EXPECT_TRUE(b->buffers[0].empty());
}

TEST(Builder, FixedWidthRejectsNonFixedWidthTypes) {
    int32_t x = 0;
    EXPECT_THROW(make_fixed_width(utf8(), &x, 1), InvalidArgument);
    EXPECT_THROW(make_fixed_width(boolean(), &x, 1), InvalidArgument);
    EXPECT_THROW(make_fixed_width(int32(), &x, -1), InvalidArgument);
}

TEST(Builder, NullAndBool) {
    auto n = make_null(5);
    EXPECT_EQ(n->type, null());
    EXPECT_EQ(n->length, 5);
    EXPECT_EQ(n->null_count, 5);
    EXPECT_TRUE(n->buffers.empty());

    auto b = make_bool({true, false, true, true, false, false, false, false, true},
                       {true, true, false, true, true, true, true, true, true});
    ASSERT_EQ(b->buffers.size(), 2u);
    EXPECT_EQ(b->null_count, 1);
    EXPECT_EQ(b->buffers[1].size(), 2);
    EXPECT_EQ(b->buffers[1].data()[0], 0x0d);
    EXPECT_EQ(b->buffers[1].data()[1], 0x01);
    EXPECT_TRUE(b->bool_value(0));
    EXPECT_FALSE(b->bool_value(1));
    EXPECT_TRUE(b->is_null(2));
}

TEST(Builder, StringsAndBinaries) {
    auto s = make_strings({"ab", "", "cde"}, {true, false, true});
    ASSERT_EQ(s->buffers.size(), 3u);
    EXPECT_EQ(as_vector<int32_t>(s->buffers[1], 4), (std::vector<int32_t>{0, 2, 2, 5}));
    EXPECT_EQ(s->buffers[2].as_string_view(), "abcde");
    EXPECT_EQ(s->bytes_value(2), "cde");
    EXPECT_EQ(s->null_count, 1);

    // The value under a null slot is dropped.
    auto dropped = make_strings({"ab", "ignored", "c"}, {true, false, true});
    EXPECT_EQ(dropped->buffers[2].as_string_view(), "abc");

    auto large = make_binary_like(large_binary(), {std::string("\0x", 2), "yz"});
    EXPECT_EQ(large->type, large_binary());
    EXPECT_EQ(as_vector<int64_t>(large->buffers[1], 3), (std::vector<int64_t>{0, 2, 4}));
    EXPECT_EQ(large->bytes_value(0), std::string_view("\0x", 2));

    auto fixed = make_binary_like(fixed_size_binary(2), {"ab", "??", "cd"}, {true, false, true});
    ASSERT_EQ(fixed->buffers.size(), 2u);
    EXPECT_EQ(fixed->buffers[1].as_string_view(), std::string_view("ab\0\0cd", 6));
    EXPECT_THROW(make_binary_like(fixed_size_binary(2), {"abc"}), InvalidArgument);
    EXPECT_THROW(make_binary_like(int32(), {"abc"}), InvalidArgument);
}

TEST(Builder, Views) {
    const std::string long1 = "this one is long";
    const std::string long2 = "and so is this one";
    auto v = make_binary_like(utf8_view(), {"inline12byte", long1, "", long2}, {true, true, false, true});
    ASSERT_EQ(v->buffers.size(), 3u);  // validity, views, one data buffer
    EXPECT_EQ(v->buffers[1].size(), 64);
    EXPECT_EQ(v->buffers[2].as_string_view(), long1 + long2);
    const uint8_t* view = v->buffers[1].data();
    int32_t len, index, off;
    std::memcpy(&len, view, 4);
    EXPECT_EQ(len, 12);
    EXPECT_EQ(std::string_view(reinterpret_cast<const char*>(view + 4), 12), "inline12byte");
    std::memcpy(&len, view + 48, 4);
    std::memcpy(&index, view + 56, 4);
    std::memcpy(&off, view + 60, 4);
    EXPECT_EQ(len, static_cast<int32_t>(long2.size()));
    EXPECT_EQ(std::string_view(reinterpret_cast<const char*>(view + 52), 4), "and ");
    EXPECT_EQ(index, 0);
    EXPECT_EQ(off, static_cast<int32_t>(long1.size()));
    EXPECT_EQ(v->bytes_value(1), long1);
    EXPECT_EQ(v->bytes_value(3), long2);
    // Only short values: no data buffer at all.
    auto short_only = make_binary_like(binary_view(), {"a", "bc"});
    EXPECT_EQ(short_only->buffers.size(), 2u);
    EXPECT_EQ(short_only->bytes_value(1), "bc");
}

TEST(Builder, Lists) {
    auto child = make_primitive(int16(), std::vector<int16_t>{1, 2, 3, 4, 5});
    auto l = make_list(list(field("item", int16())), {2, 0, 3}, child, {true, false, true});
    ASSERT_EQ(l->buffers.size(), 2u);
    EXPECT_EQ(as_vector<int32_t>(l->buffers[1], 4), (std::vector<int32_t>{0, 2, 2, 5}));
    EXPECT_EQ(l->children.at(0), child);
    EXPECT_EQ(l->list_range(2), (std::pair<int64_t, int64_t>{2, 5}));
    EXPECT_EQ(l->null_count, 1);

    auto ll = make_list(large_list(field("item", int16())), {5}, child);
    EXPECT_EQ(as_vector<int64_t>(ll->buffers[1], 2), (std::vector<int64_t>{0, 5}));

    // Lengths beyond the child, wrong child type, negative length: refused.
    EXPECT_THROW(make_list(list(field("item", int16())), {6}, child), InvalidArgument);
    EXPECT_THROW(make_list(list(field("item", int32())), {1}, child), InvalidArgument);
    EXPECT_THROW(make_list(list(field("item", int16())), {-1}, child), InvalidArgument);
    EXPECT_THROW(make_list(struct_({}), {1}, child), InvalidArgument);
    EXPECT_THROW(make_list(list(field("item", int16())), {1}, nullptr), InvalidArgument);

    auto lv = make_list_view(list_view(field("item", int16())), {3, 0}, {2, 1}, child);
    ASSERT_EQ(lv->buffers.size(), 3u);
    EXPECT_EQ(as_vector<int32_t>(lv->buffers[1], 2), (std::vector<int32_t>{3, 0}));
    EXPECT_EQ(as_vector<int32_t>(lv->buffers[2], 2), (std::vector<int32_t>{2, 1}));
    EXPECT_EQ(lv->list_range(0), (std::pair<int64_t, int64_t>{3, 5}));
    EXPECT_THROW(make_list_view(list_view(field("item", int16())), {0}, {}, child), InvalidArgument);
    auto llv = make_list_view(large_list_view(field("item", int16())), {1}, {4}, child);
    EXPECT_EQ(as_vector<int64_t>(llv->buffers[2], 1), (std::vector<int64_t>{4}));

    auto fsl = make_fixed_size_list(fixed_size_list(field("item", int16()), 2), 2, child, {false, true});
    EXPECT_EQ(fsl->buffers.size(), 1u);
    EXPECT_EQ(fsl->null_count, 1);
    EXPECT_EQ(fsl->list_range(1), (std::pair<int64_t, int64_t>{2, 4}));
    EXPECT_THROW(make_fixed_size_list(fixed_size_list(field("item", int16()), 2), 3, child), InvalidArgument);
}

TEST(Builder, MapsAndStructs) {
    const DataType m = map(field("key", utf8()), field("value", int32()));
    auto entries = make_struct(m.children[0].type, 2,
                               {make_strings({"a", "b"}), make_primitive(int32(), std::vector<int32_t>{1, 2})});
    auto a = make_list(m, {1, 1}, entries);
    EXPECT_EQ(a->type, m);
    EXPECT_EQ(as_vector<int32_t>(a->buffers[1], 3), (std::vector<int32_t>{0, 1, 2}));

    const DataType st = struct_({field("x", int32()), field("y", utf8())});
    auto s = make_struct(st, 2, {make_primitive(int32(), std::vector<int32_t>{1, 2}), make_strings({"p", "q"})},
                         {true, false});
    EXPECT_EQ(s->buffers.size(), 1u);
    EXPECT_EQ(s->null_count, 1);
    EXPECT_EQ(s->children.size(), 2u);
    EXPECT_THROW(make_struct(st, 2, {make_primitive(int32(), std::vector<int32_t>{1, 2})}), InvalidArgument);
    EXPECT_THROW(make_struct(st, 3, {make_primitive(int32(), std::vector<int32_t>{1, 2}), make_strings({"p", "q"})}),
                 InvalidArgument);
    EXPECT_THROW(make_struct(st, 2, {make_strings({"p", "q"}), make_primitive(int32(), std::vector<int32_t>{1, 2})}),
                 InvalidArgument);
}

TEST(Builder, Unions) {
    const DataType sparse = union_(UnionMode::Sparse, {field("i", int32()), field("s", utf8())}, {3, 4});
    auto u =
        make_union(sparse, {3, 4}, {}, {make_primitive(int32(), std::vector<int32_t>{1, 0}), make_strings({"", "x"})});
    ASSERT_EQ(u->buffers.size(), 1u);
    EXPECT_EQ(as_vector<int8_t>(u->buffers[0], 2), (std::vector<int8_t>{3, 4}));
    EXPECT_EQ(u->null_count, 0);
    EXPECT_THROW(make_union(sparse, {3}, {0}, {make_primitive(int32(), std::vector<int32_t>{1}), make_strings({""})}),
                 InvalidArgument);

    const DataType dense = union_(UnionMode::Dense, {field("i", int32()), field("s", utf8())});
    auto d = make_union(dense, {0, 1, 0}, {0, 0, 1},
                        {make_primitive(int32(), std::vector<int32_t>{1, 2}), make_strings({"x"})});
    ASSERT_EQ(d->buffers.size(), 2u);
    EXPECT_EQ(as_vector<int32_t>(d->buffers[1], 3), (std::vector<int32_t>{0, 0, 1}));
    EXPECT_THROW(
        make_union(dense, {0, 1}, {0}, {make_primitive(int32(), std::vector<int32_t>{1}), make_strings({"x"})}),
        InvalidArgument);
}

TEST(Builder, RunEndEncodedAndDictionary) {
    const DataType ree = run_end_encoded(int16(), field("v", float32()));
    auto r = make_run_end_encoded(ree, 5, make_primitive(int16(), std::vector<int16_t>{3, 5}),
                                  make_primitive(float32(), std::vector<float>{1, 2}));
    EXPECT_TRUE(r->buffers.empty());
    EXPECT_EQ(r->children.size(), 2u);
    EXPECT_EQ(r->length, 5);
    EXPECT_THROW(make_run_end_encoded(ree, 5, make_primitive(int32(), std::vector<int32_t>{3, 5}),
                                      make_primitive(float32(), std::vector<float>{1, 2})),
                 InvalidArgument);

    auto dict = make_strings({"a", "b"});
    for (const DataType& index : {int8(), uint16(), int32(), uint64()}) {
        SCOPED_TRACE(to_string(index));
        auto d = make_dictionary(index, {1, 0, 1}, dict, {true, true, false});
        EXPECT_EQ(d->type, index);
        EXPECT_EQ(d->dictionary, dict);
        EXPECT_EQ(d->null_count, 1);
        EXPECT_EQ(d->buffers[1].size(), 3 * index.bit_width / 8);
        EXPECT_EQ(d->buffers[1].data()[0], 1);
        EXPECT_EQ(d->buffers[1].data()[index.bit_width / 8], 0);
        validate(*d, "d");
    }
    EXPECT_THROW(make_dictionary(utf8(), {0}, dict), InvalidArgument);
}

TEST(Builder, Batches) {
    auto schema = std::make_shared<Schema>();
    schema->fields = {field("id", int64()), field("name", utf8())};
    auto batch = make_batch(schema, {make_primitive(int64(), std::vector<int64_t>{1, 2}), make_strings({"a", "b"})});
    EXPECT_EQ(batch.length, 2);
    EXPECT_EQ(batch.schema, schema);
    EXPECT_EQ(batch.columns.size(), 2u);
    EXPECT_THROW(make_batch(schema, {make_primitive(int64(), std::vector<int64_t>{1, 2})}), InvalidArgument);
    EXPECT_THROW(make_batch(schema, {make_primitive(int64(), std::vector<int64_t>{1, 2}), make_strings({"a"})}),
                 InvalidArgument);
    EXPECT_THROW(make_batch(schema, {make_primitive(int32(), std::vector<int32_t>{1, 2}), make_strings({"a", "b"})}),
                 InvalidArgument);
    EXPECT_THROW(make_batch(nullptr, {}), InvalidArgument);
    try {
        make_batch(schema,
                   {make_primitive(int64(), std::vector<int64_t>{1, 2}), make_binary_like(binary(), {"a", "b"})});
        FAIL() << "expected InvalidArgument";
    } catch (const InvalidArgument& e) {
        EXPECT_STREQ(e.what(), "make_batch: name has type binary, expected utf8 in field name");
    }
    auto empty_schema = std::make_shared<Schema>();
    EXPECT_EQ(make_batch(empty_schema, {}).length, 0);
}

}  // namespace
}  // namespace legolasflux::arrow
