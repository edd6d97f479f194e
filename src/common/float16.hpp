// IEEE 754 half precision (binary16), as its bits: the one conversion the Arrow layer (float16
// columns, integration JSON, pretty printing) and the weights (Julia's Float16) share. Decoding is
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

inline uint16_t double_to_half(double value) noexcept {
    const uint64_t bits = std::bit_cast<uint64_t>(value);
    const auto sign = static_cast<uint16_t>((bits >> 48) & 0x8000);
    const uint64_t abs = bits & 0x7fffffffffffffffu;
    if (abs >= 0x7ff0000000000000u)  // infinity, or NaN kept quiet with the top of its payload
        return sign | 0x7c00 | (abs > 0x7ff0000000000000u ? 0x200 | ((abs >> 42) & 0x3ff) : 0);
    const int exponent = static_cast<int>(abs >> 52) - 1023;
    if (exponent >= 16) return sign | 0x7c00;
    if (exponent < -25) return sign;  // below half the smallest subnormal (double subnormals too)
    const uint64_t significand = (abs & 0xfffffffffffffu) | (uint64_t{1} << 52);
    // Normal halves keep 11 significant bits; subnormals count units of 2^-24. A carry out of the
    // kept bits moves into the exponent, which is how rounding reaches the next binade or infinity.
    const int drop = exponent < -14 ? 28 - exponent : 42;
    const uint32_t base = exponent < -14 ? 0 : static_cast<uint32_t>(exponent + 14) << 10;
    uint32_t half = base + static_cast<uint32_t>(significand >> drop);
    const uint64_t rest = significand & ((uint64_t{1} << drop) - 1);
    const uint64_t halfway = uint64_t{1} << (drop - 1);
    if (rest > halfway || (rest == halfway && (half & 1))) ++half;
    return sign | static_cast<uint16_t>(half);
}

}  // namespace legolasflux::common
