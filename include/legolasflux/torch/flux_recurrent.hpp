// Flux's recurrent layers RNN, LSTM, GRU, GRUv3 (Flux's src/layers/recurrent.jl) as legolasflux::flux
// modules, in both of Flux's designs. Conventions: flux_layer.hpp.
//
// Flux 0.13/0.14 (Generation::v0_13, the default): RNN(in => out) is Recur(RNNCell(in => out)), a
// stateful layer. One call is one time step, [batch, in] → [batch, out] ([in] → [out]), or a whole
// sequence [time, batch, in] → [time, batch, out] (Julia's (features, batch, time)); the state carries
// over between calls until reset() (Flux's reset!), which goes back to the cell's state0. state0 is
// Julia (out, 1) and broadcasts over the batch.
//   Arrays, in Functors' order: Recur → cell → Wi (G·out, in), Wh (G·out, out), b (G·out,), [GRUv3:
//   Wh_h̃ (out, out)], state0 (RNN/GRU/GRUv3: (out, 1); LSTM: h0 (out, 1), c0 (out, 1)); then
//   Recur.state. While state is state0 itself (a fresh or reset layer) Julia stores it once; after the
//   layer ran it is a new array, (out, batch), and Julia's fetch_weights stores it too (LSTM: h, c).
//   G = 1 (RNN), 4 (LSTM: i, f, c, o), 3 (GRU, GRUv3: r, z, h̃); GRUv3's Wh is (2·out, out).
// Flux 0.15/0.16 (Generation::v0_15): RNN(in => out) holds a cell without state. A call is a whole
// sequence, Julia (in, len, batch) → (out, len, batch): here [batch, len, in] → [batch, len, out]
// ([len, in] → [len, out]), from zeros or a given initial state (forward_state). Arrays: Wi, Wh, bias
// (none with .bias = false), [GRUv3: Wh_h̃]; GRUv3's Wh is (3·out, out), its last third unused.
// Its cells (RNNCell, …, below) run one step per call, [batch, in] → [batch, out].
//
// The weights are kept in LibTorch's layout ([G·out, in], its gate order is Flux's) and sequences run
// on LibTorch's fused kernels (at::lstm, at::gru, at::rnn_tanh/relu) with Flux's one bias as b_ih and
// zeros as b_hh, which is Flux's arithmetic. GRUv3 and an RNN whose activation is neither tanh nor
// relu (by name) run step by step.
#pragma once

#include "legolasflux/torch/flux_layer.hpp"

namespace legolasflux::flux {

// Whether a 0.13/0.14 layer's arrays include Recur.state after state0.
enum class StateArrays {
    Auto,    // as Julia would store them now: only once the layer has run since construction/reset
    None,    // never (rows written from fresh or reset models)
    Stored,  // always (rows written after the model ran); the state has its own array from the start
};

struct RecurrentOptions {
    Generation generation = Generation::v0_13;
    StateArrays state = StateArrays::Auto;  // v0_13 only
    bool bias = true;                       // Flux 0.15/0.16's bias=false
};

// A layer's recurrent state: h, and c for an LSTM. Julia's (out,) or (out, batch): [out] or [batch, out].
struct RecurrentState {
    at::Tensor h;
    at::Tensor c;
};

// The recurrent layers' common module; RNN, LSTM, GRU, GRUv3 below construct it.
class RecurrentImpl : public LayerImpl {
public:
    enum class Kind { RNN, LSTM, GRU, GRUv3 };

    // `cell`: Flux 0.15/0.16's RNNCell etc., one step per call.
    RecurrentImpl(Kind kind, int64_t in, int64_t out, Activation activation, RecurrentOptions options,
                  bool cell = false);

    // v0_13: one step or a sequence, from the current state, which it updates. v0_15: a sequence from
    // zeros; a cell: one step, [in] or [batch, in], from zeros.
    at::Tensor forward(const at::Tensor& x) override;
    // v0_15: a sequence (a cell: one step) from `initial` (undefined tensors are zeros); the outputs
    // and the last state (Flux 0.16's return_state = true).
    std::pair<at::Tensor, RecurrentState> forward_state(const at::Tensor& x, const RecurrentState& initial = {});
    // v0_13: the state goes back to state0 (Flux's reset!). v0_15: nothing.
    void reset() override;

