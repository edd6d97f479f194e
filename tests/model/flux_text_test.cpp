// The parser of models as Flux prints them (flux_text.hpp). The multi-line texts are written as
// Flux 0.13/0.14's `display` lays them out (src/layers/show.jl: `_big_show` indents children by 2,
// ends each with a comma, puts `# N parameters` at column 40 and the `# Total: …` summary after the
// closing parenthesis), and must describe the same model as the one-line `repr`.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "legolasflux/flux_text.hpp"

using namespace legolasflux;
using flux::Expr;
using flux::ExprKind;
using flux::parse_model_text;

namespace {

// The message of the exception `text` gives (of type E), or a failure.
template <class E>
std::string error_of(std::string_view text, const flux::TextLimits& limits = {}) {
    try {
        flux::check_known(parse_model_text(text, limits), text);
    } catch (const E& e) {
        return e.what();
    } catch (const std::exception& e) {
        ADD_FAILURE() << "wrong exception type for `" << text << "`: " << e.what();
        return {};
    }
    ADD_FAILURE() << "no error for `" << text << "`";
    return {};
}

#define EXPECT_CONTAINS(haystack, needle) \
    EXPECT_NE(std::string(haystack).find(needle), std::string::npos) << "in: " << (haystack)

// Parses both forms, checks they are equal, known, and survive format_expr + parse.
Expr same_model(std::string_view one_line, std::string_view multi_line) {
    const Expr a = parse_model_text(one_line);
    const Expr b = parse_model_text(multi_line);
    EXPECT_TRUE(a == b) << flux::format_expr(a) << "\nvs\n" << flux::format_expr(b);
    EXPECT_NO_THROW(flux::check_known(a, one_line));
    EXPECT_NO_THROW(flux::check_known(b, multi_line));
    EXPECT_TRUE(parse_model_text(flux::format_expr(a)) == a) << flux::format_expr(a);
    return a;
}

}  // namespace

TEST(FluxText, ConvLstmDenseSoftmaxBothForms) {
    const Expr m = same_model(
        "Chain(Conv((3, 3), 1 => 32, relu, pad=1), Recur(LSTMCell(32 => 64)), Dense(64 => 10), NNlib.softmax)",
        R"(Chain(
  Conv((3, 3), 1 => 32, relu, pad=1),   # 320 parameters
  Recur(
    LSTMCell(32 => 64),                 # 24_832 parameters, plus 128
  ),
  Dense(64 => 10),                      # 650 parameters
  NNlib.softmax,
)         # Total: 9 trainable arrays, 25_802 parameters,
          # plus 2 non-trainable, 128 parameters, summarysize 101.703 KiB.
)");
    ASSERT_EQ(m.kind, ExprKind::Call);
    EXPECT_EQ(m.name, "Chain");
    ASSERT_EQ(m.args.size(), 4u);
    const Expr& conv = m.args[0];
    EXPECT_EQ(conv.name, "Conv");
    ASSERT_EQ(conv.args.size(), 3u);
    EXPECT_EQ(conv.args[0].kind, ExprKind::Tuple);
    ASSERT_EQ(conv.args[0].args.size(), 2u);
    EXPECT_EQ(conv.args[0].args[1].integer, 3);
    EXPECT_EQ(conv.args[1].kind, ExprKind::Pair);
    EXPECT_EQ(conv.args[1].args[0].integer, 1);
    EXPECT_EQ(conv.args[1].args[1].integer, 32);
    EXPECT_EQ(conv.args[2].kind, ExprKind::Name);
    EXPECT_EQ(conv.args[2].name, "relu");
    ASSERT_EQ(conv.keywords.size(), 1u);
    EXPECT_EQ(conv.keywords[0].name, "pad");
    EXPECT_FALSE(conv.keywords[0].after_semicolon);
    ASSERT_NE(conv.keyword("pad"), nullptr);
    EXPECT_EQ(conv.keyword("pad")->integer, 1);
    EXPECT_EQ(conv.keyword("stride"), nullptr);
    EXPECT_EQ(m.args[1].name, "Recur");
    EXPECT_EQ(m.args[1].args[0].name, "LSTMCell");
    EXPECT_EQ(m.args[3].kind, ExprKind::Name);
    EXPECT_EQ(m.args[3].name, "softmax");
    EXPECT_EQ(m.args[3].qualifier, "NNlib");
    EXPECT_EQ(m.args[3].qualified_name(), "NNlib.softmax");
}

