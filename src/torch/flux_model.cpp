#include "legolasflux/torch/flux_model.hpp"

#include <set>

#include "legolasflux/errors.hpp"
#include "legolasflux/torch/flux.hpp"

namespace legolasflux::flux {
namespace {

// One call's arguments, taken one by one; every keyword must be used and every positional argument
// taken, or the call is refused naming the one left over.
class Args {
public:
    Args(const Expr& call, std::string_view text) : call_(call), text_(text) {}

    [[noreturn]] void fail(const Expr& where, const std::string& what) const {
        throw InvalidArgument(call_.name + " at " + describe_position(text_, call_.offset) + ": " + what + " (`" +
                              format_expr(where) + "` at " + describe_position(text_, where.offset) + ")");
    }
    [[noreturn]] void fail(const std::string& what) const {
        throw InvalidArgument(call_.name + " at " + describe_position(text_, call_.offset) + ": " + what);
    }

    size_t count() const { return call_.args.size(); }
    bool has(size_t i) const { return i < call_.args.size(); }
    const Expr& at(size_t i) {
        if (i >= call_.args.size())
            fail("expected at least " + std::to_string(i + 1) + " positional argument" + (i ? "s" : "") + ", got " +
                 std::to_string(call_.args.size()));
        taken_ = std::max(taken_, i + 1);
        return call_.args[i];
    }
    // The keyword's value, or null; `aliases` are other spellings (ϵ and eps).
    const Expr* keyword(std::string_view name, std::string_view alias = {}) {
        for (const Keyword& k : call_.keywords)
            if (k.name == name || (!alias.empty() && k.name == alias)) {
                used_.insert(k.name);
                return &k.value;
            }
        return nullptr;
    }
    // Refuses what was not taken.
    void done() const {
        if (taken_ < call_.args.size()) fail(call_.args[taken_], "unexpected argument");
        for (const Keyword& k : call_.keywords)
            if (!used_.count(k.name)) fail(k.value, "unknown keyword `" + k.name + "`");
    }

    int64_t integer(const Expr& e) const {
        if (e.kind != ExprKind::Integer) fail(e, "expected an integer");
        return e.integer;
    }
    int64_t positive(const Expr& e) const {
        const int64_t v = integer(e);
        if (v <= 0) fail(e, "expected a positive integer");
        return v;
    }
    double real(const Expr& e) const {
        if (e.kind == ExprKind::Integer) return static_cast<double>(e.integer);
        if (e.kind != ExprKind::Float) fail(e, "expected a number");
        return e.real;
    }
    bool boolean(const Expr& e) const {
        if (e.kind != ExprKind::Bool) fail(e, "expected true or false");
        return e.boolean;
    }
    // An integer or a tuple of integers: (3, 3).
    std::vector<int64_t> ints(const Expr& e) const {
        if (e.kind == ExprKind::Integer) return {e.integer};
        if (e.kind != ExprKind::Tuple || !e.keywords.empty()) fail(e, "expected an integer or a tuple of integers");
        std::vector<int64_t> out;
        for (const Expr& v : e.args) out.push_back(integer(v));
        return out;
    }
    Ints ints_option(const Expr& e) const {
        if (e.kind == ExprKind::Integer) return Ints(e.integer);
        return Ints(ints(e));
    }
    // in => out.
    std::pair<int64_t, int64_t> channels(const Expr& e) const {
        if (e.kind != ExprKind::Pair) fail(e, "expected `in => out`");
        return {positive(e.args[0]), positive(e.args[1])};
    }
    // A function value: relu, NNlib.softmax, identity.
    Function function(const Expr& e) const {
        if (e.kind != ExprKind::Name) fail(e, "expected a function name");
        if (const Function* f = function_named(e.name)) return *f;
        fail(e, "unknown function");
    }

    const Expr& call() const { return call_; }

private:
    const Expr& call_;
    std::string_view text_;
    size_t taken_ = 0;
    std::set<std::string> used_;
};

class Builder {
public:
    Builder(std::string_view text, const BuildOptions& options) : text_(text), options_(options) {}

