// Optimizer and generator state in and out of legolas-flux.training-state@1 rows
// (legolasflux/torch/training_state.hpp).
#include "legolasflux/torch/training_state.hpp"

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>

#include "legolasflux/errors.hpp"
#include "legolasflux/torch/weights.hpp"

namespace legolasflux::torch {
namespace {

namespace optim = ::torch::optim;

enum class Kind { SGD, Adam, AdamW, RMSprop, Adagrad };

constexpr const char* kKindNames[] = {"SGD", "Adam", "AdamW", "RMSprop", "Adagrad"};

Kind kind_of(const optim::Optimizer& optimizer) {
    if (dynamic_cast<const optim::SGD*>(&optimizer)) return Kind::SGD;
    if (dynamic_cast<const optim::Adam*>(&optimizer)) return Kind::Adam;
    if (dynamic_cast<const optim::AdamW*>(&optimizer)) return Kind::AdamW;
    if (dynamic_cast<const optim::RMSprop*>(&optimizer)) return Kind::RMSprop;
    if (dynamic_cast<const optim::Adagrad*>(&optimizer)) return Kind::Adagrad;
    throw UnsupportedError(
        "training state: this optimizer type is not supported (SGD, Adam, AdamW, RMSprop and Adagrad are)");
}

std::string key_of(const at::Tensor& parameter) { return c10::guts::to_string(parameter.unsafeGetTensorImpl()); }

// The named state tensors of one parameter (defined ones only) and its step count, if any.
struct ParamState {
    std::vector<std::pair<std::string, at::Tensor>> tensors;
    std::optional<int64_t> step;
};

// Adam and AdamW keep the same state in two unrelated types.
template <class State, class Add>
void read_adam_state(const State& a, std::optional<int64_t>& step, const Add& add) {
    step = a.step();
    add("exp_avg", a.exp_avg());
    add("exp_avg_sq", a.exp_avg_sq());
    add("max_exp_avg_sq", a.max_exp_avg_sq());
}

template <class State>
std::unique_ptr<optim::OptimizerParamState> make_adam_state(const std::function<at::Tensor(const char*)>& get,
                                                            int64_t step) {
    auto s = std::make_unique<State>();
    s->step(step).exp_avg(get("exp_avg")).exp_avg_sq(get("exp_avg_sq")).max_exp_avg_sq(get("max_exp_avg_sq"));
    return s;
}

template <class Options>
void read_adam_options(const Options& a, ParamGroupV1& g) {
    g.lr = a.lr();
    g.weight_decay = a.weight_decay();
    g.beta1 = std::get<0>(a.betas());
    g.beta2 = std::get<1>(a.betas());
    g.eps = a.eps();
    g.amsgrad = a.amsgrad();
}

ParamState read_state(Kind kind, const optim::OptimizerParamState& s) {
    ParamState out;
    const auto add = [&](const char* name, const at::Tensor& t) {
        if (t.defined()) out.tensors.emplace_back(name, t);
    };
    switch (kind) {
        case Kind::SGD: add("momentum_buffer", static_cast<const optim::SGDParamState&>(s).momentum_buffer()); break;
        case Kind::Adam: read_adam_state(static_cast<const optim::AdamParamState&>(s), out.step, add); break;
        case Kind::AdamW: read_adam_state(static_cast<const optim::AdamWParamState&>(s), out.step, add); break;
        case Kind::RMSprop: {
            const auto& r = static_cast<const optim::RMSpropParamState&>(s);
            out.step = r.step();
            add("square_avg", r.square_avg());
            add("momentum_buffer", r.momentum_buffer());
            add("grad_avg", r.grad_avg());
            break;
        }
        case Kind::Adagrad: {
            const auto& a = static_cast<const optim::AdagradParamState&>(s);
            out.step = a.step();
            add("sum", a.sum());
            break;
        }
    }
    return out;
}

// The names each optimizer may store, and whether it has a step count.
const std::vector<std::string>& state_names(Kind kind) {
    static const std::map<Kind, std::vector<std::string>> names = {
        {Kind::SGD, {"momentum_buffer"}},
        {Kind::Adam, {"exp_avg", "exp_avg_sq", "max_exp_avg_sq"}},
        {Kind::AdamW, {"exp_avg", "exp_avg_sq", "max_exp_avg_sq"}},
        {Kind::RMSprop, {"square_avg", "momentum_buffer", "grad_avg"}},
        {Kind::Adagrad, {"sum"}},
    };
    return names.at(kind);
}

std::unique_ptr<optim::OptimizerParamState> make_state(Kind kind, const std::map<std::string, at::Tensor>& t,
                                                       int64_t step) {
    const std::function<at::Tensor(const char*)> get = [&](const char* name) {
        const auto it = t.find(name);
        return it == t.end() ? at::Tensor() : it->second;
    };
    switch (kind) {
        case Kind::SGD: {
            auto s = std::make_unique<optim::SGDParamState>();
            s->momentum_buffer(get("momentum_buffer"));
            return s;
        }
        case Kind::Adam: return make_adam_state<optim::AdamParamState>(get, step);
        case Kind::AdamW: return make_adam_state<optim::AdamWParamState>(get, step);
        case Kind::RMSprop: {
            auto s = std::make_unique<optim::RMSpropParamState>();
            s->step(step)
                .square_avg(get("square_avg"))
                .momentum_buffer(get("momentum_buffer"))
                .grad_avg(get("grad_avg"));
            return s;
        }
        case Kind::Adagrad: {
            auto s = std::make_unique<optim::AdagradParamState>();
            s->step(step).sum(get("sum"));
            return s;
        }
    }
    return nullptr;
}

ParamGroupV1 group_options(Kind kind, const optim::OptimizerParamGroup& group) {
    ParamGroupV1 g;
    g.size = static_cast<int64_t>(group.params().size());
    const optim::OptimizerOptions& o = group.options();
    switch (kind) {
        case Kind::SGD: {
            const auto& s = static_cast<const optim::SGDOptions&>(o);
            g.lr = s.lr();
            g.weight_decay = s.weight_decay();
            g.momentum = s.momentum();
            g.dampening = s.dampening();
            g.nesterov = s.nesterov();
            break;
        }
        case Kind::Adam: read_adam_options(static_cast<const optim::AdamOptions&>(o), g); break;
        case Kind::AdamW: read_adam_options(static_cast<const optim::AdamWOptions&>(o), g); break;
        case Kind::RMSprop: {
            const auto& r = static_cast<const optim::RMSpropOptions&>(o);
            g.lr = r.lr();
            g.weight_decay = r.weight_decay();
            g.alpha = r.alpha();
            g.eps = r.eps();
            g.momentum = r.momentum();
            g.centered = r.centered();
            break;
        }
        case Kind::Adagrad: {
            const auto& a = static_cast<const optim::AdagradOptions&>(o);
            g.lr = a.lr();
            g.weight_decay = a.weight_decay();
            g.lr_decay = a.lr_decay();
            g.initial_accumulator_value = a.initial_accumulator_value();
            g.eps = a.eps();
            break;
        }
    }
    return g;
}

template <class Options, class Need>
std::unique_ptr<optim::OptimizerOptions> adam_options(const ParamGroupV1& g, const Need& need) {
    return std::make_unique<Options>(Options(g.lr)
                                         .weight_decay(g.weight_decay)
                                         .betas(std::make_tuple(need(g.beta1, "beta1"), need(g.beta2, "beta2")))
                                         .eps(need(g.eps, "eps"))
                                         .amsgrad(need(g.amsgrad, "amsgrad")));
}

// A group's options as the row gives them; SchemaError when an option the optimizer needs is missing.
std::unique_ptr<optim::OptimizerOptions> options_of(Kind kind, const ParamGroupV1& g, size_t index) {
    const auto need = [&](const auto& v, const char* name) {
        if (!v) throw SchemaError("training state: parameter group " + std::to_string(index) + " has no " + name);
        return *v;
    };
    switch (kind) {
        case Kind::SGD:
            return std::make_unique<optim::SGDOptions>(optim::SGDOptions(g.lr)
                                                           .weight_decay(g.weight_decay)
                                                           .momentum(need(g.momentum, "momentum"))
                                                           .dampening(need(g.dampening, "dampening"))
                                                           .nesterov(need(g.nesterov, "nesterov")));
        case Kind::Adam: return adam_options<optim::AdamOptions>(g, need);
        case Kind::AdamW: return adam_options<optim::AdamWOptions>(g, need);
        case Kind::RMSprop:
            return std::make_unique<optim::RMSpropOptions>(optim::RMSpropOptions(g.lr)
                                                               .weight_decay(g.weight_decay)
                                                               .alpha(need(g.alpha, "alpha"))
                                                               .eps(need(g.eps, "eps"))
                                                               .momentum(need(g.momentum, "momentum"))
                                                               .centered(need(g.centered, "centered")));
        case Kind::Adagrad:
            return std::make_unique<optim::AdagradOptions>(
                optim::AdagradOptions(g.lr)
                    .weight_decay(g.weight_decay)
                    .lr_decay(need(g.lr_decay, "lr_decay"))
                    .initial_accumulator_value(need(g.initial_accumulator_value, "initial_accumulator_value"))
                    .eps(need(g.eps, "eps")));
    }
    return nullptr;
}

at::Generator cpu_generator() { return at::detail::getDefaultCPUGenerator(); }

std::string shape_text(at::IntArrayRef sizes) {
    std::string out = "(";
    for (size_t i = 0; i < sizes.size(); ++i) out += (i ? ", " : "") + std::to_string(sizes[i]);
    return out + (sizes.size() == 1 ? ",)" : ")");
}

}  // namespace

TrainingStateV1 training_state(const ::torch::nn::Module& model, const optim::Optimizer& optimizer,
                               const TrainingStateOptions& options) {
    const Kind kind = kind_of(optimizer);
    TrainingStateV1 row;
    row.weights = fetch_weights(model);
    row.optimizer = kKindNames[static_cast<int>(kind)];
    std::vector<FlatArray> arrays;
    const auto& groups = optimizer.param_groups();
    for (size_t g = 0; g < groups.size(); ++g) {
        row.param_groups.push_back(group_options(kind, groups[g]));
        const auto& params = groups[g].params();
        for (size_t i = 0; i < params.size(); ++i) {
            const auto it = optimizer.state().find(key_of(params[i]));
            if (it == optimizer.state().end()) continue;  // no step has touched it yet
            const ParamState s = read_state(kind, *it->second);
            const std::string place = std::to_string(g) + "." + std::to_string(i);
            if (s.step) {
                row.optimizer_params.push_back(place);
                row.optimizer_steps.push_back(*s.step);
            }
            for (const auto& [name, tensor] : s.tensors) {
                if (!tensor.device().is_cpu())
                    throw UnsupportedError("training state: the optimizer state " + place + "." + name +
                                           " is not on the CPU");
                arrays.push_back(to_flat_array(tensor));
                row.optimizer_state_names.push_back(place + "." + name);
            }
        }
    }
    if (!row.param_groups.empty()) row.learning_rate = row.param_groups.front().lr;
    if (!arrays.empty()) row.optimizer_state = Weights(std::move(arrays));
    if (options.rng) {
        at::Generator gen = cpu_generator();
        std::lock_guard<std::mutex> lock(gen.mutex());
        const at::Tensor state = gen.get_state().contiguous();
        const auto* bytes = static_cast<const uint8_t*>(state.data_ptr());
        row.rng_state.assign(bytes, bytes + state.numel());
    }
    return row;
}

void restore_training_state(::torch::nn::Module& model, optim::Optimizer& optimizer, const TrainingStateV1& state,
                            const TrainingStateOptions& options) {
    // 1. Check the optimizer's part and build its new state, touching nothing.
    const Kind kind = kind_of(optimizer);
    if (state.optimizer != kKindNames[static_cast<int>(kind)])
        throw InvalidArgument("training state: the row holds the state of " +
                              (state.optimizer.empty() ? std::string("no optimizer") : "a " + state.optimizer) +
                              " optimizer, not of this " + kKindNames[static_cast<int>(kind)]);
    auto& groups = optimizer.param_groups();
    if (state.param_groups.size() != groups.size())
        throw ShapeError("training state: the row has " + std::to_string(state.param_groups.size()) +
                         " parameter groups, the optimizer " + std::to_string(groups.size()));
    std::vector<std::unique_ptr<optim::OptimizerOptions>> new_options;
    for (size_t g = 0; g < groups.size(); ++g) {
        if (state.param_groups[g].size != static_cast<int64_t>(groups[g].params().size()))
            throw ShapeError("training state: parameter group " + std::to_string(g) + " has " +
                             std::to_string(state.param_groups[g].size) + " parameters in the row, " +
                             std::to_string(groups[g].params().size()) + " in the optimizer");
        new_options.push_back(options_of(kind, state.param_groups[g], g));
    }
    const size_t n_arrays = state.optimizer_state ? state.optimizer_state->size() : 0;
    if (state.optimizer_state_names.size() != n_arrays)
        throw SchemaError("training state: " + std::to_string(state.optimizer_state_names.size()) +
                          " optimizer_state_names for " + std::to_string(n_arrays) + " optimizer_state arrays");
    if (state.optimizer_params.size() != state.optimizer_steps.size())
        throw SchemaError("training state: optimizer_params and optimizer_steps differ in length");
    // Parse "<group>.<parameter>[.<name>]" into the parameter it belongs to.
    const auto parameter_of = [&](const std::string& text, std::string* name) -> std::pair<size_t, size_t> {
        size_t g = 0, i = 0, used = 0;
        try {
            g = std::stoul(text, &used);
            if (used >= text.size() || text[used] != '.') throw std::invalid_argument(text);
            const std::string rest = text.substr(used + 1);
            i = std::stoul(rest, &used);
            if (name)
                *name = used < rest.size() && rest[used] == '.' ? rest.substr(used + 1) : "";
            else if (used != rest.size())
                throw std::invalid_argument(text);
        } catch (const std::logic_error&) {
            throw SchemaError("training state: '" + text + "' does not name a parameter as <group>.<parameter>");
        }
        if (g >= groups.size() || i >= groups[g].params().size())
            throw ShapeError("training state: '" + text + "' names a parameter the optimizer does not have");
        return {g, i};
    };
    std::map<std::pair<size_t, size_t>, std::map<std::string, at::Tensor>> tensors;
    std::map<std::pair<size_t, size_t>, int64_t> steps;
    for (size_t k = 0; k < state.optimizer_params.size(); ++k)
        steps[parameter_of(state.optimizer_params[k], nullptr)] = state.optimizer_steps[k];
    const auto& allowed = state_names(kind);
    for (size_t k = 0; k < n_arrays; ++k) {
        std::string name;
        const auto place = parameter_of(state.optimizer_state_names[k], &name);
        if (std::find(allowed.begin(), allowed.end(), name) == allowed.end())
            throw SchemaError("training state: '" + state.optimizer_state_names[k] + "' is no state of " +
                              state.optimizer);
        const at::Tensor& param = groups[place.first].params()[place.second];
        at::Tensor t = to_tensor(state.optimizer_state->arrays[k]);
        if (t.sizes() != param.sizes())
            throw ShapeError("training state: " + state.optimizer_state_names[k] + " has shape " +
                             shape_text(t.sizes()) + ", its parameter " + shape_text(param.sizes()));
        tensors[place][name] = t.to(param.options(), /*non_blocking=*/false, /*copy=*/true);
    }
    const bool has_step = kind != Kind::SGD;
    std::map<std::string, std::unique_ptr<optim::OptimizerParamState>> new_state;
    std::set<std::pair<size_t, size_t>> places;
    for (const auto& [place, _] : tensors) places.insert(place);
    for (const auto& [place, _] : steps) places.insert(place);
    for (const auto& place : places) {
        if (has_step && !steps.count(place))
            throw SchemaError("training state: parameter " + std::to_string(place.first) + "." +
                              std::to_string(place.second) + " has state but no step count");
        new_state[key_of(groups[place.first].params()[place.second])] =
            make_state(kind, tensors[place], has_step ? steps[place] : 0);
    }
    at::Tensor rng;
    if (options.rng && !state.rng_state.empty()) {
        rng = at::empty({static_cast<int64_t>(state.rng_state.size())}, at::kByte);
        std::memcpy(rng.data_ptr(), state.rng_state.data(), state.rng_state.size());
        // A scratch generator says whether the bytes are a state this LibTorch accepts.
        at::Generator probe = at::detail::createCPUGenerator();
        try {
            probe.set_state(rng);
        } catch (const c10::Error& e) {
            throw ShapeError("training state: the generator state (" + std::to_string(state.rng_state.size()) +
                             " bytes) is not one this LibTorch's CPU generator accepts: " + e.what_without_backtrace());
        }
    }
    // 2. The weights: load_weights checks everything before it copies anything.
    if (!state.weights) throw SchemaError("training state: the row has no weights");
    load_weights(model, *state.weights);
    // 3. Nothing below can fail.
    for (size_t g = 0; g < groups.size(); ++g) groups[g].set_options(std::move(new_options[g]));
    auto& current = optimizer.state();
    for (size_t g = 0; g < groups.size(); ++g)
        for (const at::Tensor& p : groups[g].params()) current.erase(key_of(p));
    for (auto& [key, s] : new_state) current[key] = std::move(s);
    if (rng.defined()) {
        at::Generator gen = cpu_generator();
        std::lock_guard<std::mutex> lock(gen.mutex());
        gen.set_state(rng);
    }
}

}  // namespace legolasflux::torch
