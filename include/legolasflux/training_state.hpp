// A model row that also holds what resuming a training run exactly needs: the optimizer's state
// and options, and the random number generator's state. legolasflux/torch/training_state.hpp
// captures it from LibTorch and restores it; this header declares the schema, which needs no
// LibTorch (the CLI, the checkpoint manager and Julia read it as any other row).
//
// legolas-flux.training-state@1 extends legolas-flux.model@1. Julia reads such a file as usual:
// the extra columns are ordinary Legolas columns.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "legolasflux/model.hpp"

namespace legolasflux {

// One parameter group's options (torch::optim's OptimizerOptions). Options the optimizer does
// not have are missing.
struct ParamGroupV1 {
    int64_t size = 0;  // parameters in the group
    double lr = 0;
    double weight_decay = 0;
    std::optional<double> momentum;                   // SGD, RMSprop
    std::optional<double> dampening;                  // SGD
    std::optional<bool> nesterov;                     // SGD
    std::optional<double> beta1, beta2;               // Adam, AdamW
    std::optional<double> eps;                        // Adam, AdamW, RMSprop, Adagrad
    std::optional<bool> amsgrad;                      // Adam, AdamW
    std::optional<double> alpha;                      // RMSprop
    std::optional<bool> centered;                     // RMSprop
    std::optional<double> lr_decay;                   // Adagrad
    std::optional<double> initial_accumulator_value;  // Adagrad
};
LEGOLAS_RECORD(ParamGroupV1, "legolas-flux.param-group", 1, size, lr, weight_decay, momentum, dampening, nesterov,
               beta1, beta2, eps, amsgrad, alpha, centered, lr_decay, initial_accumulator_value);

struct TrainingStateV1 : ModelV1 {
    // "SGD", "Adam", "AdamW", "RMSprop" or "Adagrad".
    std::string optimizer;
    std::vector<ParamGroupV1> param_groups;
    // The first group's learning rate, for listings and queries (param_groups holds them all).
    std::optional<double> learning_rate;
    // Every per-parameter state tensor, in group and parameter order (missing when the optimizer
    // holds none yet), each named "<group>.<parameter>.<name>": "0.3.exp_avg", "1.0.momentum_buffer"…
    std::optional<Weights> optimizer_state;
    std::vector<std::string> optimizer_state_names;
    // The step counts of the parameters that have state ("<group>.<parameter>", and the count).
    std::vector<std::string> optimizer_params;
    std::vector<int64_t> optimizer_steps;
    // The CPU generator's state (at::CPUGeneratorImpl::get_state: the Mersenne Twister and the
    // cached normal values), which Dropout and every torch::rand draw from; empty when not kept.
    std::vector<uint8_t> rng_state;
};
LEGOLAS_RECORD_EXTENDS(TrainingStateV1, "legolas-flux.training-state", 1, legolasflux::ModelV1, optimizer, param_groups,
                       learning_rate, optimizer_state, optimizer_state_names, optimizer_params, optimizer_steps,
                       rng_state);

}  // namespace legolasflux
