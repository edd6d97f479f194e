// Seeded mutation of Arrow files and the "hostile input" contract checked on every mutant: a read
// ends in a valid table or in a legolasflux::Error, and nothing else (no other exception, no crash,
// no sanitizer report). Everything is deterministic from a 64-bit seed, with our own generator,
// so a failing case reproduces on any standard library.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <typeinfo>
#include <utility>
#include <vector>

#include "legolasflux/arrow/compare.hpp"
#include "legolasflux/arrow/ipc.hpp"
#include "legolasflux/arrow/json.hpp"
#include "legolasflux/arrow/validate.hpp"
#include "legolasflux/errors.hpp"
#include "support/bytes.hpp"
#include "support/ipc_walk.hpp"

#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(undefined_behavior_sanitizer)
#define LFTEST_SANITIZED 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define LFTEST_SANITIZED 1
#endif
#ifdef LFTEST_SANITIZED
#include <sanitizer/common_interface_defs.h>
#endif

namespace lftest {

// SplitMix64: tiny, good enough for fuzzing, identical everywhere.
struct Rng {
    uint64_t state;
    explicit Rng(uint64_t seed) : state(seed) {}
    uint64_t next() {
        uint64_t z = (state += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }
    // Uniform enough in [0, n) for n much smaller than 2^64.
    uint64_t below(uint64_t n) { return n == 0 ? 0 : next() % n; }
};

inline uint64_t env_u64(const char* name, uint64_t fallback) {
    const char* v = std::getenv(name);
    return v && *v ? std::strtoull(v, nullptr, 0) : fallback;
}

// --- what was running when the process died ----------------------------------------------------
// A crash or a sanitizer report kills the process before gtest can say which case it was in, so
// the current case is kept in a fixed buffer and printed from the death path.
inline char g_current_case[512];

inline void print_current_case() {
    if (!g_current_case[0]) return;
    const char prefix[] = "\n*** robustness case that was running: ";
    (void)!write(2, prefix, sizeof prefix - 1);
    (void)!write(2, g_current_case, strnlen(g_current_case, sizeof g_current_case));
    (void)!write(2, "\n", 1);
}

inline void on_fatal_signal(int sig) {
    print_current_case();
    std::signal(sig, SIG_DFL);
    std::raise(sig);
}

inline void install_crash_reporter() {
    static bool installed = false;
    if (installed) return;
    installed = true;
#ifdef LFTEST_SANITIZED
    __sanitizer_set_death_callback(print_current_case);  // sanitizers own the signal handlers
#else
    for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT}) std::signal(sig, on_fatal_signal);
#endif
}

inline void set_current_case(const std::string& what) {
    std::snprintf(g_current_case, sizeof g_current_case, "%s", what.c_str());
}

// --- mutations -------------------------------------------------------------------------------
// Byte ranges worth hitting more often than the bulk of the body: magic, message prefixes and
// flatbuffer metadata, the footer.
inline std::vector<std::pair<uint64_t, uint64_t>> structural_regions(const Bytes& bytes, bool file_format) {
    std::vector<std::pair<uint64_t, uint64_t>> out;
    std::vector<FramedMessage> messages;
    if (file_format) {
        const FileWalk w = walk_file(bytes);
        messages = w.messages;
        out.emplace_back(0, 8);
        out.emplace_back(w.footer_offset, bytes.size());
    } else {
        const StreamWalk w = walk_stream(bytes);
        messages = w.messages;
        if (w.end >= 8) out.emplace_back(w.end - 8, w.end);
    }
    for (const auto& m : messages) out.emplace_back(m.marker_offset, m.body_offset);
    return out;
}

inline int64_t boundary_int(Rng& rng, uint64_t size, bool wide) {
    const int64_t s = static_cast<int64_t>(size);
    const int64_t narrow[] = {0,          -1,         1,      -8, 8,     0x7FFFFFFF, INT32_MIN,
                              0x7FFFFFF8, 0x40000000, 0xFFFF, s,  s + 1, s - 1,      s / 2};
    const int64_t broad[] = {INT64_MAX,        INT64_MIN,        int64_t{1} << 31,    int64_t{1} << 32,
                             int64_t{1} << 40, int64_t{1} << 62, -(int64_t{1} << 32), 0x7FFFFFFFFFFFFFF8};
    const size_t n_narrow = sizeof narrow / sizeof narrow[0], n_broad = sizeof broad / sizeof broad[0];
    if (!wide) return narrow[rng.below(n_narrow)];
    const uint64_t k = rng.below(n_narrow + n_broad);
    return k < n_narrow ? narrow[k] : broad[k - n_narrow];
}

