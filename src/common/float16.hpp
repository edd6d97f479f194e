// IEEE 754 half precision (binary16) and bfloat16, as their bits: the one conversion the Arrow
// layer (float16 columns, integration JSON, pretty printing) and the weights (Julia's Float16,
// bfloat16 storage) share. Decoding is
// exact; encoding rounds to nearest even from a double, so that a float and a double of the same
// value give the same half and JSON text is rounded once, not through float.
#pragma once

#include <bit>
#include <cstdint>

namespace legolasflux::common {

inline float half_to_float(uint16_t h) noexcept {
    const uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
    const uint32_t exponent = (h >> 10) & 0x1f;
    uint32_t mantissa = h & 0x3ff;
    uint32_t bits;
    if (exponent == 0x1f) {
        bits = sign | 0x7f800000u | (mantissa << 13);  // infinity, or NaN with its payload
    } else if (exponent != 0) {
        bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
    } else if (mantissa == 0) {
        bits = sign;
    } else {  // subnormal half: normalise
        int e = -1;
        do {
            ++e;
            mantissa <<= 1;
        } while ((mantissa & 0x400) == 0);
        bits = sign | (static_cast<uint32_t>(112 - e) << 23) | ((mantissa & 0x3ff) << 13);
    }
    return std::bit_cast<float>(bits);
}

// Rounds to nearest even into a 16-bit float of sign, `ExponentBits` exponent bits and the rest
// fraction bits: IEEE half (5) and bfloat16 (8, float32's range) are the same routine. One
// rounding from the double, so that a float and a double of the same value give the same bits.
template <int ExponentBits>
constexpr uint16_t double_to_binary16(double value) noexcept {
    constexpr int fraction = 15 - ExponentBits;                // half: 10, bfloat16: 7
    constexpr int min_normal = 2 - (1 << (ExponentBits - 1));  // half: -14, bfloat16: -126
    constexpr int max_exponent = 1 - min_normal;               // half: 15, bfloat16: 127
    constexpr uint16_t infinity = static_cast<uint16_t>(((1 << ExponentBits) - 1) << fraction);
    constexpr int shift = 52 - fraction;  // the double's fraction bits not kept by a normal
    const uint64_t bits = std::bit_cast<uint64_t>(value);
    const auto sign = static_cast<uint16_t>((bits >> 48) & 0x8000);
    const uint64_t abs = bits & 0x7fffffffffffffffu;
    if (abs >= 0x7ff0000000000000u) {  // infinity, or NaN kept quiet with the top of its payload
        if (abs == 0x7ff0000000000000u) return static_cast<uint16_t>(sign | infinity);
        return sign | infinity | (1u << (fraction - 1)) |
               static_cast<uint16_t>((abs >> shift) & ((1u << fraction) - 1));
    }
    const int exponent = static_cast<int>(abs >> 52) - 1023;
    if (exponent > max_exponent) return sign | infinity;
    if (exponent < min_normal - fraction - 1) return sign;  // below half the smallest subnormal (double subnormals too)
    const uint64_t significand = (abs & 0xfffffffffffffu) | (uint64_t{1} << 52);
    // Normals keep fraction + 1 significant bits; subnormals count units of the smallest one. A
    // carry out of the kept bits moves into the exponent, which is how rounding reaches the next
    // binade or infinity.
    const int drop = exponent < min_normal ? shift + (min_normal - exponent) : shift;
    const uint32_t base = exponent < min_normal ? 0 : static_cast<uint32_t>(exponent - min_normal) << fraction;
    uint32_t out = base + static_cast<uint32_t>(significand >> drop);
    const uint64_t rest = significand & ((uint64_t{1} << drop) - 1);
    const uint64_t halfway = uint64_t{1} << (drop - 1);
    if (rest > halfway || (rest == halfway && (out & 1))) ++out;
    return sign | static_cast<uint16_t>(out);
}

inline uint16_t double_to_half(double value) noexcept { return double_to_binary16<5>(value); }
inline uint16_t double_to_bfloat16(double value) noexcept { return double_to_binary16<8>(value); }
inline float bfloat16_to_float(uint16_t bits) noexcept { return std::bit_cast<float>(uint32_t{bits} << 16); }

}  // namespace legolasflux::common
