// Integrity of the files this library writes (private to the library): the checksums a file
// records under kChecksumsMetadataKey, how they are computed, written and verified. docs/format.md,
// "Integrity", is the contract; legolasflux/integrity.hpp is the public verification.
//
// The metadata value is compact JSON with these members, in this order:
//
//   {"algorithm":"xxh3-64-chunked","columns":{"weights":["0f1e2d3c4b5a6978"]},
//    "file":"8a7b6c5d4e3f2a10","holes":[["0000000000000140","0000000000000044"]]}
//
// "columns" maps the name of every Weights column (extension JuliaLang.LegolasFlux.Weights; Null
// columns have no weights and are left out) to one entry per row: null for a missing Weights, else
// the checksum of the row's values — the elements of every FlatArray's `vec`, array after array,
// each as its little-endian bytes (Bool as one byte, 0 or 1; BFloat16 stored natively as its 2
// bytes, widened as its 4 Float32 bytes: the values as the file holds them). The algorithm says
// how: "xxh3-64-chunked" (written) hashes each MiB of those bytes with XXH3-64 and then the chunks'
// hashes, so that several threads can share the work; "xxh3-64" (the first definition, still
// verified) is XXH3-64 of all of them. Seed 0 throughout. Those checksums cover the values only:
// element types and shapes are not part of them.
//
// "file" is XXH3-64 (seed 0) of every other byte of the file, in order, and "holes" the byte
// ranges (offset, length) it leaves out (both or neither: files written before they existed lack
// them). The holes are the bytes of the weight values the "columns" checksums cover — for every
// listed column and every row whose entry is a checksum, each FlatArray's `vec` elements as they
// lie in the data buffer of the vec list's values — when no batch is compressed and the elements
// are not Bool (bit-packed in the file); otherwise there are none. So reading hashes the big data
// once. In the schema message's metadata (the L bytes at offset 16, when bytes 8–11 are the
// continuation marker FF FF FF FF and L is the little-endian int32 at offset 12) and in the footer
// (the F bytes before the last 10, F the int32 there), every occurrence of the metadata value,
// searched left to right without overlap, is hashed as that many ASCII '0' bytes: the writer hashes
// the file with a value of '0's of the final length, then writes the real one. The holes are in the
// value so that "file" can be checked before the file is parsed: a damaged file may otherwise look
// like one using a feature the reader lacks (UnsupportedError). "file" is checked for the IPC file
// format only. Every number is 16 hex digits, so the value's length does not depend on them.
//
// The unit, top down; each file uses only those below it:
//   integrity_verify.cpp  verify (legolasflux/integrity.hpp): every check of a file or a directory
//   integrity_file.cpp    the file checksum: writing a checksummed file, the hashing pass, checking
//                         "file" (and "holes") against a file's bytes
//   integrity_values.cpp  the values' checksums, where the values lie, the metadata value (format,
//                         parse), checking "columns" against a table
#pragma once

#include <xxhash.h>
#if defined(__x86_64__)
// libxxhash's XXH3 functions are built for SSE2; its dispatching ones (which this header puts in
// their place) use AVX2 or AVX-512 when the CPU has them: the same hashes, 1.4x as fast from memory
// on two cores and 2.8x on data in the caches (Xeon of docs/performance.md).
#include <xxh_x86dispatch.h>
#endif

#include <cstdint>
#include <filesystem>
#include <memory>
#include <new>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "deferred.hpp"
#include "gathered.hpp"
#include "legolasflux/arrow/array.hpp"
#include "legolasflux/arrow/ipc.hpp"