// Applies one random mutation in place; returns what it did.
inline std::string mutate_once(Bytes& b, Rng& rng, const std::vector<std::pair<uint64_t, uint64_t>>& hot) {
    if (b.empty()) {
        b.push_back(static_cast<uint8_t>(rng.next()));
        return "append byte to empty";
    }
    uint64_t pos;
    if (!hot.empty() && rng.below(10) < 7) {
        const auto& r = hot[rng.below(hot.size())];
        pos = r.first + rng.below(r.second - r.first);
    } else {
        pos = rng.below(b.size());
    }
    if (pos >= b.size()) pos = b.size() - 1;
    const std::string at = " at " + std::to_string(pos);
    switch (rng.below(8)) {
        case 0: {
            const int bit = static_cast<int>(rng.below(8));
            b[pos] ^= static_cast<uint8_t>(1u << bit);
            return "flip bit " + std::to_string(bit) + at;
        }
        case 1: {
            const uint64_t n = 1 + rng.below(8);
            for (uint64_t i = 0; i < n && pos + i < b.size(); ++i) b[pos + i] = static_cast<uint8_t>(rng.next());
            return "random " + std::to_string(n) + " bytes" + at;
        }
        case 2: {
            if (rng.below(4)) pos &= ~uint64_t{3};
            if (pos + 4 > b.size()) return "int32 (no room)";
            const auto v = static_cast<int32_t>(boundary_int(rng, b.size(), false));
            store_le<int32_t>(b, pos, v);
            return "int32 " + std::to_string(v) + " at " + std::to_string(pos);
        }
        case 3: {
            if (rng.below(4)) pos &= ~uint64_t{7};
            if (pos + 8 > b.size()) return "int64 (no room)";
            const int64_t v = boundary_int(rng, b.size(), true);
            store_le<int64_t>(b, pos, v);
            return "int64 " + std::to_string(v) + " at " + std::to_string(pos);
        }
        case 4: {
            const uint64_t len = 1 + rng.below(64);
            const uint64_t from = rng.below(b.size());
            const uint64_t n = std::min<uint64_t>(len, b.size() - from);
            Bytes span(b.begin() + static_cast<std::ptrdiff_t>(from),
                       b.begin() + static_cast<std::ptrdiff_t>(from + n));
            b.insert(b.begin() + static_cast<std::ptrdiff_t>(pos), span.begin(), span.end());
            return "duplicate " + std::to_string(n) + " bytes from " + std::to_string(from) + " inserted" + at;
        }
        case 5: {
            const uint64_t n = std::min<uint64_t>(1 + rng.below(64), b.size() - pos);
            b.erase(b.begin() + static_cast<std::ptrdiff_t>(pos), b.begin() + static_cast<std::ptrdiff_t>(pos + n));
            return "remove " + std::to_string(n) + " bytes" + at;
        }
        case 6: {
            // uint16 fields: vtable sizes and entries, enum and type ids.
            if (rng.below(2)) pos &= ~uint64_t{1};
            if (pos + 2 > b.size()) return "uint16 (no room)";
            const uint16_t vals[] = {0, 1, 2, 4, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF, 0xFFFC};
            const uint16_t v = vals[rng.below(sizeof vals / sizeof vals[0])];
            store_le<uint16_t>(b, pos, v);
            return "uint16 " + std::to_string(v) + at;
        }
        default: {
            const uint8_t vals[] = {0, 1, 2, 3, 4, 5, 0x7F, 0x80, 0xFF, 26, 27};
            const uint8_t v = vals[rng.below(sizeof vals / sizeof vals[0])];
            b[pos] = v;
            return "byte " + std::to_string(v) + at;
        }
    }
}

// 1 to 3 stacked mutations (mostly 1).
inline std::string mutate(Bytes& b, Rng& rng, const std::vector<std::pair<uint64_t, uint64_t>>& hot) {
    const uint64_t r = rng.below(10);
    const int count = r < 6 ? 1 : r < 9 ? 2 : 3;
    std::string what;
    for (int i = 0; i < count; ++i) what += (i ? "; " : "") + mutate_once(b, rng, hot);
    return what;
}

// --- the contract ----------------------------------------------------------------------------
enum class Outcome { Table, Error, Failure };

// Touches every value of a table we read: full validation, self-comparison, JSON output, and a
// write + read round trip. A legolasflux::Error from write_json is tolerated (not every type has
// an integration-JSON form in every implementation); anything else is a failure.
inline std::string exercise(const legolasflux::arrow::Table& t) {
    using namespace legolasflux::arrow;
    try {
        validate(t, ValidationLevel::Full);
    } catch (const std::exception& e) {
        return std::string("the reader returned a table that fails validate(Full): ") + e.what();
    }
    for (const auto& batch : t.batches)
        for (const auto& col : batch.columns)
            if (!col || !array_equals(*col, *col)) return "a column is not equal to itself";
    if (!table_equals(t, t)) return "the table is not equal to itself";
    try {
        (void)write_json(t);
    } catch (const legolasflux::Error&) {}
    try {
        const std::vector<uint8_t> again = write_file(t);
        const Table back = read_any(exact_buffer(again));
        if (!table_equals(back, t))
            return "written back and read again, the table differs: " + table_difference(back, t);
    } catch (const std::exception& e) {
        return std::string("writing the table back and reading it again threw: ") + e.what();
    }
    return {};
}

// Runs one read on hostile bytes; reports a failure (with `what`) for anything but a valid table or
// a legolasflux::Error.
template <class Read>
Outcome check_read(const std::string& what, Read&& read) {
    set_current_case(what);
    Outcome outcome = Outcome::Table;
    try {
        const legolasflux::arrow::Table t = read();
        if (const std::string problem = exercise(t); !problem.empty()) {
            ADD_FAILURE() << what << ": " << problem;
            outcome = Outcome::Failure;
        }
    } catch (const legolasflux::Error&) {
        outcome = Outcome::Error;
    } catch (const std::exception& e) {
        ADD_FAILURE() << what << ": threw " << typeid(e).name() << " (not a legolasflux::Error): " << e.what();
        outcome = Outcome::Failure;
    } catch (...) {
        ADD_FAILURE() << what << ": threw a non-std exception";
        outcome = Outcome::Failure;
    }
    g_current_case[0] = 0;
    return outcome;
}

}  // namespace lftest
