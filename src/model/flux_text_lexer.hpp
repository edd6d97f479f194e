// The lexer of the Flux model text parser (flux_text.cpp): tokens of Julia's expression forms that
// Flux's `show` methods produce, whitespace and `#` comments skipped. Private to the model layer.
#pragma once

#include <charconv>
#include <limits>
#include <string>
#include <string_view>
#include <system_error>

#include "flux_text_internal.hpp"
#include "legolasflux/errors.hpp"
#include "legolasflux/flux_text.hpp"

namespace legolasflux::flux::detail {

using detail::decode_utf8;
using detail::is_ident_continue;
using detail::is_ident_start;

enum class Tok { End, Ident, VarIdent, Anonymous, Number, Symbol, String, Operator, Punct };

struct Token {
    Tok kind = Tok::End;
    size_t offset = 0;
    size_t end = 0;
    std::string value;  // identifier, number text, symbol name, string contents, operator, punctuation
};

class Lexer {
public:
    Lexer(std::string_view text, const TextLimits& limits) : text_(text), limits_(limits) {}

    struct State {
        size_t pos;
        bool value_expected;
    };
    State state() const { return {pos_, value_expected_}; }
    void restore(State s) { pos_ = s.pos, value_expected_ = s.value_expected; }

    Token next() {
        skip_space_and_comments();
        Token t;
        t.offset = pos_;
        if (pos_ >= text_.size()) {
            t.end = pos_;
            return t;
        }
        const char c = text_[pos_];
        char32_t cp;
        size_t len;
        if (!decode_utf8(text_, pos_, cp, len)) fail(pos_, "bytes that are not UTF-8");
        if (c == 'v' && text_.substr(pos_, 4) == "var\"") {
            lex_var(t);
        } else if (is_ident_start(cp)) {
            t.kind = Tok::Ident;
            t.value = identifier_at(pos_);
            pos_ += t.value.size();
        } else if ((c >= '0' && c <= '9') || (c == '.' && digit_at(pos_ + 1))) {
            lex_number(t);
        } else if (c == '#') {
            // Comments were skipped above, so this `#` starts an anonymous function's name (#1, #3#4).
            t.kind = Tok::Anonymous;
            size_t p = pos_;
            char32_t ch;
            size_t n;
            while (p < text_.size() && decode_utf8(text_, p, ch, n) && (ch == '#' || is_ident_continue(ch))) p += n;
            t.value = std::string(text_.substr(pos_, p - pos_));
            check_token_size(t.value.size());
            pos_ = p;
        } else if (c == ':') {
            t.kind = Tok::Symbol;
            char32_t next_cp;
            if (pos_ + 1 >= text_.size() || !decode_utf8(text_, pos_ + 1, next_cp, len) || !is_ident_start(next_cp))
                fail(pos_, "`:` not followed by a symbol's name");
            t.value = identifier_at(pos_ + 1);
            pos_ += 1 + t.value.size();
        } else if (c == '"') {
            lex_string(t);
        } else if (c == '=' && text_.substr(pos_, 2) == "=>") {
            t.kind = Tok::Punct;
            t.value = "=>";
            pos_ += 2;
        } else if (std::string_view("()[]{},;=.").find(c) != std::string_view::npos) {
            t.kind = Tok::Punct;
            t.value = std::string(1, c);
            ++pos_;
        } else if (detail::is_operator_name(std::string_view(&text_[pos_], 1))) {
            t.kind = Tok::Operator;
            t.value = std::string(1, c);
            ++pos_;
        } else {
            if (cp < 0x20 || cp == 0x7F) fail(pos_, "unexpected control character U+00" + hex2(cp));
            fail(pos_, "unexpected character `" + std::string(text_.substr(pos_, len)) + "`");
        }
        t.end = pos_;
        value_expected_ = t.kind == Tok::Punct && t.value != ")" && t.value != "]" && t.value != "}" && t.value != ".";
        return t;
    }

    [[noreturn]] void fail(size_t offset, const std::string& what) const {
        throw FormatError("model text: " + what + " at " + describe_position(text_, offset));
    }

private:
    static std::string hex2(char32_t c) {
        const char* digits = "0123456789ABCDEF";
        return {digits[(c >> 4) & 0xF], digits[c & 0xF]};
    }

    bool digit_at(size_t p) const { return p < text_.size() && text_[p] >= '0' && text_[p] <= '9'; }

    void check_token_size(size_t n) const {
        if (n > limits_.max_token_bytes)
            fail(pos_, "a token of more than " + std::to_string(limits_.max_token_bytes) +
                           " bytes (TextLimits::max_token_bytes)");
    }

    // The identifier characters from `p` on (possibly none).
    std::string identifier_at(size_t p) const {
        const size_t start = p;
        while (p < text_.size()) {
            char32_t cp;
            size_t len;
            if (!decode_utf8(text_, p, cp, len)) fail(p, "bytes that are not UTF-8");
            if (!(p == start ? is_ident_start(cp) : is_ident_continue(cp))) break;
            p += len;
            check_token_size(p - start);
        }
        return std::string(text_.substr(start, p - start));
    }

