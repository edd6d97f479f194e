// Concatenation of two arrays of the same type, for delta dictionary batches.
#pragma once

#include "legolasflux/arrow/array.hpp"

namespace legolasflux::arrow::detail {

// A fresh array holding the slots of `a` followed by those of `b` (both validated, same type).
// Supports every type except unions, list views and run-end encoded arrays (UnsupportedError).
ArrayPtr concatenate(const Array& a, const Array& b);

}  // namespace legolasflux::arrow::detail
