// NumPy .npy files as FlatArrays: one array per file, the bytes unmoved.
//
// A FlatArray holds Julia's column-major bytes with Julia's size. A C-order .npy of shape
// (d1, …, dn) holds the same bytes as the Julia array of size (dn, …, d1) — the torch shape is the
// NumPy shape — and a Fortran-order .npy of shape (s1, …, sn) the bytes of the Julia array of size
// (s1, …, sn). read_npy takes both; write_npy writes C order (so numpy.load gives the torch shape).
// Element types: NumPy's bool, int8…int64, uint8…uint64, float16/32/64, little-endian (BFloat16,
// which NumPy lacks, is written as float32, exactly).
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>

#include "legolasflux/weights.hpp"

namespace legolasflux {

// The array of a .npy file's bytes (format versions 1.0, 2.0, 3.0). FormatError naming `where`
// and what is wrong (magic, header, shape, byte count); UnsupportedError for big-endian or
// non-numeric types.
FlatArray parse_npy(std::span<const uint8_t> bytes, std::string_view where = "npy");
FlatArray read_npy(const std::filesystem::path& path);

// The .npy bytes of the array (C order, version 1.0 when the header fits, else 2.0).
std::string npy_bytes(const FlatArray& array);
// Writes them to `path`, replacing it atomically (the previous file stays whole on failure).
void write_npy(const std::filesystem::path& path, const FlatArray& array);

}  // namespace legolasflux
