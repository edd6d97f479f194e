// Character classes shared by the parser (flux_text.cpp) and the printer (flux_text_known.cpp), so
// that format_expr writes a bare identifier exactly when the parser reads one back.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace legolasflux::flux::detail {

// Decodes the UTF-8 character at `pos` into `cp` and its byte count into `len`; false when the
// bytes there are not valid UTF-8 (truncated, overlong, surrogate, above U+10FFFF).
inline bool decode_utf8(std::string_view s, size_t pos, char32_t& cp, size_t& len) {
    const auto b0 = static_cast<unsigned char>(s[pos]);
    if (b0 < 0x80) {
        cp = b0;
        len = 1;
        return true;
    }
    char32_t min;
    if ((b0 & 0xE0) == 0xC0) {
        len = 2, cp = b0 & 0x1F, min = 0x80;
    } else if ((b0 & 0xF0) == 0xE0) {
        len = 3, cp = b0 & 0x0F, min = 0x800;
    } else if ((b0 & 0xF8) == 0xF0) {
        len = 4, cp = b0 & 0x07, min = 0x10000;
    } else {
        return false;
    }
    if (s.size() - pos < len) return false;
    for (size_t i = 1; i < len; ++i) {
        const auto b = static_cast<unsigned char>(s[pos + i]);
        if ((b & 0xC0) != 0x80) return false;
        cp = (cp << 6) | (b & 0x3F);
    }
    return cp >= min && cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF);
}

// Julia's identifier characters, approximated by the scripts layer and activation names use
// (Latin, Greek as in σ and ϵ, Cyrillic, letterlike and mathematical letters); operators such as
// × ÷ ∘ are not letters.
inline bool is_ident_start(char32_t c) {
    if (c < 0x80) return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    if (c == 0xAA || c == 0xB5 || c == 0xBA) return true;
    if (c >= 0xC0 && c <= 0x24F) return c != 0xD7 && c != 0xF7;
    if (c >= 0x370 && c <= 0x3FF) return c != 0x37E && c != 0x387;
    return (c >= 0x400 && c <= 0x4FF) || (c >= 0x1D00 && c <= 0x1DBF) || (c >= 0x1E00 && c <= 0x1FFF) ||
           (c >= 0x2100 && c <= 0x214F) || (c >= 0x1D400 && c <= 0x1D7FF);
}

inline bool is_ident_continue(char32_t c) {
    return is_ident_start(c) || (c >= '0' && c <= '9') || c == '!' || c == 0xB2 || c == 0xB3 || c == 0xB9 ||
           (c >= 0x2032 && c <= 0x2037) || (c >= 0x2070 && c <= 0x209F);
}

// Whether `s` is lexically one identifier.
inline bool is_identifier_lexeme(std::string_view s) {
    if (s.empty()) return false;
    size_t pos = 0;
    bool first = true;
    while (pos < s.size()) {
        char32_t c;
        size_t len;
        if (!decode_utf8(s, pos, c, len)) return false;
        if (first ? !is_ident_start(c) : !is_ident_continue(c)) return false;
        first = false;
        pos += len;
    }
    return true;
}

// Whether `s` standing alone reads back as the name `s` (no var"…" needed): an identifier that is
// not a word the parser gives another meaning.
inline bool is_plain_identifier(std::string_view s) {
    return is_identifier_lexeme(s) && s != "true" && s != "false" && s != "var" && s != "Inf" && s != "Inf16" &&
           s != "Inf32" && s != "Inf64" && s != "NaN" && s != "NaN16" && s != "NaN32" && s != "NaN64";
}

// The operators that stand alone as values (Parallel(+, …), SkipConnection(…, *)).
inline bool is_operator_name(std::string_view s) {
    return s == "+" || s == "-" || s == "*" || s == "/" || s == "^" || s == "\\" || s == "%";
}

}  // namespace legolasflux::flux::detail
