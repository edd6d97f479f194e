// A zip archive of stored (uncompressed) entries, laid out as PyTorch's writer lays out the archives
// of torch.save (caffe2/serialize/inline_container.cc): each entry's data starts at a multiple of 64
// bytes, padded by an extra field "FB" in its local header, so that a reader may map the file and use
// tensors in place. Zip64 records are written when a size or an offset needs them (models past 4 GiB).
// Private to the model layer: torch_save.cpp writes .pt files with it.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

namespace legolasflux::detail {

// CRC-32 (ISO-HDLC, the zip one) of `bytes`, continuing from `crc` (0 to start).
uint32_t crc32(std::span<const uint8_t> bytes, uint32_t crc = 0) noexcept;

// Where entries' data are aligned, as PyTorch's writer does (kFieldAlignment there).
inline constexpr int64_t kZipAlignment = 64;

class ZipWriter {
public:
    // `sink` receives the archive's bytes in order. `force_zip64`: every entry and the end of the
    // archive in their zip64 forms, whatever their sizes (for tests of the large-file path).
    explicit ZipWriter(std::function<void(std::span<const uint8_t>)> sink, bool force_zip64 = false);

    // One entry whose bytes are `chunks`, one after the other; its CRC is computed here (a pass over
    // the bytes before they are written). Names must be unique (InvalidArgument otherwise).
    void add(const std::string& name, std::span<const std::span<const uint8_t>> chunks);
    void add(const std::string& name, std::span<const uint8_t> bytes);
    // The central directory and the end records; nothing may be added afterwards.
    void finish();

    int64_t bytes_written() const noexcept { return offset_; }

private:
    struct Entry {
        std::string name;
        uint32_t crc = 0;
        uint64_t size = 0;
        uint64_t offset = 0;  // of its local header
        bool zip64 = false;
    };
    std::function<void(std::span<const uint8_t>)> sink_;
    bool force_zip64_;
    bool finished_ = false;
    uint64_t offset_ = 0;
    std::vector<Entry> entries_;

    void emit(std::span<const uint8_t> bytes);
};

}  // namespace legolasflux::detail
