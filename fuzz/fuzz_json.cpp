// The integration-JSON reader (read_json).
#include <string_view>

#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace legolasflux::arrow;
    const std::string_view json(reinterpret_cast<const char*>(data), size);
    lffuzz::check([&] { return read_json(json); },
                  [](const Table& t) {
                      lffuzz::exercise(t);
                      // What we write, we read back the same.
                      std::string problem;
                      try {
                          const Table back = read_json(write_json(t));
                          if (!table_equals(back, t))
                              problem = "write_json + read_json changed the table: " + table_difference(back, t);
                      } catch (const legolasflux::Error&) {}
                      if (!problem.empty()) lffuzz::finding(problem);
                  });
    return 0;
}
