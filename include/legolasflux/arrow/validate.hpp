// Validation of arrays against their type. Every reader of this library (IPC files and streams, the
// integration JSON, the C data interface, and the readers of the layers above) takes one
// ValidationLevel, named as nanoarrow names its levels, by what it promises.
// Errors are FormatError naming the field path and the index, e.g.
//   "items offsets not increasing at index 7 in field orders.items".
#pragma once

#include <string>

#include "legolasflux/arrow/array.hpp"

namespace legolasflux::arrow {

enum class ValidationLevel : uint8_t {
    // Every buffer is there and large enough for the array's length and offset, children have the
    // lengths their parent needs, null counts are possible: reading any fixed-width slot is safe.
    // No value is read to check this (constant time per array).
    Minimal,
    // Minimal, and every value that addresses memory is within bounds: offsets monotone and within
    // the child or data, union type ids and dense offsets, dictionary indices, run ends, view
    // lengths and buffer indices. Reading any value of the array is safe. (UTF-8 is not checked.)
    Full,
};

// `path` names the array in messages ("orders.items").
void validate(const Array& array, const std::string& path, ValidationLevel level = ValidationLevel::Full);
// Checks the columns against the schema's fields (types, count, lengths) and validates each.
void validate(const RecordBatch& batch, ValidationLevel level = ValidationLevel::Full);
void validate(const Table& table, ValidationLevel level = ValidationLevel::Full);

}  // namespace legolasflux::arrow