namespace legolasflux::detail {

using Bytes = std::span<const uint8_t>;

// ---- writing (integrity_file.cpp) ----------------------------------------------------------------

// Writes `table` in the file format to `path` (atomically, as arrow::write_file) with fresh
// checksums under kChecksumsMetadataKey, replacing any value the table carries. The table is
// written twice: once into a hash that skips the weight values (only the small pieces are hashed,
// nothing is copied; a compressed buffer is compressed once, its frame kept for the second pass),
// then to the file, with the weights' checksums as 0s while other threads compute them; their
// digits are then written in place, before the file replaces the target. Buffers in a stand-in of
// `gathered` are read and written from its parts (GatheringEncoder). The weights are
// hashed by `threads` threads (0: one per core) less the one that writes, and at least one.
void write_checksummed_file(const std::filesystem::path& path, arrow::Table table, const arrow::WriteOptions& options,
                            std::span<const Gathered> gathered = {}, int threads = 0);

// A byte range of a file.
struct FileRange {
    int64_t offset = 0, length = 0;
    bool operator==(const FileRange&) const = default;
};

// The hashing pass of write_checksummed_file, for a table whose metadata holds the value as '0's.
struct FileChecksumPass {
    uint64_t checksum = 0;
    std::vector<FileRange> holes;
    int64_t hashed_bytes = 0;   // bytes of the file hashed
    int64_t skipped_bytes = 0;  // bytes of the file left out (the holes)
};
FileChecksumPass file_checksum_pass(const arrow::Table& table, const arrow::WriteOptions& options,
                                    std::span<const Gathered> gathered = {});

// ---- the metadata value (integrity_values.cpp) ----------------------------------------------------

// How the "columns" checksums are computed.
enum class ChecksumAlgorithm {
    Xxh3_64,         // "xxh3-64": XXH3-64 of the values' bytes, in one pass
    Xxh3_64Chunked,  // "xxh3-64-chunked": XXH3-64 of the XXH3-64s of each kChecksumChunk bytes
};
// What write_model_row records.
inline constexpr ChecksumAlgorithm kChecksumAlgorithm = ChecksumAlgorithm::Xxh3_64Chunked;
inline constexpr size_t kChecksumChunk = size_t{1} << 20;
std::string_view algorithm_name(ChecksumAlgorithm algorithm);

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

// What the file checksum leaves out of a table about to be written: the memory the weight values
// are written from (sorted, disjoint; nothing when the file is compressed), how many runs of the
// file they make and how many bytes.
struct Holes {
    std::vector<Bytes> memory;
    size_t runs = 0;
    int64_t bytes = 0;
};

// The value of a table about to be written, before its numbers are known: its "columns" with every
// checksum 0, what the file checksum will leave out, and its length, which the numbers do not change.
struct ChecksumsDraft {
    std::string columns;
    Holes holes;
    size_t length = 0;
};
ChecksumsDraft draft_checksums(const arrow::Table& table, const arrow::WriteOptions& options,
                               std::span<const Gathered> gathered);

// The "columns" member for `table` (every batch, rows in order), by kChecksumAlgorithm on up to
// `threads` threads: a JSON object. Values in a stand-in of `gathered` are read from its parts.
std::string weights_checksums(const arrow::Table& table, std::span<const Gathered> gathered = {}, unsigned threads = 1);
// The whole value.
std::string checksums_value(const std::string& columns, uint64_t file, const std::vector<FileRange>& holes);

// Parses `value` (the metadata's): FormatError when it is malformed, has other members, names a
// column the table does not have as Weights or has not one entry per row; UnsupportedError for an
// unknown algorithm. `source` (the file's path) prefixes the messages.
RecordedChecksums parse_checksums(const std::string& source, const arrow::Table& table, std::string_view value);
// The "file" and "holes" entries of `value` when it is a well-formed value that has them.
std::optional<FileChecksum> parse_file_checksum(std::string_view value);

// ---- verification (integrity_file.cpp, integrity_values.cpp) ---------------------------------------

// Checks the "file" entry of `recorded` (parsed from `value`) against `bytes`, the input `table`
// was read from (`info` from that read), then that its holes are the weight values. A mismatch is
// a CorruptionError naming `source`, both checksums and "metadata checksum mismatch"; holes outside
// the file or over the value are a FormatError. Returns whether "file" was checked: not for a
// stream, without the entry, nor when the holes are not where the weight values are (the file was
// rewritten by another writer that kept the metadata, or a damaged offset moved the values: the
// weights' checksums alone then apply).
bool verify_file_checksum(const std::string& source, const arrow::Buffer& bytes, const arrow::IpcFileInfo& info,
                          const arrow::Table& table, std::string_view value, const RecordedChecksums& recorded);

// The same for bytes the Arrow reader refused: when their schema message or footer holds a checksums
// value with a file checksum, checks it (CorruptionError when it does not match: the bytes were
// damaged, not written with a feature this library lacks). Returns quietly otherwise, and for a
// file without its closing magic: the reader says what is missing from a file cut short.
void verify_unread_file_checksum(const std::string& source, const arrow::Buffer& bytes);

// Recomputes the checksums of the rows `recorded` lists and compares them. Throws CorruptionError
// naming the column, the row and both checksums on a mismatch. Hashes on up to `threads` threads.
void verify_weights_checksums(const std::string& source, const arrow::Table& table, const RecordedChecksums& recorded,
                              unsigned threads = 1);

// Whether every buffer a read left compressed (`deferred`) is the values of the `vec` lists
// of a Weights column named `column`, found by structure alone: a hostile file naming another field
// `vec`, say, has it read again without deferring.
bool only_weight_values_deferred(const arrow::Table& table, std::span<const DeferredBuffer> deferred,
                                 std::string_view column);

// ---- the values (integrity_values.cpp) ------------------------------------------------------------

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

// The checksum of one byte sequence given as consecutive `pieces`: with Xxh3_64Chunked, the
// sequence is cut into chunks of kChecksumChunk bytes (the last one shorter), each hashed with
// XXH3-64 — by up to `threads` threads when the sequence is large —, and the result is XXH3-64 of
// the chunks' hashes, each as 8 little-endian bytes, in order (no chunk for no bytes).
uint64_t values_checksum(std::span<const Bytes> pieces, ChecksumAlgorithm algorithm, unsigned threads);
// The last step of Xxh3_64Chunked: XXH3-64 of the chunks' XXH3-64s, each as 8 little-endian bytes.
uint64_t combine_chunk_digests(std::span<const uint64_t> digests);

// A field whose rows get a checksum: a Weights column not of Arrow type Null.
bool records_weights(const arrow::Field& field);

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

// Sorted, with overlapping and adjacent ranges joined.
std::vector<FileRange> merged_ranges(std::vector<FileRange> ranges);

}  // namespace legolasflux::detail