TEST(FluxText, TopLevelLayerAndNamedTupleAsDisplayPrintsThem) {
    // A lone layer: `_layer_show` pads to column 20 and may flag its values after the count.
    EXPECT_TRUE(parse_model_text("Dense(2 => 3)       # 9 parameters  (all zero)") ==
                parse_model_text("Dense(2 => 3)"));
    // Flux 0.14 opens a NamedTuple child with "(;" (show.jl `_show_pre_post`).
    const Expr m = same_model("Chain((; a = Dense(2 => 3), b = Dense(3 => 1)))", R"(Chain(
  (;
    a = Dense(2 => 3),                  # 9 parameters
    b = Dense(3 => 1),                  # 4 parameters
  ),
)                   # Total: 4 arrays, 13 parameters, 476 bytes.
)");
    ASSERT_EQ(m.args.size(), 1u);
    EXPECT_EQ(m.args[0].kind, ExprKind::Tuple);
    EXPECT_EQ(m.args[0].keywords.size(), 2u);
}

TEST(FluxText, NamedChainAndSemicolonKeywords) {
    const Expr m = same_model("Chain(enc = Dense(2 => 3, σ), dec = Dense(3 => 2; bias=false))",
                              R"(Chain(
  enc = Dense(2 => 3, σ),               # 9 parameters
  dec = Dense(3 => 2; bias=false),      # 6 parameters
)                   # Total: 3 arrays, 15 parameters, 348 bytes.)");
    ASSERT_EQ(m.keywords.size(), 2u);
    EXPECT_TRUE(m.args.empty());
    EXPECT_EQ(m.keywords[0].name, "enc");
    EXPECT_EQ(m.keywords[1].name, "dec");
    EXPECT_EQ(m.keywords[0].value.args[1].name, "σ");
    const Expr& dec = m.keywords[1].value;
    ASSERT_EQ(dec.keywords.size(), 1u);
    EXPECT_TRUE(dec.keywords[0].after_semicolon);
    EXPECT_EQ(dec.keywords[0].value.kind, ExprKind::Bool);
    EXPECT_FALSE(dec.keywords[0].value.boolean);
}

TEST(FluxText, SkipConnectionParallelFlattenBothForms) {
    const Expr m = same_model(
        "Chain(SkipConnection(Chain(Conv((3, 3), 8 => 8, pad=1, bias=false), BatchNorm(8, relu)), +), "
        "Parallel(vcat, a = Dense(8 => 4), b = Dense(8 => 4, tanh)), Flux.flatten)",
        R"(Chain(
  SkipConnection(
    Chain(
      Conv((3, 3), 8 => 8, pad=1, bias=false),  # 576 parameters
      BatchNorm(8, relu),               # 16 parameters, plus 16
    ),
    +,
  ),
  Parallel(
    vcat,
    a = Dense(8 => 4),                  # 36 parameters
    b = Dense(8 => 4, tanh),            # 36 parameters
  ),
  Flux.flatten,
)         # Total: 7 trainable arrays, 664 parameters,
          # plus 2 non-trainable, 16 parameters, summarysize 3.914 KiB.
)");
    const Expr& skip = m.args[0];
    EXPECT_EQ(skip.args[1].kind, ExprKind::Name);
    EXPECT_EQ(skip.args[1].name, "+");
    const Expr& par = m.args[1];
    EXPECT_EQ(par.args[0].name, "vcat");
    ASSERT_EQ(par.keywords.size(), 2u);
    EXPECT_EQ(par.keywords[1].name, "b");
    EXPECT_EQ(m.args[2].qualifier, "Flux");
}

