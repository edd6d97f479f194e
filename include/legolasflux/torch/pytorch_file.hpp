// Weights from the files LibTorch and PyTorch write: TorchScript archives (torch::jit::save,
// torch.jit.save) and state dicts saved by Python's torch.save(model.state_dict()).
//
// Both give the tensors with their module paths in fetch_weights' order (a module's parameters,
// then its buffers, then its children), so a row made from them loads into the same model built
// in C++, by name (the names are stored) or by position. A tensor stored under two names (tied
// weights) is kept once, at its first name, as fetch_weights does.
#pragma once

#include <filesystem>
#include <vector>

#include "legolasflux/torch/weights.hpp"

namespace legolasflux::torch {

// The parameters and buffers of a TorchScript archive. IoError when the file cannot be read,
// FormatError when it is not a TorchScript archive.
std::vector<NamedTensor> read_torchscript(const std::filesystem::path& path);

// The tensors of a state dict (a dict from names to tensors) saved by torch.save, in the zip
// format or the legacy one, read without LibTorch by the model layer (torch_load.hpp, whose
// read_torch_file and state_dict also reach a state dict inside a checkpoint dict). IoError when
// the file cannot be read, FormatError when it is not a pickled dict of tensors (the message says
// what it is), UnsupportedError for a TorchScript archive (read_torchscript reads those).
std::vector<NamedTensor> read_state_dict(const std::filesystem::path& path);

// A row's weights from named tensors (on the CPU, made contiguous), tied tensors once, promoted
// as fetch_weights does (bfloat16 tensors as `bfloat16` says); `names` receives each array's name.
Weights weights_from_named_tensors(const std::vector<NamedTensor>& tensors, std::vector<std::string>* names = nullptr,
                                   BFloat16Storage bfloat16 = BFloat16Storage::Float32);

}  // namespace legolasflux::torch
