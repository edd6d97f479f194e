// What every fuzz target checks: a read of hostile bytes ends in a valid table or in a
// legolasflux::Error, nothing else. Anything else -- another exception, a table that fails full
// validation or does not survive a write + read round trip, or a sanitizer report -- is a finding,
// reported by aborting so that libFuzzer saves the input.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <typeinfo>
#include <vector>

#include "legolasflux/arrow/buffer.hpp"
#include "legolasflux/arrow/compare.hpp"
#include "legolasflux/arrow/ipc.hpp"
#include "legolasflux/arrow/json.hpp"
#include "legolasflux/arrow/pretty_print.hpp"
#include "legolasflux/arrow/validate.hpp"
#include "legolasflux/errors.hpp"

namespace lffuzz {

[[noreturn]] inline void finding(const std::string& what) {
    std::fprintf(stderr, "\n*** fuzz finding: %s\n", what.c_str());
    std::fflush(stderr);
    std::abort();
}

// The input as a Buffer without a copy: libFuzzer hands each input in a heap block of exactly
// `size` bytes, so AddressSanitizer reports a read one byte past the end (Buffer::copy_of would pad
// to 64 bytes and hide it). The block lives for the call only, as does everything read from it.
inline legolasflux::arrow::Buffer input_buffer(const uint8_t* data, size_t size) {
    return legolasflux::arrow::Buffer(nullptr, data, static_cast<int64_t>(size));
}

// A Buffer of exactly the bytes of `bytes`, on the heap (same reason as above).
inline legolasflux::arrow::Buffer exact_copy(const std::vector<uint8_t>& bytes) {
    std::vector<uint8_t> v(bytes);
    v.shrink_to_fit();
    return legolasflux::arrow::Buffer::from_vector(std::move(v));
}

// Touches every value of a table the library accepted: full validation, self-comparison, the
// pretty printer, integration JSON (a legolasflux::Error is allowed there: not every type has a JSON
// form), and a write + read round trip that must give the same table.
inline void exercise(const legolasflux::arrow::Table& t) {
    using namespace legolasflux::arrow;
    try {
        validate(t, ValidationLevel::Full);
    } catch (const std::exception& e) {
        finding(std::string("the reader returned a table that fails validate(Full): ") + e.what());
    }
    if (!table_equals(t, t)) finding("the table is not equal to itself");
    (void)pretty_print(t, 5);
    try {
        (void)write_json(t);
    } catch (const legolasflux::Error&) {}
    std::string problem;
    try {
        const Table back = read_any(exact_copy(write_file(t)));
        if (!table_equals(back, t))
            problem = "written back and read again, the table differs: " + table_difference(back, t);
    } catch (const std::exception& e) {
        problem = std::string("writing the table back and reading it again threw: ") + e.what();
    }
    if (!problem.empty()) finding(problem);
}

// Runs `read` on hostile bytes under the contract above; `use` gets the result when it succeeds.
template <class Read, class Use>
void check(Read&& read, Use&& use) {
    try {
        use(read());
    } catch (const legolasflux::Error&) {
        // The expected outcome for most inputs.
    } catch (const std::exception& e) {
        finding(std::string("threw ") + typeid(e).name() + " (not a legolasflux::Error): " + e.what());
    } catch (...) {
        finding("threw a non-std exception");
    }
}

}  // namespace lffuzz
