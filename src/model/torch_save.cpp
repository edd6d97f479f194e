// torch.save's file format, written from model rows (include/legolasflux/torch_save.hpp).
#include "legolasflux/torch_save.hpp"

#include <set>

#include "common/atomic_file.hpp"
#include "legolasflux/errors.hpp"
#include "legolasflux/safetensors_model.hpp"
#include "torch_save_internal.hpp"
#include "zip_writer.hpp"

namespace legolasflux {
namespace detail {
namespace {

// torch.<name>: the storage class torch 1.13 pickles for a tensor of `dtype`.
std::string_view storage_class(SafetensorsDtype dtype, const std::string& what) {
    switch (dtype) {
        case SafetensorsDtype::F64: return "DoubleStorage";
        case SafetensorsDtype::F32: return "FloatStorage";
        case SafetensorsDtype::F16: return "HalfStorage";
        case SafetensorsDtype::BF16: return "BFloat16Storage";
        case SafetensorsDtype::I64: return "LongStorage";
        case SafetensorsDtype::I32: return "IntStorage";
        case SafetensorsDtype::I16: return "ShortStorage";
        case SafetensorsDtype::I8: return "CharStorage";
        case SafetensorsDtype::U8: return "ByteStorage";
        case SafetensorsDtype::BOOL: return "BoolStorage";
        case SafetensorsDtype::U16:
        case SafetensorsDtype::U32:
        case SafetensorsDtype::U64: break;
    }
    throw UnsupportedError(what + ": torch 1.13 has no " + std::string(dtype_name(dtype)) +
                           " tensors (its unsigned type is uint8 only)");
}

}  // namespace

void PickledTensors::ordered_dict() {
    pickle.global("collections", "OrderedDict");
    pickle.mark();
    pickle.tuple();
    pickle.reduce();
}

void PickledTensors::tensor(SafetensorsDtype dtype, const std::vector<int64_t>& shape, arrow::Buffer data,
                            const std::string& what) {
    const std::string_view storage = storage_class(dtype, what);
    int64_t numel = 1;
    for (int64_t d : shape) numel *= d;
    if (numel * dtype_size(dtype) != data.size())
        throw InvalidArgument(what + ": " + std::to_string(data.size()) + " bytes for " + std::to_string(numel) +
                              " values of " + std::string(dtype_name(dtype)));
    // _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks)
    pickle.global("torch._utils", "_rebuild_tensor_v2");
    pickle.mark();
    pickle.mark();
    pickle.string("storage");
    pickle.global("torch", storage);
    pickle.string(std::to_string(storages.size()));
    pickle.string("cpu");
    pickle.integer(numel);
    pickle.tuple();
    pickle.persistent_id();
    pickle.integer(0);
    pickle.mark();
    for (int64_t d : shape) pickle.integer(d);
    pickle.tuple();
    // Contiguous strides, as torch computes them (a dimension of size 0 counts as 1).
    std::vector<int64_t> strides(shape.size(), 1);
    for (size_t k = shape.size(); k-- > 1;) strides[k - 1] = strides[k] * std::max<int64_t>(shape[k], 1);
    pickle.mark();
    for (int64_t s : strides) pickle.integer(s);
    pickle.tuple();
    pickle.boolean(false);
    ordered_dict();
    pickle.tuple();
    pickle.reduce();
    storages.push_back(std::move(data));
}

namespace {

void pickle_state_dict(PickledTensors& out, std::span<const SafeTensor> tensors) {
    std::set<std::string_view> seen;
    out.ordered_dict();
    if (tensors.empty()) return;
    out.pickle.mark();
    for (const SafeTensor& t : tensors) {
        if (!seen.insert(t.name).second) throw InvalidArgument("torch.save: two tensors named '" + t.name + "'");
        out.pickle.string(t.name);
        out.tensor(t.dtype, t.shape, t.data, "tensor '" + t.name + "'");
    }
    out.pickle.set_items();
}

void write_archive(const std::filesystem::path& path, PickledTensors& pickled, const TorchSaveOptions& options) {
    const std::vector<uint8_t> pkl = pickled.pickle.finish();
    // Everything above may throw; the file is touched only now.
    common::AtomicFile file(path, options.durable);
    ZipWriter zip([&](std::span<const uint8_t> bytes) { file.write(bytes); }, options.force_zip64);
    // torch.load finds the records under the first entry's folder, whatever its name.
    zip.add("archive/data.pkl", pkl);
    for (size_t k = 0; k < pickled.storages.size(); ++k)
        zip.add("archive/data/" + std::to_string(k), pickled.storages[k].span());
    const std::string version = "3\n";  // the format version torch 1.13 writes for torch.save
    zip.add("archive/version", std::span(reinterpret_cast<const uint8_t*>(version.data()), version.size()));
    zip.finish();
    file.commit();
}

}  // namespace
}  // namespace detail

void write_torch_save(const std::filesystem::path& path, std::span<const SafeTensor> state_dict,
                      const TorchSaveOptions& options) {
    detail::PickledTensors pickled;
    detail::pickle_state_dict(pickled, state_dict);
    detail::write_archive(path, pickled, options);
}

void write_torch_save(const std::filesystem::path& path, const ModelRow& row, const TorchSaveOptions& options) {
    const std::vector<SafeTensor> tensors = row_tensors(row);
    detail::PickledTensors pickled;
    if (!options.with_columns) {
        detail::pickle_state_dict(pickled, tensors);
    } else {
        pickled.pickle.empty_dict();
        pickled.pickle.mark();
        pickled.pickle.string("state_dict");
        detail::pickle_state_dict(pickled, tensors);
        pickled.pickle.string("columns");
        detail::pickle_columns(pickled, row);
        pickled.pickle.set_items();
    }
    detail::write_archive(path, pickled, options);
}

}  // namespace legolasflux
