// TorchScript archives and PyTorch state dicts as named tensors.
#include "legolasflux/torch/checkpoint.hpp"

#include <torch/script.h>

#include <caffe2/serialize/inline_container.h>
#include <cstring>
#include <fstream>
#include <map>
#include <set>

#include "legolasflux/errors.hpp"
#include "torch_pickle.hpp"

namespace legolasflux::torch {
namespace {

namespace fs = std::filesystem;

// The I/O errors, with the path, before LibTorch's own (which name neither).
std::ifstream open_readable(const fs::path& path) {
    std::error_code ec;
    if (!fs::exists(path, ec)) throw IoError(path, "cannot open: No such file or directory");
    if (fs::is_directory(path, ec)) throw IoError(path, "cannot open: Is a directory");
    std::ifstream in(path, std::ios::binary);
    if (!in) throw IoError(path, "cannot open");
    return in;
}

// LibTorch reports everything as c10::Error with a long backtrace; keep the first line.
std::string first_line(const std::string& message) { return message.substr(0, message.find('\n')); }

void walk(const ::torch::jit::Module& module, const std::string& prefix, std::vector<NamedTensor>& out) {
    for (const auto& p : module.named_parameters(/*recurse=*/false))
        if (p.value.defined()) out.push_back({prefix + p.name, p.value});
    for (const auto& b : module.named_buffers(/*recurse=*/false))
        if (b.value.defined()) out.push_back({prefix + b.name, b.value});
    for (const auto& child : module.named_children()) walk(child.value, prefix + child.name + ".", out);
}

// The same tensor (same memory, shape and strides) under a second name is a tied weight.
std::vector<NamedTensor> without_ties(std::vector<NamedTensor> tensors) {
    std::vector<NamedTensor> out;
    std::set<std::tuple<const void*, std::vector<int64_t>, std::vector<int64_t>, int>> seen;
    for (auto& nt : tensors) {
        const auto key = std::make_tuple(nt.tensor.data_ptr(), nt.tensor.sizes().vec(), nt.tensor.strides().vec(),
                                         static_cast<int>(nt.tensor.scalar_type()));
        if (nt.tensor.numel() > 0 && !seen.insert(key).second) continue;
        out.push_back(std::move(nt));
    }
    return out;
}

}  // namespace

std::vector<NamedTensor> read_torchscript(const fs::path& path) {
    (void)open_readable(path);
    ::torch::jit::Module module;
    try {
        module = ::torch::jit::load(path.string(), c10::Device(c10::kCPU));
    } catch (const c10::Error& e) {
        throw FormatError(path.string() + ": not a TorchScript archive: " + first_line(e.what_without_backtrace()));
    }
    std::vector<NamedTensor> out;
    walk(module, "", out);
    if (out.empty()) throw FormatError(path.string() + ": the TorchScript module has no parameters or buffers");
    return without_ties(std::move(out));
}

namespace {

at::ScalarType storage_dtype(const std::string& storage, const std::string& where) {
    static const std::map<std::string, at::ScalarType> dtypes = {
        {"FloatStorage", at::kFloat},       {"DoubleStorage", at::kDouble}, {"HalfStorage", at::kHalf},
        {"BFloat16Storage", at::kBFloat16}, {"LongStorage", at::kLong},     {"IntStorage", at::kInt},
        {"ShortStorage", at::kShort},       {"CharStorage", at::kChar},     {"ByteStorage", at::kByte},
        {"BoolStorage", at::kBool}};
    const auto it = dtypes.find(storage);
    if (it == dtypes.end()) throw UnsupportedError(where + ": tensors of torch." + storage + " are not supported");
    return it->second;
}

// The tensor a pickled _rebuild_tensor_v2 describes, after checking that it lies inside its storage.
at::Tensor rebuild(const detail::PickleTensor& t, std::map<std::string, at::Tensor>& storages,
                   caffe2::serialize::PyTorchStreamReader& zip, const std::string& where) {
    const auto& st = *t.storage;
    const at::ScalarType dtype = storage_dtype(st.dtype, where);
    auto it = storages.find(st.key);
    if (it == storages.end()) {
        const std::string record = "data/" + st.key;
        if (!zip.hasRecord(record)) throw FormatError(where + ": the archive has no record " + record);
        auto [data, size] = zip.getRecord(record);
        const int64_t element = static_cast<int64_t>(c10::elementSize(dtype));
        if (st.numel > static_cast<int64_t>(size) / element)
            throw FormatError(where + ": storage " + st.key + " claims " + std::to_string(st.numel) +
                              " elements but its record holds " + std::to_string(size) + " bytes");
        at::Tensor storage = at::empty({st.numel}, at::TensorOptions().dtype(dtype));
        if (st.numel > 0) std::memcpy(storage.data_ptr(), data.get(), static_cast<size_t>(st.numel * element));
        it = storages.emplace(st.key, storage).first;
    }
    // The largest element index must lie inside the storage; no overflow on the way.
    if (t.offset < 0) throw FormatError(where + ": a tensor with a negative storage offset");
    int64_t last = t.offset;
    bool empty = false;
    for (size_t d = 0; d < t.sizes.size(); ++d) {
        if (t.sizes[d] < 0 || t.strides[d] < 0) throw FormatError(where + ": a tensor with a negative size or stride");
        if (t.sizes[d] == 0) empty = true;
    }
    if (!empty) {
        for (size_t d = 0; d < t.sizes.size(); ++d) {
            int64_t extent = 0;
            if (__builtin_mul_overflow(t.sizes[d] - 1, t.strides[d], &extent) ||
                __builtin_add_overflow(last, extent, &last))
                throw FormatError(where + ": a tensor's extent overflows");
        }
        if (last >= st.numel)
            throw FormatError(where + ": a tensor reaches element " + std::to_string(last) + " of storage " + st.key +
                              ", which has " + std::to_string(st.numel));
    }
    return it->second.as_strided(t.sizes, t.strides, t.offset);
}

}  // namespace

std::vector<NamedTensor> read_state_dict(const fs::path& path) {
    const std::string where = path.string();
    // The magic only: the archive reader reads the records it needs from the file itself.
    char magic[4] = {};
    const auto got = open_readable(path).read(magic, 4).gcount();
    if (got < 4 || std::memcmp(magic, "PK\x03\x04", 4) != 0) {
        if (got >= 2 && static_cast<uint8_t>(magic[0]) == 0x80)
            throw UnsupportedError(where +
                                   ": a torch.save file in the legacy format (before PyTorch 1.6); save it again "
                                   "with a newer torch.save");
        throw FormatError(where + ": not a file saved by torch.save (no zip archive)");
    }
    std::vector<NamedTensor> out;
    try {
        caffe2::serialize::PyTorchStreamReader zip(where);
        if (!zip.hasRecord("data.pkl")) throw FormatError(where + ": the archive has no data.pkl");
        auto [pickle, pickle_size] = zip.getRecord("data.pkl");
        const auto root =
            detail::unpickle(std::string_view(static_cast<const char*>(pickle.get()), pickle_size), where);
        const auto* dict = std::get_if<detail::PickleDict>(&root->value);
        if (!dict)
            throw FormatError(where + ": holds " + detail::describe(*root) + ", not a state dict (a dict of tensors)");
        std::map<std::string, at::Tensor> storages;
        for (const auto& [key, value] : dict->items) {
            const auto* name = std::get_if<std::string>(&key->value);
            if (!name) throw FormatError(where + ": a state dict key is " + detail::describe(*key) + ", not a string");
            const auto* tensor = std::get_if<detail::PickleTensor>(&value->value);
            if (!tensor)
                throw FormatError(where + ": `" + *name + "` is " + detail::describe(*value) + ", not a tensor");
            out.push_back({*name, rebuild(*tensor, storages, zip, where)});
        }
    } catch (const c10::Error& e) {
        throw FormatError(where + ": not a file saved by torch.save: " + first_line(e.what_without_backtrace()));
    }
    if (out.empty()) throw FormatError(where + ": the state dict is empty");
    return without_ties(std::move(out));
}

Weights weights_from_named_tensors(const std::vector<NamedTensor>& tensors, std::vector<std::string>* names,
                                   BFloat16Storage bfloat16) {
    if (tensors.empty()) throw InvalidArgument("no tensors to store");
    std::vector<FlatArray> arrays;
    arrays.reserve(tensors.size());
    for (const auto& nt : tensors) arrays.push_back(to_flat_array(nt.tensor.to(c10::kCPU).contiguous(), bfloat16));
    if (names) {
        names->clear();
        for (const auto& nt : tensors) names->push_back(nt.name);
    }
    return Weights::promoted_exactly(std::move(arrays));
}

}  // namespace legolasflux::torch
