// Value encodings of Arrow's integration JSON: hex for binary, float16 conversion, decimals as
// base-10 integers. read_json lives in json_read.cpp, write_json in json_write.cpp.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "json_internal.hpp"
#include "legolasflux/errors.hpp"

namespace legolasflux::arrow::json_detail {

void fail(const std::string& where, const std::string& what) {
    throw FormatError("integration JSON: " + where + ": " + what);
}

std::string to_hex(std::string_view bytes) {
    static constexpr char digits[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (unsigned char c : bytes) {
        out.push_back(digits[c >> 4]);
        out.push_back(digits[c & 15]);
    }
    return out;
}

namespace {
int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}
}  // namespace

std::string from_hex(std::string_view hex, const std::string& where) {
    if (hex.size() % 2 != 0) fail(where, "hex string \"" + std::string(hex) + "\" has an odd number of digits");
    std::string out(hex.size() / 2, '\0');
    for (size_t i = 0; i < out.size(); ++i) {
        const int hi = hex_digit(hex[2 * i]), lo = hex_digit(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) fail(where, "\"" + std::string(hex) + "\" is not a hex string");
        out[i] = static_cast<char>(hi * 16 + lo);
    }
    return out;
}

bool is_valid_utf8(std::string_view text) {
    size_t i = 0;
    const size_t n = text.size();
    while (i < n) {
        const auto c = static_cast<unsigned char>(text[i]);
        int extra;
        uint32_t cp;
        if (c < 0x80) {
            ++i;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            extra = 1, cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            extra = 2, cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            extra = 3, cp = c & 0x07;
        } else {
            return false;
        }
        if (i + static_cast<size_t>(extra) >= n) return false;
        for (int k = 1; k <= extra; ++k) {
            const auto cc = static_cast<unsigned char>(text[i + static_cast<size_t>(k)]);
            if ((cc & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (cc & 0x3F);
        }
        // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
        static constexpr uint32_t min_cp[] = {0, 0x80, 0x800, 0x10000};
        if (cp < min_cp[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
        i += static_cast<size_t>(extra) + 1;
    }
    return true;
}

double shortest_half(uint16_t bits) {
    const double exact = common::half_to_float(bits);
    if (!std::isfinite(exact)) return exact;
    char buf[40];
    for (int digits = 1; digits <= 17; ++digits) {
        std::snprintf(buf, sizeof buf, "%.*g", digits, exact);
        const double candidate = std::strtod(buf, nullptr);
        if (double_to_half(candidate) == bits) return candidate;
    }
    return exact;
}

double shortest_float(float value) {
    if (!std::isfinite(value)) return static_cast<double>(value);
    // The same search as shortest_half (and as the corpus generator), so both sides agree on
    // the digits even where two decimals of equal length would read back as this float.
    char buf[40];
    for (int digits = 1; digits <= 9; ++digits) {
        std::snprintf(buf, sizeof buf, "%.*g", digits, static_cast<double>(value));
        const double candidate = std::strtod(buf, nullptr);
        if (static_cast<float>(candidate) == value) return candidate;
    }
    return static_cast<double>(value);
}

namespace {
// Little-endian 32-bit limbs of a decimal's magnitude.
struct Limbs {
    uint32_t w[8] = {};
    int n = 0;
};

void negate(Limbs& x) {
    uint64_t carry = 1;
    for (int i = 0; i < x.n; ++i) {
        const uint64_t s = static_cast<uint64_t>(static_cast<uint32_t>(~x.w[i])) + carry;
        x.w[i] = static_cast<uint32_t>(s);
        carry = s >> 32;
    }
}

bool is_zero(const Limbs& x) {
    for (int i = 0; i < x.n; ++i)
        if (x.w[i]) return false;
    return true;
}
}  // namespace

std::string decimal_to_string(const uint8_t* bytes, int width) {
    Limbs x;
    x.n = width / 4;
    std::memcpy(x.w, bytes, static_cast<size_t>(width));
    const bool negative = x.w[x.n - 1] & 0x80000000u;
    if (negative) negate(x);  // the most negative value negates to itself, read unsigned below
    std::string digits;
    do {
        uint64_t rem = 0;
        for (int i = x.n - 1; i >= 0; --i) {
            const uint64_t cur = (rem << 32) | x.w[i];
            x.w[i] = static_cast<uint32_t>(cur / 10);
            rem = cur % 10;
        }
        digits.push_back(static_cast<char>('0' + rem));
    } while (!is_zero(x));
    if (negative) digits.push_back('-');
    return {digits.rbegin(), digits.rend()};
}

void decimal_from_string(std::string_view text, uint8_t* out, int width, const std::string& where) {
    const std::string quoted = "\"" + std::string(text) + "\"";
    bool negative = false;
    std::string_view digits = text;
    if (!digits.empty() && (digits[0] == '-' || digits[0] == '+')) {
        negative = digits[0] == '-';
        digits.remove_prefix(1);
    }
    if (digits.empty()) fail(where, quoted + " is not an integer");
    Limbs x;
    x.n = width / 4;
    for (char c : digits) {
        if (c < '0' || c > '9') fail(where, quoted + " is not an integer");
        uint64_t carry = static_cast<uint64_t>(c - '0');
        for (int i = 0; i < x.n; ++i) {
            const uint64_t cur = static_cast<uint64_t>(x.w[i]) * 10 + carry;
            x.w[i] = static_cast<uint32_t>(cur);
            carry = cur >> 32;
        }
        if (carry) fail(where, quoted + " does not fit a " + std::to_string(width * 8) + "-bit decimal");
    }
    // The magnitude must be below 2^(bits-1), or equal to it for a negative value.
    if (x.w[x.n - 1] & 0x80000000u) {
        bool exactly_min = negative && x.w[x.n - 1] == 0x80000000u;
        for (int i = 0; i < x.n - 1 && exactly_min; ++i) exactly_min = x.w[i] == 0;
        if (!exactly_min) fail(where, quoted + " does not fit a " + std::to_string(width * 8) + "-bit decimal");
    }
    if (negative) negate(x);
    std::memcpy(out, x.w, static_cast<size_t>(width));
}

const char* time_unit_name(TimeUnit unit) {
    switch (unit) {
        case TimeUnit::Second: return "SECOND";
        case TimeUnit::Millisecond: return "MILLISECOND";
        case TimeUnit::Microsecond: return "MICROSECOND";
        case TimeUnit::Nanosecond: return "NANOSECOND";
    }
    return "?";
}

}  // namespace legolasflux::arrow::json_detail
