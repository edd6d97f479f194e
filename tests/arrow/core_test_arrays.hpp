// Arrays of every type, built with the public builders, shared by the validate/compare/pretty-print
// tests; plus helpers to corrupt a copy of an array.
#pragma once

#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "legolasflux/arrow/builder.hpp"

namespace legolasflux::arrow::testing {

// A mutable copy of an array (buffers shared, so corrupt through replace_buffer, not in place).
inline std::shared_ptr<Array> copy(const ArrayPtr& a) { return std::make_shared<Array>(*a); }

// Replaces buffer `index` by a fresh copy of it with `edit` applied to the bytes.
template <class Edit>
void edit_buffer(Array& a, size_t index, Edit edit) {
    const Buffer& old = a.buffers[index];
    Buffer fresh = Buffer::copy_of(old.data(), old.size());
    edit(fresh.mutable_data());
    a.buffers[index] = fresh;
}

template <class T>
void poke(Array& a, size_t buffer, int64_t element, T value) {
    edit_buffer(a, buffer,
                [&](uint8_t* p) { std::memcpy(p + element * static_cast<int64_t>(sizeof(T)), &value, sizeof(T)); });
}

// The Julia LegolasFlux `weights` column shape: struct{weights: list<struct{vec: list<float32>, size: list<int64>}>}
// with one row holding `n` flat arrays of 2 elements each (sizes [2]).
inline DataType flat_array_type() {
    return struct_({field("vec", list(field("", float32(), false)), false),
                    field("size", list(field("", int64(), false)), false)});
}
inline DataType weights_type() { return struct_({field("weights", list(field("", flat_array_type(), false)), false)}); }

inline ArrayPtr weights_column(int n) {
    std::vector<float> values;
    for (int k = 0; k < 2 * n; ++k) values.push_back(static_cast<float>(k) * 0.5f);
    auto vec_values = make_primitive(float32(), values);
    auto vec =
        make_list(list(field("", float32(), false)), std::vector<int64_t>(static_cast<size_t>(n), 2), vec_values);
    auto size_values = make_primitive(int64(), std::vector<int64_t>(static_cast<size_t>(n), 2));
    auto size =
        make_list(list(field("", int64(), false)), std::vector<int64_t>(static_cast<size_t>(n), 1), size_values);
    auto flat = make_struct(flat_array_type(), n, {vec, size});
    auto weights = make_list(list(field("", flat_array_type(), false)), {n}, flat);
    return make_struct(weights_type(), 1, {weights});
}

struct Named {
    std::string name;
    ArrayPtr array;
};

// One valid array (with some nulls where the type allows) per type the format has.
inline std::vector<Named> sample_arrays() {
    std::vector<Named> out;
    const std::vector<bool> v5 = {true, false, true, true, false};
    out.push_back({"null", make_null(4)});
    out.push_back({"bool", make_bool({true, false, true, true, false}, v5)});
    out.push_back({"int8", make_primitive(int8(), std::vector<int8_t>{1, -2, 3, 4, 5}, v5)});
    out.push_back({"int16", make_primitive(int16(), std::vector<int16_t>{1, -2, 3, 4, 5})});
    out.push_back({"int32", make_primitive(int32(), std::vector<int32_t>{1, -2, 3, 4, 5}, v5)});
    out.push_back({"int64", make_primitive(int64(), std::vector<int64_t>{1, -2, 3, 4, 5})});
    out.push_back({"uint8", make_primitive(uint8(), std::vector<uint8_t>{1, 2, 255})});
    out.push_back({"uint16", make_primitive(uint16(), std::vector<uint16_t>{1, 2, 65535})});
    out.push_back({"uint32", make_primitive(uint32(), std::vector<uint32_t>{1, 2, 4000000000u})});
    out.push_back({"uint64", make_primitive(uint64(), std::vector<uint64_t>{1, 2, 18000000000000000000ull})});
    out.push_back({"float16", make_primitive(float16(), std::vector<uint16_t>{0x3c00, 0xc000, 0x7e00})});
    out.push_back({"float32", make_primitive(float32(), std::vector<float>{1.5f, -2.25f, 0.0f, 3.0f, 4.0f}, v5)});
    out.push_back({"float64", make_primitive(float64(), std::vector<double>{1.5, -2.25, 1e300})});
    out.push_back(
        {"decimal128", make_fixed_width(decimal(128, 10, 2), std::vector<int64_t>{12345, 0, 0, 0, -5, -1, 0, 0}.data(),
                                        4, {true, true, true, false})});
    out.push_back({"date32", make_primitive(date32(), std::vector<int32_t>{0, 19000, -1})});
    out.push_back({"date64", make_primitive(date64(), std::vector<int64_t>{0, 86400000})});
    out.push_back({"time32", make_primitive(time32(TimeUnit::Millisecond), std::vector<int32_t>{0, 3723004})});
    out.push_back({"time64", make_primitive(time64(TimeUnit::Nanosecond), std::vector<int64_t>{1, 2})});
    out.push_back(
        {"timestamp", make_primitive(timestamp(TimeUnit::Microsecond, "UTC"), std::vector<int64_t>{0, 1000000})});
    out.push_back({"duration", make_primitive(duration(TimeUnit::Second), std::vector<int64_t>{5, -5})});
    out.push_back({"interval_ym", make_primitive(interval(IntervalUnit::YearMonth), std::vector<int32_t>{14, 2})});
    out.push_back(
        {"interval_dt", make_fixed_width(interval(IntervalUnit::DayTime), std::vector<int32_t>{1, 2, 3, 4}.data(), 2)});
    out.push_back({"interval_mdn",
                   make_fixed_width(interval(IntervalUnit::MonthDayNano), std::vector<int32_t>{1, 2, 3, 0}.data(), 1)});
    out.push_back(
        {"fixed_size_binary", make_binary_like(fixed_size_binary(3), {"abc", "", "xyz"}, {true, false, true})});
    out.push_back({"utf8", make_strings({"hello", "", "wörld", "x", "y"}, v5)});
    out.push_back({"large_utf8", make_binary_like(large_utf8(), {"a", "bc", ""})});
    out.push_back({"binary", make_binary_like(binary(), {std::string("\x00\x01", 2), "zz"})});
    out.push_back({"large_binary", make_binary_like(large_binary(), {"q", "", "rs"}, {true, false, true})});
    out.push_back({"utf8_view",
                   make_binary_like(utf8_view(), {"short", "a string longer than twelve", "", "another long string!"},
                                    {true, true, false, true})});
    out.push_back({"binary_view", make_binary_like(binary_view(), {"tiny", "0123456789abcdef"})});
    auto ints = make_primitive(int32(), std::vector<int32_t>{1, 2, 3, 4, 5, 6, 7, 8});
    out.push_back({"list", make_list(list(field("item", int32())), {2, 0, 3, 3}, ints, {true, false, true, true})});
    out.push_back({"large_list", make_list(large_list(field("item", int32())), {4, 4}, ints)});
    auto keys = make_strings({"a", "b", "c"});
    auto vals = make_primitive(int64(), std::vector<int64_t>{1, 2, 3}, {true, false, true});
    const DataType map_type = map(field("key", utf8()), field("value", int64()));
    auto entries = make_struct(map_type.children[0].type, 3, {keys, vals});
    out.push_back({"map", make_list(map_type, {2, 1}, entries)});
    out.push_back({"list_view",
                   make_list_view(list_view(field("item", int32())), {4, 0, 2}, {2, 3, 0}, ints, {true, true, false})});
    out.push_back({"large_list_view", make_list_view(large_list_view(field("item", int32())), {6, 0}, {2, 8}, ints)});
    out.push_back({"fixed_size_list", make_fixed_size_list(fixed_size_list(field("item", int32()), 2), 4, ints,
                                                           {true, true, false, true})});
    auto names = make_strings({"x", "y", "z"});
    auto nums = make_primitive(float64(), std::vector<double>{1, 2, 3});
    out.push_back({"struct", make_struct(struct_({field("name", utf8()), field("num", float64())}), 3, {names, nums},
                                         {true, false, true})});
    const DataType sparse = union_(UnionMode::Sparse, {field("i", int32()), field("s", utf8())}, {5, 7});
    out.push_back({"sparse_union", make_union(sparse, {5, 7, 5}, {},
                                              {make_primitive(int32(), std::vector<int32_t>{10, 0, 30}),
                                               make_strings({"", "b", ""})})});
    const DataType dense = union_(UnionMode::Dense, {field("i", int32()), field("s", utf8())});
    out.push_back({"dense_union", make_union(dense, {0, 1, 0, 1}, {0, 0, 1, 1},
                                             {make_primitive(int32(), std::vector<int32_t>{10, 20}, {true, false}),
                                              make_strings({"p", "q"})})});
    const DataType ree = run_end_encoded(int32(), field("values", utf8()));
    out.push_back(
        {"run_end_encoded", make_run_end_encoded(ree, 6, make_primitive(int32(), std::vector<int32_t>{2, 5, 6}),
                                                 make_strings({"a", "b", "c"}, {true, false, true}))});
    out.push_back({"dictionary", make_dictionary(int16(), {2, 0, 1, 2, 7}, make_strings({"red", "green", "blue"}),
                                                 {true, true, true, true, false})});
    out.push_back({"weights", weights_column(3)});
    return out;
}

}  // namespace legolasflux::arrow::testing
