// Encapsulated IPC messages: framing (continuation marker, metadata length, flatbuffer, body) on
// both sides, and FlatBuffers verification of everything read.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "fbs_access.hpp"
#include "legolasflux/arrow/buffer.hpp"
#include "legolasflux/arrow/ipc.hpp"
#include "legolasflux_fbs/File_generated.h"

namespace legolasflux::arrow::detail {

inline constexpr char kMagic[6] = {'A', 'R', 'R', 'O', 'W', '1'};
inline constexpr uint32_t kContinuation = 0xFFFFFFFFu;

// What an input starts with. Neither: not the file magic "ARROW1", and not the prefix of a stream's
// first message (continuation marker then a length no larger than the limit, or the pre-1.0 bare
// length) nor an end-of-stream marker — a file of another kind, not a damaged Arrow one.
enum class InputStart { File, Stream, Neither };
InputStart input_start(const uint8_t* bytes, int64_t size, const IpcLimits& limits);
// The one message for such an input, whatever reads it.
inline constexpr const char* kNotArrow = "not an Arrow file or stream";

struct RawMessage {
    Buffer metadata;                        // the verified flatbuffer (8-byte aligned)
    const fbs::Message* message = nullptr;  // points into `metadata`
    Buffer body;
    int64_t offset = 0;         // of the message's first byte in its input
    int64_t header_length = 0;  // prefix + metadata: the body starts at offset + this
    MetadataVersion version = MetadataVersion::V5;
};

// The message at `pos` in `bytes`, checked to lie within `bytes`; nullopt at an end-of-stream
// marker or when `pos` is the end of `bytes`. `what` names the message in errors.
std::optional<RawMessage> read_message(const Buffer& bytes, int64_t pos, const IpcLimits& limits,
                                       const std::string& what);
// The same from a stream; `pos` counts the bytes consumed. Allocations grow with the bytes
// actually read, never with a length the input claims.
std::optional<RawMessage> read_message(std::istream& in, int64_t& pos, const IpcLimits& limits,
                                       const std::string& what);

// A verified footer flatbuffer at [offset, offset + length) of `bytes`; `holder` keeps an aligned
// copy alive when one is needed.
const fbs::Footer& verify_footer(const Buffer& bytes, int64_t offset, int64_t length, const IpcLimits& limits,
                                 Buffer& holder);

// Bytes [offset, offset + length) of `bytes`, copied if they are not 8-byte aligned.
Buffer aligned_slice(const Buffer& bytes, int64_t offset, int64_t length);

// The message prefix and padded metadata for `flatbuffer`, written at file position `position`,
// such that the body that follows starts at a multiple of `alignment`.
std::vector<uint8_t> frame_metadata(std::span<const uint8_t> flatbuffer, int64_t position, int32_t alignment);

}  // namespace legolasflux::arrow::detail
