// Flux's recurrent layers: Julia's arrays (Functors' order, Julia sizes, Recur.state stored or not),
// the arithmetic against plain loops written from Flux's cell formulas (src/layers/recurrent.jl of
// v0.13.17 and v0.16), state carried across calls and reset!, and rows loaded with and without state.
// NNlib publishes no test vectors for recurrent layers (they live in Flux), so there are none here.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <iostream>
#include <sstream>

#include "legolasflux/errors.hpp"
#include "legolasflux/torch/flux.hpp"
#include "legolasflux/torch/flux_recurrent.hpp"

namespace flux = legolasflux::flux;
using legolasflux::FlatArray;
using legolasflux::Weights;
using Kind = flux::RecurrentImpl::Kind;
using Sizes = std::vector<std::vector<int64_t>>;

namespace {

std::vector<float> values(const at::Tensor& t) {
    const at::Tensor c = t.detach().contiguous();
    return {c.data_ptr<float>(), c.data_ptr<float>() + c.numel()};
}

std::vector<float> values(const FlatArray& a) { return {a.data<float>().begin(), a.data<float>().end()}; }

Sizes sizes(const Weights& w) {
    Sizes s;
    for (size_t i = 0; i < w.size(); ++i) s.push_back(w[i].size);
    return s;
}

// The row with every array (state0 too) replaced by random values of the same Julia size.
Weights randomized(const Weights& w) {
    std::vector<FlatArray> arrays;
    for (size_t i = 0; i < w.size(); ++i) {
        int64_t n = 1;
        for (int64_t d : w[i].size) n *= d;
        arrays.push_back(FlatArray::from_values<float>(w[i].size, values(::torch::randn({n}) * 0.6)));
    }
    return Weights(std::move(arrays));
}

std::shared_ptr<flux::RecurrentImpl> make(Kind kind, int64_t in, int64_t out, flux::RecurrentOptions o = {}) {
    switch (kind) {
        case Kind::RNN: return flux::RNN(in, out, flux::rnn_tanh(), o).ptr();
        case Kind::LSTM: return flux::LSTM(in, out, o).ptr();
        case Kind::GRU: return flux::GRU(in, out, o).ptr();
        case Kind::GRUv3: return flux::GRUv3(in, out, o).ptr();
    }
    return nullptr;
}

double sigmoid(double x) { return 1 / (1 + std::exp(-x)); }

// A cell as Julia holds it: column-major arrays, Wi (G·out, in), Wh (rows, out), b, Wh_h̃ (out, out).
struct JuliaCell {
    Kind kind;
    int64_t in, out;
    std::vector<float> Wi, Wh, b, Whh;
    std::function<double(double)> sigma = [](double x) { return std::tanh(x); };

    // (M v)[k] for a column-major M with `rows` rows.
    static double mv(const std::vector<float>& m, int64_t rows, int64_t k, const double* v, int64_t n) {
        double s = 0;
        for (int64_t j = 0; j < n; ++j) s += double(m[k + j * rows]) * v[j];
        return s;
    }
    double bias(int64_t k) const { return b.empty() ? 0.0 : b[k]; }

