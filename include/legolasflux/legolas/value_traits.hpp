// ValueTraits<T>: how a C++ value type maps to an Arrow column, for typed records (record.hpp).
//
// Built in: int8_t…int64_t, uint8_t…uint64_t (Arrow Int of that width), float (float32), double
// (float64), bool, std::string (written utf8; utf8 and large_utf8 read), std::vector<T> (written as a
// list whose item field is named "" as Arrow.jl does; list and large list read; std::vector<bool> is
// not supported), std::optional<T> (Union{Missing,T}: a nullable column; an absent or Null-typed
// column reads as nullopt), and record types declared with LEGOLAS_RECORD (a struct column, see
// record.hpp).
//
// A user type plugs in by specialising ValueTraits in namespace legolasflux::legolas:
//
//   template <> struct ValueTraits<MyType> {
//       // What a complying column looks like (used for declarations and validation). Must not be
//       // optional: std::optional<MyType> adds that.
//       static FieldConstraint constraint();
//       // The field a column of MyType is written as: name, type, nullable = false, and any
//       // metadata (e.g. ARROW:extension:name / ARROW:extension:metadata).
//       static arrow::Field field(std::string name);
//       // One array slot per entry of `values`. An entry may be nullptr: the slot belongs to a null
//       // parent (or is null itself); write any placeholder there. `valid`, when non-empty, has
//       // one entry per value; false marks the slot null (pass it on to the arrow builders).
//       static arrow::ArrayPtr build(const std::vector<const MyType*>& values, const std::vector<bool>& valid);
//       // The value at logical slot i of `array`, which is valid and whose field `field` complies
//       // with constraint(). Throw SchemaError for values that cannot be represented.
//       static MyType read(const arrow::Field& field, const arrow::Array& array, int64_t i);
//   };
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "legolasflux/arrow/array.hpp"
#include "legolasflux/arrow/builder.hpp"
#include "legolasflux/legolas/constraint.hpp"

namespace legolasflux::legolas {

template <class T>
struct ValueTraits;  // specialise for your types (see above)

namespace detail {

// A slot of a possibly dictionary-encoded array: the array holding the value and its index there.
struct Slot {
    const arrow::Array* array;
    int64_t index;
};
Slot resolve_dictionary(const arrow::Array& array, int64_t i);

template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};
template <class T>
inline constexpr bool is_optional_v = is_optional<T>::value;

template <class T>
concept arithmetic_value = (std::is_integral_v<T> && !std::is_same_v<T, bool> && sizeof(T) <= 8) ||
                           std::is_same_v<T, float> || std::is_same_v<T, double>;

}  // namespace detail

template <detail::arithmetic_value T>
struct ValueTraits<T> {
    static arrow::DataType type() {
        if constexpr (std::is_same_v<T, float>)
            return arrow::float32();
        else if constexpr (std::is_same_v<T, double>)
            return arrow::float64();
        else
            return arrow::int_type(static_cast<int32_t>(sizeof(T) * 8), std::is_signed_v<T>);
    }
    static FieldConstraint constraint() { return exact(type()); }
    static arrow::Field field(std::string name) { return arrow::field(std::move(name), type(), false); }
    static arrow::ArrayPtr build(const std::vector<const T*>& values, const std::vector<bool>& valid) {
        std::vector<T> v(values.size());
        for (size_t i = 0; i < values.size(); ++i) v[i] = values[i] ? *values[i] : T{};
        return arrow::make_primitive(type(), v, valid);
    }
    static T read(const arrow::Field&, const arrow::Array& array, int64_t i) {
        const auto s = detail::resolve_dictionary(array, i);
        return s.array->values<T>()[s.index];
    }
};

