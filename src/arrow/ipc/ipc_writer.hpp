// The IPC writer behind write_file / write_stream / write_gathered, writing to any byte sink.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <span>
#include <utility>
#include <vector>

#include "legolasflux/arrow/array.hpp"
#include "legolasflux/arrow/ipc.hpp"
#include "legolasflux/arrow/ipc_gathered.hpp"

namespace legolasflux::arrow::detail {

using Sink = ByteSink;

// Writes `table` in the file format (`file_format`) or the stream format. Buffers that lie in a
// stand-in of `gathered` are written from its parts.
void write_ipc(Sink& sink, const Table& table, const WriteOptions& options, bool file_format,
               std::span<const Gathered> gathered = {}, CompressionCache* cache = nullptr);

}  // namespace legolasflux::arrow::detail
