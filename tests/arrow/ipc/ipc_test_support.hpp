// Hand-made IPC messages for the reader tests. Built with the FlatBuffers builder directly (table
// slots numbered from 0 in declaration order, as in Schema.fbs/Message.fbs), not with the
// library's generated code, so the tests can produce messages our writer never would.
#pragma once

#include <flatbuffers/flatbuffers.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "legolasflux/arrow/ipc.hpp"

namespace ipctest {

using Bytes = std::vector<uint8_t>;

// FieldNode {length, null_count} and Buffer {offset, length} share this shape.
struct Pair {
    int64_t a = 0, b = 0;
};

constexpr flatbuffers::voffset_t slot(int i) { return static_cast<flatbuffers::voffset_t>(4 + 2 * i); }

constexpr int16_t kV1 = 0, kV3 = 2, kV4 = 3, kV5 = 4;

inline void append(Bytes& out, const Bytes& more) { out.insert(out.end(), more.begin(), more.end()); }

template <class T>
void append_value(Bytes& out, T v) {
    const size_t at = out.size();
    out.resize(at + sizeof(T));
    std::memcpy(out.data() + at, &v, sizeof(T));
}

// FF FF FF FF, padded metadata length, metadata, body padded to 8.
inline Bytes frame(const flatbuffers::FlatBufferBuilder& fbb, Bytes body) {
    Bytes out;
    const auto size = static_cast<int32_t>(fbb.GetSize());
    const int32_t padded = (size + 7) / 8 * 8;
    append_value<uint32_t>(out, 0xFFFFFFFFu);
    append_value<int32_t>(out, padded);
    out.insert(out.end(), fbb.GetBufferPointer(), fbb.GetBufferPointer() + size);
    out.resize(out.size() + static_cast<size_t>(padded - size), 0);
    body.resize((body.size() + 7) / 8 * 8, 0);
    append(out, body);
    return out;
}

struct BatchSpec {
    int64_t length = 0;
    std::vector<Pair> nodes;
    std::vector<Pair> buffers;
    int codec = -1;  // -1: no compression member
    std::vector<int64_t> variadic;
    int16_t version = kV5;
    int64_t body_length = -1;  // -1: the body's padded size
};

inline flatbuffers::Offset<void> record_batch_table(flatbuffers::FlatBufferBuilder& b, const BatchSpec& s) {
    const auto nodes = b.CreateVectorOfStructs(s.nodes.data(), s.nodes.size());
    const auto buffers = b.CreateVectorOfStructs(s.buffers.data(), s.buffers.size());
    flatbuffers::Offset<void> compression;
    if (s.codec >= 0) {
        const auto start = b.StartTable();
        b.AddElement<int8_t>(slot(0), static_cast<int8_t>(s.codec), -1);
        b.AddElement<int8_t>(slot(1), 0, -1);
        compression = flatbuffers::Offset<void>(b.EndTable(start));
    }
    flatbuffers::Offset<flatbuffers::Vector<int64_t>> variadic;
    if (!s.variadic.empty()) variadic = b.CreateVector(s.variadic);
    const auto start = b.StartTable();
    b.AddElement<int64_t>(slot(0), s.length, -1);
    b.AddOffset(slot(1), nodes);
    b.AddOffset(slot(2), buffers);
    if (s.codec >= 0) b.AddOffset(slot(3), compression);
    if (!s.variadic.empty()) b.AddOffset(slot(4), variadic);
    return flatbuffers::Offset<void>(b.EndTable(start));
}

inline Bytes message(flatbuffers::FlatBufferBuilder& b, int16_t version, uint8_t header_type,
                     flatbuffers::Offset<void> header, const Bytes& body, int64_t body_length) {
    const int64_t padded = static_cast<int64_t>((body.size() + 7) / 8 * 8);
    const auto start = b.StartTable();
    b.AddElement<int16_t>(slot(0), version, -1);
    b.AddElement<uint8_t>(slot(1), header_type, 0);
    b.AddOffset(slot(2), header);
    b.AddElement<int64_t>(slot(3), body_length >= 0 ? body_length : padded, -1);
    b.Finish(flatbuffers::Offset<void>(b.EndTable(start)));
    return frame(b, body);
}

inline Bytes record_batch_message(const BatchSpec& s, const Bytes& body) {
    flatbuffers::FlatBufferBuilder b;
    const auto rb = record_batch_table(b, s);
    return message(b, s.version, 3, rb, body, s.body_length);
}

inline Bytes dictionary_batch_message(int64_t id, bool delta, const BatchSpec& s, const Bytes& body) {
    flatbuffers::FlatBufferBuilder b;
    const auto rb = record_batch_table(b, s);
    const auto start = b.StartTable();
    b.AddElement<int64_t>(slot(0), id, -1);
    b.AddOffset(slot(1), rb);
    b.AddElement<uint8_t>(slot(2), delta ? 1 : 0, 2);
    return message(b, s.version, 2, flatbuffers::Offset<void>(b.EndTable(start)), body, s.body_length);
}

// A schema message with one field "x" whose Type union member is `type_tag` (an empty type
// table), and the given features.
inline Bytes raw_schema_message(uint8_t type_tag, const std::vector<int64_t>& features = {}, int16_t version = kV5) {
    flatbuffers::FlatBufferBuilder b;
    const auto name = b.CreateString("x");
    const auto type = flatbuffers::Offset<void>(b.EndTable(b.StartTable()));
    const auto children = b.CreateVector(std::vector<flatbuffers::Offset<void>>{});
    auto start = b.StartTable();
    b.AddOffset(slot(0), name);
    b.AddElement<uint8_t>(slot(1), 1, 2);
    b.AddElement<uint8_t>(slot(2), type_tag, 0);
    b.AddOffset(slot(3), type);
    b.AddOffset(slot(5), children);
    const auto field = flatbuffers::Offset<void>(b.EndTable(start));
    const auto fields = b.CreateVector(std::vector<flatbuffers::Offset<void>>{field});
    flatbuffers::Offset<flatbuffers::Vector<int64_t>> feats;
    if (!features.empty()) feats = b.CreateVector(features);
    start = b.StartTable();
    b.AddOffset(slot(1), fields);
    if (!features.empty()) b.AddOffset(slot(3), feats);
    const auto schema = flatbuffers::Offset<void>(b.EndTable(start));
    return message(b, version, 1, schema, {}, 0);
}

// A Schema table with one nullable field "x" of type int64 (Int{bitWidth 64, is_signed}).
inline flatbuffers::Offset<void> int64_schema_table(flatbuffers::FlatBufferBuilder& b) {
    const auto name = b.CreateString("x");
    auto start = b.StartTable();
    b.AddElement<int32_t>(slot(0), 64, 0);
    b.AddElement<uint8_t>(slot(1), 1, 0);
    const auto type = flatbuffers::Offset<void>(b.EndTable(start));
    const auto children = b.CreateVector(std::vector<flatbuffers::Offset<void>>{});
    start = b.StartTable();
    b.AddOffset(slot(0), name);
    b.AddElement<uint8_t>(slot(1), 1, 0);
    b.AddElement<uint8_t>(slot(2), 2 /* Int */, 0);
    b.AddOffset(slot(3), type);
    b.AddOffset(slot(5), children);
    const auto field = flatbuffers::Offset<void>(b.EndTable(start));
    const auto fields = b.CreateVector(std::vector<flatbuffers::Offset<void>>{field});
    start = b.StartTable();
    b.AddOffset(slot(1), fields);
    return flatbuffers::Offset<void>(b.EndTable(start));
}

inline Bytes int64_schema_message(int16_t version) {
    flatbuffers::FlatBufferBuilder b;
    const auto schema = int64_schema_table(b);
    return message(b, version, 1, schema, {}, 0);
}

// File.fbs' Block: int64 offset, int32 metaDataLength (prefix and padded metadata), 4 bytes of
// padding, int64 bodyLength.
struct Block {
    int64_t offset = 0;
    int32_t metadata_length = 0;
    int32_t padding = 0;
    int64_t body_length = 0;
};
static_assert(sizeof(Block) == 24);

// An IPC file of framed `messages` (the first the int64 schema message above, the rest record
// batches) whose footer records `footer_version`: "ARROW1" and 2 bytes of padding, the messages,
// the Footer flatbuffer (slots: 0 version, default V1 = 0, so V1 is an absent field; 1 schema;
// 3 recordBatches; no dictionaries), its int32 length and "ARROW1".
inline Bytes int64_file(int16_t footer_version, const std::vector<Bytes>& messages) {
    Bytes out = {'A', 'R', 'R', 'O', 'W', '1', 0, 0};
    std::vector<Block> batches;
    for (size_t i = 0; i < messages.size(); ++i) {
        const Bytes& m = messages[i];
        int32_t metadata_length = 0;
        std::memcpy(&metadata_length, m.data() + 4, 4);
        if (i > 0)
            batches.push_back({static_cast<int64_t>(out.size()), 8 + metadata_length, 0,
                               static_cast<int64_t>(m.size()) - 8 - metadata_length});
        append(out, m);
    }
    flatbuffers::FlatBufferBuilder b;
    const auto schema = int64_schema_table(b);
    const auto blocks = b.CreateVectorOfStructs(batches.data(), batches.size());
    const auto start = b.StartTable();
    b.AddElement<int16_t>(slot(0), footer_version, 0);
    b.AddOffset(slot(1), schema);
    b.AddOffset(slot(3), blocks);
    b.Finish(flatbuffers::Offset<void>(b.EndTable(start)));
    out.insert(out.end(), b.GetBufferPointer(), b.GetBufferPointer() + b.GetSize());
    append_value<int32_t>(out, static_cast<int32_t>(b.GetSize()));
    append(out, {'A', 'R', 'R', 'O', 'W', '1'});
    return out;
}

// The schema message our writer makes for `schema` (the stream minus its end-of-stream marker).
inline Bytes schema_message(const legolasflux::arrow::Schema& schema,
                            legolasflux::arrow::MetadataVersion version = legolasflux::arrow::MetadataVersion::V5) {
    legolasflux::arrow::Table t;
    t.schema = std::make_shared<const legolasflux::arrow::Schema>(schema);
    legolasflux::arrow::WriteOptions o;
    o.metadata_version = version;
    Bytes s = legolasflux::arrow::write_stream(t, o);
    s.resize(s.size() - 8);
    return s;
}

inline Bytes eos() { return {0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0}; }

inline Bytes concat(std::initializer_list<Bytes> parts) {
    Bytes out;
    for (const Bytes& p : parts) append(out, p);
    return out;
}

// Position of the first occurrence of `needle` in `hay` at or after `from`, or npos.
inline size_t find(const Bytes& hay, const Bytes& needle, size_t from = 0) {
    if (needle.empty() || hay.size() < needle.size()) return std::string::npos;
    for (size_t i = from; i + needle.size() <= hay.size(); ++i)
        if (std::memcmp(hay.data() + i, needle.data(), needle.size()) == 0) return i;
    return std::string::npos;
}

}  // namespace ipctest