template <>
struct ValueTraits<bool> {
    static FieldConstraint constraint() { return exact(arrow::boolean()); }
    static arrow::Field field(std::string name) { return arrow::field(std::move(name), arrow::boolean(), false); }
    static arrow::ArrayPtr build(const std::vector<const bool*>& values, const std::vector<bool>& valid) {
        std::vector<bool> v(values.size());
        for (size_t i = 0; i < values.size(); ++i) v[i] = values[i] && *values[i];
        return arrow::make_bool(v, valid);
    }
    static bool read(const arrow::Field&, const arrow::Array& array, int64_t i) {
        const auto s = detail::resolve_dictionary(array, i);
        return s.array->bool_value(s.index);
    }
};

template <>
struct ValueTraits<std::string> {
    static FieldConstraint constraint() { return any_string(); }
    static arrow::Field field(std::string name) { return arrow::field(std::move(name), arrow::utf8(), false); }
    static arrow::ArrayPtr build(const std::vector<const std::string*>& values, const std::vector<bool>& valid) {
        std::vector<std::string> v(values.size());
        for (size_t i = 0; i < values.size(); ++i)
            if (values[i]) v[i] = *values[i];
        return arrow::make_strings(v, valid);
    }
    static std::string read(const arrow::Field&, const arrow::Array& array, int64_t i) {
        const auto s = detail::resolve_dictionary(array, i);
        return std::string(s.array->bytes_value(s.index));
    }
};

template <class T>
struct ValueTraits<std::vector<T>> {
    static_assert(!std::is_same_v<T, bool>, "std::vector<bool> cannot be a record field; use std::vector<uint8_t>");
    static FieldConstraint constraint() { return list_of(ValueTraits<T>::constraint()); }
    static arrow::Field field(std::string name) {
        return arrow::field(std::move(name), arrow::list(ValueTraits<T>::field("")), false);
    }
    static arrow::ArrayPtr build(const std::vector<const std::vector<T>*>& values, const std::vector<bool>& valid) {
        std::vector<int64_t> lengths(values.size(), 0);
        std::vector<const T*> items;
        for (size_t i = 0; i < values.size(); ++i) {
            if (!values[i]) continue;
            lengths[i] = static_cast<int64_t>(values[i]->size());
            for (const T& item : *values[i]) items.push_back(&item);
        }
        auto child = ValueTraits<T>::build(items, {});
        return arrow::make_list(arrow::list(ValueTraits<T>::field("")), lengths, std::move(child), valid);
    }
    static std::vector<T> read(const arrow::Field& field, const arrow::Array& array, int64_t i) {
        const auto [begin, end] = array.list_range(i);
        std::vector<T> out;
        out.reserve(static_cast<size_t>(end - begin));
        const arrow::Field& item = field.type.children.at(0);
        for (int64_t j = begin; j < end; ++j) out.push_back(ValueTraits<T>::read(item, *array.children.at(0), j));
        return out;
    }
};

template <class T>
struct ValueTraits<std::optional<T>> {
    static FieldConstraint constraint() { return optional(ValueTraits<T>::constraint()); }
    static arrow::Field field(std::string name) {
        arrow::Field f = ValueTraits<T>::field(std::move(name));
        f.nullable = true;
        return f;
    }
    static arrow::ArrayPtr build(const std::vector<const std::optional<T>*>& values, const std::vector<bool>& valid) {
        std::vector<const T*> inner(values.size(), nullptr);
        std::vector<bool> inner_valid(values.size(), true);
        bool any_null = false;
        for (size_t i = 0; i < values.size(); ++i) {
            const bool present = values[i] && values[i]->has_value() && (valid.empty() || valid[i]);
            if (present) inner[i] = &**values[i];
            inner_valid[i] = present;
            any_null = any_null || !present;
        }
        return ValueTraits<T>::build(inner, any_null ? inner_valid : std::vector<bool>{});
    }
    static std::optional<T> read(const arrow::Field& field, const arrow::Array& array, int64_t i) {
        if (field.type.id == arrow::TypeId::Null || array.is_null(i)) return std::nullopt;
        return ValueTraits<T>::read(field, array, i);
    }
};

}  // namespace legolasflux::legolas
