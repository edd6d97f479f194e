// Checksums of a model file, kept in its schema metadata (private to the library).
//
// Key kChecksumsMetadataKey ("legolasflux.checksums", see model.hpp and docs/format.md,
// "Integrity"); the value is compact JSON with these members, in this order:
//
//   {"algorithm":"xxh3-64-chunked","columns":{"weights":["0f1e2d3c4b5a6978"]},
//    "file":"8a7b6c5d4e3f2a10","holes":[["0000000000000140","0000000000000044"]]}
//
// "columns" maps the name of every Weights column (extension JuliaLang.LegolasFlux.Weights; Null
// columns have no weights and are left out) to one entry per row: null for a missing Weights, else
// the checksum of the row's values — the elements of every FlatArray's `vec`, array after array,
// each as its little-endian bytes (Bool as one byte, 0 or 1; BFloat16 stored natively as its 2
// bytes, widened as its 4 Float32 bytes: the values as the file holds them) — as 16 lowercase hex digits. The
// algorithm says how: "xxh3-64-chunked" (written) hashes each MiB of those bytes with XXH3-64 and
// then the chunks' hashes, so that several threads can share the work; "xxh3-64" (the first
// definition, still verified) is XXH3-64 of all of them. Seed 0 throughout. Those checksums
// cover the values only: element types and shapes are not part of them.
//
// "file" and "holes" (both or neither: files written before they existed lack them) are XXH3-64
// of every other byte of the file and the byte ranges (offset, length) it leaves out, the weight
// values; file_checksum.hpp defines them. Every number is 16 hex digits, so the value's length
// does not depend on them.
#pragma once

#include <xxhash.h>
#if defined(__x86_64__)
// libxxhash's XXH3 functions are built for SSE2; its dispatching ones (which this header puts in
// their place) use AVX2 or AVX-512 when the CPU has them: the same hashes, 1.4x as fast from memory
// on two cores and 2.8x on data in the caches (Xeon of docs/performance.md).
#include <xxh_x86dispatch.h>
#endif

#include <memory>
#include <new>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "legolasflux/arrow/array.hpp"
#include "legolasflux/arrow/ipc_gathered.hpp"

namespace legolasflux::detail {

// How the "columns" checksums are computed.
enum class ChecksumAlgorithm {
    Xxh3_64,         // "xxh3-64": XXH3-64 of the values' bytes, in one pass
    Xxh3_64Chunked,  // "xxh3-64-chunked": XXH3-64 of the XXH3-64s of each kChecksumChunk bytes
};
// What write_model_row records.
inline constexpr ChecksumAlgorithm kChecksumAlgorithm = ChecksumAlgorithm::Xxh3_64Chunked;
inline constexpr size_t kChecksumChunk = size_t{1} << 20;
std::string_view algorithm_name(ChecksumAlgorithm algorithm);

std::string hex16(uint64_t v);

// XXH3-64, seed 0, fed piece by piece.
class Xxh3 {
public:
    Xxh3() : state_(XXH3_createState()) {
        if (!state_ || XXH3_64bits_reset(state_.get()) != XXH_OK) throw std::bad_alloc();
    }
    void update(const uint8_t* data, int64_t size) {
        if (size > 0) XXH3_64bits_update(state_.get(), data, static_cast<size_t>(size));
    }
    uint64_t digest() const { return XXH3_64bits_digest(state_.get()); }

private:
    struct Free {
        void operator()(XXH3_state_t* s) const noexcept { XXH3_freeState(s); }
    };
    std::unique_ptr<XXH3_state_t, Free> state_;
};

using Bytes = std::span<const uint8_t>;
using Gathered = arrow::Gathered;

// The checksum of one byte sequence given as consecutive `pieces`: with Xxh3_64Chunked, the
// sequence is cut into chunks of kChecksumChunk bytes (the last one shorter), each hashed with
// XXH3-64 — by up to `threads` threads when the sequence is large —, and the result is XXH3-64 of
// the chunks' hashes, each as 8 little-endian bytes, in order (no chunk for no bytes).
uint64_t values_checksum(std::span<const Bytes> pieces, ChecksumAlgorithm algorithm, unsigned threads);
// The last step of Xxh3_64Chunked: XXH3-64 of the chunks' XXH3-64s, each as 8 little-endian bytes.
uint64_t combine_chunk_digests(std::span<const uint64_t> digests);

// One array's values in a Weights column: their memory and their element range [first, last) in
// the values of the `vec` list.
struct ValueSpan {
    Bytes memory;
    int64_t first = 0, last = 0;
};
// The values of `row`'s arrays, array after array (empty ones left out); none for missing weights,
// nor for Bool elements (bit-packed, so not the bytes the checksums hash). Checks the structure
// (weights_from_arrow) without reading a value.
std::vector<ValueSpan> value_spans(const arrow::Field& field, const arrow::Array& column, int64_t row);
// The buffer of the elements of the `vec` lists of a Weights column (the struct of the `weights`
// list's FlatArrays), found from the arrays' structure only, without reading a value; null when
// the column is not shaped as weights_from_arrow reads it.
const arrow::Buffer* vec_values_buffer(const arrow::Field& field, const arrow::Array& column);
// The memory `b` stands for: itself, or, when it lies in the stand-in of one of `gathered`, the
// slices of its parts it covers.
std::vector<Bytes> resolved(Bytes b, std::span<const Gathered> gathered);

// A field whose rows get a checksum: a Weights column not of Arrow type Null.
bool records_weights(const arrow::Field& field);

// A byte range of a file.
struct FileRange {
    int64_t offset = 0, length = 0;
    bool operator==(const FileRange&) const = default;
};

// The "file" and "holes" entries of a value.
struct FileChecksum {
    std::string checksum;  // 16 hex digits
    std::vector<FileRange> holes;
};

// A metadata value, checked against the table it describes.
struct RecordedChecksums {
    struct Column {
        size_t field = 0;                              // index in the table's schema
        std::vector<std::optional<std::string>> rows;  // 16 hex digits, or nullopt for missing weights
    };
    ChecksumAlgorithm algorithm = kChecksumAlgorithm;
    std::vector<Column> columns;
    std::optional<FileChecksum> file;
};

// The "columns" member for `table` (every batch, rows in order), by kChecksumAlgorithm on up to
// `threads` threads: a JSON object. Values in a stand-in of `gathered` are read from its parts.
std::string weights_checksums(const arrow::Table& table, std::span<const Gathered> gathered = {}, unsigned threads = 1);
// The same with every checksum 0 (of the same length), computed without hashing: a stand-in the
// file can be written with while the checksums are computed.
std::string weights_checksums_placeholder(const arrow::Table& table);
// The whole value.
std::string checksums_value(const std::string& columns, uint64_t file, const std::vector<FileRange>& holes);

// Parses `value` (the metadata's): FormatError when it is malformed, has other members, names a
// column the table does not have as Weights or has not one entry per row; UnsupportedError for an
// unknown algorithm. `source` (the file's path) prefixes the messages.
RecordedChecksums parse_checksums(const std::string& source, const arrow::Table& table, std::string_view value);
// The "file" and "holes" entries of `value` when it is a well-formed value that has them.
std::optional<FileChecksum> parse_file_checksum(std::string_view value);

// Recomputes the checksums of the rows `recorded` lists and compares them. Throws CorruptionError
// naming the column, the row and both checksums on a mismatch. Hashes on up to `threads` threads.
void verify_weights_checksums(const std::string& source, const arrow::Table& table, const RecordedChecksums& recorded,
                              unsigned threads = 1);

}  // namespace legolasflux::detail
