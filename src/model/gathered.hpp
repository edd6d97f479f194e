// Writing a model row's weights, which lie each in its own memory, as the one values buffer Arrow
// wants — without copying them together — and writing one table twice (a hashing pass, then the
// file) while compressing each buffer once. Built on the Arrow layer's body encoder
// (arrow/ipc_body.hpp) and output stream.
//
// gather() makes a stand-in buffer for the concatenation of the parts; an array is built on the
// stand-in as on any buffer, and the GatheringEncoder writes the parts where the stand-in's bytes
// would go: the file is byte for byte the one written from a real concatenation.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <span>
#include <utility>
#include <vector>

#include "common/atomic_file.hpp"
#include "legolasflux/arrow/array.hpp"
#include "legolasflux/arrow/ipc.hpp"
#include "legolasflux/arrow/ipc_body.hpp"

namespace legolasflux::detail {

// `size` bytes of address space reserved without access rights: a real address and size for the
// code that checks bounds and slices, but reading a byte faults at once, so nothing can take it
// for data. It costs no memory.
arrow::Buffer reserved_address_space(int64_t size);

// A buffer that stands for the concatenation of `parts` (a reserved_address_space of their size).
// Give a table holding one only to a GatheringEncoder of it.
struct Gathered {
    arrow::Buffer stand_in;
    std::vector<arrow::Buffer> parts;
};
Gathered gather(std::vector<arrow::Buffer> parts);

// The bytes `b` stands for: itself, or, when it lies in the stand-in of one of `gathered`, the
// slices of its parts it covers, in order.
std::vector<arrow::Buffer> resolved(const arrow::Buffer& b, std::span<const Gathered> gathered);
std::vector<std::span<const uint8_t>> resolved(std::span<const uint8_t> b, std::span<const Gathered> gathered);

// Encodes each body buffer from the bytes it stands for (resolved), and keeps what it compressed,
// so that writing the same table again compresses nothing. A kept entry holds its buffer: that
// address cannot be reused for other bytes while the encoder lives, so address and size identify
// the bytes (buffers are immutable). Use one encoder for writes with the same options.
class GatheringEncoder final : public arrow::BodyEncoder {
public:
    explicit GatheringEncoder(std::span<const Gathered> gathered) : gathered_(gathered) {}
    arrow::BodyPieces encode(const arrow::Buffer& buffer, const arrow::WriteOptions& options) override;

private:
    std::span<const Gathered> gathered_;
    std::map<std::pair<const uint8_t*, int64_t>, std::pair<arrow::Buffer, arrow::BodyPieces>> compressed_;
};

// arrow::write_file(path, table, options) with `encoder`. `before_commit`, when given, is called
// with the temporary file and its size once every byte is written, before the file replaces the
// target (an exception from it leaves the target untouched).
void write_file_encoded(const std::filesystem::path& path, const arrow::Table& table,
                        const arrow::WriteOptions& options, arrow::BodyEncoder& encoder,
                        const std::function<void(common::AtomicFile&, int64_t)>& before_commit = {});

}  // namespace legolasflux::detail