TEST(FluxText, ChainOfVectorBothForms) {
    const Expr m = same_model("Chain([Dense(2 => 3), Dense(3 => 1)])", R"(Chain([
  Dense(2 => 3),                        # 9 parameters
  Dense(3 => 1),                        # 4 parameters
])                  # Total: 4 arrays, 13 parameters, 436 bytes.
)");
    ASSERT_EQ(m.args.size(), 1u);
    EXPECT_EQ(m.args[0].kind, ExprKind::Vector);
    EXPECT_EQ(m.args[0].args.size(), 2u);
}

TEST(FluxText, MaxoutPairwiseFusionMultiHeadBothForms) {
    same_model("Chain(Maxout(Dense(4 => 2), Dense(4 => 2)), PairwiseFusion(+, Dense(2 => 2), Dense(2 => 2)))",
               R"(Chain(
  Maxout(
    Dense(4 => 2),                      # 10 parameters
    Dense(4 => 2),                      # 10 parameters
  ),
  PairwiseFusion(
    +,
    Dense(2 => 2),                      # 6 parameters
    Dense(2 => 2),                      # 6 parameters
  ),
)                   # Total: 8 arrays, 32 parameters, 1.000 KiB.)");
    const Expr mha = parse_model_text("MultiHeadAttention(64 => 32 => 64; nheads=8, bias=true, dropout_prob=0.1)");
    ASSERT_EQ(mha.args.size(), 1u);
    const Expr& p = mha.args[0];
    ASSERT_EQ(p.kind, ExprKind::Pair);
    EXPECT_EQ(p.args[0].integer, 64);
    ASSERT_EQ(p.args[1].kind, ExprKind::Pair);  // right-associative, as Julia
    EXPECT_EQ(p.args[1].args[0].integer, 32);
    EXPECT_EQ(p.args[1].args[1].integer, 64);
    ASSERT_EQ(mha.keywords.size(), 3u);
    EXPECT_TRUE(mha.keywords[2].after_semicolon);
    EXPECT_DOUBLE_EQ(mha.keyword("dropout_prob")->real, 0.1);
    const Expr mha2 = parse_model_text("MultiHeadAttention((3, 4, 5) => (6, 7) => 8; nheads=1)");
    EXPECT_EQ(mha2.args[0].args[0].kind, ExprKind::Tuple);
    EXPECT_EQ(mha2.args[0].args[0].args.size(), 3u);
}

