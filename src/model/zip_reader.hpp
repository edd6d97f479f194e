// The entries of a zip archive of stored (uncompressed) entries, as torch.save writes them
// (private to the model layer; torch_load.cpp reads .pt files with it). Only the central directory
// is trusted for sizes (PyTorch's writer leaves them out of the local headers and sets the data
// descriptor flag); each entry's local header is checked against it and its data must lie before
// the central directory. Zip64 end records and extra fields are read. Field layouts: PKWARE's
// APPNOTE.TXT (zip_writer.cpp cites the sections).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "legolasflux/arrow/buffer.hpp"

namespace legolasflux::detail {

struct ZipEntry {
    std::string name;
    uint64_t offset = 0;  // of its data in the archive
    uint64_t size = 0;    // as stored (compressed, for entries that are)
    uint32_t crc = 0;
    uint16_t method = 0;  // 0: stored
    bool encrypted = false;
};

class ZipReader {
public:
    // FormatError (without a path: the caller adds it) for anything out of place, UnsupportedError
    // for archives split over several disks. Compressed and encrypted entries are listed (a
    // TorchScript archive compresses its code/) but not read.
    explicit ZipReader(arrow::Buffer archive);

    const std::vector<ZipEntry>& entries() const noexcept { return entries_; }
    const ZipEntry* find(std::string_view name) const;
    // The entry's bytes, a view into the archive, after checking its CRC-32 (FormatError naming it;
    // UnsupportedError for a compressed or encrypted entry).
    arrow::Buffer read(const ZipEntry& entry) const;

private:
    arrow::Buffer archive_;
    std::vector<ZipEntry> entries_;
};

// Whether `bytes` start as a zip archive does (a local file header, or an empty archive's end record).
bool looks_like_zip(std::span<const uint8_t> bytes) noexcept;

}  // namespace legolasflux::detail