    // One step of one sample, Flux's cell formula: h (and c) updated in place.
    void step(const float* xf, std::vector<double>& h, std::vector<double>& c) const {
        std::vector<double> x(xf, xf + in);
        const int64_t g = kind == Kind::RNN ? 1 : kind == Kind::LSTM ? 4 : 3;
        const int64_t whrows = int64_t(Wh.size()) / out;
        std::vector<double> gx(g * out), gh(whrows);
        for (int64_t k = 0; k < g * out; ++k) gx[k] = mv(Wi, g * out, k, x.data(), in);
        for (int64_t k = 0; k < whrows; ++k) gh[k] = mv(Wh, whrows, k, h.data(), out);
        std::vector<double> hn(out), cn(out);
        for (int64_t o = 0; o < out; ++o) {
            if (kind == Kind::RNN) {
                hn[o] = sigma(gx[o] + gh[o] + bias(o));
            } else if (kind == Kind::LSTM) {  // input, forget, cell, output = multigate(g, o, Val(4))
                auto gate = [&](int n) { return gx[n * out + o] + gh[n * out + o] + bias(n * out + o); };
                cn[o] = sigmoid(gate(1)) * c[o] + sigmoid(gate(0)) * std::tanh(gate(2));
                hn[o] = sigmoid(gate(3)) * std::tanh(cn[o]);
            }
        }
        if (kind == Kind::GRU || kind == Kind::GRUv3) {
            std::vector<double> r(out), z(out), rh(out);
            for (int64_t o = 0; o < out; ++o) {
                r[o] = sigmoid(gx[o] + gh[o] + bias(o));
                z[o] = sigmoid(gx[out + o] + gh[out + o] + bias(out + o));
                rh[o] = r[o] * h[o];
            }
            for (int64_t o = 0; o < out; ++o) {
                const double cand = kind == Kind::GRU
                                        ? gx[2 * out + o] + r[o] * gh[2 * out + o] + bias(2 * out + o)
                                        : gx[2 * out + o] + mv(Whh, out, o, rh.data(), out) + bias(2 * out + o);
                hn[o] = (1 - z[o]) * std::tanh(cand) + z[o] * h[o];
            }
        }
        h = hn;
        if (kind == Kind::LSTM) c = cn;
    }
};

// The cell of a fetched row: Wi, Wh, [b], [Wh_h̃] lead in both generations.
JuliaCell cell_of(Kind kind, const Weights& w, bool has_bias = true) {
    JuliaCell m{kind, w[0].size[1], w[1].size[1], values(w[0]), values(w[1]), {}, {}};
    size_t i = 2;
    if (has_bias) m.b = values(w[i++]);
    if (kind == Kind::GRUv3) m.Whh = values(w[i++]);
    return m;
}

// Flux 0.13's Recur on (in, batch, time) from per-sample states h, c (Julia (out, batch) column-major):
// the outputs (out, batch, time); h and c end at the last state.
std::vector<float> recur_reference(const JuliaCell& m, const std::vector<float>& x, int64_t batch, int64_t time,
                                   std::vector<std::vector<double>>& h, std::vector<std::vector<double>>& c) {
    std::vector<float> y(m.out * batch * time);
    for (int64_t t = 0; t < time; ++t)
        for (int64_t n = 0; n < batch; ++n) {
            m.step(&x[m.in * (n + batch * t)], h[n], c[n]);
            for (int64_t o = 0; o < m.out; ++o) y[o + m.out * (n + batch * t)] = float(h[n][o]);
        }
    return y;
}

// Every sample starts from state0 (out, 1), broadcast over the batch.
std::vector<std::vector<double>> broadcast(const FlatArray& s, int64_t batch) {
    const std::vector<float> v = values(s);
    return std::vector<std::vector<double>>(batch, std::vector<double>(v.begin(), v.end()));
}

void expect_near(const std::vector<float>& got, const std::vector<float>& want, const std::string& what) {
    ASSERT_EQ(got.size(), want.size()) << what;
    for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-5) << what << " at " << i;
}

std::string printed(const flux::RecurrentImpl& m) {
    std::ostringstream s;
    m.pretty_print(s);
    return s.str();
}

const std::vector<Kind> kKinds{Kind::RNN, Kind::LSTM, Kind::GRU, Kind::GRUv3};

}  // namespace

