// The parsing stage of reading a model as Flux prints it: `repr(model)` on one line, or the REPL's
// multi-line `display` with its indentation, trailing commas and `# 160 parameters` / `# Total: …`
// comments. The result is a plain description (flux::Expr) that a later stage turns into modules;
// nothing here needs LibTorch.
//
// The text is untrusted: every size is bounded by TextLimits, recursion by a depth limit, and every
// problem is a legolasflux::FormatError (not Julia syntax as Flux prints it, or over a limit) or a
// legolasflux::UnsupportedError (check_known: a layer or function this library does not know),
// naming the offending text and its line and column.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "legolasflux/errors.hpp"

namespace legolasflux::flux {

enum class ExprKind {
    Call,     // Dense(2 => 3, relu; bias=false): callee in `name`/`qualifier`, `args`, `keywords`
    Tuple,    // (3, 3), (1,), (): `args`; a named tuple (a = 1,) or (; a = 1) has `keywords`
    Vector,   // [Dense(2 => 3), relu] (Chain's vector form): `args`
    Pair,     // 1 => 32: `args` = {first, second}; 1 => 2 => 3 is 1 => (2 => 3), as in Julia
    Integer,  // 32, -1: `integer`; `text` is the source spelling
    Float,    // 0.5, 1.0f-5, 1e-5, Inf32, -NaN: `real`, `float32`; `text` is the source spelling
    Bool,     // true, false: `boolean`
    Symbol,   // :nearest: `name` without the colon
    Name,     // relu, NNlib.softmax, +, nothing: `name` (unqualified), `qualifier` ("NNlib", "")
    String,   // "text": `name` holds the unescaped contents
};

struct Keyword;

// One node of the description. Fields a kind does not use stay empty/zero.
struct Expr {
    ExprKind kind = ExprKind::Name;
    size_t offset = 0;      // byte offset of the node's first character in the text
    std::string name;       // Call/Name: identifier without module; Symbol/String: contents
    std::string qualifier;  // Call/Name: the module path before the name ("Base.Broadcast"), else ""
    std::string text;       // Integer/Float: the literal as written (with its sign)
    int64_t integer = 0;
    double real = 0;
    bool float32 = false;  // Float written as Float32 (1.0f-5, Inf32, NaN32)
    bool boolean = false;
    std::vector<Expr> args;         // Call: positional arguments; Tuple/Vector: elements; Pair: 2
    std::vector<Keyword> keywords;  // Call/Tuple: `name = value` in order (named layers of Chain too)
    std::vector<Expr> type_params;  // Call: AlphaDropout{Float64, …}(…) as Julia's default show prints

    // The callee (Call) or name (Name) with its module: "NNlib.softmax".
    std::string qualified_name() const;
    // The keyword `key`, or nullptr.
    const Expr* keyword(std::string_view key) const;
};

struct Keyword {
    std::string name;
    Expr value;
    size_t offset = 0;             // of the keyword's name
    bool after_semicolon = false;  // Dense(2 => 3; bias=false)
};

// Structural equality: offsets are ignored (the one-line and the multi-line form of a model are
// equal), everything else, including a literal's spelling, is compared.
bool operator==(const Expr& a, const Expr& b);
bool operator==(const Keyword& a, const Keyword& b);

struct TextLimits {
    size_t max_bytes = size_t{1} << 20;  // the whole text
    size_t max_depth = 100;              // nested calls, tuples, vectors, pairs
    size_t max_nodes = 100000;           // Expr nodes of the description
    size_t max_token_bytes = 256;        // one identifier, number, symbol or string
};

// The single model expression of `text`, comments and Flux's summary lines skipped. Throws
// FormatError for anything that is not an expression as Flux prints it, or that exceeds `limits`.
// Anonymous functions (`#1`, `var"#3#4"()`) parse as names starting with '#': check_known refuses them.
Expr parse_model_text(std::string_view text, const TextLimits& limits = {});

// "line L, column C" (1-based; columns count characters, not bytes) of a byte offset of `text`.
std::string describe_position(std::string_view text, size_t offset);

// Refuses (UnsupportedError) any callee that is not a Flux layer, container or known constructor
// (SamePad), and any function value that is not an NNlib/Flux function, an operator or `identity`;
// also anonymous functions and unknown module qualifiers. Type parameters are not checked. `text`
// is what `e` was parsed from, for positions in the messages.
void check_known(const Expr& e, std::string_view text);

// The one-line Julia text of `e`: parse_model_text(format_expr(e)) == e.
std::string format_expr(const Expr& e);

// The layer, container and function names check_known accepts, for documentation and tests.
const std::vector<std::string_view>& known_layers();
const std::vector<std::string_view>& known_functions();

}  // namespace legolasflux::flux
