// FlatArray and Weights: the numbers of a model, as LegolasFlux.jl stores them.
//
// A FlatArray is one array of the model: its element type, its dimensions in Julia order, and its
// values in Julia column-major order. A Julia array of size (d1, …, dn) holds the same bytes as a
// row-major (C, LibTorch) array of shape (dn, …, d1): the torch adapter stores a tensor of shape
// (d1, …, dn) as the FlatArray of size (dn, …, d1) without moving a byte.
//
// Weights is the list of a model's arrays; all share one element type (Julia's Weights{T}).
//
// bfloat16 (BFloat16s.jl's BFloat16) has no Arrow type. By default a BFloat16 row is written
// widened to Float32, exactly, so that Julia reads the same numbers without BFloat16s.jl; asked
// for (BFloat16Storage::Native), it is written as its 16-bit patterns, a list of UInt16 whose item
// field carries our extension name kBFloat16Extension: half the bytes, and any Arrow reader still
// reads it (as UInt16). docs/format.md, "bfloat16".
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "legolasflux/arrow/array.hpp"

namespace legolasflux {

enum class ElementType : uint8_t {
    Bool,
    Int8,
    Int16,
    Int32,
    Int64,
    UInt8,
    UInt16,
    UInt32,
    UInt64,
    Float16,
    Float32,
    Float64,
    BFloat16,  // last, so that the other values keep their numbers
};

// Bytes per element in memory (Bool: one byte per value, 0 or 1).
int element_size(ElementType type) noexcept;
// Julia's name: "Float32", "Int64", "Bool", …
std::string_view element_type_name(ElementType type) noexcept;
bool is_floating(ElementType type) noexcept;
bool is_signed_integer(ElementType type) noexcept;
bool is_unsigned_integer(ElementType type) noexcept;
// Julia's promote_type for two element types (Int8 + Float32 → Float32, Float32 + Float64 →
// Float64, Int32 + Int64 → Int64, Int8 + UInt8 → UInt8, Bool + anything numeric → that type;
// BFloat16 + Float16 → Float32, the narrowest float holding both; integers + BFloat16 → BFloat16).
ElementType promote(ElementType a, ElementType b) noexcept;

// IEEE 754 half precision, as its bits (C++20 has no standard half type).
struct Float16 {
    uint16_t bits = 0;
    friend bool operator==(Float16, Float16) = default;
};
float half_to_float(uint16_t bits) noexcept;
uint16_t float_to_half(float value) noexcept;  // round to nearest even

// bfloat16, as its bits: the upper half of a float32 (8 exponent bits, 7 fraction bits).
struct BFloat16 {
    uint16_t bits = 0;
    friend bool operator==(BFloat16, BFloat16) = default;
};
float bfloat16_to_float(uint16_t bits) noexcept;  // exact
// Rounds to nearest even; a NaN stays a NaN (quiet, keeping the top of its payload), and values
// past the largest bfloat16 become infinities.
uint16_t float_to_bfloat16(float value) noexcept;
uint16_t double_to_bfloat16(double value) noexcept;  // rounded once, not through float

// How bfloat16 weights are written, and how readers of other formats give bfloat16 tensors.
enum class BFloat16Storage : uint8_t {
    Float32,  // widened to Float32, exactly: Julia reads the same numbers (the default everywhere)
    Native,   // as BFloat16: 2 bytes a value; in Arrow a UInt16 list with kBFloat16Extension
};

template <class T>
constexpr ElementType element_type_of();

struct FlatArray {
    ElementType element_type = ElementType::Float32;
    std::vector<int64_t> size;  // Julia dimension order
    arrow::Buffer values;       // column-major; element_count() * element_size(element_type) bytes

    FlatArray() = default;
    // Takes the values as they are (a view kept alive by the buffer's owner). Checks that the byte
    // count matches the size; throws InvalidArgument otherwise.
    FlatArray(ElementType type, std::vector<int64_t> size, arrow::Buffer values);

    // Copies typed values, column-major.
    template <class T>
    static FlatArray from_values(std::vector<int64_t> size, std::span<const T> values) {
        return FlatArray(element_type_of<T>(), std::move(size), arrow::Buffer::copy_of(values));
    }
    template <class T>
    static FlatArray from_values(std::vector<int64_t> size, const std::vector<T>& values) {
        return from_values<T>(std::move(size), std::span<const T>(values));
    }

    int64_t element_count() const noexcept;
    int64_t byte_count() const noexcept { return values.size(); }
    // The values as T; T must match element_type (throws InvalidArgument otherwise).
    template <class T>
    std::span<const T> data() const;
    // The values converted to double (for printing and comparing).
    std::vector<double> to_doubles() const;
    // A copy of this array with elements converted to `type` (Julia's convert: floats to integers
    // must be exact, as Julia's InexactError; Bool from 0/1 only).
    FlatArray converted_to(ElementType type) const;

    // Throws InvalidArgument unless element_type == expected.
    void check_element_type(ElementType expected) const;

    // Same element type, size and value bytes.
    friend bool operator==(const FlatArray& a, const FlatArray& b);
};

struct Weights {
    ElementType element_type = ElementType::Float32;
    std::vector<FlatArray> arrays;

