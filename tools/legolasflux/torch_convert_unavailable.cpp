// `legolasflux convert` from .pt/.pth when the tool is built without the torch adapter.
#include "legolasflux/errors.hpp"
#include "torch_convert.hpp"

namespace legolasflux::cli {

int convert_torch_file(const TorchConvertRequest& request) {
    throw UnsupportedError(request.in +
                           ": this legolasflux was built without LibTorch, which reading TorchScript and PyTorch "
                           "files needs; build it with LibTorch (libtorch-dev) present");
}

}  // namespace legolasflux::cli
