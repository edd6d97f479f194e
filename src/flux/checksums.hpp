// Checksums of the weights of a table, kept in its schema metadata (private to the library).
//
// Key kChecksumsMetadataKey ("legolasflux.checksums", see model.hpp and docs/format.md,
// "Integrity"); the value is compact JSON:
//
//   {"algorithm":"xxh3-64","columns":{"weights":["0f1e2d3c4b5a6978"]}}
//
// "columns" maps the name of every Weights column (extension JuliaLang.LegolasFlux.Weights; Null
// columns have no weights and are left out) to one entry per row: null for a missing Weights, else
// XXH3-64 (seed 0) of the row's values — the elements of every FlatArray's `vec`, array after
// array, each as its little-endian bytes (Bool as one byte, 0 or 1) — as 16 lowercase hex digits.
// The checksum covers the values only: element types and shapes are not part of it.
#pragma once

#include <string>
#include <string_view>

#include "legolasflux/arrow/array.hpp"

namespace legolasflux::detail {

// The metadata value for `table` (every batch, rows in order).
std::string weights_checksums(const arrow::Table& table);

// Recomputes the checksums of `table` and compares them with `value` (the metadata's). Throws
// CorruptionError naming the column, the row and both checksums on a mismatch; FormatError when the
// value is malformed or names a column the table does not have as Weights; UnsupportedError for an
// unknown algorithm. `source` (the file's path) prefixes the messages.
void verify_weights_checksums(const std::string& source, const arrow::Table& table, std::string_view value);

}  // namespace legolasflux::detail
