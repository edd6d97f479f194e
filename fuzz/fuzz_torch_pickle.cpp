// The pickle reader behind `convert` from PyTorch state dicts (src/torch/torch_pickle.cpp) on
// hostile bytes: it must end in a value or a legolasflux::Error, never run past its input, recurse
// without bound or allocate what the input claims. It needs no LibTorch, so clang builds it.
#include "fuzz_common.hpp"
#include "torch/torch_pickle.hpp"  // white-box: the pickle reader alone

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    lffuzz::check(
        [&] { return legolasflux::torch::detail::unpickle(bytes, "fuzz input"); },
        [](const legolasflux::torch::detail::PicklePtr& value) { (void)legolasflux::torch::detail::describe(*value); });
    return 0;
}