    void skip_space_and_comments() {
        while (pos_ < text_.size()) {
            const char c = text_[pos_];
            if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
                ++pos_;
            } else if (c == '#' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '=') {
                skip_block_comment();
            } else if (c == '#' && !(value_expected_ && anonymous_name_at(pos_ + 1))) {
                // Flux's comments (`# 160 parameters`, `# Total: …`) start with "# "; a `#` glued to
                // a name where a value is due (`Chain(#1)`) is an anonymous function instead.
                while (pos_ < text_.size() && text_[pos_] != '\n') ++pos_;
            } else {
                break;
            }
        }
    }

    // #= … =#, nested as in Julia.
    void skip_block_comment() {
        const size_t start = pos_;
        size_t depth = 0;
        while (pos_ < text_.size()) {
            if (text_.substr(pos_, 2) == "#=") {
                ++depth, pos_ += 2;
            } else if (text_.substr(pos_, 2) == "=#") {
                pos_ += 2;
                if (--depth == 0) return;
            } else {
                ++pos_;
            }
        }
        fail(start, "a `#=` comment without its closing `=#`");
    }

    bool anonymous_name_at(size_t p) const {
        char32_t cp;
        size_t len;
        if (p >= text_.size() || !decode_utf8(text_, p, cp, len)) return false;
        return is_ident_continue(cp) && cp != '!';
    }

    void lex_var(Token& t) {
        // var"name": Julia's spelling of a name that is not an identifier, such as var"#3#4".
        const size_t close = text_.find('"', pos_ + 4);
        if (close == std::string_view::npos) fail(pos_, "`var\"` without its closing quote");
        t.value = std::string(text_.substr(pos_ + 4, close - pos_ - 4));
        check_token_size(t.value.size());
        if (t.value.empty()) fail(pos_, "an empty name `var\"\"`");
        for (size_t p = 0; p < t.value.size();) {
            char32_t cp;
            size_t len;
            if (!decode_utf8(t.value, p, cp, len)) fail(pos_ + 4 + p, "bytes that are not UTF-8");
            if (cp < 0x20 || cp == 0x7F) fail(pos_ + 4 + p, "a control character in a `var\"…\"` name");
            p += len;
        }
        t.kind = t.value[0] == '#' ? Tok::Anonymous : Tok::VarIdent;
        pos_ = close + 1;
    }

    void lex_number(Token& t) {
        // Julia's decimal literals: 32, 1_000, 0.5, .5, 1e-5, 1.0f-5 (Float32), 2.0E3.
        size_t p = pos_;
        auto digits = [&] {
            const size_t start = p;
            while (p < text_.size() && (digit_at(p) || (text_[p] == '_' && p > start && digit_at(p + 1)))) ++p;
            return p > start;
        };
        digits();
        if (p < text_.size() && text_[p] == '.' && !(p + 1 < text_.size() && is_ident_start(text_[p + 1]))) {
            ++p;
            digits();
        }
        if (p < text_.size() && (text_[p] == 'e' || text_[p] == 'E' || text_[p] == 'f')) {
            ++p;
            if (p < text_.size() && (text_[p] == '+' || text_[p] == '-')) ++p;
            if (!digits())
                fail(pos_, "a number with an incomplete exponent `" + std::string(text_.substr(pos_, p - pos_)) + "`");
        }
        if (p == pos_ + 1 && text_[pos_] == '0' && p < text_.size() &&
            (text_[p] == 'x' || text_[p] == 'b' || text_[p] == 'o'))
            fail(pos_, "a hexadecimal, binary or octal number (not printed by Flux)");
        char32_t cp;
        size_t len;
        if (p < text_.size() && (text_[p] == '.' || (decode_utf8(text_, p, cp, len) && is_ident_continue(cp))))
            fail(pos_, "a malformed number `" + std::string(text_.substr(pos_, p + 1 - pos_)) + "`");
        t.kind = Tok::Number;
        t.value = std::string(text_.substr(pos_, p - pos_));
        check_token_size(t.value.size());
        pos_ = p;
    }

    void lex_string(Token& t) {
        size_t p = pos_ + 1;
        std::string out;
        while (true) {
            if (p >= text_.size()) fail(pos_, "a string without its closing quote");
            const char c = text_[p];
            if (c == '"') break;
            if (c == '$') fail(p, "string interpolation `$`");
            if (c == '\\') {
                if (p + 1 >= text_.size()) fail(pos_, "a string without its closing quote");
                const char e = text_[p + 1];
                const std::string_view from = "\\\"$ntr0", to = std::string_view("\\\"$\n\t\r\0", 7);
                const size_t k = from.find(e);
                if (k == std::string_view::npos) fail(p, "an unknown escape `\\" + std::string(1, e) + "` in a string");
                out += to[k];
                p += 2;
            } else {
                out += c;
                ++p;
            }
            check_token_size(out.size());
        }
        char32_t cp;
        size_t len;
        for (size_t q = 0; q < out.size(); q += len)
            if (!decode_utf8(out, q, cp, len)) fail(pos_, "a string that is not UTF-8");
        t.kind = Tok::String;
        t.value = std::move(out);
        pos_ = p + 1;
    }

    std::string_view text_;
    const TextLimits& limits_;
    size_t pos_ = 0;
    bool value_expected_ = false;  // after `(`, `,`, `=`…: where `#1` is an anonymous function's name
};

}  // namespace legolasflux::flux::detail
