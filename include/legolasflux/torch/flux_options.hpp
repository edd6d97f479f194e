// The option types several legolasflux::flux layers share (conventions: flux_layer.hpp).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <utility>
#include <vector>

namespace legolasflux::flux {

// Which Flux a model comes from, where Flux changed what a layer stores or computes; a row does
// not record it, so the caller says. v0_13 stands for Flux 0.13 and 0.14 (recurrent layers as
// Recur(cell) with state0 and state arrays, LayerNorm dividing by std + ϵ); v0_15 for 0.15 and 0.16.
enum class Generation { v0_13, v0_15 };

// An integer, or a tuple of them (Julia's `stride = 2` or `stride = (1, 2)`). A single integer
// stands for every spatial dimension; a tuple has one entry per dimension, in Julia's order (W
// first). Empty: the layer's default.
struct Ints {
    Ints() = default;
    Ints(int64_t value) : values{value}, scalar(true) {}
    Ints(std::initializer_list<int64_t> list) : values(list) {}
    Ints(std::vector<int64_t> list) : values(std::move(list)) {}
    bool empty() const { return values.empty(); }

    std::vector<int64_t> values;
    bool scalar = false;  // given (and printed) as one number
};

// Flux's SamePad(): padding chosen so that the output size is ceil(input size / stride)
// (for ConvTranspose: input size * stride).
struct SamePad {};

// Flux's `pad`: an integer for every side, a tuple of N (each dimension padded the same at both
// ends), a tuple of 2N (asymmetric, Flux's order: (first dim low, first dim high, second dim low,
// …), where the first dimension is Julia's first, W), or SamePad().
struct Padding : Ints {
    Padding(int64_t value) : Ints(value) {}
    Padding(std::initializer_list<int64_t> list) : Ints(list) {}
    Padding(std::vector<int64_t> list) : Ints(std::move(list)) {}
    Padding(SamePad) : same(true) {}

    bool same = false;
};

}  // namespace legolasflux::flux