TEST(FluxRecurrent, ArraysAreJuliasInBothGenerations) {
    // Flux 0.13.17's fields: Wi, Wh, b, [Wh_h̃], state0, then Recur.state once it is no longer state0.
    const std::vector<Sizes> v13{{{5, 3}, {5, 5}, {5}, {5, 1}},
                                 {{20, 3}, {20, 5}, {20}, {5, 1}, {5, 1}},
                                 {{15, 3}, {15, 5}, {15}, {5, 1}},
                                 {{15, 3}, {10, 5}, {15}, {5, 5}, {5, 1}}};
    // Flux 0.15/0.16: Wi, Wh, bias/b, [Wh_h̃]; GRUv3's Wh has all three gates.
    const std::vector<Sizes> v15{
        {{5, 3}, {5, 5}, {5}}, {{20, 3}, {20, 5}, {20}}, {{15, 3}, {15, 5}, {15}}, {{15, 3}, {15, 5}, {15}, {5, 5}}};
    for (size_t k = 0; k < kKinds.size(); ++k) {
        auto m = make(kKinds[k], 3, 5);
        EXPECT_EQ(sizes(flux::fetch_weights(*m)), v13[k]) << printed(*m);
        m->forward(::torch::randn({2, 4, 3}));  // Recur.state becomes its own (out, batch) array
        Sizes with_state = v13[k];
        for (int i = 0; i < (kKinds[k] == Kind::LSTM ? 2 : 1); ++i) with_state.push_back({5, 4});
        EXPECT_EQ(sizes(flux::fetch_weights(*m)), with_state) << printed(*m);
        m->reset();
        EXPECT_EQ(sizes(flux::fetch_weights(*m)), v13[k]) << printed(*m);

        auto n = make(kKinds[k], 3, 5, {.generation = flux::Generation::v0_15});
        EXPECT_EQ(sizes(flux::fetch_weights(*n)), v15[k]) << printed(*n);
        n->forward(::torch::randn({4, 2, 3}));
        EXPECT_EQ(sizes(flux::fetch_weights(*n)), v15[k]) << printed(*n);
        auto nb = make(kKinds[k], 3, 5, {.generation = flux::Generation::v0_15, .bias = false});
        Sizes no_bias = v15[k];
        no_bias.erase(no_bias.begin() + 2);
        EXPECT_EQ(sizes(flux::fetch_weights(*nb)), no_bias) << printed(*nb);
    }
    std::vector<std::string> names;
    flux::LSTM l(3, 5);
    const Weights w = flux::fetch_weights(*l, &names);
    EXPECT_EQ(names, (std::vector<std::string>{"cell.Wi", "cell.Wh", "cell.b", "cell.state0.1", "cell.state0.2"}));
    // Flux 0.13's LSTMCell starts the forget gate's bias at 1, the others at 0; 0.15's all at 0.
    const std::vector<float> b = values(w[2]);
    for (int i = 0; i < 20; ++i) EXPECT_EQ(b[i], (i >= 5 && i < 10) ? 1.f : 0.f);
    EXPECT_EQ(values(flux::LSTM(3, 5, {.generation = flux::Generation::v0_15})->bias), std::vector<float>(20, 0.f));
    EXPECT_EQ(values(w[3]), std::vector<float>(5, 0.f));
}

TEST(FluxRecurrent, PrintsWhatFluxPrints) {
    EXPECT_EQ(printed(*flux::RNN(3, 5)), "Recur(RNNCell(3 => 5, tanh))");
    EXPECT_EQ(printed(*flux::RNN(3, 5, flux::Activation{})), "Recur(RNNCell(3 => 5))");
    EXPECT_EQ(printed(*flux::LSTM(3, 5)), "Recur(LSTMCell(3 => 5))");
    EXPECT_EQ(printed(*flux::GRU(3, 5)), "Recur(GRUCell(3 => 5))");
    EXPECT_EQ(printed(*flux::GRUv3(3, 5)), "Recur(GRUv3Cell(3 => 5))");
    const flux::RecurrentOptions v15{.generation = flux::Generation::v0_15};
    EXPECT_EQ(printed(*flux::RNN(4, 6, flux::rnn_tanh(), v15)), "RNN(4 => 6, tanh)");
    EXPECT_EQ(printed(*flux::LSTM(3, 5, v15)), "LSTM(3 => 5)");
    EXPECT_EQ(printed(*flux::GRUv3(3, 5, v15)), "GRUv3(3 => 5)");
}

