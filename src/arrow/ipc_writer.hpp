// The IPC writer behind write_file / write_stream, writing to any byte sink.
#pragma once

#include <cstdint>
#include <span>

#include "legolasflux/arrow/array.hpp"
#include "legolasflux/arrow/ipc.hpp"

namespace legolasflux::arrow::detail {

// Where the writer's bytes go, in order.
class Sink {
public:
    virtual ~Sink() = default;
    virtual void write(std::span<const uint8_t> bytes) = 0;
};

// Writes `table` in the file format (`file_format`) or the stream format.
void write_ipc(Sink& sink, const Table& table, const WriteOptions& options, bool file_format);

}  // namespace legolasflux::arrow::detail