    Weights() = default;
    // Julia's Weights(v): the element type is the promotion of every array's element type; arrays
    // of another type are converted. An empty list is an InvalidArgument (Julia cannot write it).
    explicit Weights(std::vector<FlatArray> arrays);
    // The same, except that no value changes: Julia's promotion when it holds every array's values
    // exactly, else the narrowest wider type that does — Float16 and BFloat16 widen to Float32 then
    // Float64 (an Int64 step counter past 2048 beside Float16 weights, past 256 beside BFloat16 ones,
    // past 2^24 beside Float32 ones), an unsigned integer type to a wider signed one when another
    // array holds negative values (Int8 with UInt8: Int16), integers to Float64 as a last resort.
    // InvalidArgument when nothing holds them all (64-bit integers past 2^53 with floats). What the
    // readers of other frameworks' tensors use.
    static Weights promoted_exactly(std::vector<FlatArray> arrays);
    // All arrays must already have `type`; no conversion.
    Weights(ElementType type, std::vector<FlatArray> arrays);

    size_t size() const noexcept { return arrays.size(); }
    const FlatArray& operator[](size_t i) const { return arrays[i]; }
    int64_t element_count() const noexcept;
    friend bool operator==(const Weights& a, const Weights& b);
};

// "(3, 3, 1, 32)" — a size as Julia prints it.
std::string format_julia_size(std::span<const int64_t> size);

template <class T>
constexpr ElementType element_type_of() {
    if constexpr (std::is_same_v<T, bool>)
        return ElementType::Bool;
    else if constexpr (std::is_same_v<T, int8_t>)
        return ElementType::Int8;
    else if constexpr (std::is_same_v<T, int16_t>)
        return ElementType::Int16;
    else if constexpr (std::is_same_v<T, int32_t>)
        return ElementType::Int32;
    else if constexpr (std::is_same_v<T, int64_t>)
        return ElementType::Int64;
    else if constexpr (std::is_same_v<T, uint8_t>)
        return ElementType::UInt8;
    else if constexpr (std::is_same_v<T, uint16_t>)
        return ElementType::UInt16;
    else if constexpr (std::is_same_v<T, uint32_t>)
        return ElementType::UInt32;
    else if constexpr (std::is_same_v<T, uint64_t>)
        return ElementType::UInt64;
    else if constexpr (std::is_same_v<T, Float16>)
        return ElementType::Float16;
    else if constexpr (std::is_same_v<T, float>)
        return ElementType::Float32;
    else if constexpr (std::is_same_v<T, double>)
        return ElementType::Float64;
    else if constexpr (std::is_same_v<T, BFloat16>)
        return ElementType::BFloat16;
    else
        static_assert(sizeof(T) == 0, "no LegolasFlux element type for this C++ type");
}

// --- Arrow encoding, exactly as Julia's Arrow.jl writes LegolasFlux.Weights --------------------
//
//   Struct "JuliaLang.LegolasFlux.Weights" { weights: List< Struct "JuliaLang.LegolasFlux.FlatArray"
//       { vec: List<T>, size: List<Int64> } > }
// with list items named "" and nothing nullable inside. A missing Weights is an Arrow null.
// BFloat16 written natively: T is UInt16 and the `vec` item field's metadata is
// ARROW:extension:name = kBFloat16Extension, ARROW:extension:metadata = "".

inline constexpr std::string_view kWeightsExtension = "JuliaLang.LegolasFlux.Weights";
inline constexpr std::string_view kFlatArrayExtension = "JuliaLang.LegolasFlux.FlatArray";
inline constexpr std::string_view kBFloat16Extension = "legolasflux.bfloat16";

// The Arrow type that stores `type` (BFloat16: its storage, UInt16).
arrow::DataType arrow_type(ElementType type);
// The Arrow type of a Weights column with element type `type` (BFloat16: natively); `large_vec`
// switches the `vec` list to 64-bit offsets (needed past 2^31 - 1 values in one column).
arrow::DataType weights_type(ElementType type, bool large_vec = false);
// The field of a Weights column, with the extension metadata Julia needs.
arrow::Field weights_field(std::string name, ElementType type, bool nullable, bool large_vec = false);
// One slot per row; a null pointer is a missing Weights. All present rows must share one element
// type (InvalidArgument otherwise). Values are referenced, not copied, when a row holds a single
// array; otherwise they are gathered into one buffer. BFloat16 rows are written as `bfloat16`
// says (widened to Float32 by default: a copy).
arrow::ArrayPtr weights_to_arrow(std::span<const Weights* const> rows,
                                 BFloat16Storage bfloat16 = BFloat16Storage::Float32);
// Whether `field` is a Weights column (by extension name) or an all-missing (Null) column.
bool is_weights_field(const arrow::Field& field);
// Row `row` of a Weights column; nullopt when missing (a null slot or a Null-typed column). The
// FlatArrays view the column's memory when it is aligned. A `vec` of UInt16 items carrying
// kBFloat16Extension gives BFloat16 arrays (that name on another type is a FormatError). A
// malformed column is a FormatError naming the array index.
std::optional<Weights> weights_from_arrow(const arrow::Field& field, const arrow::Array& column, int64_t row);

template <class T>
std::span<const T> FlatArray::data() const {
    check_element_type(element_type_of<T>());
    return {reinterpret_cast<const T*>(values.data()), static_cast<size_t>(element_count())};
}

}  // namespace legolasflux
