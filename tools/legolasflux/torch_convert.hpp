// Conversion from LibTorch and PyTorch files (.pt/.pth). Reading them needs LibTorch, whose ~280
// shared libraries would cost every command of `legolasflux` about a second to load: so only the
// separate program `legolasflux-torch` (torch_main.cpp, built with the torch adapter) links it,
// and `legolasflux convert` runs that program for such files (torch_convert_launch.cpp), or says
// that the tool was built without LibTorch (torch_convert_unavailable.cpp).
#pragma once

#include <string>
#include <vector>

#include "legolasflux/arrow/ipc.hpp"
#include "legolasflux/weights.hpp"

namespace legolasflux::cli {

// What `legolasflux convert` was asked, as validated by it. `from`: "torchscript", "state-dict"
// or "auto" (TorchScript first, then state dict); `compression`: "none", "lz4" or "zstd";
// `bfloat16`: "float32" or "native" (bfloat16_storage).
struct TorchConvertRequest {
    std::string in, out, from = "auto", compression = "none", bfloat16 = "float32";
};

// The values of `--bfloat16`, in the order the help lists them.
inline const std::vector<std::string>& bfloat16_choices() {
    static const std::vector<std::string> choices{"float32", "native"};
    return choices;
}
inline BFloat16Storage bfloat16_storage(const std::string& choice) {
    return choice == "native" ? BFloat16Storage::Native : BFloat16Storage::Float32;
}

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
