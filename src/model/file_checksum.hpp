// The whole-file checksum of a model file: the "file" and "holes" entries of the checksums value
// (checksums.hpp), which make any change to the file outside the weight values detectable —
// metadata, offsets, padding, names, the footer (docs/format.md, "Integrity", is the contract).
//
// "file" is XXH3-64 (seed 0) of every byte of the file in order, except:
//   - the holes: the byte ranges "holes" lists are left out. A writer lists the bytes of the weight
//     values the "columns" checksums cover — for every listed column and every row whose entry is
//     a checksum, each FlatArray's `vec` elements as they lie in the data buffer of the vec list's
//     values — when no batch is compressed and the elements are not Bool (bit-packed in the file);
//     otherwise nothing. So reading hashes the big data once.
//   - the value itself: in the schema message's metadata (the L bytes at offset 16, when bytes 8–11
//     are the continuation marker FF FF FF FF and L is the little-endian int32 at offset 12) and in
//     the footer (the F bytes before the last 10, F the int32 there), every occurrence of the
//     metadata value, searched left to right without overlap, is hashed as that many ASCII '0' bytes.
// The writer hashes the file with a value of '0's of the final length, then writes the real one.
// The holes are in the value so that the checksum can be checked before the file is parsed: a
// damaged file may otherwise look like one using a feature the reader lacks (UnsupportedError).
// The entries are checked for the IPC file format only (write_model_row writes nothing else).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string_view>

#include "checksums.hpp"
#include "legolasflux/arrow/ipc.hpp"

namespace legolasflux::detail {

// Writes `table` in the file format to `path` (atomically, as arrow::write_file) with fresh
// checksums under kChecksumsMetadataKey, replacing any value the table carries. The table is
// written twice: once into a hash that skips the weight values (only the small pieces are hashed,
// nothing is copied; a compressed buffer is compressed once, its frame kept for the second pass),
// then to the file, with the weights' checksums as 0s while other threads compute them; their
// digits are then written in place, before the file replaces the target. Buffers in a stand-in of
// `gathered` are read and written from its parts (arrow::write_gathered). The weights are
// hashed by `threads` threads (0: one per core) less the one that writes, and at least one.
void write_checksummed_file(const std::filesystem::path& path, arrow::Table table, const arrow::WriteOptions& options,
                            std::span<const Gathered> gathered = {}, int threads = 0);

// The hashing pass of write_checksummed_file, for a table whose metadata holds the placeholder.
struct FileChecksumPass {
    uint64_t checksum = 0;
    std::vector<FileRange> holes;
    int64_t hashed_bytes = 0;   // bytes of the file hashed
    int64_t skipped_bytes = 0;  // bytes of the file left out (the holes)
};
FileChecksumPass file_checksum_pass(const arrow::Table& table, const arrow::WriteOptions& options,
                                    std::span<const Gathered> gathered = {});

// Checks the "file" entry of `recorded` (parsed from `value`) against `bytes`, the input `table`
// was read from (`info` from that read), then that its holes are the weight values. Nothing is
// checked for a stream or without the entry. A mismatch is a CorruptionError naming `source`, both
// checksums and "metadata checksum mismatch"; holes other than the values are a FormatError.
void verify_file_checksum(const std::string& source, const arrow::Buffer& bytes, const arrow::IpcFileInfo& info,
                          const arrow::Table& table, std::string_view value, const RecordedChecksums& recorded);

// The same for bytes the Arrow reader refused as unsupported: when their footer holds a checksums
// value with a file checksum, checks it (CorruptionError when it does not match: the bytes were
// damaged, not written with a feature this library lacks). Returns quietly otherwise.
void verify_unread_file_checksum(const std::string& source, const arrow::Buffer& bytes);

}  // namespace legolasflux::detail
