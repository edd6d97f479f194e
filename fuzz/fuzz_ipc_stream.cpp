// The Arrow IPC stream reader, both ways in: read_stream on a Buffer (whole input known), and
// read_stream on a std::istream (messages read one at a time, so every size claim must be checked
// against what the stream actually delivers before memory is committed). The two must agree.
#include <sstream>

#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace legolasflux::arrow;
    const Buffer bytes = lffuzz::input_buffer(data, size);
    bool from_buffer = false;
    Table buffered;
    lffuzz::check([&] { return read_stream(bytes); },
                  [&](Table t) {
                      lffuzz::exercise(t);
                      buffered = std::move(t);
                      from_buffer = true;
                  });
    std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
    lffuzz::check([&] { return read_stream(in); },
                  [&](const Table& t) {
                      lffuzz::exercise(t);
                      if (from_buffer && !table_equals(t, buffered))
                          lffuzz::finding("read_stream(istream) and read_stream(Buffer) disagree: " +
                                          table_difference(t, buffered));
                  });
    return 0;
}