    std::vector<FluxTensor> flux_arrays() const override;
    void pretty_print(std::ostream& stream) const override;

    Kind kind() const { return kind_; }
    bool is_cell() const { return cell_; }
    Generation generation() const { return options_.generation; }
    int64_t in_features() const { return weight_ih.size(1); }
    int64_t out_features() const { return out_; }
    // v0_13: the current state, [batch, out] (state0's [1, out] until the layer runs), and whether
    // it is state0 itself (Julia stores it once then).
    const RecurrentState& state() const { return state_; }
    bool state_is_state0() const { return state_is_state0_; }
    StateArrays state_arrays() const { return options_.state; }
    // Changes which arrays the layer lists; Stored gives the state its own array.
    void set_state_arrays(StateArrays mode);
    // Sets the state (v0_13), e.g. to the batch size of a row about to be loaded; [batch, out] each.
    void set_state(RecurrentState state);

    at::Tensor weight_ih;           // Wi: [G·out, in], LibTorch's layout (Flux's (G·out, in) transposed)
    at::Tensor weight_hh;           // Wh: [G·out, out] (GRUv3 0.13: [2·out, out])
    at::Tensor bias;                // b: [G·out], undefined with bias = false
    at::Tensor weight_hh_tilde;     // GRUv3's Wh_h̃: [out, out]
    at::Tensor state0_h, state0_c;  // v0_13's state0: [1, out] each (c for LSTM only)
    Activation activation;          // RNN's σ

private:
    int64_t gates() const;
    std::vector<at::Tensor> fused_params() const;
    // The sequence [time, batch, in] from h (and c) [batch, out]: outputs [time, batch, out], last state.
    std::pair<at::Tensor, RecurrentState> run(const at::Tensor& x, RecurrentState start, bool batch_first);
    std::pair<at::Tensor, RecurrentState> run_steps(const at::Tensor& x, RecurrentState start);
    at::Tensor forward_v0_13(const at::Tensor& x);
    std::string where() const;

