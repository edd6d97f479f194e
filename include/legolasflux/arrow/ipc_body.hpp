// The bytes of IPC message bodies, as pieces a caller may replace: how a writer encodes each body
// buffer (compressed or as it is, from one place or several) and how a reader decodes each
// compressed one (into fresh memory, or not yet). Compose them with the writers and readers of
// ipc.hpp (write_file / write_stream to an OutputStream, ReadOptions::decompressor).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "legolasflux/arrow/buffer.hpp"
#include "legolasflux/arrow/ipc.hpp"

namespace legolasflux::arrow {

// --- writing ---------------------------------------------------------------------------------
// A body buffer as written: its bytes, one piece after the other. Under body compression (the
// BUFFER method) that is the 8-byte little-endian uncompressed length, then the codec's frame; or
// -1, then the bytes as they are, when the frame would not be smaller.
using BodyPieces = std::vector<Buffer>;

// How the bytes `pieces` hold, one after the other, are written as one body buffer under
// `options` (compression, level, threads): without compression, the pieces themselves (nothing is
// copied); with it, the length prefix and the frame, which large inputs split into independent
// blocks (LZ4) or frames (Zstandard) compressed on several threads (see WriteOptions).
BodyPieces encode_body_buffer(std::span<const Buffer> pieces, const WriteOptions& options);

// What a writer calls for every non-empty buffer of every body, in the order they are written.
// The default encodes the buffer's own bytes: encode_body_buffer({buffer}, options). An encoder
// may take the bytes from elsewhere (a buffer that stands for memory in several places) or reuse
// an earlier encoding of the same bytes; what it returns must follow BodyPieces.
class BodyEncoder {
public:
    virtual ~BodyEncoder() = default;
    virtual BodyPieces encode(const Buffer& buffer, const WriteOptions& options) = 0;
};

// --- reading ---------------------------------------------------------------------------------
// A compressed body buffer as a reader meets it: checked against the body's bounds and the read's
// limits, not yet decoded.
struct CompressedBuffer {
    std::string_view path;  // the field's path, as error messages give it ("w", "w.item")
    Compression codec = Compression::None;
    Buffer frame;              // the bytes after the length prefix: a view into the input
    int64_t decoded_size = 0;  // what the length prefix claims (buffers stored as they are never get here)
    // The buffer holds the values of an integer or floating-point array (not dictionary indices,
    // not run ends, not offsets): neither the read nor any validation level looks at them, so a
    // decompressor may return memory it fills in only later. Every other buffer is read at once.
    bool values_unread = false;
};

// How a read decodes compressed body buffers (ReadOptions::decompressor). Without one, every buffer
// is decoded by decompress() (decompress.hpp) into memory of its own.
class Decompressor {
public:
    virtual ~Decompressor() = default;
    // The decoded bytes of `buffer`: exactly buffer.decoded_size of them (the read checks), or a
    // FormatError saying what is wrong with the frame (the read adds where the buffer is).
    virtual Buffer decompress(const CompressedBuffer& buffer) = 0;
};

}  // namespace legolasflux::arrow
