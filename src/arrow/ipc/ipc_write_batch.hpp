// Flattening arrays into the IPC body layout: field nodes and buffers in depth-first order,
// parent before children, with sliced arrays written as if they were not sliced.
#pragma once

#include <cstdint>
#include <vector>

#include "legolasflux/arrow/array.hpp"
#include "legolasflux/arrow/ipc.hpp"

namespace legolasflux::arrow::detail {

struct EncodedNode {
    int64_t length = 0;
    int64_t null_count = 0;
};

struct EncodedBatch {
    int64_t length = 0;
    std::vector<EncodedNode> nodes;
    // Uncompressed bytes of each buffer, in order; an empty Buffer is an omitted buffer.
    // Views of the arrays' memory where no rewrite is needed.
    std::vector<Buffer> buffers;
    std::vector<int64_t> variadic_counts;  // per view field
};

// `fields[i]` describes `columns[i]`; every column has `length` slots. V4 adds the empty union
// validity buffer that format version expects. Throws InvalidArgument when an array does not
// match its field.
EncodedBatch encode_batch(const std::vector<Field>& fields, const std::vector<ArrayPtr>& columns, int64_t length,
                          MetadataVersion version);

}  // namespace legolasflux::arrow::detail
