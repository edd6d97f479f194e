// Turning a RecordBatch message body into arrays: walks the schema depth-first, parent before
// children, consuming one FieldNode per field and the buffers its type needs, and checks every
// count, offset and length against the message before using it.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "ipc_message.hpp"
#include "legolasflux/arrow/array.hpp"
#include "legolasflux/arrow/ipc.hpp"

namespace legolasflux::arrow::detail {

// Dictionaries known so far, by id: the values arrays.
using DictionaryMap = std::map<int64_t, ArrayPtr>;

// One array per field of `fields`, from `batch` (the RecordBatch of `message`, or the data of
// its DictionaryBatch). The arrays are views into the message body where its buffers are
// uncompressed and aligned, fresh copies otherwise. Checks structure only (counts and bounds);
// callers validate the arrays. `values_unread`: the values of integer and floating-point arrays are
// not looked at after the read (CompressedBuffer::values_unread) — false for dictionaries, which
// later batches may compare and concatenate.
std::vector<ArrayPtr> load_record_batch(const std::vector<Field>& fields, const fbs::RecordBatch& batch,
                                        const RawMessage& message, const ReadOptions& options,
                                        const DictionaryMap& dictionaries, bool values_unread);

}  // namespace legolasflux::arrow::detail
