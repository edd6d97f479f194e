// Training state for exact resumes: a model's weights, its optimizer's state and options, and the
// CPU random number generator, as one legolas-flux.training-state@1 row
// (legolasflux/training_state.hpp), and back into a freshly built model and optimizer.
//
//   auto model = build_model();                       // seeded the same way in every process
//   torch::optim::Adam adam(model->parameters(), torch::optim::AdamOptions(1e-3));
//   if (auto latest = run.latest())
//       legolasflux::torch::restore_training_state(*model, adam, run.read<MyRowV1>(*latest));
//   …
//   MyRowV1 row;
//   static_cast<legolasflux::TrainingStateV1&>(row) = legolasflux::torch::training_state(*model, adam);
//   row.accuracy = accuracy;
//   run.save_async(step, row);
//
// Optimizers: SGD (momentum buffers), Adam and AdamW (step, exp_avg, exp_avg_sq, max_exp_avg_sq
// with amsgrad), RMSprop (step, square_avg, momentum_buffer, grad_avg), Adagrad (step, sum), with
// every parameter group's options. Parameters are identified by their place: group g, parameter i
// of param_groups()[g].params(); a freshly built optimizer over a freshly built model has them in
// the same places.
#pragma once

#include <torch/torch.h>

#include "legolasflux/training_state.hpp"

namespace legolasflux::torch {

struct TrainingStateOptions {
    bool rng = true;  // capture / restore the CPU generator's state
};

// The state now. The weights and optimizer arrays view the live tensors where they can (as
// fetch_weights does): save the row, or save_async it, before the next training step changes them.
// UnsupportedError for another optimizer type or tensors that are not on the CPU.
TrainingStateV1 training_state(const ::torch::nn::Module& model, const ::torch::optim::Optimizer& optimizer,
                               const TrainingStateOptions& options = {});

// Restores the weights (load_weights), the optimizer's options and per-parameter state (replacing
// any it has), and the generator. Everything is checked first — the optimizer type, the number of
// groups and parameters, every state tensor's shape against its parameter's, the weights (as
// load_weights checks them), the generator state's size — and on any error (ShapeError,
// SchemaError, InvalidArgument) model, optimizer and generator are left exactly as they were.
void restore_training_state(::torch::nn::Module& model, ::torch::optim::Optimizer& optimizer,
                            const TrainingStateV1& state, const TrainingStateOptions& options = {});

}  // namespace legolasflux::torch
