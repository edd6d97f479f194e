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
// Matching. A load pairs each stored array with a module tensor: by name when the stored names
// are known (a file's weight_names column, which save_weights writes; LoadOptions::names), so that
// the order may differ and a renamed or added layer is reported, never loaded in the wrong place;
// by position when they are not (Julia's rows) or when asked (Match::ByPosition). Every difference
// is reported at once (LoadReport): the module tensors no array is for (missing), the arrays no
// tensor takes (unexpected), and the pairs whose shapes or values do not fit (mismatched), with
// names, indices and both shapes. A strict load (the default) throws them as a LoadError and
// changes nothing; a load with strict = false loads exactly the pairs that fit. Subsets (only,
// prefixes) and renames (stored name -> module name) load part of a model, e.g. a backbone into a
// model with a new head.
//
// Copies. fetch_weights copies nothing when the tensors are contiguous CPU tensors of the
// promoted element type: the FlatArrays view the tensors' memory and keep the tensors alive.
// load_weights checks everything first (names, every shape, exact conversion of values into
// integer tensors) and only then copies each array once into its tensor, converting
// dtype in the same pass; on any error the module is left exactly as it was.
#pragma once

#include <torch/torch.h>

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "legolasflux/errors.hpp"
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

// How stored arrays find the module's tensors.
enum class Match {
    Auto,    // by name when the stored names are known (LoadOptions::names, a file's weight_names), else by position
    ByName,  // by name; the stored names must be known
    ByPosition,  // array i into tensor i, whatever the names (Julia's rows; the Flux layout loads this way)
};

struct LoadOptions {
    FetchOptions fetch;
    // The stored names (e.g. a row's weight_names column), one per array. load_weights(module, path)
    // takes the file's own when this is not given.
    const std::vector<std::string>* names = nullptr;
    Match match = Match::Auto;
    bool by_name = false;  // the same as match = Match::ByName (kept for earlier callers)
    // Strict (the default): any difference is a LoadError and the module is left as it was. Not
    // strict: the tensors that fit are loaded, the others left as they are, and the returned report
    // says which is which.
    bool strict = true;
    // A subset: only the module tensors named in `only` or starting with one of `prefixes` (e.g.
    // "backbone.") are loaded, from the stored arrays of the same names (after `rename`); the others,
    // on either side, are neither loaded nor differences. Needs names.
    std::vector<std::string> only;
    std::vector<std::string> prefixes;
    // Stored name -> module name: whole names, then (for names not listed there) the first
    // matching prefix of `rename_prefixes` replaced, e.g. {"encoder.", "backbone."}. Needs names.
    std::map<std::string, std::string> rename;
    std::vector<std::pair<std::string, std::string>> rename_prefixes;
    // Threads that copy a large model's values (0: one per core).
    int threads = 0;
};

// One difference between the stored arrays and the module's tensors.
struct LoadDifference {
    // The module tensor's path (missing, mismatched), or the stored array's name (unexpected; empty
    // when the arrays have no names).
    std::string name = {};
    std::optional<size_t> array = {};       // the stored array's index (unexpected, mismatched)
    std::string stored_name = {};           // its stored name when known (mismatched; renames show here)
    std::vector<int64_t> model_shape = {};  // the module tensor's torch shape (missing, mismatched)
    std::vector<int64_t> stored_size = {};  // the stored array's Julia size (unexpected, mismatched)
    std::string why = {};                   // mismatched: what does not fit
};

// What a load did: PyTorch's missing_keys / unexpected_keys, and the tensors whose arrays do not
// fit (shape, or values an integer tensor cannot hold).
struct LoadReport {
    Match matched_by = Match::ByPosition;    // ByName or ByPosition: how the arrays were matched
    std::vector<std::string> loaded;         // module tensors loaded (their paths), in the module's order
    std::vector<LoadDifference> missing;     // module tensors no stored array is for
    std::vector<LoadDifference> unexpected;  // stored arrays no module tensor takes
    std::vector<LoadDifference> mismatched;  // matched, but the array does not fit the tensor
    bool complete() const { return missing.empty() && unexpected.empty() && mismatched.empty(); }
    // Every difference, one a line, for messages.
    std::string describe() const;
};

// A strict load that did not fit: a ShapeError whose message lists every difference, and the report.
class LoadError : public ShapeError {
public:
    LoadError(const std::string& what, LoadReport report) : ShapeError(what), report(std::move(report)) {}
    LoadReport report;
};

// Loads `weights` into `module` (see above), matched as `options.match` says. Strict: throws
// LoadError (a ShapeError) naming every difference — every missing, unexpected and mismatched
// tensor with its name or index, module path and both shapes — and leaves the module unchanged.
// Not strict: loads what fits and reports the rest. Returns the report either way.
LoadReport load_weights(::torch::nn::Module& module, const Weights& weights, const LoadOptions& options = {});

// Loads the weights of the model file at `path` into `module`: read_model_row's checks (as `read`
// says) and load_weights', matched by the file's weight_names when it has them (Match::Auto), else
// by position; on any error of a strict load the module is unchanged (but for forged files:
// read_into.hpp). When every tensor is a contiguous CPU tensor of the stored dtype and shape and
// none shares memory with another, the values go straight from the file into the tensors —
// compressed ones decoded into place, part by part on every core (read_into.hpp) — with no copy
// of the model in between; otherwise as read_model_row then load_weights.
LoadReport load_weights(::torch::nn::Module& module, const std::filesystem::path& path, const LoadOptions& options = {},
                        const ModelReadOptions& read = {});

struct SaveOptions {
    FetchOptions fetch;
    // How the file is written. Its weight_names are the module's tensor paths unless `names` is false.
    ModelWriteOptions write;
    bool names = true;
};

// The module's weights as a legolas-flux.model@1 row (with the tensors' names, so that a later
// load matches them by name and reports any difference), written atomically at `path`.
void save_weights(const ::torch::nn::Module& module, const std::filesystem::path& path,
                  const SaveOptions& options = {});

// The same for a row of the caller's schema (R extends legolasflux::ModelV1): its weights are the
// module's, its other fields as given.
template <class R>
void save_weights(const ::torch::nn::Module& module, const std::filesystem::path& path, R row,
                  const SaveOptions& options = {}) {
    SaveOptions o = options;
    row.weights = fetch_weights(module, o.names ? &o.write.weight_names : nullptr, o.fetch);
    write_model_row(path, row, o.write);
}

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