TEST(FluxText, EveryLayerOptionAsFluxPrintsIt) {
    const char* texts[] = {
        "Conv((5,), 2 => 4, σ, pad=2, stride=2, dilation=3, groups=2, bias=false)",
        "ConvTranspose((3, 3), 8 => 4, relu, pad=(1, 0), stride=(2, 2))",
        "CrossCor((2, 2), 1 => 1, pad=SamePad())",
        "MaxPool((2, 2), pad=1, stride=(1, 2))",
        "MeanPool((3, 3))",
        "GlobalMaxPool()",
        "AdaptiveMeanPool((4, 4))",
        "Upsample(:nearest, scale = (2, 2))",
        "Upsample(:bilinear, size = (8, 8))",
        "PixelShuffle(2)",
        "Dropout(0.5, dims=3, active=true)",
        "AlphaDropout(0.2)",
        "AlphaDropout{Float64, Random.TaskLocalRNG}(0.5, nothing, Random.TaskLocalRNG())",
        "LayerNorm(4, 5, affine=false)",
        "BatchNorm(16, relu, active=false)",
        "InstanceNorm(3, affine=false)",
        "GroupNorm(32, 8, hardσ, affine=false)",
        "Bilinear((4, 5) => 6, relu; bias=false)",
        "Scale(3, 4, tanh; bias=false)",
        "Embedding(100 => 8)",
        "EmbeddingBag(10 => 4)",
        "Recur(GRUv3Cell(3 => 5))",
        "Recur(RNNCell(3 => 5, tanh))",
        "LSTM(32 => 64)",
        "Chain(Dense(2 => 2, NNlib.σ), MLUtils.flatten, logsoftmax, identity)",
    };
    for (const char* t : texts) {
        SCOPED_TRACE(t);
        Expr e;
        ASSERT_NO_THROW(e = parse_model_text(t));
        EXPECT_NO_THROW(flux::check_known(e, t));
        EXPECT_TRUE(parse_model_text(flux::format_expr(e)) == e) << flux::format_expr(e);
    }
    const Expr up = parse_model_text("Upsample(:nearest, scale = (2, 2))");
    EXPECT_EQ(up.args[0].kind, ExprKind::Symbol);
    EXPECT_EQ(up.args[0].name, "nearest");
    EXPECT_EQ(up.keyword("scale")->kind, ExprKind::Tuple);
    const Expr ad = parse_model_text("AlphaDropout{Float64, Random.TaskLocalRNG}(0.5, nothing, Random.TaskLocalRNG())");
    ASSERT_EQ(ad.type_params.size(), 2u);
    EXPECT_EQ(ad.type_params[1].qualified_name(), "Random.TaskLocalRNG");
    EXPECT_EQ(ad.args[2].kind, ExprKind::Call);
}

TEST(FluxText, NumbersInJuliaSpellings) {
    const Expr e = parse_model_text(
        "f(0.5, 1.0f-5, 1e-5, 2.5E3, 1f0, -3, -0.25, Inf32, -Inf, NaN, 1_000, .5, 1., "
        "-9223372036854775808, 9223372036854775807)");
    ASSERT_EQ(e.args.size(), 15u);
    EXPECT_EQ(e.args[0].kind, ExprKind::Float);
    EXPECT_DOUBLE_EQ(e.args[0].real, 0.5);
    EXPECT_FALSE(e.args[0].float32);
    EXPECT_TRUE(e.args[1].float32);
    EXPECT_DOUBLE_EQ(e.args[1].real, 1e-5);
    EXPECT_EQ(e.args[1].text, "1.0f-5");
    EXPECT_DOUBLE_EQ(e.args[2].real, 1e-5);
    EXPECT_FALSE(e.args[2].float32);
    EXPECT_DOUBLE_EQ(e.args[3].real, 2500);
    EXPECT_DOUBLE_EQ(e.args[4].real, 1);
    EXPECT_TRUE(e.args[4].float32);
    EXPECT_EQ(e.args[5].kind, ExprKind::Integer);
    EXPECT_EQ(e.args[5].integer, -3);
    EXPECT_EQ(e.args[5].text, "-3");
    EXPECT_DOUBLE_EQ(e.args[6].real, -0.25);
    EXPECT_TRUE(std::isinf(e.args[7].real) && e.args[7].real > 0 && e.args[7].float32);
    EXPECT_TRUE(std::isinf(e.args[8].real) && e.args[8].real < 0 && !e.args[8].float32);
    EXPECT_TRUE(std::isnan(e.args[9].real));
    EXPECT_EQ(e.args[10].integer, 1000);
    EXPECT_DOUBLE_EQ(e.args[11].real, 0.5);
    EXPECT_DOUBLE_EQ(e.args[12].real, 1.0);
    EXPECT_EQ(e.args[13].integer, INT64_MIN);
    EXPECT_EQ(e.args[14].integer, INT64_MAX);
    EXPECT_TRUE(parse_model_text(flux::format_expr(e)) == e);
}

