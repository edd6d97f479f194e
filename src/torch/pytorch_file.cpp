// TorchScript archives and PyTorch state dicts as named tensors.
#include "legolasflux/torch/pytorch_file.hpp"

#include <torch/script.h>

#include <cstring>
#include <fstream>
#include <set>

#include "legolasflux/errors.hpp"
#include "legolasflux/torch_load.hpp"

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

at::ScalarType scalar_type(SafetensorsDtype dtype, const std::string& where) {
    switch (dtype) {
        case SafetensorsDtype::F64: return at::kDouble;
        case SafetensorsDtype::F32: return at::kFloat;
        case SafetensorsDtype::F16: return at::kHalf;
        case SafetensorsDtype::BF16: return at::kBFloat16;
        case SafetensorsDtype::I64: return at::kLong;
        case SafetensorsDtype::I32: return at::kInt;
        case SafetensorsDtype::I16: return at::kShort;
        case SafetensorsDtype::I8: return at::kChar;
        case SafetensorsDtype::U8: return at::kByte;
        case SafetensorsDtype::BOOL: return at::kBool;
        default: break;
    }
    throw UnsupportedError(where + ": tensors of " + std::string(dtype_name(dtype)) + " are not supported");
}

}  // namespace

// The model layer reads the file (torch_load.hpp: the zip archive or the legacy format, no pickled
// code run) and drops tied tensors; the tensors here are copies, so that the file's mapping is not
// kept alive by a tensor a caller may write to.
std::vector<NamedTensor> read_state_dict(const fs::path& path) {
    (void)open_readable(path);
    const std::string where = path.string();
    const TorchFile file = read_torch_file(path);
    std::vector<NamedTensor> out;
    for (const SafeTensor& t : state_dict(file.root, "", where)) {
        at::Tensor tensor = at::empty(t.shape, at::TensorOptions().dtype(scalar_type(t.dtype, where)));
        if (t.data.size() > 0) std::memcpy(tensor.data_ptr(), t.data.data(), static_cast<size_t>(t.data.size()));
        out.push_back({t.name, std::move(tensor)});
    }
    return out;
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