TEST(FluxRecurrent, Recur013IsTheCellFormulaWithStateCarriedAndReset) {
    const int64_t in = 3, out = 4, batch = 2, time = 3;
    const flux::Activation relu{"relu", [](const at::Tensor& x) { return x.relu(); }};
    const flux::Activation sig{"σ", [](const at::Tensor& x) { return x.sigmoid(); }};
    struct Case {
        std::shared_ptr<flux::RecurrentImpl> m;
        std::function<double(double)> sigma;
    };
    std::vector<Case> cases;
    for (Kind k : kKinds) cases.push_back({make(k, in, out), [](double x) { return std::tanh(x); }});
    cases.push_back({flux::RNN(in, out, relu).ptr(), [](double x) { return x > 0 ? x : 0; }});
    cases.push_back({flux::RNN(in, out, sig).ptr(), sigmoid});  // runs step by step
    for (auto& [m, sigma] : cases) {
        SCOPED_TRACE(printed(*m));
        const Weights row = randomized(flux::fetch_weights(*m));  // state0 non-zero too
        flux::load_weights(*m, row);
        JuliaCell cell = cell_of(m->kind(), row);
        cell.sigma = sigma;
        const bool lstm = m->kind() == Kind::LSTM;
        const size_t s0 = row.size() - (lstm ? 2 : 1);
        auto h = broadcast(row[s0], batch), c = lstm ? broadcast(row[s0 + 1], batch) : h;

        // A sequence (in, batch, time), then one more step (in, batch) from where it ended.
        const at::Tensor x = ::torch::randn({time, batch, in});
        const std::vector<float> y = recur_reference(cell, values(x), batch, time, h, c);
        expect_near(values(m->forward(x)), y, "sequence");
        const at::Tensor x1 = ::torch::randn({batch, in});
        expect_near(values(m->forward(x1)), recur_reference(cell, values(x1), batch, 1, h, c), "step");
        std::vector<float> state(out * batch);
        for (int64_t n = 0; n < batch; ++n)
            for (int64_t o = 0; o < out; ++o) state[o + out * n] = float(h[n][o]);
        expect_near(values(m->state().h), state, "state");
        EXPECT_FALSE(m->state_is_state0());

        // reset! goes back to state0; a vector input is one sample.
        m->reset();
        EXPECT_TRUE(m->state_is_state0());
        auto h1 = broadcast(row[s0], 1), c1 = lstm ? broadcast(row[s0 + 1], 1) : h1;
        const at::Tensor xv = ::torch::randn({in});
        const at::Tensor yv = m->forward(xv);
        EXPECT_EQ(yv.sizes(), (std::vector<int64_t>{out}));
        expect_near(values(yv), recur_reference(cell, values(xv), 1, 1, h1, c1), "vector step");
        // A state of batch 1 broadcasts to a batch of 2; one of batch 2 does not fit a batch of 3.
        m->forward(::torch::randn({batch, in}));
        EXPECT_THROW(m->forward(::torch::randn({3, in})), legolasflux::ShapeError);
        EXPECT_THROW(m->forward(::torch::randn({batch, in + 1})), legolasflux::ShapeError);
    }
}

TEST(FluxRecurrent, Sequence015IsTheCellFormulaFromZerosOrAGivenState) {
    const int64_t in = 3, out = 4, batch = 2, len = 3;
    for (Kind k : kKinds)
        for (bool bias : {true, false}) {
            auto m = make(k, in, out, {.generation = flux::Generation::v0_15, .bias = bias});
            SCOPED_TRACE(printed(*m) + (bias ? "" : " bias=false"));
            const Weights row = randomized(flux::fetch_weights(*m));
            flux::load_weights(*m, row);
            const JuliaCell cell = cell_of(k, row, bias);
            const bool lstm = k == Kind::LSTM;

            // Julia (in, len, batch) is [batch, len, in]; the reference walks Julia's indices.
            const at::Tensor x = ::torch::randn({batch, len, in});
            const std::vector<float> xj = values(x);
            const at::Tensor h0 = ::torch::randn({batch, out}), c0 = ::torch::randn({batch, out});
            for (bool given : {false, true}) {
                std::vector<float> y(out * len * batch);
                std::vector<float> last(out * batch);
                for (int64_t n = 0; n < batch; ++n) {
                    std::vector<double> h(out, 0.0), c(out, 0.0);
                    if (given)
                        for (int64_t o = 0; o < out; ++o) {
                            h[o] = h0[n][o].item<float>();
                            c[o] = c0[n][o].item<float>();
                        }
                    for (int64_t t = 0; t < len; ++t) {
                        cell.step(&xj[in * (t + len * n)], h, c);
                        for (int64_t o = 0; o < out; ++o) y[o + out * (t + len * n)] = float(h[o]);
                    }
                    for (int64_t o = 0; o < out; ++o) last[o + out * n] = float(h[o]);
                }
                auto [got, state] = given ? m->forward_state(x, {h0, lstm ? c0 : at::Tensor()}) : m->forward_state(x);
                EXPECT_EQ(got.sizes(), (std::vector<int64_t>{batch, len, out}));
                expect_near(values(got), y, given ? "from the given state" : "from zeros");
                expect_near(values(state.h), last, "last state");
                if (!given) {
                    EXPECT_TRUE(m->forward(x).equal(got));  // no state kept between calls
                }
            }
            // Unbatched (in, len): [len, in] → [len, out], the first sample's outputs.
            const at::Tensor x0 = x[0];
            const at::Tensor y0 = m->forward(x0);
            EXPECT_EQ(y0.sizes(), (std::vector<int64_t>{len, out}));
            expect_near(values(y0), values(m->forward(x)[0]), "unbatched");
            EXPECT_THROW(m->forward(::torch::randn({in})), legolasflux::ShapeError);
            EXPECT_THROW(m->forward_state(x, {::torch::zeros({batch + 1, out}), {}}), legolasflux::ShapeError);
        }
}