TEST(FluxText, TuplesNamedTuplesStringsSymbolsOperators) {
    const Expr e = parse_model_text("f((), (1,), (1), (a = 1, b = :x), (; c = \"q\\\"\\n\"), -, *, (+))");
    ASSERT_EQ(e.args.size(), 8u);
    EXPECT_EQ(e.args[0].kind, ExprKind::Tuple);
    EXPECT_TRUE(e.args[0].args.empty());
    EXPECT_EQ(e.args[1].kind, ExprKind::Tuple);
    EXPECT_EQ(e.args[1].args.size(), 1u);
    EXPECT_EQ(e.args[2].kind, ExprKind::Integer);  // (1) is grouping
    EXPECT_EQ(e.args[3].keywords.size(), 2u);
    EXPECT_EQ(e.args[3].keywords[1].value.kind, ExprKind::Symbol);
    EXPECT_EQ(e.args[4].keywords[0].value.kind, ExprKind::String);
    EXPECT_EQ(e.args[4].keywords[0].value.name, "q\"\n");
    EXPECT_EQ(e.args[5].name, "-");
    EXPECT_EQ(e.args[6].name, "*");
    EXPECT_EQ(e.args[7].name, "+");
    EXPECT_TRUE(parse_model_text(flux::format_expr(e)) == e) << flux::format_expr(e);
}

TEST(FluxText, EqualityIgnoresOffsetsOnly) {
    EXPECT_TRUE(parse_model_text("Dense(2 => 3)") == parse_model_text("  Dense( 2=>3 ,)"));
    EXPECT_FALSE(parse_model_text("Dense(2 => 3)") == parse_model_text("Dense(2 => 4)"));
    EXPECT_FALSE(parse_model_text("f(1.0)") == parse_model_text("f(1.0f0)"));
    EXPECT_FALSE(parse_model_text("f(a=1)") == parse_model_text("f(; a=1)"));
    EXPECT_FALSE(parse_model_text("f(relu)") == parse_model_text("f(NNlib.relu)"));
    const Expr e = parse_model_text("Chain(\n  Dense(2 => 3),\n)");
    EXPECT_EQ(e.offset, 0u);
    EXPECT_EQ(e.args[0].offset, 9u);
    EXPECT_EQ(flux::describe_position("Chain(\n  Dense(2 => 3),\n)", e.args[0].offset), "line 2, column 3");
}

TEST(FluxText, CommentsAnywhereAndAnonymousNamesOnlyWhereAValueIsDue) {
    const Expr plain = parse_model_text("Chain(Dense(2 => 3), relu)");
    EXPECT_TRUE(parse_model_text("#model\nChain( # layers:\n Dense(2 => 3), #= block #= nested =# =# relu)#end") ==
                plain);
    EXPECT_TRUE(parse_model_text("Chain(Dense(2 => 3), relu) #comment") == plain);
    const Expr anon = parse_model_text("Chain(#1, f = #3#4, [#5])");
    EXPECT_EQ(anon.args[0].kind, ExprKind::Name);
    EXPECT_EQ(anon.args[0].name, "#1");
    EXPECT_EQ(anon.keywords[0].value.name, "#3#4");
    EXPECT_EQ(anon.args[1].args[0].name, "#5");
    EXPECT_CONTAINS(error_of<FormatError>("Chain(relu) #= open"), "`#=` comment without its closing `=#`");
}

TEST(FluxText, DescribePositionCountsCharacters) {
    EXPECT_EQ(flux::describe_position("", 0), "line 1, column 1");
    EXPECT_EQ(flux::describe_position("ab\ncd", 4), "line 2, column 2");
    EXPECT_EQ(flux::describe_position("σσx", 4), "line 1, column 3");  // σ is two bytes
    EXPECT_EQ(flux::describe_position("ab", 99), "line 1, column 3");
}

