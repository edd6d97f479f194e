// Conversion from LibTorch and PyTorch files, available when the tool is built with the torch
// adapter (LEGOLASFLUX_CLI_WITH_TORCH).
#pragma once

#include <string>

#include "legolasflux/arrow/ipc.hpp"

namespace legolasflux::cli {

// `kind`: "torchscript", "state-dict" or "auto" (TorchScript first, then state dict).
void convert_torch_file(const std::string& in, const std::string& kind, const std::string& out,
                        const arrow::WriteOptions& ipc);

}  // namespace legolasflux::cli
