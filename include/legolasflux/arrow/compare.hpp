// Logical equality: same type, same length, same nulls and same values slot by slot, whatever the
// offsets, buffer padding, bytes under null slots or batch boundaries.
#pragma once

#include <string>

#include "legolasflux/arrow/array.hpp"

namespace legolasflux::arrow {

bool array_equals(const Array& a, const Array& b);
// Schemas equal (fields, metadata) and the same rows, regardless of how they are split in batches.
bool table_equals(const Table& a, const Table& b);
// Empty when equal; otherwise a sentence saying where the first difference is.
std::string table_difference(const Table& a, const Table& b);

}  // namespace legolasflux::arrow