TEST(FluxText, SyntaxErrorsSayWhatAndWhere) {
    EXPECT_CONTAINS(error_of<FormatError>("Chain(\n  Dense(2 => 3),\n  Dense(3 => 1)"), "line 3, column 16");
    EXPECT_CONTAINS(error_of<FormatError>("Chain(\n  Dense(2 => 3),\n  Dense(3 => 1)"),
                    "inside `Chain(` opened at line 1, column 6");
    EXPECT_CONTAINS(error_of<FormatError>("Dense(2 => 3))"), "unexpected `)` after the model at line 1, column 14");
    EXPECT_CONTAINS(error_of<FormatError>("Dense(2 3)"), "expected `,` or `)` in `Dense(`");
    EXPECT_CONTAINS(error_of<FormatError>("Dense(2 => 3; relu)"), "keyword argument `name = value` after `;`");
    EXPECT_CONTAINS(error_of<FormatError>("Dense(2 => )"), "expected a layer, function or value, found `)`");
    EXPECT_CONTAINS(error_of<FormatError>(""), "no model expression");
    EXPECT_CONTAINS(error_of<FormatError>("# 160 parameters\n"), "no model expression");
    EXPECT_CONTAINS(error_of<FormatError>("Dense(2 => 3) ∘ relu"), "unexpected character `∘` at line 1, column 15");
    EXPECT_CONTAINS(error_of<FormatError>("f(\"abc)"), "closing quote");
    EXPECT_CONTAINS(error_of<FormatError>("f(\"a$b\")"), "interpolation");
    EXPECT_CONTAINS(error_of<FormatError>("f(1.0e)"), "incomplete exponent");
    EXPECT_CONTAINS(error_of<FormatError>("f(2x)"), "malformed number");
    EXPECT_CONTAINS(error_of<FormatError>("f(0x1F)"), "hexadecimal");
    EXPECT_CONTAINS(error_of<FormatError>("f(1e999)"), "overflows");
    EXPECT_CONTAINS(error_of<FormatError>("Foo{Int}"), "expected `(` after the type parameters of `Foo`");
    EXPECT_CONTAINS(error_of<FormatError>("f(: x)"), "`:` not followed");
    EXPECT_CONTAINS(error_of<FormatError>("f([1 2])"), "expected `,` or `]`");
    EXPECT_CONTAINS(error_of<FormatError>(std::string("f(\xff)")), "not UTF-8 at line 1, column 3");
    EXPECT_CONTAINS(error_of<FormatError>(std::string("f(\xc3)")), "not UTF-8");
    EXPECT_CONTAINS(error_of<FormatError>("NNlib."), "expected a name after `.`");
    EXPECT_CONTAINS(error_of<FormatError>(std::string("f(\0)", 4)),
                    "unexpected control character U+0000 at line 1, column 3");
}

TEST(FluxText, UnknownNamesAreUnsupportedWithPositions) {
    EXPECT_CONTAINS(error_of<UnsupportedError>("Chain(\n  Dense(2 => 3),\n    MyLayer(3),\n)"),
                    "unknown layer `MyLayer` at line 3, column 5");
    EXPECT_CONTAINS(error_of<UnsupportedError>("Chain(Dense(2 => 3, myact))"), "unknown function `myact` at line 1");
    EXPECT_CONTAINS(error_of<UnsupportedError>("Chain(Dense(2 => 3), #1)"),
                    "anonymous function `#1` at line 1, column 22");
    EXPECT_CONTAINS(error_of<UnsupportedError>("Chain(var\"#3#4\"())"), "anonymous function `#3#4`");
    EXPECT_CONTAINS(error_of<UnsupportedError>("Chain(Dense(2 => 3, #relu#5))"), "anonymous function `#relu#5`");
    EXPECT_CONTAINS(error_of<UnsupportedError>("Chain(MyModule.relu)"), "unknown module `MyModule` in `MyModule.relu`");
    EXPECT_CONTAINS(error_of<UnsupportedError>("Chain(Flux.MyLayer(1))"), "unknown layer `Flux.MyLayer`");
    EXPECT_CONTAINS(error_of<UnsupportedError>("Chain(Dense)"), "the type `Dense` where a layer `Dense(…)`");
    EXPECT_CONTAINS(error_of<UnsupportedError>("relu(Dense(1 => 1))"), "unknown layer `relu`");
    // Keyword values are checked too; type parameters are types, not checked.
    EXPECT_CONTAINS(error_of<UnsupportedError>("Chain(a = Custom())"), "unknown layer `Custom`");
    EXPECT_NO_THROW(flux::check_known(parse_model_text("AlphaDropout{Anything}(0.5)"), ""));
    for (std::string_view layer : flux::known_layers()) {
        const std::string t = std::string(layer) + "()";
        EXPECT_NO_THROW(flux::check_known(parse_model_text(t), t)) << t;
    }
    for (std::string_view f : flux::known_functions()) {
        const std::string t = "Chain(" + std::string(f) + ")";
        EXPECT_NO_THROW(flux::check_known(parse_model_text(t), t)) << t;
    }
}

