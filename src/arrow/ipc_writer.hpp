// The IPC writer behind write_file / write_stream, writing to any byte sink.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <utility>
#include <span>
#include <vector>

#include "atomic_file.hpp"
#include "legolasflux/arrow/array.hpp"
#include "legolasflux/arrow/ipc.hpp"

namespace legolasflux::arrow::detail {

// Where the writer's bytes go, in order.
class Sink {
public:
    virtual ~Sink() = default;
    virtual void write(std::span<const uint8_t> bytes) = 0;
};

// A buffer of a table that stands for the concatenation of `parts`: the writer writes the parts
// in its place, so a model's arrays, which Arrow wants in one values buffer, reach the file
// without being assembled in memory first. The stand-in is address space reserved without access
// rights: it has a real address and size for the code that checks bounds and slices, but reading
// its bytes faults at once, so nothing can take it for the data. Only the IPC writer may be given a
// table holding one, together with its Gathered.
struct Gathered {
    Buffer stand_in;
    std::vector<Buffer> parts;
};
// `parts` in order; the stand-in's size is the sum of theirs.
Gathered gather(std::vector<Buffer> parts);

// The compressed form of the buffers one table's writes have compressed, so that writing it again
// (a checksum pass, then the file) compresses each buffer once. An entry keeps the buffer it was
// made from alive: its address cannot be reused for other bytes while the cache lives, so address
// and size identify the bytes (buffers are immutable).
struct CompressionCache {
    std::map<std::pair<const uint8_t*, int64_t>, std::pair<Buffer, std::vector<Buffer>>> entries;  // → (source, pieces)
};

// Writes `table` in the file format (`file_format`) or the stream format. Buffers that lie in a
// stand-in of `gathered` are written from its parts.
void write_ipc(Sink& sink, const Table& table, const WriteOptions& options, bool file_format,
               std::span<const Gathered> gathered = {}, CompressionCache* cache = nullptr);
// write_file(path, …) with gathered buffers. `before_commit`, when given, is called with the
// temporary file and its size once every byte is written, before the file replaces the target.
void write_file(const std::filesystem::path& path, const Table& table, const WriteOptions& options,
                std::span<const Gathered> gathered, CompressionCache* cache = nullptr,
                const std::function<void(AtomicFile&, int64_t)>& before_commit = {});

}  // namespace legolasflux::arrow::detail
