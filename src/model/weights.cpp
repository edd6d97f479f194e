#include "legolasflux/weights.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>

#include "common/float16.hpp"
#include "legolasflux/errors.hpp"

namespace legolasflux {

int element_size(ElementType type) noexcept {
    switch (type) {
        case ElementType::Bool:
        case ElementType::Int8:
        case ElementType::UInt8: return 1;
        case ElementType::Int16:
        case ElementType::UInt16:
        case ElementType::Float16:
        case ElementType::BFloat16: return 2;
        case ElementType::Int32:
        case ElementType::UInt32:
        case ElementType::Float32: return 4;
        case ElementType::Int64:
        case ElementType::UInt64:
        case ElementType::Float64: return 8;
    }
    return 0;
}

std::string_view element_type_name(ElementType type) noexcept {
    switch (type) {
        case ElementType::Bool: return "Bool";
        case ElementType::Int8: return "Int8";
        case ElementType::Int16: return "Int16";
        case ElementType::Int32: return "Int32";
        case ElementType::Int64: return "Int64";
        case ElementType::UInt8: return "UInt8";
        case ElementType::UInt16: return "UInt16";
        case ElementType::UInt32: return "UInt32";
        case ElementType::UInt64: return "UInt64";
        case ElementType::Float16: return "Float16";
        case ElementType::Float32: return "Float32";
        case ElementType::Float64: return "Float64";
        case ElementType::BFloat16: return "BFloat16";
    }
    return "?";
}

bool is_floating(ElementType t) noexcept {
    return t == ElementType::Float16 || t == ElementType::Float32 || t == ElementType::Float64 ||
           t == ElementType::BFloat16;
}
bool is_signed_integer(ElementType t) noexcept {
    return t == ElementType::Int8 || t == ElementType::Int16 || t == ElementType::Int32 || t == ElementType::Int64;
}
bool is_unsigned_integer(ElementType t) noexcept {
    return t == ElementType::UInt8 || t == ElementType::UInt16 || t == ElementType::UInt32 || t == ElementType::UInt64;
}

ElementType promote(ElementType a, ElementType b) noexcept {
    if (a == b) return a;
    // Julia: Bool promotes to any other number type.
    if (a == ElementType::Bool) return b;
    if (b == ElementType::Bool) return a;
    // A float wins over any integer; between floats the wider wins.
    if (is_floating(a) || is_floating(b)) {
        if (!is_floating(a)) return b;
        if (!is_floating(b)) return a;
        // Float16 and BFloat16 hold different sets of numbers; Float32 holds both (as BFloat16s.jl's
        // promote_rule says).
        if (element_size(a) == element_size(b)) return ElementType::Float32;
        return element_size(a) > element_size(b) ? a : b;
    }
    // Integers of one signedness: the wider. Mixed: the wider; at equal width, the unsigned one.
    const bool same_sign = is_signed_integer(a) == is_signed_integer(b);
    if (same_sign || element_size(a) != element_size(b)) return element_size(a) >= element_size(b) ? a : b;
    return is_unsigned_integer(a) ? a : b;
}

// A float is exactly a double, so rounding it to half through double_to_half rounds once.
float half_to_float(uint16_t h) noexcept { return common::half_to_float(h); }
uint16_t float_to_half(float value) noexcept { return common::double_to_half(value); }

float bfloat16_to_float(uint16_t bits) noexcept { return common::bfloat16_to_float(bits); }
uint16_t double_to_bfloat16(double value) noexcept { return common::double_to_bfloat16(value); }
uint16_t float_to_bfloat16(float value) noexcept { return double_to_bfloat16(value); }

namespace {

int64_t checked_count(const std::vector<int64_t>& size) {
    int64_t n = 1;
    for (int64_t d : size) {
        if (d < 0) throw InvalidArgument("array size " + format_julia_size(size) + " has a negative dimension");
        if (__builtin_mul_overflow(n, d, &n))
            throw InvalidArgument("array size " + format_julia_size(size) + " overflows 64 bits");
    }
    return n;
}

double load_as_double(ElementType t, const uint8_t* p) noexcept {
    switch (t) {
        case ElementType::Bool: return *p ? 1.0 : 0.0;
#define LF_LOAD(E, T)                  \
    case ElementType::E: {             \
        T v;                           \
        std::memcpy(&v, p, sizeof v);  \
        return static_cast<double>(v); \
    }
            LF_LOAD(Int8, int8_t)
            LF_LOAD(Int16, int16_t)
            LF_LOAD(Int32, int32_t)
            LF_LOAD(Int64, int64_t)
            LF_LOAD(UInt8, uint8_t)
            LF_LOAD(UInt16, uint16_t)
            LF_LOAD(UInt32, uint32_t)
            LF_LOAD(UInt64, uint64_t)
            LF_LOAD(Float32, float)
            LF_LOAD(Float64, double)
#undef LF_LOAD
        case ElementType::Float16: {
            uint16_t h;
            std::memcpy(&h, p, 2);
            return half_to_float(h);
        }
        case ElementType::BFloat16: {
            uint16_t h;
            std::memcpy(&h, p, 2);
            return bfloat16_to_float(h);
        }
    }
    return 0;
}

}  // namespace

std::string format_julia_size(std::span<const int64_t> size) {
    std::string s = "(";
    for (size_t i = 0; i < size.size(); ++i) {
        if (i) s += ", ";
        s += std::to_string(size[i]);
    }
    if (size.size() == 1) s += ",";
    return s + ")";
}

FlatArray::FlatArray(ElementType type, std::vector<int64_t> size_, arrow::Buffer values_)
    : element_type(type), size(std::move(size_)), values(std::move(values_)) {
    const int64_t n = checked_count(size);
    int64_t bytes;
    if (__builtin_mul_overflow(n, element_size(type), &bytes) || bytes != values.size())
        throw InvalidArgument("a " + std::string(element_type_name(type)) + " array of size " +
                              format_julia_size(size) + " needs " + std::to_string(n) + " values, got " +
                              std::to_string(values.size()) + " bytes");
}

int64_t FlatArray::element_count() const noexcept {
    int64_t n = 1;
    for (int64_t d : size) n *= d;
    return n;
}

void FlatArray::check_element_type(ElementType expected) const {
    if (element_type != expected)
        throw InvalidArgument("array holds " + std::string(element_type_name(element_type)) + " values, not " +
                              std::string(element_type_name(expected)));
}

std::vector<double> FlatArray::to_doubles() const {
    const int64_t n = element_count();
    std::vector<double> out(static_cast<size_t>(n));
    const int w = element_size(element_type);
    for (int64_t i = 0; i < n; ++i) out[static_cast<size_t>(i)] = load_as_double(element_type, values.data() + i * w);
    return out;
}

namespace {

template <class T>
void store_converted(ElementType from, const uint8_t* src, T* dst, int64_t n) {
    const int w = element_size(from);
    for (int64_t i = 0; i < n; ++i) {
        const uint8_t* p = src + i * w;
        if constexpr (std::is_same_v<T, Float16>) {
            dst[i].bits = float_to_half(static_cast<float>(load_as_double(from, p)));
        } else if constexpr (std::is_same_v<T, BFloat16>) {
            // From the double, so that a Float64 is rounded once.
            dst[i].bits = double_to_bfloat16(load_as_double(from, p));
        } else if constexpr (std::is_floating_point_v<T>) {
            dst[i] = static_cast<T>(load_as_double(from, p));
        } else {
            // Integers (and Bool): exact conversions only, as Julia's convert. 64-bit integer sources
            // are converted through their own type to stay exact beyond 2^53.
            if (from == ElementType::Int64 || from == ElementType::UInt64) {
                int64_t s;
                uint64_t u;
                std::memcpy(&s, p, 8);
                std::memcpy(&u, p, 8);
                const bool neg = from == ElementType::Int64 && s < 0;
                bool fits;
                if constexpr (std::is_same_v<T, bool>)
                    fits = neg ? false : u <= 1;
                else if constexpr (std::is_signed_v<T>)
                    fits = neg ? s >= std::numeric_limits<T>::min()
                               : u <= static_cast<uint64_t>(std::numeric_limits<T>::max());
                else
                    fits = !neg && u <= std::numeric_limits<T>::max();
                if (!fits)
                    throw InvalidArgument("value " + (neg ? std::to_string(s) : std::to_string(u)) + " at index " +
                                          std::to_string(i) + " does not fit the element type");
                dst[i] = neg ? static_cast<T>(s) : static_cast<T>(u);
                continue;
            }
            const double v = load_as_double(from, p);
            const double lo = std::is_same_v<T, bool> ? 0.0 : static_cast<double>(std::numeric_limits<T>::min());
            const double hi = std::is_same_v<T, bool> ? 1.0 : static_cast<double>(std::numeric_limits<T>::max());
            if (!(v >= lo && v <= hi) || std::trunc(v) != v)
                throw InvalidArgument("value " + std::to_string(v) + " at index " + std::to_string(i) +
                                      " cannot be converted exactly to the element type");
            dst[i] = static_cast<T>(v);
        }
    }
}

}  // namespace

FlatArray FlatArray::converted_to(ElementType type) const {
    if (type == element_type) return *this;
    const int64_t n = element_count();
    arrow::Buffer out = arrow::Buffer::allocate(n * element_size(type));
    uint8_t* dst = out.mutable_data();
    switch (type) {
#define LF_CONVERT(E, T) \
    case ElementType::E: store_converted(element_type, values.data(), reinterpret_cast<T*>(dst), n); break;
        LF_CONVERT(Bool, bool)
        LF_CONVERT(Int8, int8_t)
        LF_CONVERT(Int16, int16_t)
        LF_CONVERT(Int32, int32_t)
        LF_CONVERT(Int64, int64_t)
        LF_CONVERT(UInt8, uint8_t)
        LF_CONVERT(UInt16, uint16_t)
        LF_CONVERT(UInt32, uint32_t)
        LF_CONVERT(UInt64, uint64_t)
        LF_CONVERT(Float16, Float16)
        LF_CONVERT(Float32, float)
        LF_CONVERT(Float64, double)
        LF_CONVERT(BFloat16, BFloat16)
#undef LF_CONVERT
    }
    return FlatArray(type, size, std::move(out));
}

bool operator==(const FlatArray& a, const FlatArray& b) {
    return a.element_type == b.element_type && a.size == b.size && arrow::same_bytes(a.values, b.values);
}

Weights::Weights(std::vector<FlatArray> arrays_) : arrays(std::move(arrays_)) {
    if (arrays.empty()) throw InvalidArgument("Weights needs at least one array (Julia cannot store an empty list)");
    element_type = arrays.front().element_type;
    for (const auto& a : arrays) element_type = promote(element_type, a.element_type);
    for (auto& a : arrays)
        if (a.element_type != element_type) a = a.converted_to(element_type);
}

namespace {

// An integer (or Bool) element as its sign and magnitude, exact for 64-bit values.
std::pair<bool, uint64_t> integer_at(ElementType type, const uint8_t* p) {
    switch (type) {
        case ElementType::Int64: {
            int64_t v;
            std::memcpy(&v, p, 8);
            return {v < 0, v < 0 ? uint64_t{0} - static_cast<uint64_t>(v) : static_cast<uint64_t>(v)};
        }
        case ElementType::UInt64: {
            uint64_t v;
            std::memcpy(&v, p, 8);
            return {false, v};
        }
        default: {
            const double v = load_as_double(type, p);  // exact below 64 bits
            return {v < 0, static_cast<uint64_t>(std::fabs(v))};
        }
    }
}

// Whether `type` holds the integer ±magnitude exactly: in range, and for floats within their
// significant bits (Float16: 11, BFloat16: 8, Float32: 24, Float64: 53).
bool holds_integer(ElementType type, bool negative, uint64_t magnitude) {
    if (magnitude == 0) return true;
    if (is_floating(type)) {
        const int bits = type == ElementType::Float16    ? 11
                         : type == ElementType::BFloat16 ? 8
                         : type == ElementType::Float32  ? 24
                                                         : 53;
        if (type == ElementType::Float16 && magnitude > 65504) return false;
        return (magnitude >> std::countr_zero(magnitude)) >> bits == 0;
    }
    if (type == ElementType::Bool) return !negative && magnitude == 1;
    const int bits = element_size(type) * 8;
    if (is_unsigned_integer(type)) return !negative && (bits == 64 || magnitude >> bits == 0);
    return negative ? magnitude <= uint64_t{1} << (bits - 1) : magnitude < uint64_t{1} << (bits - 1);
}

// Whether every value of `a` is exactly a value of `type`. Floats are held by any float at least as
// wide (the candidates below never narrow a float, nor pair Float16 with BFloat16).
bool holds_all(ElementType type, const FlatArray& a) {
    if (a.element_type == type) return true;
    if (is_floating(a.element_type)) return is_floating(type) && element_size(type) >= element_size(a.element_type);
    const int w = element_size(a.element_type);
    const int64_t n = a.element_count();
    for (int64_t i = 0; i < n; ++i) {
        const auto [negative, magnitude] = integer_at(a.element_type, a.values.data() + i * w);
        if (!holds_integer(type, negative, magnitude)) return false;
    }
    return true;
}

// Julia's promotion `type` first, then the wider types that may hold what it rounds or cannot hold.
std::vector<ElementType> exact_candidates(ElementType type) {
    using E = ElementType;
    switch (type) {
        case E::Bool: return {E::Bool};
        case E::Float16: return {E::Float16, E::Float32, E::Float64};
        case E::BFloat16: return {E::BFloat16, E::Float32, E::Float64};
        case E::Float32: return {E::Float32, E::Float64};
        case E::Float64: return {E::Float64};
        default: break;
    }
    std::vector<E> out{type};
    // A negative value in an unsigned promotion (Int8 with UInt8) needs a wider signed type.
    for (E s : {E::Int16, E::Int32, E::Int64})
        if (element_size(s) > element_size(type)) out.push_back(s);
    out.push_back(E::Float64);
    return out;
}

}  // namespace

Weights Weights::promoted_exactly(std::vector<FlatArray> arrays) {
    if (arrays.empty()) return Weights(std::move(arrays));  // its error
    ElementType type = arrays.front().element_type;
    for (const auto& a : arrays) type = promote(type, a.element_type);
    for (ElementType candidate : exact_candidates(type)) {
        if (!std::all_of(arrays.begin(), arrays.end(), [&](const FlatArray& a) { return holds_all(candidate, a); }))
            continue;
        for (auto& a : arrays)
            if (a.element_type != candidate) a = a.converted_to(candidate);  // else a view stays a view
        return Weights(candidate, std::move(arrays));
    }
    throw InvalidArgument("no one element type holds every array's values exactly (Julia's promotion gives " +
                          std::string(element_type_name(type)) +
                          "; 64-bit integers past 2^53 cannot share a row with floats or with the other signedness)");
}

Weights::Weights(ElementType type, std::vector<FlatArray> arrays_) : element_type(type), arrays(std::move(arrays_)) {
    for (size_t i = 0; i < arrays.size(); ++i)
        if (arrays[i].element_type != type)
            throw InvalidArgument("array " + std::to_string(i) + " holds " +
                                  std::string(element_type_name(arrays[i].element_type)) + " values in Weights of " +
                                  std::string(element_type_name(type)));
}

int64_t Weights::element_count() const noexcept {
    int64_t n = 0;
    for (const auto& a : arrays) n += a.element_count();
    return n;
}

bool operator==(const Weights& a, const Weights& b) { return a.element_type == b.element_type && a.arrays == b.arrays; }

}  // namespace legolasflux