    Layer layer(const Expr& e) {
        if (e.kind == ExprKind::Name) {
            if (const Function* f = function_named(e.name)) return Layer(*f);
            throw UnsupportedError("unknown function `" + e.qualified_name() + "` at " +
                                   describe_position(text_, e.offset));
        }
        if (e.kind != ExprKind::Call)
            throw InvalidArgument("expected a layer at " + describe_position(text_, e.offset) + ", got `" +
                                  format_expr(e) + "`");
        Args a(e, text_);
        Layer built = call(e.name, a);
        a.done();
        return built;
    }

private:
    // An optional positional activation at index i.
    Activation activation(Args& a, size_t i) { return a.has(i) ? a.function(a.at(i)) : Activation{}; }

    template <class Options>
    void conv_keywords(Args& a, Options& o) {
        if (const Expr* v = a.keyword("stride")) o.stride = a.ints_option(*v);
        if (const Expr* v = a.keyword("pad"))
            o.pad = v->kind == ExprKind::Integer ? Padding(v->integer) : Padding(a.ints(*v));
        if (const Expr* v = a.keyword("dilation")) o.dilation = a.ints_option(*v);
        if (const Expr* v = a.keyword("bias")) o.bias = a.boolean(*v);
    }

    template <class Options>
    void norm_keywords(Args& a, Options& o) {
        if (const Expr* v = a.keyword("affine")) o.affine = a.boolean(*v);
        if (const Expr* v = a.keyword("track_stats")) o.track_stats = a.boolean(*v);
        if (const Expr* v = a.keyword("ϵ", "eps")) o.eps = a.real(*v);
        if (const Expr* v = a.keyword("momentum")) o.momentum = a.real(*v);
        a.keyword("active");  // the module's mode decides (see the header)
    }

    Layer chain(Args& a) {
        const Expr& e = a.call();
        if (!e.keywords.empty()) {
            if (!e.args.empty()) a.fail("a Chain has either named or positional layers, not both");
            std::vector<std::pair<std::string, Layer>> named;
            for (const Keyword& k : e.keywords) {
                a.keyword(k.name);
                named.emplace_back(k.name, layer(k.value));
            }
            return Chain(std::move(named));
        }
        std::vector<Layer> layers;
        // Chain([a, b]): Flux's vector form.
        if (e.args.size() == 1 && e.args[0].kind == ExprKind::Vector) {
            for (const Expr& l : a.at(0).args) layers.push_back(layer(l));
        } else {
            for (size_t i = 0; i < a.count(); ++i) layers.push_back(layer(a.at(i)));
        }
        return Chain(std::move(layers));
    }