TEST(FluxRecurrent, Cells015AreOneStep) {
    const int64_t in = 3, out = 4, batch = 2;
    const flux::RecurrentOptions v15{.generation = flux::Generation::v0_15};
    const std::vector<std::shared_ptr<flux::RecurrentImpl>> cells{
        flux::RNNCell(in, out, flux::rnn_tanh(), v15).ptr(), flux::LSTMCell(in, out, v15).ptr(),
        flux::GRUCell(in, out, v15).ptr(), flux::GRUv3Cell(in, out, v15).ptr()};
    const std::vector<std::string> shown{"RNNCell(3 => 4, tanh)", "LSTMCell(3 => 4)", "GRUCell(3 => 4)",
                                         "GRUv3Cell(3 => 4)"};
    for (size_t k = 0; k < cells.size(); ++k) {
        const auto& m = cells[k];
        EXPECT_EQ(printed(*m), shown[k]);
        auto layer = make(m->kind(), in, out, v15);
        const Weights row = randomized(flux::fetch_weights(*layer));
        EXPECT_EQ(sizes(flux::fetch_weights(*m)), sizes(row));  // the layer's cell is the cell
        flux::load_weights(*m, row);
        const JuliaCell cell = cell_of(m->kind(), row);

        const at::Tensor x = ::torch::randn({batch, in}), h0 = ::torch::randn({batch, out}),
                         c0 = ::torch::randn({batch, out});
        const bool lstm = m->kind() == Kind::LSTM;
        auto [y, state] = m->forward_state(x, {h0, lstm ? c0 : at::Tensor()});
        EXPECT_EQ(y.sizes(), (std::vector<int64_t>{batch, out}));
        std::vector<float> want(out * batch), want_c(out * batch);
        for (int64_t n = 0; n < batch; ++n) {
            std::vector<double> h(out), c(out);
            for (int64_t o = 0; o < out; ++o) {
                h[o] = h0[n][o].item<float>();
                c[o] = c0[n][o].item<float>();
            }
            cell.step(values(x[n]).data(), h, c);
            for (int64_t o = 0; o < out; ++o) {
                want[o + out * n] = float(h[o]);
                want_c[o + out * n] = float(c[o]);
            }
        }
        expect_near(values(y), want, shown[k]);
        if (lstm) expect_near(values(state.c), want_c, shown[k] + " c");
        const at::Tensor yv = m->forward(x[1]);  // a vector (in,) from zeros
        EXPECT_EQ(yv.sizes(), (std::vector<int64_t>{out}));
        EXPECT_TRUE(yv.equal(m->forward(x)[1]));
        EXPECT_THROW(m->forward(::torch::zeros({1, 1, in})), legolasflux::ShapeError);
    }
    EXPECT_THROW(flux::LSTMCell(3, 4), legolasflux::InvalidArgument);  // 0.13's cells run inside Recur
}

TEST(FluxRecurrent, RowsWithAndWithoutStateRoundTrip) {
    for (Kind k : kKinds) {
        auto a = make(k, 3, 4);
        SCOPED_TRACE(printed(*a));
        flux::load_weights(*a, randomized(flux::fetch_weights(*a)));
        const at::Tensor x = ::torch::randn({2, 5, 3}), next = ::torch::randn({5, 3});

        // Fresh: Julia stores no state; loading into a fresh layer gives the same outputs.
        const Weights fresh = flux::fetch_weights(*a);
        auto b = make(k, 3, 4);
        flux::load_weights(*b, fresh);
        EXPECT_TRUE(b->state_is_state0());
        EXPECT_TRUE(b->forward(x).equal(a->forward(x)));

        // After running (batch 5): the row holds Recur.state (4, 5); a fresh layer takes it and
        // continues where `a` stopped.
        const Weights ran = flux::fetch_weights(*a);
        EXPECT_EQ(ran.size(), fresh.size() + (k == Kind::LSTM ? 2 : 1));
        auto c = make(k, 3, 4);
        EXPECT_THROW(legolasflux::torch::load_flux_weights(*c, ran), legolasflux::ShapeError);  // without prepare
        flux::load_weights(*c, ran);
        EXPECT_FALSE(c->state_is_state0());
        EXPECT_TRUE(c->state().h.equal(a->state().h));
        EXPECT_TRUE(c->forward(next).equal(a->forward(next)));
        // A row without state into a layer that ran: back to state0, as Julia's fresh model.
        flux::load_weights(*c, fresh);
        EXPECT_TRUE(c->state_is_state0());

        // The same, explicitly: .state = Stored always lists the state; None never.
        auto s = make(k, 3, 4, {.state = flux::StateArrays::Stored});
        EXPECT_EQ(flux::fetch_weights(*s).size(), ran.size());
        auto none = make(k, 3, 4, {.state = flux::StateArrays::None});
        none->forward(x);
        EXPECT_EQ(flux::fetch_weights(*none).size(), fresh.size());

        // 0.15/0.16 round trip.
        auto p = make(k, 3, 4, {.generation = flux::Generation::v0_15});
        auto q = make(k, 3, 4, {.generation = flux::Generation::v0_15});
        flux::load_weights(*q, flux::fetch_weights(*p));
        EXPECT_TRUE(q->forward(x).equal(p->forward(x)));
    }
}

