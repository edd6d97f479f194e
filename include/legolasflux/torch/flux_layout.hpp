// Flux's layout: the arrays a Flux (Julia) model stores for a layer, in Flux's order, as LibTorch
// layers hold them. With these, a model trained in Julia runs in C++, and a model trained in C++
// is written the way Julia's LegolasFlux.jl writes the same Flux model.
//
//   LibTorch layer                  Flux layer   arrays, in Flux's order and Julia size
//   Linear(in, out)                 Dense        weight (out, in) — transposed; bias (out,)
//   Conv1d/2d/3d                    Conv         weight (kw[, kh[, kd]], cin, cout) — kernel
//                                                flipped on every spatial axis, since Flux's Conv
//                                                is a true convolution; bias (cout,)
//   BatchNorm1d/2d/3d, InstanceNorm β (bias), γ (weight), μ (running_mean), σ² (running_var);
//                                                no counter (Flux has none)
//   GroupNorm                       GroupNorm    β (bias), γ (weight)
//   LayerNorm                       LayerNorm    γ (weight), β (bias)
//   Embedding(n, d)                 Embedding    weight (d, n) — the same bytes
// Modules that hold no tensors (ReLU, Dropout, MaxPool, Flatten, Sequential, Functional, …) add
// nothing. A module that implements FluxLayout (every legolasflux::flux module does) lists its own
// arrays. A module with tensors of another kind is an UnsupportedError naming its path and type.
// Shared modules are walked once, at their first place, as in fetch_weights; a module's own arrays
// come before its children's, which follow in registration order (Flux's field order).
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

#include "legolasflux/weights.hpp"

namespace legolasflux::torch {

// How a LibTorch tensor maps to its Flux array.
enum class FluxTransform : uint8_t {
    Same,       // the same bytes (row-major shape reversed)
    Transpose,  // every axis reversed: a matrix transposed (Dense), Bilinear's (out, in1, in2)
    Flip,       // every axis after the first two reversed (Conv kernels)
};

struct FluxTensor {
    std::string name;  // module path, e.g. "3.weight"
    at::Tensor tensor;
    FluxTransform transform = FluxTransform::Same;
};

// A module that knows its own Flux arrays: the tensors it holds itself (not its children's), in
// Flux's field order, named relative to the module ("weight"). Undefined tensors are skipped.
class FluxLayout {
public:
    virtual ~FluxLayout() = default;
    virtual std::vector<FluxTensor> flux_arrays() const = 0;
};

// The tensors of `module` in Flux's order, with how each maps to its Flux array.
std::vector<FluxTensor> flux_tensors(const ::torch::nn::Module& module);

// The model's arrays as Flux stores them (one copy per transposed or flipped array).
Weights fetch_flux_weights(const ::torch::nn::Module& module, std::vector<std::string>* names = nullptr);

// Loads arrays in Flux's layout (e.g. from a file written by Julia). Checks the count and every
// Julia size first; on any error the module is unchanged.
void load_flux_weights(::torch::nn::Module& module, const Weights& weights);

}  // namespace legolasflux::torch
