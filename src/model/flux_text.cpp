// The parser of models as Flux prints them (see flux_text.hpp): a lexer that skips whitespace and
// `#` comments, and a recursive-descent parser over Julia's expression forms that Flux's `show`
// methods produce. Recursion is bounded by TextLimits::max_depth, so hostile nesting ends in a
// FormatError rather than a stack overflow.
#include "legolasflux/flux_text.hpp"

#include <charconv>
#include <limits>
#include <string>
#include <system_error>

#include "flux_text_internal.hpp"
#include "flux_text_lexer.hpp"

namespace legolasflux::flux {

std::string describe_position(std::string_view text, size_t offset) {
    if (offset > text.size()) offset = text.size();
    size_t line = 1, column = 1;
    for (size_t i = 0; i < offset; ++i) {
        const auto b = static_cast<unsigned char>(text[i]);
        if (b == '\n') {
            ++line;
            column = 1;
        } else if ((b & 0xC0) != 0x80) {
            ++column;  // continuation bytes belong to the character already counted
        }
    }
    return "line " + std::to_string(line) + ", column " + std::to_string(column);
}

namespace {

using detail::Lexer;
using detail::Tok;
using detail::Token;

class Parser {
public:
    Parser(std::string_view text, const TextLimits& limits) : text_(text), limits_(limits), lex_(text, limits) {
        advance();
    }

    Expr model() {
        if (tok_.kind == Tok::End) lex_.fail(tok_.offset, "no model expression (the text is empty or only comments)");
        Expr e = expression();
        if (tok_.kind != Tok::End) lex_.fail(tok_.offset, "unexpected " + describe(tok_) + " after the model");
        return e;
    }

private:
    void advance() { tok_ = lex_.next(); }

    // The token after the current one, without consuming anything.
    Token peek() {
        const Lexer::State saved = lex_.state();
        Token t = lex_.next();
        lex_.restore(saved);
        return t;
    }

    bool is_punct(const char* p) const { return tok_.kind == Tok::Punct && tok_.value == p; }

    std::string describe(const Token& t) const {
        if (t.kind == Tok::End) return "end of text";
        std::string_view s = text_.substr(t.offset, t.end - t.offset);
        if (s.size() > 40) return "`" + std::string(s.substr(0, 40)) + "…`";
        return "`" + std::string(s) + "`";
    }

    [[noreturn]] void expected(const std::string& what) const {
        lex_.fail(tok_.offset, "expected " + what + ", found " + describe(tok_));
    }

    Expr node(ExprKind kind, size_t offset) {
        if (++nodes_ > limits_.max_nodes)
            lex_.fail(offset, "more than " + std::to_string(limits_.max_nodes) + " nodes (TextLimits::max_nodes)");
        Expr e;
        e.kind = kind;
        e.offset = offset;
        return e;
    }

    struct Nest {
        Parser& p;
        Nest(Parser& parser, size_t offset) : p(parser) {
            if (++p.depth_ > p.limits_.max_depth)
                p.lex_.fail(offset,
                            "nesting deeper than " + std::to_string(p.limits_.max_depth) + " (TextLimits::max_depth)");
        }
        ~Nest() { --p.depth_; }
    };

    Expr expression() {
        Expr first = primary();
        if (!is_punct("=>")) return first;
        Nest nest(*this, tok_.offset);
        advance();
        Expr pair = node(ExprKind::Pair, first.offset);
        pair.args.push_back(std::move(first));
        pair.args.push_back(expression());  // right-associative, as Julia's =>
        return pair;
    }

    Expr primary() {
        const size_t at = tok_.offset;
        switch (tok_.kind) {
            case Tok::Number: {
                Expr e = number(tok_.value, at);
                advance();
                return e;
            }
            case Tok::Operator:
                if (tok_.value == "-") {
                    const Token next = peek();
                    if (next.offset == tok_.end &&
                        (next.kind == Tok::Number || (next.kind == Tok::Ident && special_float(next.value)))) {
                        advance();
                        Expr e =
                            next.kind == Tok::Number ? number("-" + tok_.value, at) : float_word("-" + tok_.value, at);
                        advance();
                        return e;
                    }
                }
                {
                    Expr e = node(ExprKind::Name, at);
                    e.name = tok_.value;
                    advance();
                    return e;
                }
            case Tok::String:
            case Tok::Symbol: {
                Expr e = node(tok_.kind == Tok::String ? ExprKind::String : ExprKind::Symbol, at);
                e.name = tok_.value;
                advance();
                return e;
            }
            case Tok::Ident:
            case Tok::VarIdent:
            case Tok::Anonymous: return name_or_call();
            case Tok::Punct:
                if (is_punct("(")) return parenthesised();
                if (is_punct("[")) return vector();
                break;
            case Tok::End: break;
        }
        expected("a layer, function or value");
    }

