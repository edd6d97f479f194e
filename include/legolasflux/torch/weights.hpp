// The LibTorch adapter: a module's numbers as Weights, and Weights back into a module.
//
// Order. fetch_weights walks the module tree depth-first, pre-order, as LegolasFlux.jl's
// fetch_weights walks a Flux model: for each module, first its own parameters in registration
// order, then its own buffers in registration order (BatchNorm's running_mean, running_var and
// num_batches_tracked), then each child module in registration order. A module reached twice (a
// shared layer) is walked once, at its first place; a tensor reached twice (tied weights) is kept
// once, at its first place. Undefined tensors (e.g. a Linear without bias) are skipped.
//
// Layout. A row-major tensor of shape (d1, …, dn) is stored as the Julia array of size
// (dn, …, d1): the same bytes, no transpose. Julia readers see the dimensions reversed.
//
// Element type. All arrays of one Weights share an element type: the promotion of the tensors'
// dtypes, as Julia's Weights constructor promotes (a float32 model with an int64 counter stores
// Float32). bfloat16 tensors give Float32 arrays by default (exactly: a copy), as they always did;
// with FetchOptions::bfloat16 = Native they give BFloat16 arrays that view the tensors, promoted
// by Weights::promoted_exactly (a bfloat16 model whose int64 BatchNorm counter bfloat16 would round
// is fetched as Float32, as by default). Writing BFloat16 weights natively is the writer's choice
// too: ModelWriteOptions::bfloat16. load_weights converts every array to its tensor's dtype: a
// BFloat16 array into a bfloat16 tensor is a plain copy, into a float32 tensor exact; a Float32
// array into a bfloat16 tensor rounds to nearest even.
//
// Copies. fetch_weights copies nothing when the tensors are contiguous CPU tensors of the
// promoted element type: the FlatArrays view the tensors' memory and keep the tensors alive.
// load_weights checks everything first (count, every shape, names when asked, exact conversion of
// values into integer tensors) and only then copies each array once into its tensor, converting
// dtype in the same pass; on any error the module is left exactly as it was.
#pragma once

#include <torch/torch.h>

#include <filesystem>
#include <string>
#include <vector>

#include "legolasflux/model.hpp"
#include "legolasflux/weights.hpp"

namespace legolasflux::torch {

// A tensor of the module with its path, e.g. "features.0.weight", "bn.running_mean".
struct NamedTensor {
    std::string name;
    at::Tensor tensor;
};

struct FetchOptions {
    bool include_buffers = true;  // BatchNorm statistics and counters; LegolasFlux needs them
    // bfloat16 tensors as Float32 arrays (the default) or as BFloat16 arrays (Native; see above).
    BFloat16Storage bfloat16 = BFloat16Storage::Float32;
};

// The tensors fetch_weights stores, in its order (see above).
std::vector<NamedTensor> named_weights(const ::torch::nn::Module& module, const FetchOptions& options = {});

// The module's numbers. When `names` is given it receives each array's module path.
Weights fetch_weights(const ::torch::nn::Module& module, std::vector<std::string>* names = nullptr,
                      const FetchOptions& options = {});

struct LoadOptions {
    FetchOptions fetch;
    // Stored names (e.g. a row's weight_names column). When given they must match the module's
    // names, index by index, unless by_name is set, in which case arrays are matched by name and
    // the order may differ (every module tensor must have exactly one array).
    const std::vector<std::string>* names = nullptr;
    bool by_name = false;
    // Threads that copy a large model's values (0: one per core).
    int threads = 0;
};

// Loads `weights` into `module` (see above). Throws ShapeError, naming the index, the module path
// and both shapes, when the weights do not fit; the module is then unchanged.
void load_weights(::torch::nn::Module& module, const Weights& weights, const LoadOptions& options = {});

// Loads the weights of the model file at `path` into `module`: read_model_row's checks (as `read`
// says) and load_weights' (with the row's weight_names when `options.by_name` and no names are
// given); on any error the module is unchanged (but for forged files: read_into.hpp). When every
// tensor is a contiguous CPU tensor of the stored dtype and shape and none shares memory with
// another, the values go straight from the file into the tensors — compressed ones decoded into
// place, part by part on every core (read_into.hpp) — with no copy of the model in between;
// otherwise as read_model_row then load_weights.
void load_weights(::torch::nn::Module& module, const std::filesystem::path& path, const LoadOptions& options = {},
                  const ModelReadOptions& read = {});

// One array <-> one tensor, in the layout described above (no copy when the dtype matches; a
// bfloat16 tensor gives a BFloat16 array only when `bfloat16` is Native).
FlatArray to_flat_array(const at::Tensor& tensor, BFloat16Storage bfloat16 = BFloat16Storage::Float32);
// A tensor of `shape`'s reverse holding the array's values (a view when the element type has a
// torch dtype; a copy otherwise: torch 1.13 has no uint16/32/64).
at::Tensor to_tensor(const FlatArray& array);

// The torch dtype that stores an element type, and back (BFloat16 ↔ kBFloat16).
at::ScalarType to_dtype(ElementType type);
ElementType to_element_type(at::ScalarType dtype);

}  // namespace legolasflux::torch
