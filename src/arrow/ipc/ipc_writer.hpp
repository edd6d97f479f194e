// The IPC writer behind every write_file / write_stream, writing to any output stream.
#pragma once

#include <cstdint>

#include "legolasflux/arrow/array.hpp"
#include "legolasflux/arrow/ipc.hpp"
#include "legolasflux/arrow/ipc_body.hpp"

namespace legolasflux::arrow::detail {

// Writes `table` in the file format (`file_format`) or the stream format, every body buffer as
// `encoder` says (null: encode_body_buffer of its own bytes).
void write_ipc(OutputStream& out, const Table& table, const WriteOptions& options, bool file_format,
               BodyEncoder* encoder = nullptr);

}  // namespace legolasflux::arrow::detail