    Kind kind_;
    int64_t out_;
    RecurrentOptions options_;
    RecurrentState state_;
    bool cell_ = false;
    bool state_is_state0_ = true;
    at::Tensor zero_bias_hh_;  // b_hh for the fused kernels: Flux has one bias
};

// Flux's default σ of RNN.
inline Activation rnn_tanh() {
    return {"tanh", [](const at::Tensor& x) { return x.tanh(); }};
}

// RNN(in => out, σ = tanh): h′ = σ.(Wi x .+ Wh h .+ b).
class RNNImpl : public RecurrentImpl {
public:
    RNNImpl(int64_t in, int64_t out, Activation activation = rnn_tanh(), RecurrentOptions options = {})
        : RecurrentImpl(Kind::RNN, in, out, std::move(activation), options) {}
};
// LSTM(in => out): gates i, f, c, o; c′ = σ(f) c + σ(i) tanh(c̃), h′ = σ(o) tanh(c′). Flux 0.13/0.14
// start the forget gate's bias at 1.
class LSTMImpl : public RecurrentImpl {
public:
    LSTMImpl(int64_t in, int64_t out, RecurrentOptions options = {})
        : RecurrentImpl(Kind::LSTM, in, out, {}, options) {}
};
// GRU(in => out): r, z = σ(Wi x + Wh h + b); h̃ = tanh(Wi_h x + r (Wh_h h) + b_h); h′ = (1 − z) h̃ + z h.
class GRUImpl : public RecurrentImpl {
public:
    GRUImpl(int64_t in, int64_t out, RecurrentOptions options = {}) : RecurrentImpl(Kind::GRU, in, out, {}, options) {}
};
// GRUv3(in => out): as GRU but h̃ = tanh(Wi_h x + Wh_h̃ (r h) + b_h).
class GRUv3Impl : public RecurrentImpl {
public:
    GRUv3Impl(int64_t in, int64_t out, RecurrentOptions options = {})
        : RecurrentImpl(Kind::GRUv3, in, out, {}, options) {}
};

class RNN : public ::torch::nn::ModuleHolder<RNNImpl> {
public:
    using ModuleHolder::ModuleHolder;
    RNN(int64_t in, int64_t out, Activation activation = rnn_tanh(), RecurrentOptions options = {})
        : ModuleHolder(std::make_shared<RNNImpl>(in, out, std::move(activation), options)) {}
};
class LSTM : public ::torch::nn::ModuleHolder<LSTMImpl> {
public:
    using ModuleHolder::ModuleHolder;
    LSTM(int64_t in, int64_t out, RecurrentOptions options = {})
        : ModuleHolder(std::make_shared<LSTMImpl>(in, out, options)) {}
};
class GRU : public ::torch::nn::ModuleHolder<GRUImpl> {
public:
    using ModuleHolder::ModuleHolder;
    GRU(int64_t in, int64_t out, RecurrentOptions options = {})
        : ModuleHolder(std::make_shared<GRUImpl>(in, out, options)) {}
};
class GRUv3 : public ::torch::nn::ModuleHolder<GRUv3Impl> {
public:
    using ModuleHolder::ModuleHolder;
    GRUv3(int64_t in, int64_t out, RecurrentOptions options = {})
        : ModuleHolder(std::make_shared<GRUv3Impl>(in, out, options)) {}
};

// Flux 0.15/0.16's cells, one time step per call: RNNCell(in => out, σ = tanh), LSTMCell, GRUCell,
// GRUv3Cell, with the arrays of the layers above. They need .generation = Generation::v0_15 (0.13/0.14's
// cells only run inside Recur, i.e. the layers above).
class RNNCellImpl : public RecurrentImpl {
public:
    RNNCellImpl(int64_t in, int64_t out, Activation activation = rnn_tanh(), RecurrentOptions options = {})
        : RecurrentImpl(Kind::RNN, in, out, std::move(activation), options, true) {}
};
class LSTMCellImpl : public RecurrentImpl {
public:
    LSTMCellImpl(int64_t in, int64_t out, RecurrentOptions options = {})
        : RecurrentImpl(Kind::LSTM, in, out, {}, options, true) {}
};
class GRUCellImpl : public RecurrentImpl {
public:
    GRUCellImpl(int64_t in, int64_t out, RecurrentOptions options = {})
        : RecurrentImpl(Kind::GRU, in, out, {}, options, true) {}
};
class GRUv3CellImpl : public RecurrentImpl {
public:
    GRUv3CellImpl(int64_t in, int64_t out, RecurrentOptions options = {})
        : RecurrentImpl(Kind::GRUv3, in, out, {}, options, true) {}
};
class RNNCell : public ::torch::nn::ModuleHolder<RNNCellImpl> {
public:
    using ModuleHolder::ModuleHolder;
    RNNCell(int64_t in, int64_t out, Activation activation = rnn_tanh(), RecurrentOptions options = {})
        : ModuleHolder(std::make_shared<RNNCellImpl>(in, out, std::move(activation), options)) {}
};
class LSTMCell : public ::torch::nn::ModuleHolder<LSTMCellImpl> {
public:
    using ModuleHolder::ModuleHolder;
    LSTMCell(int64_t in, int64_t out, RecurrentOptions options = {})
        : ModuleHolder(std::make_shared<LSTMCellImpl>(in, out, options)) {}
};
class GRUCell : public ::torch::nn::ModuleHolder<GRUCellImpl> {
public:
    using ModuleHolder::ModuleHolder;
    GRUCell(int64_t in, int64_t out, RecurrentOptions options = {})
        : ModuleHolder(std::make_shared<GRUCellImpl>(in, out, options)) {}
};
class GRUv3Cell : public ::torch::nn::ModuleHolder<GRUv3CellImpl> {
public:
    using ModuleHolder::ModuleHolder;
    GRUv3Cell(int64_t in, int64_t out, RecurrentOptions options = {})
        : ModuleHolder(std::make_shared<GRUv3CellImpl>(in, out, options)) {}
};

// Before loading a row written by Julia from a 0.13/0.14 model: decides for each recurrent layer of
// `model` whose `.state` is Auto whether the row holds its Recur.state — all of them or none, from the
// row's array count (otherwise a ShapeError asks for `.state` on the layers) — and sizes every stored
// state to the row's (out, batch). A layer without stored state is reset to state0.
void prepare_state_arrays(::torch::nn::Module& model, const Weights& weights);

}  // namespace legolasflux::flux