    static bool special_float(std::string_view w) {
        return w == "Inf" || w == "Inf16" || w == "Inf32" || w == "Inf64" || w == "NaN" || w == "NaN16" ||
               w == "NaN32" || w == "NaN64";
    }

    Expr float_word(const std::string& text, size_t at) {
        Expr e = node(ExprKind::Float, at);
        e.text = text;
        const bool negative = text[0] == '-';
        const std::string_view w = std::string_view(text).substr(negative ? 1 : 0);
        e.real = w.substr(0, 3) == "Inf" ? std::numeric_limits<double>::infinity()
                                         : std::numeric_limits<double>::quiet_NaN();
        if (negative) e.real = -e.real;
        e.float32 = w.substr(3) == "32";
        return e;
    }

    Expr number(const std::string& text, size_t at) {
        std::string clean;
        bool is_float = false;
        for (char c : text) {
            if (c == '_') continue;
            if (c == '.' || c == 'e' || c == 'E' || c == 'f') is_float = true;
            clean += c == 'f' ? 'e' : c;
        }
        if (!is_float) {
            Expr e = node(ExprKind::Integer, at);
            e.text = text;
            const auto r = std::from_chars(clean.data(), clean.data() + clean.size(), e.integer);
            if (r.ec != std::errc() || r.ptr != clean.data() + clean.size())
                lex_.fail(at, "the integer `" + text + "` does not fit in 64 bits");
            return e;
        }
        Expr e = node(ExprKind::Float, at);
        e.text = text;
        e.float32 = text.find('f') != std::string::npos;
        // from_chars takes neither a leading '.' nor a trailing one ("1." is Julia's 1.0).
        std::string digits = clean;
        const bool negative = !digits.empty() && digits[0] == '-';
        if (negative) digits.erase(0, 1);
        if (!digits.empty() && digits[0] == '.') digits.insert(0, "0");
        const size_t exp = digits.find_first_of("eE");
        const size_t mantissa_end = exp == std::string::npos ? digits.size() : exp;
        if (mantissa_end > 0 && digits[mantissa_end - 1] == '.') digits.insert(mantissa_end, "0");
        const auto r = std::from_chars(digits.data(), digits.data() + digits.size(), e.real);
        if (r.ec != std::errc() || r.ptr != digits.data() + digits.size())
            lex_.fail(at, "the number `" + text + "` overflows or underflows a Float64");
        if (negative) e.real = -e.real;
        return e;
    }

    Expr name_or_call() {
        const size_t at = tok_.offset;
        if (tok_.kind == Tok::Ident && (tok_.value == "true" || tok_.value == "false")) {
            Expr e = node(ExprKind::Bool, at);
            e.boolean = tok_.value == "true";
            advance();
            return e;
        }
        if (tok_.kind == Tok::Ident && special_float(tok_.value)) {
            Expr e = float_word(tok_.value, at);
            advance();
            return e;
        }
        Expr e = node(ExprKind::Name, at);
        e.name = tok_.value;
        const bool dotted = tok_.kind == Tok::Ident;
        advance();
        // NNlib.softmax, Base.Broadcast.BroadcastFunction: module path, then the name.
        while (dotted && is_punct(".")) {
            advance();
            if (tok_.kind != Tok::Ident) expected("a name after `.`");
            if (e.qualifier.size() + e.name.size() + tok_.value.size() > limits_.max_token_bytes)
                lex_.fail(at, "a qualified name of more than " + std::to_string(limits_.max_token_bytes) +
                                  " bytes (TextLimits::max_token_bytes)");
            e.qualifier += (e.qualifier.empty() ? "" : ".") + e.name;
            e.name = tok_.value;
            advance();
        }
        if (is_punct("{")) {
            Nest nest(*this, tok_.offset);
            advance();
            while (!is_punct("}")) {
                e.type_params.push_back(expression());
                if (is_punct(",")) {
                    advance();
                } else if (!is_punct("}")) {
                    expected("`,` or `}` in the type parameters of `" + e.qualified_name() + "`");
                }
            }
            advance();
            if (!is_punct("(")) expected("`(` after the type parameters of `" + e.qualified_name() + "`");
        }
        if (!is_punct("(")) return e;
        e.kind = ExprKind::Call;
        const size_t open = tok_.offset;
        Nest nest(*this, open);
        advance();
        arguments(e, open, "`" + e.qualified_name() + "(`");
        return e;
    }

