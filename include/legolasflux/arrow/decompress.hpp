// Decoding the compressed buffers of IPC bodies (LZ4_FRAME, ZSTD) outside a read — e.g. the ones a
// Decompressor (ipc_body.hpp) left for later — whole, or part by part into memory the caller holds.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "legolasflux/arrow/buffer.hpp"
#include "legolasflux/arrow/ipc.hpp"

namespace legolasflux::arrow {

// Decodes a compressed buffer (one LZ4 frame; one or more Zstandard frames; without the 8-byte
// length prefix) that must expand to exactly `expected` bytes, on `threads` threads (0: one per
// core) when its shape allows. Anything else is a FormatError saying what is wrong.
Buffer decompress(Compression codec, std::span<const uint8_t> frame, int64_t expected, int threads = 0);

// A piece of a compressed buffer that decodes on its own into a known place of the output.
struct FramePart {
    int64_t in_offset = 0, in_size = 0;    // its bytes in the buffer
    int64_t out_offset = 0, out_size = 0;  // its place in the output
    bool stored = false;                   // an LZ4 block stored as is
};

// The parts of a buffer that decodes to `expected` bytes, when it is made of independent pieces
// whose places are known before decoding — an LZ4 frame of independent blocks without checksums or
// dictionary, every block but the last holding the maximum block size (what this library writes
// for large buffers); a sequence of Zstandard frames that all declare their sizes — covering the
// output in order. Nothing is decoded, so a part may still turn out damaged (decode_part says so).
// nullopt for any other buffer: decompress reads it, or says what is wrong with it.
std::optional<std::vector<FramePart>> independent_parts(Compression codec, std::span<const uint8_t> frame,
                                                        int64_t expected);

// Decodes `part` of `frame` into `out` (part.out_size bytes, which may be written even when it
// fails). False when the part does not decode to exactly that many bytes.
bool decode_part(Compression codec, std::span<const uint8_t> frame, const FramePart& part, uint8_t* out);

}  // namespace legolasflux::arrow