TEST(FluxRecurrent, ChainRowsDecideStateByCountOrByOption) {
    flux::Chain a(flux::LSTM(3, 4), flux::GRU(4, 2));
    const at::Tensor x = ::torch::randn({2, 3, 3});
    a->forward(x);
    const Weights ran = flux::fetch_weights(*a);
    ASSERT_EQ(ran.size(), 5u + 2 + 4 + 1);  // LSTM: Wi Wh b h0 c0 h c; GRU: Wi Wh b state0 state
    EXPECT_EQ(ran[5].size, (std::vector<int64_t>{4, 3}));
    EXPECT_EQ(ran[11].size, (std::vector<int64_t>{2, 3}));

    flux::Chain b(flux::LSTM(3, 4), flux::GRU(4, 2));
    flux::load_weights(*b, ran);
    const at::Tensor next = ::torch::randn({3, 3});
    EXPECT_TRUE(b->forward(next).equal(a->forward(next)));

    // Only the GRU's state in the row: the count cannot say which; the options do.
    std::vector<FlatArray> partial(ran.arrays.begin(), ran.arrays.end());
    partial.erase(partial.begin() + 5, partial.begin() + 7);
    const Weights gru_state_only(partial);
    flux::Chain c(flux::LSTM(3, 4), flux::GRU(4, 2));
    c->forward(x);
    const at::Tensor before = c[0].as<flux::RecurrentImpl>()->state().h;
    EXPECT_THROW(flux::load_weights(*c, gru_state_only), legolasflux::ShapeError);
    EXPECT_TRUE(c[0].as<flux::RecurrentImpl>()->state().h.equal(before));  // a refused row changes nothing
    // A row whose state has the wrong feature size is refused after the state was resized: undone.
    std::vector<FlatArray> wrong(ran.arrays.begin(), ran.arrays.end());
    wrong[11] = FlatArray::from_values<float>({3, 3}, std::vector<float>(9));
    EXPECT_THROW(flux::load_weights(*c, Weights(wrong)), legolasflux::ShapeError);
    EXPECT_TRUE(c[0].as<flux::RecurrentImpl>()->state().h.equal(before));
    EXPECT_EQ(c[1].as<flux::RecurrentImpl>()->state().h.size(0), 3);
    flux::Chain d(flux::LSTM(3, 4, {.state = flux::StateArrays::None}), flux::GRU(4, 2));
    flux::load_weights(*d, gru_state_only);
    EXPECT_TRUE(d[0].as<flux::RecurrentImpl>()->state_is_state0());
    EXPECT_EQ(values(d[1].as<flux::RecurrentImpl>()->state().h), values(ran[11]));  // Julia (2, 3) is [3, 2]
}

TEST(FluxRecurrent, BadArgumentsAreRefused) {
    EXPECT_THROW(flux::LSTM(0, 3), legolasflux::InvalidArgument);
    EXPECT_THROW(flux::GRU(3, 3, {.bias = false}), legolasflux::InvalidArgument);  // 0.13 has no bias keyword
    EXPECT_THROW(flux::GRU(3, 3, {.generation = flux::Generation::v0_15, .state = flux::StateArrays::Stored}),
                 legolasflux::InvalidArgument);
    EXPECT_THROW(flux::LSTM(3, 3)->forward_state(::torch::zeros({2, 3})), legolasflux::InvalidArgument);
    EXPECT_THROW(flux::LSTM(3, 3)->forward(::torch::zeros({0, 2, 3})), legolasflux::ShapeError);
}
