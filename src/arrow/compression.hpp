// Buffer compression for IPC bodies: one LZ4 frame or one Zstandard frame per buffer.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "legolasflux/arrow/buffer.hpp"
#include "legolasflux/arrow/ipc.hpp"

namespace legolasflux::arrow::detail {

// One complete frame holding `data`. `level` 0 means the codec's default. Buffers of 8 MiB and
// more are compressed by `threads` threads (0: one per core): LZ4 as a frame of independent
// 4 MiB blocks, Zstandard with its own workers.
std::vector<uint8_t> compress(Compression codec, std::span<const uint8_t> data, int level, int threads = 1);

// Decompresses one complete frame that must expand to exactly `expected` bytes (the caller has
// checked `expected` against its limits). Anything else — a corrupt or truncated frame, a
// different size, bytes after the frame — is a FormatError.
Buffer decompress(Compression codec, std::span<const uint8_t> frame, int64_t expected);

const char* codec_name(Compression codec) noexcept;

}  // namespace legolasflux::arrow::detail
