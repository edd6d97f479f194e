// Conversion from LibTorch and PyTorch files (.pt/.pth). Reading them needs LibTorch, whose ~280
// shared libraries would cost every command of `legolasflux` about a second to load: so only the
// separate program `legolasflux-torch` (torch_main.cpp, built with the torch adapter) links it,
// and `legolasflux convert` runs that program for such files (torch_convert_launch.cpp), or says
// that the tool was built without LibTorch (torch_convert_unavailable.cpp).
#pragma once

#include <string>

#include "legolasflux/arrow/ipc.hpp"

namespace legolasflux::cli {

// What `legolasflux convert` was asked, as validated by it. `from`: "torchscript", "state-dict"
// or "auto" (TorchScript first, then state dict); `compression`: "none", "lz4" or "zstd".
struct TorchConvertRequest {
    std::string in, out, from = "auto", compression = "none";
};

inline arrow::WriteOptions convert_write_options(const std::string& compression) {
    arrow::WriteOptions ipc;
    ipc.compression = compression == "lz4"    ? arrow::Compression::Lz4Frame
                      : compression == "zstd" ? arrow::Compression::Zstd
                                              : arrow::Compression::None;
    return ipc;
}

// In `legolasflux`: converts through `legolasflux-torch`, which prints what the conversion did
// and its errors itself. Returns the exit code to exit with (that of `legolasflux-torch`).
int convert_torch_file(const TorchConvertRequest& request);

// In `legolasflux-torch`: the conversion itself, with LibTorch (torch_convert.cpp).
void convert_torch_file_in_process(const TorchConvertRequest& request);

}  // namespace legolasflux::cli
