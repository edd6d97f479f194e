// PyTorch's torch.save files (.pt, .pth) in `convert` and `inspect`, read in this process by the
// model layer (torch_load.hpp), without LibTorch. TorchScript archives still go through
// legolasflux-torch (torch_convert.hpp).
#pragma once

#include <string>

#include "legolasflux/model.hpp"

namespace legolasflux::cli {

// The state dict at `key` (empty: the top level) of a torch.save file as a model row: tensors in
// file order, named by their keys (weight_names), promoted as from_safetensors does with each
// tensor's dtype recorded (weight_dtypes) when they differ. A value that is not a state dict is an
// error listing what is there and, when no key was given, which --key to give.
ModelRow torch_state_dict_row(const std::string& path, const std::string& key, BFloat16Storage bfloat16);

// `inspect FILE.pt [--key K] [--json]`: the tree of values, tensors with dtype and shape, and a
// summary of every state dict in it.
void inspect_torch_file(const std::string& path, const std::string& key, bool json);

}  // namespace legolasflux::cli
