// `legolasflux convert` from .pt/.pth when the tool is built without the torch adapter.
#include "legolasflux/errors.hpp"
#include "torch_convert.hpp"

namespace legolasflux::cli {

void convert_torch_file(const std::string& in, const std::string&, const std::string&, const arrow::WriteOptions&) {
    throw UnsupportedError(in + ": this legolasflux was built without LibTorch, which reading TorchScript and PyTorch "
                                "files needs; build it with LibTorch (libtorch-dev) present");
}

}  // namespace legolasflux::cli
