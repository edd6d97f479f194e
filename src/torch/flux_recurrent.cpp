#include "legolasflux/torch/flux_recurrent.hpp"

#include <cmath>
#include <unordered_set>

#include "legolasflux/errors.hpp"

namespace legolasflux::flux {

namespace {

const char* kind_name(RecurrentImpl::Kind kind) {
    switch (kind) {
        case RecurrentImpl::Kind::RNN: return "RNN";
        case RecurrentImpl::Kind::LSTM: return "LSTM";
        case RecurrentImpl::Kind::GRU: return "GRU";
        case RecurrentImpl::Kind::GRUv3: return "GRUv3";
    }
    return "?";
}

// Flux's glorot_uniform for a (rows, cols) matrix: U(±sqrt(6 / (rows + cols))).
at::Tensor glorot_uniform(int64_t rows, int64_t cols) {
    const double bound = std::sqrt(6.0 / static_cast<double>(rows + cols));
    return ::torch::empty({rows, cols}).uniform_(-bound, bound);
}

}  // namespace

RecurrentImpl::RecurrentImpl(Kind kind, int64_t in, int64_t out, Activation activation_, RecurrentOptions options,
                             bool cell)
    : LayerImpl(std::string("flux::") + kind_name(kind) + (cell ? "Cell" : "")),
      activation(std::move(activation_)),
      kind_(kind),
      out_(out),
      options_(options),
      cell_(cell) {
    const std::string call = std::string("flux::") + kind_name(kind) + (cell ? "Cell(" : "(") + std::to_string(in) +
                             " => " + std::to_string(out) + ")";
    if (in <= 0 || out <= 0) throw InvalidArgument(call + ": sizes must be positive");
    const bool v0_13 = options.generation == Generation::v0_13;
    if (cell && v0_13)
        throw InvalidArgument(call + ": Flux 0.13/0.14's cells run inside Recur, which is flux::" + kind_name(kind) +
                              "; a cell of its own is Flux 0.15/0.16's (.generation = Generation::v0_15)");
    if (v0_13 && !options.bias)
        throw InvalidArgument(call + ": bias = false is Flux 0.15/0.16's option (.generation = Generation::v0_15)");
    if (!v0_13 && options.state != StateArrays::Auto)
        throw InvalidArgument(call + ": .state is for Flux 0.13/0.14's stateful layers; 0.15/0.16 layers store none");
    const int64_t g = gates();
    // Flux 0.13/0.14's GRUv3 keeps only the r and z rows of Wh; 0.15/0.16 keep all three.
    const int64_t wh_rows = (kind == Kind::GRUv3 && v0_13) ? 2 * out : g * out;
    weight_ih = register_parameter("weight_ih", glorot_uniform(g * out, in));
    weight_hh = register_parameter("weight_hh", glorot_uniform(wh_rows, out));
    if (options.bias) {
        at::Tensor b = ::torch::zeros({g * out});
        // Flux 0.13/0.14's LSTMCell starts the forget gate at 1 (0.15/0.16 do not).
        if (kind == Kind::LSTM && v0_13) b.narrow(0, out, out).fill_(1);
        bias = register_parameter("bias", b);
        zero_bias_hh_ = ::torch::zeros({g * out});
    }
    if (kind == Kind::GRUv3) weight_hh_tilde = register_parameter("weight_hh_tilde", glorot_uniform(out, out));
    if (v0_13) {
        state0_h = register_parameter("state0_h", ::torch::zeros({1, out}));
        if (kind == Kind::LSTM) state0_c = register_parameter("state0_c", ::torch::zeros({1, out}));
        reset();
    }
}

int64_t RecurrentImpl::gates() const {
    switch (kind_) {
        case Kind::RNN: return 1;
        case Kind::LSTM: return 4;
        default: return 3;
    }
}

std::string RecurrentImpl::where() const {
    std::ostringstream s;
    pretty_print(s);
    return "flux::" + s.str();
}

void RecurrentImpl::reset() {
    if (options_.generation != Generation::v0_13) return;
    if (options_.state == StateArrays::Stored) {
        // The state has its own array, as after Julia ran the model, so loading a row fills both.
        ::torch::NoGradGuard no_grad;
        state_ = {state0_h.detach().clone(), state0_c.defined() ? state0_c.detach().clone() : at::Tensor()};
        state_is_state0_ = false;
    } else {
        // Julia's reset!: the state is state0 itself (so a row loaded into state0 is the state too).
        state_ = {state0_h, state0_c};
        state_is_state0_ = true;
    }
}

void RecurrentImpl::set_state_arrays(StateArrays mode) {
    if (options_.generation != Generation::v0_13)
        throw InvalidArgument(where() + ": state arrays are Flux 0.13/0.14's (this layer is 0.15/0.16's)");
    options_.state = mode;
    if (mode == StateArrays::Stored && state_is_state0_) reset();
}

void RecurrentImpl::set_state(RecurrentState state) {
    if (options_.generation != Generation::v0_13)
        throw InvalidArgument(where() + ": only Flux 0.13/0.14's layers keep a state; pass it to forward_state");
    const bool lstm = kind_ == Kind::LSTM;
    auto check = [&](const at::Tensor& t, const char* what) {
        if (!t.defined() || t.dim() != 2 || t.size(1) != out_)
            throw ShapeError(where() + ": the state's " + what + " must be [batch, " + std::to_string(out_) +
                             "] (Julia (" + std::to_string(out_) + ", batch)), got " +
                             (t.defined() ? c10::str(t.sizes()) : std::string("none")));
    };
    check(state.h, "h");
    if (lstm) {
        check(state.c, "c");
        if (state.c.sizes() != state.h.sizes()) throw ShapeError(where() + ": the state's h and c differ in size");
    } else {
        state.c = at::Tensor();
    }
    state_ = std::move(state);
    state_is_state0_ = false;
}

std::vector<FluxTensor> RecurrentImpl::flux_arrays() const {
    const bool v0_13 = options_.generation == Generation::v0_13;
    // Functors' order: Recur's cell (its fields in struct order), then Recur's state.
    const std::string c = cell_ ? "" : "cell.";
    std::vector<FluxTensor> arrays{{c + "Wi", weight_ih, FluxTransform::Transpose},
                                   {c + "Wh", weight_hh, FluxTransform::Transpose}};
    const bool named_bias = !v0_13 && (kind_ == Kind::RNN || kind_ == Kind::LSTM);
    if (bias.defined()) arrays.push_back({c + (named_bias ? "bias" : "b"), bias, FluxTransform::Same});
    if (kind_ == Kind::GRUv3) arrays.push_back({c + "Wh_h̃", weight_hh_tilde, FluxTransform::Transpose});
    if (!v0_13) return arrays;
    if (kind_ == Kind::LSTM) {
        arrays.push_back({"cell.state0.1", state0_h, FluxTransform::Same});
        arrays.push_back({"cell.state0.2", state0_c, FluxTransform::Same});
    } else {
        arrays.push_back({"cell.state0", state0_h, FluxTransform::Same});
    }
    const bool stored =
        options_.state == StateArrays::Stored || (options_.state == StateArrays::Auto && !state_is_state0_);
    if (stored) {
        if (kind_ == Kind::LSTM) {
            arrays.push_back({"state.1", state_.h, FluxTransform::Same});
            arrays.push_back({"state.2", state_.c, FluxTransform::Same});
        } else {
            arrays.push_back({"state", state_.h, FluxTransform::Same});
        }
    }
    return arrays;
}

void RecurrentImpl::pretty_print(std::ostream& stream) const {
    const int64_t in = weight_ih.size(1);
    if (options_.generation == Generation::v0_13) {
        stream << "Recur(" << kind_name(kind_) << "Cell(" << in << " => " << out_;
        if (kind_ == Kind::RNN && !activation.is_identity()) stream << ", " << activation.name;
        stream << "))";
    } else {
        stream << kind_name(kind_) << (cell_ ? "Cell(" : "(") << in << " => " << out_;
        if (kind_ == Kind::RNN) stream << ", " << activation.name;  // 0.15/0.16 print identity too
        stream << ")";
    }
}

std::vector<at::Tensor> RecurrentImpl::fused_params() const {
    if (!bias.defined()) return {weight_ih, weight_hh};
    return {weight_ih, weight_hh, bias, zero_bias_hh_};
}

std::pair<at::Tensor, RecurrentState> RecurrentImpl::run(const at::Tensor& x_, RecurrentState start, bool batch_first) {
    const at::Tensor x = x_.to(weight_ih.options());
    if (zero_bias_hh_.defined() && zero_bias_hh_.options().dtype() != bias.options().dtype())
        zero_bias_hh_ = at::zeros_like(bias);
    if (zero_bias_hh_.defined() && zero_bias_hh_.device() != bias.device())
        zero_bias_hh_ = zero_bias_hh_.to(bias.device());
    const bool fused_rnn = kind_ == Kind::RNN && (activation.name == "tanh" || activation.name == "relu");
    if (kind_ == Kind::GRUv3 || (kind_ == Kind::RNN && !fused_rnn)) {
        if (!batch_first) return run_steps(x, std::move(start));
        auto [y, last] = run_steps(x.transpose(0, 1), std::move(start));
        return {y.transpose(0, 1), std::move(last)};
    }
    const at::Tensor h0 = start.h.to(weight_ih.options()).unsqueeze(0).contiguous();
    const std::vector<at::Tensor> params = fused_params();
    const bool has_bias = bias.defined();
    if (kind_ == Kind::LSTM) {
        const at::Tensor c0 = start.c.to(weight_ih.options()).unsqueeze(0).contiguous();
        auto [y, hy, cy] = at::lstm(x, {h0, c0}, params, has_bias, 1, 0.0, false, false, batch_first);
        return {y, {hy[0], cy[0]}};
    }
    if (kind_ == Kind::GRU) {
        auto [y, hy] = at::gru(x, h0, params, has_bias, 1, 0.0, false, false, batch_first);
        return {y, {hy[0], {}}};
    }
    auto [y, hy] = activation.name == "tanh" ? at::rnn_tanh(x, h0, params, has_bias, 1, 0.0, false, false, batch_first)
                                             : at::rnn_relu(x, h0, params, has_bias, 1, 0.0, false, false, batch_first);
    return {y, {hy[0], {}}};
}

std::pair<at::Tensor, RecurrentState> RecurrentImpl::run_steps(const at::Tensor& x, RecurrentState start) {
    // Every step's input term at once; b enters each gate once, as in Flux.
    const at::Tensor gx = at::linear(x, weight_ih, bias);
    at::Tensor h = start.h.to(weight_ih.options());
    const at::Tensor wh_rz = kind_ == Kind::GRUv3 ? weight_hh.narrow(0, 0, 2 * out_) : weight_hh;
    std::vector<at::Tensor> outputs;
    outputs.reserve(x.size(0));
    for (int64_t t = 0; t < x.size(0); ++t) {
        if (kind_ == Kind::RNN) {
            h = activation(gx[t] + at::linear(h, weight_hh));
        } else {
            const std::vector<at::Tensor> gxs = gx[t].chunk(3, -1);
            const std::vector<at::Tensor> ghs = at::linear(h, wh_rz).chunk(2, -1);
            const at::Tensor r = at::sigmoid(gxs[0] + ghs[0]);
            const at::Tensor z = at::sigmoid(gxs[1] + ghs[1]);
            const at::Tensor h_tilde = at::tanh(gxs[2] + at::linear(r * h, weight_hh_tilde));
            h = (1 - z) * h_tilde + z * h;
        }
        outputs.push_back(h);
    }
    return {at::stack(outputs, 0), {h, {}}};
}

at::Tensor RecurrentImpl::forward(const at::Tensor& x) {
    if (options_.generation == Generation::v0_13) return forward_v0_13(x);
    return forward_state(x).first;
}

at::Tensor RecurrentImpl::forward_v0_13(const at::Tensor& x) {
    const int64_t in = weight_ih.size(1);
    if (x.dim() < 1 || x.dim() > 3 || x.size(-1) != in)
        throw ShapeError(where() + " expects one step [" + std::to_string(in) + "] or [batch, " + std::to_string(in) +
                         "], or a sequence [time, batch, " + std::to_string(in) + "] (Julia (" + std::to_string(in) +
                         ", batch, time)), got shape " + c10::str(x.sizes()));
    const at::Tensor seq = x.dim() == 3 ? x : x.dim() == 2 ? x.unsqueeze(0) : x.view({1, 1, in});
    if (seq.size(0) == 0) throw ShapeError(where() + ": the sequence has no time steps");
    const int64_t batch = seq.size(1), state_batch = state_.h.size(0);
    // state0 is (out, 1) and broadcasts over the batch; a state of another batch size is Flux's
    // "reset! between batch sizes" case, which Julia would reshape or refuse.
    if (state_batch != batch && state_batch != 1)
        throw ShapeError(where() + ": the state is for a batch of " + std::to_string(state_batch) +
                         ", the input's is " + std::to_string(batch) + "; reset() first (Flux's reset!)");
    RecurrentState start = state_;
    if (state_batch != batch) {
        start.h = start.h.expand({batch, out_});
        if (start.c.defined()) start.c = start.c.expand({batch, out_});
    }
    auto [y, last] = run(seq, std::move(start), false);
    state_ = std::move(last);
    state_is_state0_ = false;
    if (x.dim() == 3) return y;
    return x.dim() == 2 ? y[0] : y.view({out_});
}

std::pair<at::Tensor, RecurrentState> RecurrentImpl::forward_state(const at::Tensor& x, const RecurrentState& initial) {
    if (options_.generation == Generation::v0_13)
        throw InvalidArgument(where() + ": Flux 0.13/0.14's layers keep their state (forward, state(), set_state)");
    const int64_t in = weight_ih.size(1);
    if (cell_ && (x.dim() < 1 || x.dim() > 2 || x.size(-1) != in))
        throw ShapeError(where() + " expects one step [" + std::to_string(in) + "] or [batch, " + std::to_string(in) +
                         "] (Julia (" + std::to_string(in) + "[, batch])), got shape " + c10::str(x.sizes()));
    if (!cell_ && ((x.dim() != 2 && x.dim() != 3) || x.size(-1) != in || x.size(-2) == 0))
        throw ShapeError(where() + " expects a sequence [len, " + std::to_string(in) + "] or [batch, len, " +
                         std::to_string(in) + "] (Julia (" + std::to_string(in) +
                         ", len[, batch])) with len ≥ 1, got shape " + c10::str(x.sizes()));
    // A cell's step is a sequence of one: [batch, 1, in].
    const bool batched = cell_ ? x.dim() == 2 : x.dim() == 3;
    const at::Tensor seq = cell_ ? (batched ? x.unsqueeze(1) : x.view({1, 1, in})) : batched ? x : x.unsqueeze(0);
    const int64_t batch = seq.size(0);
    auto start_of = [&](const at::Tensor& given, const char* what) {
        if (!given.defined()) return at::zeros({batch, out_}, weight_ih.options());
        const bool ok = (given.dim() == 1 && given.size(0) == out_) ||
                        (given.dim() == 2 && given.size(1) == out_ && given.size(0) == batch);
        if (!ok)
            throw ShapeError(where() + ": the initial " + what + " must be [" + std::to_string(out_) + "] or [" +
                             std::to_string(batch) + ", " + std::to_string(out_) + "], got shape " +
                             c10::str(given.sizes()));
        return given.expand({batch, out_});
    };
    RecurrentState start{start_of(initial.h, "h"), kind_ == Kind::LSTM ? start_of(initial.c, "c") : at::Tensor()};
    auto [y, last] = run(seq, std::move(start), true);
    if (cell_) y = y.select(1, 0);
    if (!batched) {
        y = y[0];
        last.h = last.h[0];
        if (last.c.defined()) last.c = last.c[0];
    }
    return {y, std::move(last)};
}

namespace {

// The model's Flux 0.13/0.14 recurrent layers, each once.
std::vector<RecurrentImpl*> stateful_layers(::torch::nn::Module& model) {
    std::vector<RecurrentImpl*> layers;
    std::unordered_set<const RecurrentImpl*> seen;
    std::vector<::torch::nn::Module*> all{&model};
    for (const auto& m : model.modules(/*include_self=*/false)) all.push_back(m.get());
    for (::torch::nn::Module* m : all)
        if (auto* r = dynamic_cast<RecurrentImpl*>(m);
            r && r->generation() == Generation::v0_13 && seen.insert(r).second)
            layers.push_back(r);
    return layers;
}

}  // namespace

void prepare_state_arrays(::torch::nn::Module& model, const Weights& weights) {
    const std::vector<RecurrentImpl*> layers = stateful_layers(model);
    std::vector<RecurrentImpl*> autos;
    size_t auto_arrays = 0;
    for (RecurrentImpl* r : layers)
        if (r->state_arrays() == StateArrays::Auto) {
            autos.push_back(r);
            auto_arrays += r->kind() == RecurrentImpl::Kind::LSTM ? 2 : 1;
            r->set_state_arrays(StateArrays::None);
        }
    const size_t without = torch::flux_tensors(model).size();
    for (RecurrentImpl* r : autos) r->set_state_arrays(StateArrays::Auto);
    if (!autos.empty()) {
        if (weights.size() == without) {
            for (RecurrentImpl* r : autos) r->reset();
        } else if (weights.size() == without + auto_arrays) {
            for (RecurrentImpl* r : autos) {
                const at::Tensor zero = at::zeros({1, r->out_features()}, r->state0_h.options());
                r->set_state({zero, r->kind() == RecurrentImpl::Kind::LSTM ? zero.clone() : at::Tensor()});
            }
        } else {
            throw ShapeError("The row holds " + std::to_string(weights.size()) + " arrays; the model has " +
                             std::to_string(without) + " without its recurrent layers' Recur.state and " +
                             std::to_string(without + auto_arrays) +
                             " with all of them; say which layers' state the row holds with .state = "
                             "StateArrays::Stored or StateArrays::None");
        }
    }
    // Each stored state takes the row's batch size, (out, batch).
    const std::vector<FluxTensor> targets = torch::flux_tensors(model);
    for (RecurrentImpl* r : layers) {
        if (r->state_is_state0()) continue;
        const RecurrentState& state = r->state();
        for (size_t i = 0; i < targets.size() && i < weights.size(); ++i) {
            if (targets[i].tensor.unsafeGetTensorImpl() != state.h.unsafeGetTensorImpl()) continue;
            const std::vector<int64_t>& size = weights[i].size;
            if (size.size() != 2 || size[0] != r->out_features()) break;  // load_weights names the mismatch
            const auto options = r->state0_h.options();
            const bool lstm = r->kind() == RecurrentImpl::Kind::LSTM;
            r->set_state(
                {at::zeros({size[1], size[0]}, options), lstm ? at::zeros({size[1], size[0]}, options) : at::Tensor()});
            break;
        }
    }
}

void load_weights(::torch::nn::Module& model, const Weights& weights) {
    // On any error the layers keep their states too, as load_weights keeps the arrays.
    struct Saved {
        RecurrentImpl* layer;
        StateArrays mode;
        RecurrentState state;
        bool is_state0;
    };
    std::vector<Saved> saved;
    for (RecurrentImpl* r : stateful_layers(model))
        saved.push_back({r, r->state_arrays(), r->state(), r->state_is_state0()});
    try {
        prepare_state_arrays(model, weights);
        torch::load_flux_weights(model, weights);
    } catch (...) {
        for (Saved& s : saved) {
            s.layer->set_state_arrays(s.mode);
            if (s.is_state0)
                s.layer->reset();
            else
                s.layer->set_state(s.state);
        }
        throw;
    }
}

}  // namespace legolasflux::flux
