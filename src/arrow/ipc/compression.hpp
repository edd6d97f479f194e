// Buffer compression for IPC bodies: LZ4 frames and Zstandard frames (Arrow's LZ4_FRAME and ZSTD).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "legolasflux/arrow/buffer.hpp"
#include "legolasflux/arrow/decompress.hpp"
#include "legolasflux/arrow/ipc.hpp"

namespace legolasflux::arrow::detail {

// The Zstandard level a level of 0 stands for: 1, as in Arrow C++ (kZSTDDefaultCompressionLevel),
// not libzstd's 3. On model weights level 1 compresses about 4% less, and both compresses and
// decodes about 1.5 times faster (`zstd -b1` against `-b3` on bfloat16-rounded normal weights:
// 2.09 against 2.18 to 1; 132 against 89 MB/s compressing, 549 against 340 MB/s decoding).
inline constexpr int kZstdDefaultLevel = 1;

// The compressed form of the bytes of `parts`, one after the other (`size` bytes in all), as
// pieces to be written in order. `level` 0 means the codec's default. Inputs below 8 MiB are one
// frame; larger ones are compressed by `threads` threads (0: one per core) into pieces any reader
// can decode in parallel: LZ4 as one frame of independent 4 MiB blocks, each block its own piece;
// Zstandard as a sequence of independent frames of 4 MiB of content each (RFC 8878: compressed data
// is one or more frames). The input is read where it lies (only what a codec needs contiguous and
// spans parts is copied), and no output byte is copied.
std::vector<Buffer> compress(Compression codec, std::span<const Buffer> parts, int64_t size, int level,
                             int threads = 1);

// Decompresses a compressed buffer (one LZ4 frame; one or more Zstandard frames) that must expand
// to exactly `expected` bytes (the caller has checked `expected` against its limits). Anything else
// — a corrupt or truncated frame, a different size, bytes after the frame(s) — is a FormatError.
// Large LZ4 frames of independent full blocks and large sequences of Zstandard frames that declare
// their sizes (as compress writes them) are decoded by `threads` threads (0: one per core), each
// block or frame straight into its place; large outputs are in transparent huge pages.
Buffer decompress(Compression codec, std::span<const uint8_t> frame, int64_t expected, int threads = 0);

// The parallel decoder of decompress: a frame of independent blocks, each but the last holding the
// maximum block size, of `expected` bytes (8 MiB at least), decoded block by block into place.
// nullopt for any other frame — other shapes, or any damage — which the streaming decoder then
// reads or refuses; nothing is allocated before the frame's structure has been checked against
// `expected`.
std::optional<Buffer> lz4_decompress_independent(std::span<const uint8_t> frame, int64_t expected, unsigned threads);

// The parts of a buffer of independently decodable pieces (arrow::independent_parts), and one
// part decoded (arrow::decode_part).
std::optional<std::vector<FramePart>> frame_parts(Compression codec, std::span<const uint8_t> frame, int64_t expected);
bool decode_one_part(Compression codec, std::span<const uint8_t> frame, const FramePart& part, uint8_t* out);

const char* codec_name(Compression codec) noexcept;

}  // namespace legolasflux::arrow::detail
