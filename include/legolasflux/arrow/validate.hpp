// Validation of arrays against their type, in two levels, as nanoarrow does:
//   structural — buffer count and sizes suffice for length + offset, children lengths, null counts;
//   full       — additionally every value that addresses memory: offsets monotone and within the
//                child or data, union type ids and dense offsets, dictionary indices, run ends,
//                view lengths and buffer indices.
// Errors are FormatError naming the field path and the index, e.g.
//   "vec offsets not increasing at index 7 in field weights.weights.vec".
#pragma once

#include <string>

#include "legolasflux/arrow/array.hpp"

namespace legolasflux::arrow {

enum class ValidationLevel : uint8_t { Structural, Full };

// `path` names the array in messages ("weights.weights.vec").
void validate(const Array& array, const std::string& path, ValidationLevel level = ValidationLevel::Full);
// Checks the columns against the schema's fields (types, count, lengths) and validates each.
void validate(const RecordBatch& batch, ValidationLevel level = ValidationLevel::Full);
void validate(const Table& table, ValidationLevel level = ValidationLevel::Full);

}  // namespace legolasflux::arrow
