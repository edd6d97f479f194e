// An independent, test-only decoder of Arrow IPC framing and of the message fields the byte-level
// tests check (Schema.fbs / Message.fbs / File.fbs semantics, table slots numbered from 0 in
// declaration order, a union taking two slots: its type, then its value). It throws ParseFailure on
// anything it does not understand; it is meant for well-formed files under test, not for fuzzing.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "support/flatbuf.hpp"

namespace lftest {

using RawMetadata = std::vector<std::pair<std::string, std::string>>;

// Message.fbs MessageHeader union.
enum : uint8_t { kHeaderSchema = 1, kHeaderDictionaryBatch = 2, kHeaderRecordBatch = 3 };
// Schema.fbs Type union (the members these tests meet).
enum : uint8_t {
    kTypeNull = 1,
    kTypeInt = 2,
    kTypeFloatingPoint = 3,
    kTypeBinary = 4,
    kTypeUtf8 = 5,
    kTypeBool = 6,
    kTypeList = 12,
    kTypeStruct = 13,
    kTypeLargeList = 21
};
constexpr int16_t kMetadataV4 = 3;
constexpr int16_t kMetadataV5 = 4;

struct RawField {
    std::string name;
    bool name_present = false;
    bool nullable = false;
    uint8_t type_type = 0;
    std::string type_params;  // e.g. "bitWidth=64 signed=1", "precision=1"; empty for parameterless types
    bool has_dictionary = false;
    bool children_present = false;  // Julia always writes the (possibly empty) children vector
    std::vector<RawField> children;
    bool metadata_present = false;
    RawMetadata metadata;
    bool operator==(const RawField&) const = default;
};

struct RawSchema {
    int16_t endianness = 0;
    std::vector<RawField> fields;
    bool metadata_present = false;
    RawMetadata metadata;
    bool features_present = false;
    bool operator==(const RawSchema&) const = default;
};

struct RawNode {
    int64_t length = 0, null_count = 0;
    bool operator==(const RawNode&) const = default;
};
struct RawBuffer {
    int64_t offset = 0, length = 0;
    bool operator==(const RawBuffer&) const = default;
};

struct RawRecordBatch {
    int64_t length = 0;
    std::vector<RawNode> nodes;
    std::vector<RawBuffer> buffers;
    bool compression_present = false;
};

struct RawBlock {
    int64_t offset = 0;
    int32_t metadata_length = 0;
    int64_t body_length = 0;
};

struct RawMessage {
    int16_t version = 0;
    uint8_t header_type = 0;
    int64_t body_length = 0;
    bool custom_metadata_present = false;
    RawSchema schema;           // header_type == Schema
    RawRecordBatch batch;       // header_type == RecordBatch
    int64_t dictionary_id = 0;  // header_type == DictionaryBatch
};

// One encapsulated message: FF FF FF FF, int32 metadata length, metadata, body.
struct FramedMessage {
    uint64_t marker_offset = 0;  // position of FF FF FF FF
    int32_t metadata_length = 0;
    uint64_t body_offset = 0;
    RawMessage message;
};

struct RawFooter {
    int16_t version = 0;
    RawSchema schema;
    std::vector<RawBlock> dictionaries;
    std::vector<RawBlock> record_batches;
    bool custom_metadata_present = false;
};

struct FileWalk {
    std::vector<FramedMessage> messages;
    std::vector<uint64_t> eos_offsets;  // zero-length messages met before the footer
    uint64_t footer_offset = 0;
    int32_t footer_length = 0;
    RawFooter footer;
};

struct StreamWalk {
    std::vector<FramedMessage> messages;
    bool ended_with_eos = false;
    uint64_t end = 0;  // first byte after the EOS marker
};

inline RawMetadata decode_metadata(const FbTable& t, int slot, bool& present) {
    RawMetadata out;
    present = t.has(slot);
    for (const FbTable& kv : t.tables(slot)) out.emplace_back(kv.string(0).value_or(""), kv.string(1).value_or(""));
    return out;
}

inline std::string decode_type_params(uint8_t type_type, const std::optional<FbTable>& type) {
    if (!type) return "absent";
    switch (type_type) {
        case kTypeInt:
            return "bitWidth=" + std::to_string(type->scalar<int32_t>(0, 0)) +
                   " signed=" + std::to_string(type->scalar<uint8_t>(1, 0));
        case kTypeFloatingPoint: return "precision=" + std::to_string(type->scalar<int16_t>(0, 0));
        default: return "";
    }
}

inline RawField decode_field(const FbTable& f, int depth = 0) {
    if (depth > 32) throw ParseFailure("field nesting too deep");
    RawField out;
    const auto name = f.string(0);
    out.name_present = name.has_value();
    out.name = name.value_or("");
    out.nullable = f.scalar<uint8_t>(1, 0) != 0;
    out.type_type = f.scalar<uint8_t>(2, 0);
    out.type_params = decode_type_params(out.type_type, f.table(3));
    out.has_dictionary = f.has(4);
    out.children_present = f.has(5);
    for (const FbTable& c : f.tables(5)) out.children.push_back(decode_field(c, depth + 1));
    out.metadata = decode_metadata(f, 6, out.metadata_present);
    return out;
}

inline RawSchema decode_schema(const FbTable& s) {
    RawSchema out;
    out.endianness = s.scalar<int16_t>(0, 0);
    for (const FbTable& f : s.tables(1)) out.fields.push_back(decode_field(f));
    out.metadata = decode_metadata(s, 2, out.metadata_present);
    out.features_present = s.has(3);
    return out;
}

inline RawRecordBatch decode_record_batch(const FbTable& rb) {
    RawRecordBatch out;
    const auto buf = rb.buffer();
    out.length = rb.scalar<int64_t>(0, 0);
    for (uint64_t p : rb.structs(1, 16)) out.nodes.push_back({load_le<int64_t>(buf, p), load_le<int64_t>(buf, p + 8)});
    for (uint64_t p : rb.structs(2, 16))
        out.buffers.push_back({load_le<int64_t>(buf, p), load_le<int64_t>(buf, p + 8)});
    out.compression_present = rb.has(3);
    return out;
}

inline RawMessage decode_message(std::span<const uint8_t> metadata) {
    const FbTable m = FbTable::root(metadata);
    RawMessage out;
    out.version = m.scalar<int16_t>(0, 0);
    out.header_type = m.scalar<uint8_t>(1, 0);
    out.body_length = m.scalar<int64_t>(3, 0);
    out.custom_metadata_present = m.has(4);
    const auto header = m.table(2);
    if (!header) throw ParseFailure("message without header");
    if (out.header_type == kHeaderSchema) out.schema = decode_schema(*header);
    if (out.header_type == kHeaderRecordBatch) out.batch = decode_record_batch(*header);
    if (out.header_type == kHeaderDictionaryBatch) {
        out.dictionary_id = header->scalar<int64_t>(0, 0);
        if (const auto data = header->table(1)) out.batch = decode_record_batch(*data);
    }
    return out;
}

inline std::vector<RawBlock> decode_blocks(const FbTable& footer, int slot) {
    std::vector<RawBlock> out;
    const auto buf = footer.buffer();
    for (uint64_t p : footer.structs(slot, 24))  // Block: int64 offset, int32 metaDataLength, pad, int64 bodyLength
        out.push_back({load_le<int64_t>(buf, p), load_le<int32_t>(buf, p + 8), load_le<int64_t>(buf, p + 16)});
    return out;
}

// Reads one framed message at `pos`; returns false (and leaves `out` alone) at an EOS marker.
inline bool read_framed(std::span<const uint8_t> bytes, uint64_t pos, FramedMessage& out) {
    const uint32_t marker = load_le<uint32_t>(bytes, pos, "continuation marker");
    if (marker != 0xFFFFFFFFu)
        throw ParseFailure("no FF FF FF FF continuation marker at offset " + std::to_string(pos));
    const int32_t len = load_le<int32_t>(bytes, pos + 4, "metadata length");
    if (len == 0) return false;
    if (len < 0) throw ParseFailure("negative metadata length at offset " + std::to_string(pos));
    need(bytes, pos + 8, static_cast<uint64_t>(len), "message metadata");
    out.marker_offset = pos;
    out.metadata_length = len;
    out.message = decode_message(bytes.subspan(pos + 8, static_cast<size_t>(len)));
    out.body_offset = pos + 8 + static_cast<uint64_t>(len);
    if (out.message.body_length < 0) throw ParseFailure("negative body length");
    need(bytes, out.body_offset, static_cast<uint64_t>(out.message.body_length), "message body");
    return true;
}

inline FileWalk walk_file(std::span<const uint8_t> bytes) {
    static const uint8_t magic[6] = {'A', 'R', 'R', 'O', 'W', '1'};
    if (bytes.size() < 18 || std::memcmp(bytes.data(), magic, 6) != 0 ||
        std::memcmp(bytes.data() + bytes.size() - 6, magic, 6) != 0)
        throw ParseFailure("not an Arrow file (magic)");
    FileWalk walk;
    walk.footer_length = load_le<int32_t>(bytes, bytes.size() - 10, "footer length");
    if (walk.footer_length <= 0 || static_cast<uint64_t>(walk.footer_length) > bytes.size() - 18)
        throw ParseFailure("bad footer length");
    walk.footer_offset = bytes.size() - 10 - static_cast<uint64_t>(walk.footer_length);
    uint64_t pos = 8;
    while (pos < walk.footer_offset) {
        FramedMessage m;
        if (!read_framed(bytes, pos, m)) {
            walk.eos_offsets.push_back(pos);
            pos += 8;
            continue;
        }
        pos = m.body_offset + static_cast<uint64_t>(m.message.body_length);
        walk.messages.push_back(std::move(m));
    }
    if (pos != walk.footer_offset)
        throw ParseFailure("messages end at " + std::to_string(pos) + ", footer starts at " +
                           std::to_string(walk.footer_offset));
    const FbTable f = FbTable::root(bytes.subspan(walk.footer_offset, static_cast<size_t>(walk.footer_length)));
    walk.footer.version = f.scalar<int16_t>(0, 0);
    if (const auto s = f.table(1)) walk.footer.schema = decode_schema(*s);
    walk.footer.dictionaries = decode_blocks(f, 2);
    walk.footer.record_batches = decode_blocks(f, 3);
    walk.footer.custom_metadata_present = f.has(4);
    return walk;
}

inline StreamWalk walk_stream(std::span<const uint8_t> bytes) {
    StreamWalk walk;
    uint64_t pos = 0;
    while (pos < bytes.size()) {
        FramedMessage m;
        if (!read_framed(bytes, pos, m)) {
            walk.ended_with_eos = true;
            walk.end = pos + 8;
            return walk;
        }
        pos = m.body_offset + static_cast<uint64_t>(m.message.body_length);
        walk.messages.push_back(std::move(m));
    }
    walk.end = pos;
    return walk;
}

// The stream-format equivalent of an Arrow file: its messages without magic and footer, followed
// by the end-of-stream marker.
inline Bytes file_to_stream(const Bytes& file) {
    const FileWalk walk = walk_file(file);
    Bytes out(file.begin() + 8, file.begin() + static_cast<std::ptrdiff_t>(walk.footer_offset));
    for (uint8_t b : {0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x00}) out.push_back(b);
    return out;
}

}  // namespace lftest
