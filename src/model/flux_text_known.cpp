// What a parsed model may name (check_known), structural equality, and the printer back to one line
// of Julia (format_expr), which the fuzz target uses to check that parsing is stable.
#include <algorithm>
#include <string>

#include "flux_text_internal.hpp"
#include "legolasflux/flux_text.hpp"

namespace legolasflux::flux {

std::string Expr::qualified_name() const { return qualifier.empty() ? name : qualifier + "." + name; }

const Expr* Expr::keyword(std::string_view key) const {
    for (const Keyword& k : keywords)
        if (k.name == key) return &k.value;
    return nullptr;
}

bool operator==(const Keyword& a, const Keyword& b) {
    return a.name == b.name && a.after_semicolon == b.after_semicolon && a.value == b.value;
}

bool operator==(const Expr& a, const Expr& b) {
    // Literals compare by spelling: their values follow from it, and NaN would not equal itself.
    return a.kind == b.kind && a.name == b.name && a.qualifier == b.qualifier && a.text == b.text &&
           a.boolean == b.boolean && a.args == b.args && a.keywords == b.keywords && a.type_params == b.type_params;
}

const std::vector<std::string_view>& known_layers() {
    // Flux 0.13/0.14's layers and containers (and the 0.15/0.16 recurrent layers, which print as
    // LSTM(…) rather than Recur(LSTMCell(…))), plus the values their `show` prints as calls.
    // clang-format off
    static const std::vector<std::string_view> names = {
        "Chain", "Parallel", "SkipConnection", "PairwiseFusion", "Maxout", "Dense", "Scale", "Bilinear",
        "Embedding", "EmbeddingBag", "Conv", "ConvTranspose", "CrossCor", "DepthwiseConv", "MaxPool",
        "MeanPool", "GlobalMaxPool", "GlobalMeanPool", "AdaptiveMaxPool", "AdaptiveMeanPool", "Upsample",
        "PixelShuffle", "Dropout", "AlphaDropout", "LayerNorm", "BatchNorm", "InstanceNorm", "GroupNorm",
        "Recur", "RNNCell", "LSTMCell", "GRUCell", "GRUv3Cell", "RNN", "LSTM", "GRU", "GRUv3",
        "MultiHeadAttention", "SamePad", "TaskLocalRNG"
    };
    // clang-format on
    return names;
}

const std::vector<std::string_view>& known_functions() {
    // NNlib's activations (its ACTIVATIONS list and their aliases), softmax and flatten, Base's
    // functions Flux models use as activations or connections, and the operators.
    // clang-format off
    static const std::vector<std::string_view> names = {
        "σ", "sigmoid", "hardσ", "hardsigmoid", "hardtanh", "relu", "leakyrelu", "relu6", "rrelu", "elu",
        "gelu", "gelu_tanh", "gelu_sigmoid", "gelu_erf", "swish", "hardswish", "selu", "celu", "softplus",
        "softsign", "logσ", "logsigmoid", "logcosh", "mish", "tanhshrink", "softshrink", "trelu",
        "thresholdrelu", "lisht", "tanh_fast", "sigmoid_fast", "softmax", "logsoftmax", "flatten", "identity",
        "tanh", "vcat", "hcat", "max", "min", "+", "-", "*", "/", "nothing"
    };
    // clang-format on
    return names;
}

namespace {

bool contains(const std::vector<std::string_view>& names, std::string_view n) {
    return std::find(names.begin(), names.end(), n) != names.end();
}

bool known_module(std::string_view q) {
    return q.empty() || q == "Flux" || q == "NNlib" || q == "MLUtils" || q == "Base" || q == "Random";
}

[[noreturn]] void refuse(const std::string& what, size_t offset, std::string_view text, const std::string& why = "") {
    throw UnsupportedError("model text: " + what + " at " + describe_position(text, offset) +
                           (why.empty() ? "" : ": " + why));
}

void check_name(const Expr& e, std::string_view text) {
    if (!e.name.empty() && e.name[0] == '#')
        refuse("anonymous function `" + e.name + "`", e.offset, text,
               "only Flux's layers and NNlib's functions can be rebuilt from text");
    if (!known_module(e.qualifier))
        refuse("unknown module `" + e.qualifier + "` in `" + e.qualified_name() + "`", e.offset, text);
    if (e.kind == ExprKind::Call) {
        if (!contains(known_layers(), e.name)) refuse("unknown layer `" + e.qualified_name() + "`", e.offset, text);
    } else if (!contains(known_functions(), e.name)) {
        if (contains(known_layers(), e.name))
            refuse("the type `" + e.qualified_name() + "` where a layer `" + e.name + "(…)` was expected", e.offset,
                   text);
        refuse("unknown function `" + e.qualified_name() + "`", e.offset, text);
    }
}

}  // namespace

void check_known(const Expr& e, std::string_view text) {
    if (e.kind == ExprKind::Call || e.kind == ExprKind::Name) check_name(e, text);
    for (const Expr& a : e.args) check_known(a, text);
    for (const Keyword& k : e.keywords) check_known(k.value, text);
}

namespace {

void format_to(const Expr& e, std::string& out);

void format_list(const std::vector<Expr>& items, std::string& out) {
    for (size_t i = 0; i < items.size(); ++i) {
        if (i > 0) out += ", ";
        format_to(items[i], out);
    }
}

void format_keywords(const std::vector<Keyword>& keywords, bool semicolon_part, std::string& out) {
    bool first = true;
    for (const Keyword& k : keywords) {
        if (k.after_semicolon != semicolon_part) continue;
        if (!first) out += ", ";
        first = false;
        out += k.name + "=";
        format_to(k.value, out);
    }
}

void format_name(const Expr& e, std::string& out) {
    // After a module path the parser takes any identifier (NNlib.true), alone only a plain one.
    const bool bare = e.qualifier.empty() ? detail::is_plain_identifier(e.name) || detail::is_operator_name(e.name)
                                          : detail::is_identifier_lexeme(e.name);
    if (!e.qualifier.empty()) out += e.qualifier + ".";
    if (bare)
        out += e.name;
    else
        out += "var\"" + e.name + "\"";
}

void format_to(const Expr& e, std::string& out) {
    switch (e.kind) {
        case ExprKind::Integer:
        case ExprKind::Float: out += e.text; return;
        case ExprKind::Bool: out += e.boolean ? "true" : "false"; return;
        case ExprKind::Symbol: out += ":" + e.name; return;
        case ExprKind::String:
            out += '"';
            for (char c : e.name) {
                switch (c) {
                    case '"': out += "\\\""; break;
                    case '\\': out += "\\\\"; break;
                    case '$': out += "\\$"; break;
                    case '\n': out += "\\n"; break;
                    case '\t': out += "\\t"; break;
                    case '\r': out += "\\r"; break;
                    case '\0': out += "\\0"; break;
                    default: out += c;
                }
            }
            out += '"';
            return;
        case ExprKind::Name: format_name(e, out); return;
        case ExprKind::Pair:
            if (e.args.size() != 2) throw InvalidArgument("format_expr: a Pair needs exactly 2 args");
            if (e.args[0].kind == ExprKind::Pair) {
                out += "(";
                format_to(e.args[0], out);
                out += ")";
            } else {
                format_to(e.args[0], out);
            }
            out += " => ";
            format_to(e.args[1], out);
            return;
        case ExprKind::Vector:
            out += "[";
            format_list(e.args, out);
            out += "]";
            return;
        case ExprKind::Tuple:
            out += "(";
            if (!e.keywords.empty()) {
                out += "; ";
                for (size_t i = 0; i < e.keywords.size(); ++i) {
                    if (i > 0) out += ", ";
                    out += e.keywords[i].name + "=";
                    format_to(e.keywords[i].value, out);
                }
            } else {
                format_list(e.args, out);
                if (e.args.size() == 1) out += ",";
            }
            out += ")";
            return;
        case ExprKind::Call: {
            format_name(e, out);
            if (!e.type_params.empty()) {
                out += "{";
                format_list(e.type_params, out);
                out += "}";
            }
            out += "(";
            format_list(e.args, out);
            const bool plain =
                std::any_of(e.keywords.begin(), e.keywords.end(), [](const Keyword& k) { return !k.after_semicolon; });
            if (plain) {
                if (!e.args.empty()) out += ", ";
                format_keywords(e.keywords, false, out);
            }
            if (std::any_of(e.keywords.begin(), e.keywords.end(), [](const Keyword& k) { return k.after_semicolon; })) {
                out += "; ";
                format_keywords(e.keywords, true, out);
            }
            out += ")";
            return;
        }
    }
}

}  // namespace

std::string format_expr(const Expr& e) {
    std::string out;
    format_to(e, out);
    return out;
}

}  // namespace legolasflux::flux
