// A whole file in memory (private to the library): mapped read-only, or read into one aligned
// allocation. The arrow layer wraps the result in an arrow::Buffer (arrow::read_whole_file, the
// public way to read a file for every layer above it).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>

namespace legolasflux::common {

struct FileBytes {
    std::shared_ptr<const void> owner;  // the mapping or the allocation
    const uint8_t* data = nullptr;
    int64_t size = 0;
};

// `map`: map the file when it is a non-empty regular file on a file system that can (the bytes are
// the page cache's; a file truncated while mapped makes later reads fault). Otherwise, and for
// pipes and devices, the file is read into memory aligned to 64 bytes, zero-padded to a multiple of
// 64. IoError with the path and the system's message when it cannot be opened or read.
FileBytes read_file_bytes(const std::filesystem::path& path, bool map);

}  // namespace legolasflux::common