    Layer call(const std::string& name, Args& a) {
        if (name == "Chain") return chain(a);
        if (name == "Dense") {
            // Dense(in => out, σ; bias=false); Flux 0.12 printed Dense(in, out, σ).
            int64_t in, out;
            size_t next = 1;
            if (a.at(0).kind == ExprKind::Pair) {
                std::tie(in, out) = a.channels(a.at(0));
            } else {
                in = a.positive(a.at(0)), out = a.positive(a.at(1));
                next = 2;
            }
            DenseOptions o;
            if (const Expr* v = a.keyword("bias")) o.bias = a.boolean(*v);
            return Dense(in, out, activation(a, next), o);
        }
        if (name == "Conv" || name == "CrossCor" || name == "ConvTranspose" || name == "DepthwiseConv") {
            const std::vector<int64_t> kernel = a.ints(a.at(0));
            const auto [in, out] = a.channels(a.at(1));
            const Activation act = activation(a, 2);
            if (name == "Conv") {
                ConvOptions o;
                conv_keywords(a, o);
                if (const Expr* v = a.keyword("groups")) o.groups = a.positive(*v);
                return Conv(kernel, in, out, act, o);
            }
            if (name == "CrossCor") {
                CrossCorOptions o;
                conv_keywords(a, o);
                return CrossCor(kernel, in, out, act, o);
            }
            if (name == "DepthwiseConv") {
                DepthwiseConvOptions o;
                conv_keywords(a, o);
                return DepthwiseConv(kernel, in, out, act, o);
            }
            ConvTransposeOptions o;
            conv_keywords(a, o);
            if (const Expr* v = a.keyword("groups")) o.groups = a.positive(*v);
            if (const Expr* v = a.keyword("outpad")) o.outpad = a.ints_option(*v);
            return ConvTranspose(kernel, in, out, act, o);
        }
        if (name == "BatchNorm") {
            BatchNormOptions o;
            norm_keywords(a, o);
            return BatchNorm(a.positive(a.at(0)), activation(a, 1), o);
        }
        if (name == "InstanceNorm") {
            InstanceNormOptions o;
            norm_keywords(a, o);
            return InstanceNorm(a.positive(a.at(0)), activation(a, 1), o);
        }
        if (name == "GroupNorm") {
            GroupNormOptions o;
            norm_keywords(a, o);
            return GroupNorm(a.positive(a.at(0)), a.positive(a.at(1)), activation(a, 2), o);
        }
        if (name == "LayerNorm") {
            LayerNormOptions o;
            o.generation = options_.generation;
            if (const Expr* v = a.keyword("affine")) o.affine = a.boolean(*v);
            if (const Expr* v = a.keyword("ϵ", "eps")) o.eps = a.real(*v);
            std::vector<int64_t> size = a.ints(a.at(0));
            // LayerNorm(2, 3) is LayerNorm((2, 3)).
            size_t next = 1;
            while (a.has(next) && a.call().args[next].kind == ExprKind::Integer)
                size.push_back(a.positive(a.at(next++)));
            return LayerNorm(size, activation(a, next), o);
        }
        if (name == "Dropout") {
            DropoutOptions o;
            if (const Expr* v = a.keyword("dims")) o.dims = a.ints(*v);
            a.keyword("active");
            return Dropout(a.real(a.at(0)), o);
        }
        if (name == "AlphaDropout") {
            a.keyword("active");
            return AlphaDropout(a.real(a.at(0)));
        }
        if (name == "MaxPool" || name == "MeanPool") {
            PoolOptions o;
            if (const Expr* v = a.keyword("pad"))
                o.pad = v->kind == ExprKind::Integer ? Padding(v->integer) : Padding(a.ints(*v));
            if (const Expr* v = a.keyword("stride")) o.stride = a.ints_option(*v);
            const std::vector<int64_t> window = a.ints(a.at(0));
            if (name == "MaxPool") return MaxPool(window, o);
            return MeanPool(window, o);
        }
        if (name == "AdaptiveMaxPool") return AdaptiveMaxPool(a.ints(a.at(0)));
        if (name == "AdaptiveMeanPool") return AdaptiveMeanPool(a.ints(a.at(0)));
        if (name == "GlobalMaxPool") return GlobalMaxPool();
        if (name == "GlobalMeanPool") return GlobalMeanPool();
        if (name == "PixelShuffle") return PixelShuffle(a.positive(a.at(0)));
        if (name == "Upsample") return upsample(a);
        if (name == "Recur" || name == "RNN" || name == "LSTM" || name == "GRU" || name == "GRUv3" ||
            name == "RNNCell" || name == "LSTMCell" || name == "GRUCell" || name == "GRUv3Cell")
            return recurrent(name, a);
        if (name == "Bilinear") {
            // Bilinear((in1, in2) => out, σ; bias=false); Bilinear(in => out) is in1 = in2 = in.
            const Expr& p = a.at(0);
            if (p.kind != ExprKind::Pair) a.fail(p, "expected `(in1, in2) => out`");
            std::pair<int64_t, int64_t> in;
            if (p.args[0].kind == ExprKind::Integer) {
                in = {a.positive(p.args[0]), a.positive(p.args[0])};
            } else {
                const std::vector<int64_t> ins = a.ints(p.args[0]);
                if (ins.size() != 2) a.fail(p.args[0], "expected two input sizes");
                in = {ins[0], ins[1]};
            }
            BilinearOptions o;
            if (const Expr* v = a.keyword("bias")) o.bias = a.boolean(*v);
            return Bilinear(in, a.positive(p.args[1]), activation(a, 1), o);
        }
        if (name == "Scale") {
            // Scale(2, 3, σ; bias=false): the size, then the activation.
            std::vector<int64_t> size;
            size_t next = 0;
            while (a.has(next) && a.call().args[next].kind == ExprKind::Integer)
                size.push_back(a.positive(a.at(next++)));
            if (size.empty()) a.fail("expected the size");
            ScaleOptions o;
            if (const Expr* v = a.keyword("bias")) o.bias = a.boolean(*v);
            return Scale(size, activation(a, next), o);
        }
        if (name == "Embedding") {
            const auto [in, out] = a.channels(a.at(0));
            EmbeddingOptions o;
            if (const Expr* v = a.keyword("pad")) o.padding_idx = a.integer(*v);
            return Embedding(in, out, o);
        }
        if (name == "EmbeddingBag") {
            const auto [in, out] = a.channels(a.at(0));
            Reduction reduction = mean;
            if (a.has(1)) {
                const Expr& r = a.at(1);
                const Reduction* known[] = {&mean, &sum, &maximum, &minimum, &prod};
                const char* names[] = {"mean", "sum", "maximum", "minimum", "prod"};
                bool found = false;
                for (size_t i = 0; i < 5; ++i)
                    if (r.kind == ExprKind::Name && r.name == names[i]) reduction = *known[i], found = true;
                if (!found) a.fail(r, "expected mean, sum, maximum, minimum or prod");
            }
            return EmbeddingBag(in, out, reduction);
        }
        if (name == "Maxout") {
            std::vector<Layer> layers;
            for (size_t i = 0; i < a.count(); ++i) layers.push_back(layer(a.at(i)));
            return Maxout(std::move(layers));
        }
        if (name == "SkipConnection") {
            Layer inner = layer(a.at(0));
            return SkipConnection(inner, connection(a, a.at(1)));
        }
        if (name == "Parallel" || name == "PairwiseFusion") {
            const Connection c = connection(a, a.at(0));
            const Expr& e = a.call();
            if (!e.keywords.empty()) {
                if (e.args.size() > 1) a.fail("layers are either named or positional, not both");
                std::vector<std::pair<std::string, Layer>> named;
                for (const Keyword& k : e.keywords) {
                    a.keyword(k.name);
                    named.emplace_back(k.name, layer(k.value));
                }
                if (name == "Parallel") return std::make_shared<ParallelImpl>(c, std::move(named));
                return std::make_shared<PairwiseFusionImpl>(c, std::move(named));
            }
            std::vector<Layer> layers;
            for (size_t i = 1; i < a.count(); ++i) layers.push_back(layer(a.at(i)));
            if (name == "Parallel") return Parallel(c, std::move(layers));
            return PairwiseFusion(c, std::move(layers));
        }
        if (name == "MultiHeadAttention") return attention(a);
        throw UnsupportedError("unknown layer `" + a.call().qualified_name() + "` at " +
                               describe_position(text_, a.call().offset));
    }

