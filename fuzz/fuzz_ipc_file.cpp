// The Arrow IPC file reader (read_file on a Buffer), full validation on.
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace legolasflux::arrow;
    const Buffer bytes = lffuzz::input_buffer(data, size);
    lffuzz::check([&] { return read_file(bytes); }, [](const Table& t) { lffuzz::exercise(t); });
    return 0;
}
