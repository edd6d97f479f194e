#include "legolasflux/torch/weights.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <optional>
#include <set>
#include <unordered_set>

#include "common/parallel_copy.hpp"
#include "legolasflux/errors.hpp"
#include "legolasflux/read_into.hpp"
#include "load_plan.hpp"

namespace legolasflux::torch {
namespace {

using detail::reversed;

// Two tensor handles are the same model tensor when they share an implementation, or view the same
// memory the same way (tied weights re-registered through another handle).
struct TensorKey {
    const void* impl;
    const void* data;
    std::vector<int64_t> sizes, strides;
    at::ScalarType dtype;
    bool operator<(const TensorKey& o) const {
        return std::tie(data, sizes, strides, dtype) < std::tie(o.data, o.sizes, o.strides, o.dtype);
    }
};

void walk(const ::torch::nn::Module& module, const std::string& prefix, const FetchOptions& options,
          std::unordered_set<const ::torch::nn::Module*>& seen_modules, std::unordered_set<const void*>& seen_impls,
          std::set<TensorKey>& seen_views, std::vector<NamedTensor>& out) {
    if (!seen_modules.insert(&module).second) return;
    auto visit = [&](const std::string& name, const at::Tensor& t) {
        if (!t.defined()) return;
        if (!seen_impls.insert(t.unsafeGetTensorImpl()).second) return;
        if (t.numel() > 0 && t.has_storage()) {
            TensorKey key{t.unsafeGetTensorImpl(), t.data_ptr(), t.sizes().vec(), t.strides().vec(), t.scalar_type()};
            if (!seen_views.insert(std::move(key)).second) return;
        }
        out.push_back({prefix + name, t});
    };
    for (const auto& p : module.named_parameters(/*recurse=*/false)) visit(p.key(), p.value());
    if (options.include_buffers)
        for (const auto& b : module.named_buffers(/*recurse=*/false)) visit(b.key(), b.value());
    for (const auto& c : module.named_children())
        walk(*c.value(), prefix + c.key() + ".", options, seen_modules, seen_impls, seen_views, out);
}

ElementType stored_type(at::ScalarType dtype, BFloat16Storage bfloat16) {
    if (dtype == at::kBFloat16 && bfloat16 == BFloat16Storage::Float32) return ElementType::Float32;
    return to_element_type(dtype);
}

// Whether every value of `array` converts exactly into a tensor of `dtype` (integers and bool
// cannot take fractions or out-of-range values; floats take anything).
std::optional<std::string> inexact_value(const FlatArray& array, at::ScalarType dtype) {
    if (at::isFloatingType(dtype) || at::isComplexType(dtype)) return std::nullopt;
    const ElementType target = to_element_type(dtype);
    if (array.element_type == target) return std::nullopt;
    try {
        (void)array.converted_to(target);
    } catch (const InvalidArgument& e) {
        return std::string(e.what());
    }
    return std::nullopt;
}

// Whether memcpy can do the copy of `from` into `to`: same dtype and bytes, both contiguous in CPU
// memory, nothing lazy about the target.
bool plain_copy(const at::Tensor& to, const at::Tensor& from) {
    return to.device().is_cpu() && to.layout() == at::kStrided && to.has_storage() && to.is_contiguous() &&
           !to.is_neg() && !to.is_conj() && from.device().is_cpu() && from.layout() == at::kStrided &&
           from.has_storage() && from.is_contiguous() && to.scalar_type() == from.scalar_type() &&
           to.nbytes() == from.nbytes();
}

// Bytes a tensor may touch: its own for a contiguous one, else (conservatively) its whole storage;
// none without CPU storage.
std::optional<std::pair<uintptr_t, uintptr_t>> memory_of(const at::Tensor& t, bool contiguous) {
    if (!t.device().is_cpu() || t.layout() != at::kStrided || !t.has_storage() || t.nbytes() == 0) return std::nullopt;
    if (contiguous) {
        const auto begin = reinterpret_cast<uintptr_t>(t.data_ptr());
        return std::pair(begin, begin + t.nbytes());
    }
    const auto begin = reinterpret_cast<uintptr_t>(t.storage().data());
    return std::pair(begin, begin + t.storage().nbytes());
}

// The copies from[t] -> targets[t] that memcpy can do, marked in `plain`. None when a target
// shares memory with another target or with a source (views of one storage; weights fetched from
// the module itself), so that the copies stay in order, one after the other.
common::ParallelCopy memcpy_copies(const std::vector<NamedTensor>& targets, const std::vector<at::Tensor>& from,
                                   std::vector<bool>& plain) {
    struct Span {
        uintptr_t begin, end;
        bool target;
    };
    std::vector<Span> spans;
    for (size_t t = 0; t < targets.size(); ++t) {
        plain[t] = plain_copy(targets[t].tensor, from[t]);
        if (const auto m = memory_of(targets[t].tensor, plain[t])) spans.push_back({m->first, m->second, true});
        if (const auto m = memory_of(from[t], from[t].is_contiguous())) spans.push_back({m->first, m->second, false});
    }
    std::sort(spans.begin(), spans.end(), [](const Span& x, const Span& y) { return x.begin < y.begin; });
    uintptr_t end_any = 0, end_target = 0;  // the furthest end so far, of any span and of targets
    for (const Span& s : spans) {
        if (s.begin < (s.target ? end_any : end_target)) {
            plain.assign(plain.size(), false);
            return {};
        }
        end_any = std::max(end_any, s.end);
        if (s.target) end_target = std::max(end_target, s.end);
    }
    common::ParallelCopy copy;
    for (size_t t = 0; t < targets.size(); ++t)
        if (plain[t]) copy.add(targets[t].tensor.data_ptr(), from[t].data_ptr(), targets[t].tensor.nbytes());
    return copy;
}

}  // namespace

at::ScalarType to_dtype(ElementType type) {
    switch (type) {
        case ElementType::Bool: return at::kBool;
        case ElementType::Int8: return at::kChar;
        case ElementType::Int16: return at::kShort;
        case ElementType::Int32: return at::kInt;
        case ElementType::Int64: return at::kLong;
        case ElementType::UInt8: return at::kByte;
        case ElementType::Float16: return at::kHalf;
        case ElementType::Float32: return at::kFloat;
        case ElementType::Float64: return at::kDouble;
        case ElementType::BFloat16: return at::kBFloat16;
        case ElementType::UInt16:
        case ElementType::UInt32:
        case ElementType::UInt64: break;
    }
    throw UnsupportedError("LibTorch has no dtype for " + std::string(element_type_name(type)));
}

namespace {
// The dtype of a tensor that holds `type` as it is, or nullopt when torch has none.
std::optional<at::ScalarType> stored_type_of(ElementType type) {
    try {
        return to_dtype(type);
    } catch (const UnsupportedError&) {
        return std::nullopt;
    }
}
}  // namespace

ElementType to_element_type(at::ScalarType dtype) {
    switch (dtype) {
        case at::kBool: return ElementType::Bool;
        case at::kChar: return ElementType::Int8;
        case at::kShort: return ElementType::Int16;
        case at::kInt: return ElementType::Int32;
        case at::kLong: return ElementType::Int64;
        case at::kByte: return ElementType::UInt8;
        case at::kHalf: return ElementType::Float16;
        case at::kFloat: return ElementType::Float32;
        case at::kDouble: return ElementType::Float64;
        case at::kBFloat16: return ElementType::BFloat16;
        default: break;
    }
    throw UnsupportedError(std::string("no LegolasFlux element type for torch dtype ") + c10::toString(dtype));
}

std::vector<NamedTensor> named_weights(const ::torch::nn::Module& module, const FetchOptions& options) {
    std::unordered_set<const ::torch::nn::Module*> seen_modules;
    std::unordered_set<const void*> seen_impls;
    std::set<TensorKey> seen_views;
    std::vector<NamedTensor> out;
    walk(module, "", options, seen_modules, seen_impls, seen_views, out);
    return out;
}

FlatArray to_flat_array(const at::Tensor& tensor, BFloat16Storage bfloat16) {
    at::Tensor t = tensor.detach();
    const ElementType type = stored_type(t.scalar_type(), bfloat16);
    if (!t.device().is_cpu() || !t.is_contiguous() || t.scalar_type() != to_dtype(type))
        t = t.to(at::kCPU, to_dtype(type)).contiguous();
    auto owner = std::make_shared<at::Tensor>(t);
    const auto* data = static_cast<const uint8_t*>(t.data_ptr());
    return FlatArray(type, reversed(t.sizes()),
                     arrow::Buffer(std::shared_ptr<const void>(owner, data), data, static_cast<int64_t>(t.nbytes())));
}

at::Tensor to_tensor(const FlatArray& array) {
    if (array.element_type == ElementType::UInt16 || array.element_type == ElementType::UInt32)
        return to_tensor(array.converted_to(ElementType::Int64));
    if (array.element_type == ElementType::UInt64) {
        try {
            return to_tensor(array.converted_to(ElementType::Int64));
        } catch (const InvalidArgument&) {
            return to_tensor(array.converted_to(ElementType::Float64));
        }
    }
    const std::vector<int64_t> shape(array.size.rbegin(), array.size.rend());
    arrow::Buffer keep = array.values;  // the deleter keeps the values alive as long as the tensor
    return ::torch::from_blob(
        const_cast<uint8_t*>(keep.data()), shape, [keep](void*) mutable { keep = {}; },
        at::TensorOptions().dtype(to_dtype(array.element_type)));
}

Weights fetch_weights(const ::torch::nn::Module& module, std::vector<std::string>* names, const FetchOptions& options) {
    const std::vector<NamedTensor> tensors = named_weights(module, options);
    if (tensors.empty()) throw InvalidArgument("the module has no parameters or buffers to fetch");
    std::vector<FlatArray> arrays;
    arrays.reserve(tensors.size());
    for (const auto& nt : tensors) arrays.push_back(to_flat_array(nt.tensor, options.bfloat16));
    if (names) {
        names->clear();
        for (const auto& nt : tensors) names->push_back(nt.name);
    }
    return Weights::promoted_exactly(std::move(arrays));  // one element type, as Julia (never rounding into bfloat16)
}

namespace {
std::vector<detail::StoredArray> stored_arrays(const Weights& weights) {
    std::vector<detail::StoredArray> out;
    for (const FlatArray& a : weights.arrays) out.push_back({a.element_type, a.size});
    return out;
}
}  // namespace

LoadReport load_weights(::torch::nn::Module& module, const Weights& weights, const LoadOptions& options) {
    const std::vector<NamedTensor> tensors = named_weights(module, options.fetch);
    const std::vector<detail::StoredArray> stored = stored_arrays(weights);
    detail::LoadPlan plan = detail::plan_load(tensors, stored, options);
    // Values an integer tensor cannot hold are differences too, found before anything is copied.
    for (size_t k = plan.targets.size(); k-- > 0;) {
        const FlatArray& array = weights[plan.sources[k]];
        if (auto why = inexact_value(array, tensors[plan.targets[k]].tensor.scalar_type())) {
            detail::reject(plan, k, tensors, stored[plan.sources[k]],
                           std::string("its values cannot be stored in a ") +
                               c10::toString(tensors[plan.targets[k]].tensor.scalar_type()) + " tensor: " + *why);
            continue;
        }
        if (array.element_type == ElementType::UInt64 || array.element_type == ElementType::UInt32 ||
            array.element_type == ElementType::UInt16)
            (void)to_tensor(array);  // converts now, so that nothing can fail below
    }
    detail::finish(plan, tensors, options.strict);

    // One copy per array, straight into the tensor, converting dtype on the way.
    ::torch::NoGradGuard no_grad;
    std::vector<NamedTensor> targets;
    std::vector<at::Tensor> from;
    for (size_t k = 0; k < plan.targets.size(); ++k) {
        targets.push_back(tensors[plan.targets[k]]);
        from.push_back(to_tensor(weights[plan.sources[k]]));
    }
    std::vector<bool> plain(targets.size());
    const common::ParallelCopy copy = memcpy_copies(targets, from, plain);
    for (size_t t = 0; t < targets.size(); ++t)
        if (!plain[t]) {
            at::Tensor target = targets[t].tensor;
            target.copy_(from[t]);
        }
    // A large model is not read back soon after loading: written around the caches.
    copy.run(options.threads, /*streamed=*/true);
    // As copy_ would: autograd then sees that the tensors changed since a graph saved them.
    for (size_t t = 0; t < targets.size(); ++t)
        if (plain[t]) targets[t].tensor.unsafeGetTensorImpl()->bump_version();
    return std::move(plan.report);
}

LoadReport load_weights(::torch::nn::Module& module, const std::filesystem::path& path, const LoadOptions& options,
                        const ModelReadOptions& read) {
    const OpenModelRow open = open_model_row(path, read);
    if (!open.arrays) throw SchemaError(path.string() + ": the row's weights are missing: nothing to load");
    LoadOptions o = options;
    if (!o.names && open.row.weight_names) o.names = &*open.row.weight_names;
    const std::vector<NamedTensor> tensors = named_weights(module, o.fetch);
    const std::vector<ArrayLayout>& arrays = *open.arrays;
    std::vector<detail::StoredArray> stored;
    for (const ArrayLayout& a : arrays) stored.push_back({a.element_type, a.size});
    detail::LoadPlan plan = detail::plan_load(tensors, stored, o);
    // Straight into the tensors when every array goes into a tensor that is a plain CPU tensor of
    // the stored dtype and shape, and none shares memory with another; anything else (differences
    // included, whose report load_weights writes) goes through load_weights' checks and copies.
    bool plain = plan.report.complete() && plan.targets.size() == arrays.size();
    std::vector<std::span<uint8_t>> into(arrays.size());
    std::vector<std::pair<uintptr_t, uintptr_t>> spans;
    for (size_t k = 0; plain && k < plan.targets.size(); ++k) {
        const at::Tensor& tensor = tensors[plan.targets[k]].tensor;
        const ArrayLayout& array = arrays[plan.sources[k]];
        const auto type = stored_type_of(array.element_type);
        plain = type && tensor.scalar_type() == *type && plain_copy(tensor, tensor);
        if (!plain) break;
        auto* data = static_cast<uint8_t*>(tensor.data_ptr());
        into[plan.sources[k]] = {data, tensor.nbytes()};
        const auto begin = reinterpret_cast<uintptr_t>(data);
        if (tensor.nbytes() > 0) spans.emplace_back(begin, begin + tensor.nbytes());
    }
    std::sort(spans.begin(), spans.end());
    for (size_t i = 1; plain && i < spans.size(); ++i) plain = spans[i].first >= spans[i - 1].second;
    if (!plain) {
        const std::optional<Weights> weights = read_weights(open, o.threads);
        return load_weights(module, *weights, o);
    }
    detail::finish(plan, tensors, o.strict);
    ::torch::NoGradGuard no_grad;
    read_weights_into(open, into, o.threads);
    // As copy_ would: autograd then sees that the tensors changed since a graph saved them.
    for (size_t t : plan.targets) tensors[t].tensor.unsafeGetTensorImpl()->bump_version();
    return std::move(plan.report);
}

void save_weights(const ::torch::nn::Module& module, const std::filesystem::path& path, const SaveOptions& options) {
    save_weights(module, path, ModelV1{}, options);
}

}  // namespace legolasflux::torch
