// Writing Arrow IPC from buffers that lie in several places, for data too large to assemble first.
//
// Arrow wants the values of an array in one buffer; a model's tensors lie each in its own memory.
// gather() makes a stand-in buffer for their concatenation, an array is built on the stand-in as on
// any buffer, and write_gathered / write_gathered_file write the parts where the stand-in's bytes
// would go: the file is byte for byte the one written from a real concatenation, and nothing is
// copied. The model layer writes its rows this way; other code may too.
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

namespace legolasflux::arrow {

// A buffer that stands for the concatenation of `parts`. The stand-in is address space reserved
// without access rights: it has a real address and size for the code that checks bounds and
// slices, but reading its bytes faults at once, so nothing can take it for the data. Give a table
// holding one only to the functions below, together with its Gathered.
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

// Where a writer's bytes go, in order.
class ByteSink {
public:
    virtual ~ByteSink() = default;
    virtual void write(std::span<const uint8_t> bytes) = 0;
};

// Writes `table` in the file format (`file_format`) or the stream format to `sink`. Buffers that
// lie in a stand-in of `gathered` are written from its parts.
void write_gathered(ByteSink& sink, const Table& table, const WriteOptions& options, bool file_format,
                    std::span<const Gathered> gathered = {}, CompressionCache* cache = nullptr);

// The temporary file of an atomic write, complete but not yet in place: bytes already written can be
// read back and overwritten (IoError when they are not all there).
class PendingFile {
public:
    virtual ~PendingFile() = default;
    virtual void read_at(int64_t offset, std::span<uint8_t> out) = 0;
    virtual void write_at(int64_t offset, std::span<const uint8_t> bytes) = 0;
};

// write_file(path, table, options) with gathered buffers. `before_commit`, when given, is called with
// the temporary file and its size once every byte is written, before the file replaces the target
// (an exception from it leaves the target untouched).
void write_gathered_file(const std::filesystem::path& path, const Table& table, const WriteOptions& options,
                         std::span<const Gathered> gathered, CompressionCache* cache = nullptr,
                         const std::function<void(PendingFile&, int64_t)>& before_commit = {});

}  // namespace legolasflux::arrow