TEST(FluxText, LimitsEndInErrorsNotCrashes) {
    flux::TextLimits small;
    small.max_bytes = 10;
    EXPECT_CONTAINS(error_of<FormatError>("Dense(2 => 3)", small), "TextLimits::max_bytes");

    const std::string deep = std::string(101, '(') + "1" + std::string(101, ')');
    EXPECT_CONTAINS(error_of<FormatError>(deep), "TextLimits::max_depth");
    const std::string ok = std::string(99, '(') + "1" + std::string(99, ')');
    EXPECT_EQ(parse_model_text(ok).integer, 1);
    // Far deeper than any stack would take if the parser recursed without a limit.
    const std::string very_deep = std::string(1'000'000, '[');
    EXPECT_CONTAINS(error_of<FormatError>(very_deep), "TextLimits::max_depth");
    std::string pairs;
    for (int i = 0; i < 500; ++i) pairs += "1 => ";
    EXPECT_CONTAINS(error_of<FormatError>(pairs + "1"), "TextLimits::max_depth");
    std::string calls;
    for (int i = 0; i < 200; ++i) calls += "Chain(";
    EXPECT_CONTAINS(error_of<FormatError>(calls), "TextLimits::max_depth");

    flux::TextLimits few;
    few.max_nodes = 5;
    EXPECT_CONTAINS(error_of<FormatError>("f(1, 2, 3, 4, 5)", few), "TextLimits::max_nodes");
    EXPECT_NO_THROW(parse_model_text("f(1, 2, 3, 4)", few));

    EXPECT_CONTAINS(error_of<FormatError>("Dense(99999999999999999999 => 1)"),
                    "integer `99999999999999999999` does not fit in 64 bits at line 1, column 7");
    EXPECT_CONTAINS(error_of<FormatError>("f(-9223372036854775809)"), "does not fit in 64 bits");
    EXPECT_CONTAINS(error_of<FormatError>("Chain(" + std::string(300, 'a') + ")"), "TextLimits::max_token_bytes");
    EXPECT_CONTAINS(error_of<FormatError>("f(" + std::string(300, '1') + ")"), "TextLimits::max_token_bytes");
    EXPECT_CONTAINS(error_of<FormatError>("f(\"" + std::string(300, 's') + "\")"), "TextLimits::max_token_bytes");
    std::string path = "A";
    for (int i = 0; i < 100; ++i) path += ".Bcd";
    EXPECT_CONTAINS(error_of<FormatError>(path), "TextLimits::max_token_bytes");

    // A megabyte of a flat, valid model parses under the default limits' node count or refuses it.
    std::string wide = "Chain(";
    for (int i = 0; i < 20000; ++i) wide += "relu, ";
    wide += ")";
    const Expr w = parse_model_text(wide);
    EXPECT_EQ(w.args.size(), 20000u);
}