    // How Parallel, SkipConnection and PairwiseFusion combine: +, vcat, hcat, or a Bilinear layer.
    Connection connection(Args& a, const Expr& e) {
        if (e.kind == ExprKind::Name) {
            if (e.name == "+") return add;
            if (e.name == "vcat") return vcat;
            if (e.name == "hcat") return hcat;
            a.fail(e, "unknown connection (+, vcat, hcat or a Bilinear layer)");
        }
        if (e.kind == ExprKind::Call && e.name == "Bilinear") {
            Layer l = layer(e);
            return Connection(Bilinear(l.as<BilinearImpl>()));
        }
        a.fail(e, "expected a connection (+, vcat, hcat or a Bilinear layer)");
    }

    // Flux 0.13/0.14 print a recurrent layer as Recur(LSTMCell(in => out)); 0.15/0.16 as
    // LSTM(in => out), whose cells are layers of their own.
    Layer recurrent(const std::string& name, Args& a) {
        const bool v0_13 = options_.generation == Generation::v0_13;
        if (name == "Recur") {
            if (!v0_13)
                a.fail("Recur is Flux 0.13/0.14's; this model is read as Flux 0.15/0.16 (BuildOptions::generation)");
            const Expr& cell = a.at(0);
            if (cell.kind != ExprKind::Call || cell.name.size() < 5 || cell.name.substr(cell.name.size() - 4) != "Cell")
                a.fail(cell, "expected a recurrent cell (RNNCell, LSTMCell, GRUCell, GRUv3Cell)");
            Args inner(cell, text_);
            Layer built = recurrent_layer(cell.name.substr(0, cell.name.size() - 4), inner, false);
            inner.done();
            return built;
        }
        const bool cell = name.size() > 4 && name.substr(name.size() - 4) == "Cell";
        if (v0_13 && cell)
            a.fail("a " + name + " outside Recur is a function of (state, x) in Flux 0.13/0.14; write Recur(" + name +
                   "(…)), or read the model as Flux 0.15/0.16");
        return recurrent_layer(cell ? name.substr(0, name.size() - 4) : name, a, cell);
    }