    // Whether the current token starts `name = value` (and not `name => value` or `name == value`).
    bool at_keyword() {
        if (tok_.kind != Tok::Ident) return false;
        const Token next = peek();
        return next.kind == Tok::Punct && next.value == "=";
    }

    Keyword keyword(bool after_semicolon) {
        Keyword k;
        k.name = tok_.value;
        k.offset = tok_.offset;
        k.after_semicolon = after_semicolon;
        advance();  // the name
        advance();  // =
        k.value = expression();
        return k;
    }

    // The arguments up to and including the closing `)`: positional and `name = value` in any order,
    // then after an optional `;` only `name = value`; trailing commas allowed.
    void arguments(Expr& e, size_t open, const std::string& opener) {
        bool after_semicolon = false;
        while (!is_punct(")")) {
            if (tok_.kind == Tok::End) unclosed(opener, open);
            if (is_punct(";")) {
                if (after_semicolon) expected("a keyword argument `name = value`");
                after_semicolon = true;
                advance();
                continue;
            }
            if (at_keyword()) {
                e.keywords.push_back(keyword(after_semicolon));
            } else if (after_semicolon) {
                expected("a keyword argument `name = value` after `;`");
            } else {
                e.args.push_back(expression());
            }
            if (is_punct(",")) {
                advance();
            } else if (!is_punct(")") && !is_punct(";")) {
                if (tok_.kind == Tok::End) unclosed(opener, open);
                expected("`,` or `)` in " + opener + " opened at " + describe_position(text_, open));
            }
        }
        advance();
    }

    [[noreturn]] void unclosed(const std::string& opener, size_t open) const {
        lex_.fail(tok_.offset, "end of text inside " + opener + " opened at " + describe_position(text_, open) +
                                   " (a `)` or `]` is missing)");
    }

    // ( ) tuple, (x,) tuple, (x) grouping, (a = 1, b = 2) and (; a = 1) named tuples.
    Expr parenthesised() {
        const size_t open = tok_.offset;
        Nest nest(*this, open);
        advance();
        Expr t = node(ExprKind::Tuple, open);
        bool trailing_comma = false;
        while (!is_punct(")")) {
            if (tok_.kind == Tok::End) unclosed("`(`", open);
            if (is_punct(";") && t.args.empty() && t.keywords.empty()) {
                advance();
                if (!at_keyword()) expected("`name = value` in a named tuple `(; …)`");
                continue;
            }
            trailing_comma = false;
            if (at_keyword()) {
                if (!t.args.empty()) expected("a value like the tuple's others, not a named one");
                t.keywords.push_back(keyword(false));
            } else {
                if (!t.keywords.empty()) expected("`name = value` like the named tuple's others");
                t.args.push_back(expression());
            }
            if (is_punct(",")) {
                trailing_comma = true;
                advance();
            } else if (!is_punct(")")) {
                if (tok_.kind == Tok::End) unclosed("`(`", open);
                expected("`,` or `)` in the tuple opened at " + describe_position(text_, open));
            }
        }
        advance();
        if (t.args.size() == 1 && !trailing_comma) return std::move(t.args[0]);  // (x) is x
        return t;
    }

    Expr vector() {
        const size_t open = tok_.offset;
        Nest nest(*this, open);
        advance();
        Expr v = node(ExprKind::Vector, open);
        while (!is_punct("]")) {
            if (tok_.kind == Tok::End) unclosed("`[`", open);
            v.args.push_back(expression());
            if (is_punct(",")) {
                advance();
            } else if (!is_punct("]")) {
                if (tok_.kind == Tok::End) unclosed("`[`", open);
                expected("`,` or `]` in the vector opened at " + describe_position(text_, open));
            }
        }
        advance();
        return v;
    }

    std::string_view text_;
    const TextLimits& limits_;
    Lexer lex_;
    Token tok_;
    size_t depth_ = 0;
    size_t nodes_ = 0;
};

}  // namespace

Expr parse_model_text(std::string_view text, const TextLimits& limits) {
    if (text.size() > limits.max_bytes)
        throw FormatError("model text: " + std::to_string(text.size()) + " bytes, more than the limit of " +
                          std::to_string(limits.max_bytes) + " (TextLimits::max_bytes)");
    return Parser(text, limits).model();
}

}  // namespace legolasflux::flux
