#include "ipc_message.hpp"

#include <algorithm>
#include <cstring>
#include <istream>
#include <limits>

#include "ipc_metadata.hpp"
#include "legolasflux/errors.hpp"

namespace legolasflux::arrow::detail {

namespace {

flatbuffers::Verifier::Options verifier_options(const IpcLimits& limits) {
    flatbuffers::Verifier::Options o;
    // A schema level costs the verifier two depth steps (Field table, children vector) and a few
    // tables per field (Field, type, dictionary, key-values).
    const int64_t depth = 2 * int64_t{limits.max_nesting_depth} + 16;
    const int64_t tables = 8 * limits.max_fields + limits.max_buffers + 1024;
    constexpr int64_t cap = std::numeric_limits<flatbuffers::uoffset_t>::max() / 2;
    o.max_depth = static_cast<flatbuffers::uoffset_t>(std::min(depth, cap));
    o.max_tables = static_cast<flatbuffers::uoffset_t>(std::min(tables, cap));
    o.check_alignment = true;
    return o;
}

int32_t read_i32(const uint8_t* p) {
    int32_t v;
    std::memcpy(&v, p, 4);
    return v;
}

// What the prefix says: the flatbuffer length and the prefix size; length 0 is end-of-stream.
struct Prefix {
    int32_t metadata_length = 0;
    int prefix_size = 0;
};

const fbs::Message& verify_message(const Buffer& metadata, const IpcLimits& limits, const std::string& what) {
    flatbuffers::Verifier verifier(metadata.data(), static_cast<size_t>(metadata.size()), verifier_options(limits));
    if (!fbs::VerifyMessageBuffer(verifier)) throw FormatError(what + ": message metadata is not a valid flatbuffer");
    const fbs::Message* m = fbs::GetMessage(metadata.data());
    if (m->bodyLength() < 0) throw FormatError(what + ": negative body length " + std::to_string(m->bodyLength()));
    return *m;
}

// An input cut short, in the same words whatever reads it (a buffer or a stream).
FormatError truncated(const std::string& what, const char* part, int64_t offset, int64_t have, int64_t need) {
    return FormatError(what + ": truncated: the input ends inside " + part + " at offset " + std::to_string(offset) +
                       " (" + std::to_string(std::max<int64_t>(have, 0)) + " of " + std::to_string(need) + " bytes)");
}

// The first bytes of a stream: another kind of file is said to be one, not read as a damaged stream.
void check_stream_start(const uint8_t* bytes, int64_t size, const IpcLimits& limits) {
    if (size == 0) throw FormatError(std::string(kNotArrow) + ": the input is empty");
    if (input_start(bytes, size, limits) == InputStart::Neither) throw FormatError(kNotArrow);
}

void check_metadata_length(int32_t length, const IpcLimits& limits, const std::string& what) {
    if (length < 0) throw FormatError(what + ": negative metadata length " + std::to_string(length));
    if (length > limits.max_metadata_size)
        throw FormatError(what + ": metadata length " + std::to_string(length) + " exceeds the limit of " +
                          std::to_string(limits.max_metadata_size) + " bytes");
}

}  // namespace

namespace {

// Whether `metadata` (8-byte aligned) is a schema message's flatbuffer.
bool legacy_schema_message(const Buffer& metadata, const IpcLimits& limits) {
    flatbuffers::Verifier verifier(metadata.data(), static_cast<size_t>(metadata.size()), verifier_options(limits));
    return fbs::VerifyMessageBuffer(verifier) &&
           fbs::GetMessage(metadata.data())->header_type() == fbs::MessageHeader::Schema;
}

}  // namespace

InputStart input_start(const uint8_t* bytes, int64_t size, const IpcLimits& limits) {
    if (size >= 6 && std::memcmp(bytes, kMagic, 6) == 0) return InputStart::File;
    // The continuation marker (or as much of it as there is) says "stream" whatever follows.
    if (size > 0 && std::all_of(bytes, bytes + std::min<int64_t>(size, 4), [](uint8_t b) { return b == 0xFF; }))
        return InputStart::Stream;
    if (size < 4) return InputStart::Neither;
    // The pre-1.0 prefix is a bare length, which any four bytes can pass for: only a schema
    // message that follows it makes the input a stream (or nothing: an end-of-stream marker).
    const int32_t length = read_i32(bytes);
    if (length == 0) return InputStart::Stream;
    if (length < 0 || length > limits.max_metadata_size || length > size - 4) return InputStart::Neither;
    return legacy_schema_message(Buffer::copy_of(bytes + 4, length), limits) ? InputStart::Stream : InputStart::Neither;
}

Buffer aligned_slice(const Buffer& bytes, int64_t offset, int64_t length) {
    Buffer view = bytes.slice(offset, length);
    if (reinterpret_cast<uintptr_t>(view.data()) % 8 != 0) return Buffer::copy_of(view.data(), length);
    return view;
}

std::optional<RawMessage> read_message(const Buffer& bytes, int64_t pos, const IpcLimits& limits,
                                       const std::string& what) {
    const int64_t size = bytes.size();
    if (pos == 0) check_stream_start(bytes.data(), size, limits);
    if (pos == size) return std::nullopt;
    if (pos < 0 || size - pos < 4) throw truncated(what, "a message prefix", pos, size - pos, 4);
    Prefix prefix{read_i32(bytes.data() + pos), 4};
    if (static_cast<uint32_t>(prefix.metadata_length) == kContinuation) {
        if (size - pos < 8) throw truncated(what, "a message prefix", pos, size - pos, 8);
        prefix = {read_i32(bytes.data() + pos + 4), 8};
    }
    if (prefix.metadata_length == 0) return std::nullopt;
    check_metadata_length(prefix.metadata_length, limits, what);
    const int64_t meta_start = pos + prefix.prefix_size;
    if (prefix.metadata_length > size - meta_start)
        throw truncated(what, "the message metadata", meta_start, size - meta_start, prefix.metadata_length);

    RawMessage out;
    out.offset = pos;
    out.header_length = prefix.prefix_size + prefix.metadata_length;
    out.metadata = aligned_slice(bytes, meta_start, prefix.metadata_length);
    out.message = &verify_message(out.metadata, limits, what);
    out.version = metadata_version_from_fbs(out.message->version(), what);
    const int64_t body_start = pos + out.header_length;
    const int64_t body_length = out.message->bodyLength();
    if (body_length > size - body_start)
        throw truncated(what, "the message body", body_start, size - body_start, body_length);
    out.body = bytes.slice(body_start, body_length);
    return out;
}

namespace {

// Reads up to n bytes; returns how many were read.
int64_t read_some(std::istream& in, uint8_t* dst, int64_t n) {
    in.read(reinterpret_cast<char*>(dst), n);
    return in.gcount();
}

// Exactly `n` bytes, at `offset` of the input, grown in steps so that a false length fails at the
// end of the input rather than by allocating what it claims.
Buffer read_exactly(std::istream& in, int64_t n, const std::string& what, const char* part, int64_t offset) {
    constexpr int64_t kStep = int64_t{1} << 20;
    if (n <= kStep) {
        Buffer out = Buffer::allocate(n);
        const int64_t got = n > 0 ? read_some(in, out.mutable_data(), n) : 0;
        if (got != n) throw truncated(what, part, offset, got, n);
        return out;
    }
    std::vector<uint8_t> bytes;
    int64_t have = 0;
    while (have < n) {
        const int64_t step = std::min(n - have, std::max(kStep, have));
        bytes.resize(static_cast<size_t>(have + step));
        const int64_t got = read_some(in, bytes.data() + have, step);
        have += got;
        if (got != step) throw truncated(what, part, offset, have, n);
    }
    return Buffer::from_vector(std::move(bytes));
}

}  // namespace

std::optional<RawMessage> read_message(std::istream& in, int64_t& pos, const IpcLimits& limits,
                                       const std::string& what) {
    uint8_t head[8];
    const int64_t got = read_some(in, head, 4);
    if (got == 0 && pos > 0) return std::nullopt;  // the input ends between messages
    if (pos == 0 && got < 4) check_stream_start(head, got, limits);
    if (got < 4) throw truncated(what, "a message prefix", pos, got, 4);
    Prefix prefix{read_i32(head), 4};
    if (static_cast<uint32_t>(prefix.metadata_length) == kContinuation) {
        const int64_t more = read_some(in, head + 4, 4);
        if (more != 4) throw truncated(what, "a message prefix", pos, 4 + more, 8);
        prefix = {read_i32(head + 4), 8};
    }
    if (prefix.metadata_length == 0) {
        pos += prefix.prefix_size;
        return std::nullopt;
    }
    // A bare length first (the pre-1.0 prefix) is only believed when a schema message follows:
    // any four bytes pass for one (input_start).
    const bool doubt = pos == 0 && prefix.prefix_size == 4;
    if (doubt && (prefix.metadata_length < 0 || prefix.metadata_length > limits.max_metadata_size))
        throw FormatError(kNotArrow);
    check_metadata_length(prefix.metadata_length, limits, what);
    RawMessage out;
    out.offset = pos;
    out.header_length = prefix.prefix_size + prefix.metadata_length;
    try {
        out.metadata = read_exactly(in, prefix.metadata_length, what, "the message metadata", pos + prefix.prefix_size);
    } catch (const FormatError&) {
        if (doubt) throw FormatError(kNotArrow);
        throw;
    }
    if (doubt && !legacy_schema_message(out.metadata, limits)) throw FormatError(kNotArrow);
    out.message = &verify_message(out.metadata, limits, what);
    out.version = metadata_version_from_fbs(out.message->version(), what);
    out.body = read_exactly(in, out.message->bodyLength(), what, "the message body", pos + out.header_length);
    pos += out.header_length + out.body.size();
    return out;
}

const fbs::Footer& verify_footer(const Buffer& bytes, int64_t offset, int64_t length, const IpcLimits& limits,
                                 Buffer& holder) {
    if (length > limits.max_metadata_size)
        throw FormatError("footer length " + std::to_string(length) + " exceeds the limit of " +
                          std::to_string(limits.max_metadata_size) + " bytes");
    holder = aligned_slice(bytes, offset, length);
    flatbuffers::Verifier verifier(holder.data(), static_cast<size_t>(length), verifier_options(limits));
    if (!fbs::VerifyFooterBuffer(verifier)) throw FormatError("the file footer is not a valid flatbuffer");
    return *fbs::GetFooter(holder.data());
}

std::vector<uint8_t> frame_metadata(std::span<const uint8_t> flatbuffer, int64_t position, int32_t alignment) {
    const auto round_up = [](int64_t v, int64_t a) { return (v + a - 1) / a * a; };
    const int64_t meta_start = position + 8;
    // Padded to a multiple of 8 at least, and so far that the body lands on `alignment`.
    int64_t padded_end =
        round_up(meta_start + static_cast<int64_t>(flatbuffer.size()), std::max<int64_t>(alignment, 8));
    int64_t metadata_length = padded_end - meta_start;
    if (metadata_length % 8 != 0) metadata_length = round_up(metadata_length, 8);  // position not 8-aligned
    if (metadata_length > std::numeric_limits<int32_t>::max()) throw InvalidArgument("message metadata too large");
    std::vector<uint8_t> out(static_cast<size_t>(8 + metadata_length), 0);
    const uint32_t marker = kContinuation;
    const auto len32 = static_cast<int32_t>(metadata_length);
    std::memcpy(out.data(), &marker, 4);
    std::memcpy(out.data() + 4, &len32, 4);
    std::memcpy(out.data() + 8, flatbuffer.data(), flatbuffer.size());
    return out;
}

}  // namespace legolasflux::arrow::detail