    Layer recurrent_layer(const std::string& kind, Args& a, bool cell) {
        const auto [in, out] = a.channels(a.at(0));
        RecurrentOptions o;
        o.generation = options_.generation;
        if (const Expr* v = a.keyword("bias")) o.bias = a.boolean(*v);
        a.keyword("return_state");  // how a caller takes the outputs: forward_state
        if (kind == "RNN") {
            const Activation act = a.has(1) ? a.function(a.at(1)) : flux::tanh;
            if (cell) return RNNCell(in, out, act, o);
            return RNN(in, out, act, o);
        }
        if (kind == "LSTM") return cell ? Layer(LSTMCell(in, out, o)) : Layer(LSTM(in, out, o));
        if (kind == "GRU") return cell ? Layer(GRUCell(in, out, o)) : Layer(GRU(in, out, o));
        if (kind == "GRUv3") return cell ? Layer(GRUv3Cell(in, out, o)) : Layer(GRUv3(in, out, o));
        a.fail("unknown recurrent layer " + kind);
    }

    // MultiHeadAttention(64; nheads=8), (in => qkv => out), ((q, k, v) => (qk, v) => out).
    Layer attention(Args& a) {
        MultiHeadAttentionOptions o;
        if (const Expr* v = a.keyword("nheads")) o.nheads = a.positive(*v);
        if (const Expr* v = a.keyword("bias")) o.bias = a.boolean(*v);
        if (const Expr* v = a.keyword("dropout_prob")) o.dropout_prob = a.real(*v);
        const Expr& d = a.at(0);
        if (d.kind == ExprKind::Integer) return MultiHeadAttention(a.positive(d), o);
        if (d.kind != ExprKind::Pair || d.args[1].kind != ExprKind::Pair)
            a.fail(d, "expected dims, `in => qkv => out` or `(q_in, k_in, v_in) => (qk, v) => out`");
        const Expr& in = d.args[0];
        const Expr& qkv = d.args[1].args[0];
        const int64_t out = a.positive(d.args[1].args[1]);
        if (in.kind == ExprKind::Integer && qkv.kind == ExprKind::Integer)
            return MultiHeadAttention(a.positive(in), a.positive(qkv), out, o);
        const std::vector<int64_t> ins = a.ints(in), qkvs = a.ints(qkv);
        if (ins.size() != 3) a.fail(in, "expected (q_in, k_in, v_in)");
        if (qkvs.size() != 2) a.fail(qkv, "expected (qk, v)");
        return MultiHeadAttention(std::array<int64_t, 3>{ins[0], ins[1], ins[2]},
                                  std::array<int64_t, 2>{qkvs[0], qkvs[1]}, out, o);
    }

    // Upsample(:nearest, scale = (2, 2)) / Upsample(:bilinear, size = (8, 8)) / Upsample(2).
    Layer upsample(Args& a) {
        UpsampleMode mode = UpsampleMode::nearest;
        size_t next = 0;
        if (a.has(0) && a.call().args[0].kind == ExprKind::Symbol) {
            const Expr& m = a.at(0);
            if (m.name == "nearest")
                mode = UpsampleMode::nearest;
            else if (m.name == "bilinear")
                mode = UpsampleMode::bilinear;
            else if (m.name == "trilinear")
                mode = UpsampleMode::trilinear;
            else
                a.fail(m, "unknown Upsample mode");
            next = 1;
        }
        UpsampleOptions o;
        const auto reals = [&](const Expr& e) {
            JuliaTuple<double> t;
            if (e.kind != ExprKind::Tuple) return JuliaTuple<double>(a.real(e));
            for (const Expr& v : e.args) t.values.push_back(a.real(v));
            return t;
        };
        if (a.has(next)) o.scale = reals(a.at(next));
        if (const Expr* v = a.keyword("scale")) o.scale = reals(*v);
        if (const Expr* v = a.keyword("size")) {
            JuliaTuple<int64_t> t;
            t.values = a.ints(*v);
            o.size = t;
        }
        return Upsample(mode, o);
    }

    std::string_view text_;
    const BuildOptions& options_;
};

}  // namespace

Layer build_model(const Expr& description, std::string_view text, const BuildOptions& options) {
    return Builder(text, options).layer(description);
}

Layer parse_model(std::string_view text, const BuildOptions& options) {
    const Expr description = parse_model_text(text, options.limits);
    check_known(description, text);
    return build_model(description, text, options);
}

}  // namespace legolasflux::flux
