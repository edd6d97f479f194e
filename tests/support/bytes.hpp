// Byte-level helpers shared by the Arrow tests: loading files, little-endian reads with bounds
// checks, and exact-size copies. Deliberately independent of the library's reader, so the tests
// that use them check our files against the format rather than against our own parser.
#pragma once

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "legolasflux/arrow/buffer.hpp"

namespace lftest {

using Bytes = std::vector<uint8_t>;

inline std::filesystem::path julia_fixture_path() {
    return std::filesystem::path(LEGOLASFLUX_JULIA_FIXTURES) / "test.digits-model.arrow";
}

inline Bytes load_bytes(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot open " + path.string());
    return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// A Buffer that owns a heap block of exactly `size` bytes (not Buffer::copy_of, which pads to 64):
// with AddressSanitizer, a read one byte past the end is then reported.
inline legolasflux::arrow::Buffer exact_buffer(const uint8_t* data, size_t size) {
    std::vector<uint8_t> v(data, data + size);
    v.shrink_to_fit();
    return legolasflux::arrow::Buffer::from_vector(std::move(v));
}
inline legolasflux::arrow::Buffer exact_buffer(const Bytes& bytes) { return exact_buffer(bytes.data(), bytes.size()); }

// Thrown by the test-side parsers when the bytes under test do not even have the expected shape.
struct ParseFailure : std::runtime_error {
    using std::runtime_error::runtime_error;
};

inline void need(std::span<const uint8_t> bytes, uint64_t offset, uint64_t length, const char* what) {
    if (offset > bytes.size() || length > bytes.size() - offset)
        throw ParseFailure(std::string(what) + ": " + std::to_string(length) + " bytes at offset " +
                           std::to_string(offset) + " run past the end (" + std::to_string(bytes.size()) + ")");
}

template <class T>
T load_le(std::span<const uint8_t> bytes, uint64_t offset, const char* what = "read") {
    need(bytes, offset, sizeof(T), what);
    T v;
    std::memcpy(&v, bytes.data() + offset, sizeof(T));  // the test machines are little-endian
    return v;
}

template <class T>
void store_le(Bytes& bytes, uint64_t offset, T v) {
    need(bytes, offset, sizeof(T), "store");
    std::memcpy(bytes.data() + offset, &v, sizeof(T));
}

inline std::string hex(std::span<const uint8_t> bytes) {
    static const char* digits = "0123456789abcdef";
    std::string s;
    for (size_t i = 0; i < bytes.size(); ++i) {
        if (i) s += ' ';
        s += digits[bytes[i] >> 4];
        s += digits[bytes[i] & 15];
    }
    return s;
}

}  // namespace lftest
