// The pickle machine behind the reading of torch.save files (src/model/torch_pickle.cpp, private to
// the model layer) on hostile bytes: it must end in a value or a legolasflux::Error, never run past
// its input, recurse without bound or allocate what the input claims. fuzz_torch_load runs it
// inside whole files.
#include "fuzz_common.hpp"
#include "model/torch_pickle.hpp"  // white-box: the pickle reader alone

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    lffuzz::check([&] { return legolasflux::detail::unpickle(bytes, "fuzz input"); },
                  [](const legolasflux::detail::PicklePtr& value) { (void)legolasflux::detail::describe(*value); });
    return 0;
}
