#include "ipc_writer.hpp"

#include <cstring>
#include <map>
#include <set>
#include <sstream>

#include "compression.hpp"
#include "ipc_message.hpp"
#include "ipc_metadata.hpp"
#include "ipc_write_batch.hpp"
#include "legolasflux/arrow/compare.hpp"
#include "legolasflux/arrow/validate.hpp"
#include "legolasflux/errors.hpp"

namespace legolasflux::arrow::detail {

namespace {

int64_t round_up(int64_t v, int64_t a) { return (v + a - 1) / a * a; }

// A body ready to write: the Buffer entries of the metadata and, for each, the pieces of its bytes.
struct Body {
    std::vector<fbs::Buffer> entries;
    std::vector<BodyPieces> pieces;
    int64_t length = 0;
};

class Writer {
public:
    Writer(OutputStream& sink, const WriteOptions& options, bool file_format, BodyEncoder* encoder)
        : sink_(sink), options_(options), file_format_(file_format), encoder_(encoder) {
        if (options.alignment != 8 && options.alignment != 16 && options.alignment != 32 && options.alignment != 64)
            throw InvalidArgument("IPC alignment must be 8, 16, 32 or 64, not " + std::to_string(options.alignment));
        if (options.metadata_version != MetadataVersion::V4 && options.metadata_version != MetadataVersion::V5)
            throw InvalidArgument("only metadata versions V4 and V5 can be written");
        if (options.compression != Compression::None && options.compression != Compression::Lz4Frame &&
            options.compression != Compression::Zstd)
            throw InvalidArgument("unknown compression " + std::to_string(static_cast<int>(options.compression)));
    }

    void write(const Table& table) {
        if (!table.schema) throw InvalidArgument("the table has no schema");
        const Schema& schema = *table.schema;
        collect_dictionary_fields(schema.fields);
        if (file_format_) {
            static constexpr uint8_t head[8] = {'A', 'R', 'R', 'O', 'W', '1', 0, 0};
            put(head);
        }
        write_schema(schema);
        for (size_t i = 0; i < table.batches.size(); ++i) {
            const RecordBatch& batch = table.batches[i];
            try {
                check(batch, table.schema);
                std::set<int64_t> seen;
                for (size_t c = 0; c < schema.fields.size() && c < batch.columns.size(); ++c)
                    if (batch.columns[c])
                        dictionaries_of(schema.fields[c], *batch.columns[c], schema.fields[c].name, seen);
                const EncodedBatch encoded =
                    encode_batch(schema.fields, batch.columns, batch.length, options_.metadata_version);
                batch_blocks_.push_back(write_batch_message(encoded, nullptr));
            } catch (const InvalidArgument& e) {
                throw InvalidArgument("record batch " + std::to_string(i) + ": " + e.what());
            }
        }
        if (file_format_) {
            write_footer(schema);
        } else {
            static constexpr uint8_t eos[8] = {0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0};
            put(eos);
        }
    }

private:
    OutputStream& sink_;
    const WriteOptions& options_;
    bool file_format_;
    BodyEncoder* encoder_;
    int64_t position_ = 0;
    std::vector<fbs::Block> dictionary_blocks_, batch_blocks_;
    std::map<int64_t, Field> dictionary_fields_;  // id → the values' field
    std::map<int64_t, ArrayPtr> written_;         // id → the dictionary as readers now know it

    // The writer trusts the offsets it rewrites and the ranges it copies: invalid arrays would
    // make it read out of bounds, so they are refused first.
    static void check(const RecordBatch& batch, const std::shared_ptr<const Schema>& schema) {
        RecordBatch with_schema = batch;
        with_schema.schema = schema;
        try {
            validate(with_schema, ValidationLevel::Full);
        } catch (const FormatError& e) {
            throw InvalidArgument(std::string("invalid input: ") + e.what());
        } catch (const SchemaError& e) {
            throw InvalidArgument(std::string("invalid input: ") + e.what());
        }
    }

    fbs::MetadataVersion version() const {
        return static_cast<fbs::MetadataVersion>(static_cast<int16_t>(options_.metadata_version));
    }

    void put(std::span<const uint8_t> bytes) {
        if (bytes.empty()) return;
        sink_.write(bytes);
        position_ += static_cast<int64_t>(bytes.size());
    }

    void put_zeros(int64_t n) {
        static constexpr uint8_t zeros[64] = {};
        while (n > 0) {
            const int64_t k = std::min<int64_t>(n, sizeof zeros);
            put({zeros, static_cast<size_t>(k)});
            n -= k;
        }
    }

    void collect_dictionary_fields(const std::vector<Field>& fields) {
        for (const Field& f : fields) {
            if (f.dictionary) {
                Field values = f;
                values.dictionary.reset();
                const auto [it, added] = dictionary_fields_.emplace(f.dictionary->id, values);
                if (!added && !(it->second.type == values.type))
                    throw InvalidArgument("dictionary id " + std::to_string(f.dictionary->id) +
                                          " is shared by fields of different value types");
            }
            collect_dictionary_fields(f.type.children);
        }
    }

    // Emits, before the batch that needs them, the dictionaries (and nested dictionaries) of `a`.
    void dictionaries_of(const Field& f, const Array& a, const std::string& path, std::set<int64_t>& seen) {
        if (f.dictionary) {
            if (!a.dictionary) throw InvalidArgument("dictionary-encoded field " + path + " has no dictionary");
            const Field& values = dictionary_fields_.at(f.dictionary->id);
            for (size_t i = 0; i < values.type.children.size() && i < a.dictionary->children.size(); ++i)
                dictionaries_of(values.type.children[i], *a.dictionary->children[i],
                                join_path(path, values.type.children[i].name), seen);
            emit_dictionary(f.dictionary->id, a.dictionary, path, seen);
            return;
        }
        for (size_t i = 0; i < f.type.children.size() && i < a.children.size(); ++i)
            if (a.children[i])
                dictionaries_of(f.type.children[i], *a.children[i], join_path(path, f.type.children[i].name), seen);
    }

    void emit_dictionary(int64_t id, const ArrayPtr& dict, const std::string& path, std::set<int64_t>& seen) {
        const auto it = written_.find(id);
        const bool first_in_batch = seen.insert(id).second;
        if (it != written_.end()) {
            const ArrayPtr& old = it->second;
            if (old == dict || (old->length == dict->length && array_equals(*old, *dict))) return;
            if (!first_in_batch)
                throw InvalidArgument("fields sharing dictionary id " + std::to_string(id) +
                                      " carry different dictionaries in one batch (field " + path + ")");
            if (dict->length > old->length && array_equals(*slice(dict, 0, old->length), *old)) {
                write_dictionary(id, slice(dict, old->length, dict->length - old->length), true);
                written_[id] = dict;
                return;
            }
            if (file_format_)
                throw InvalidArgument("dictionary id " + std::to_string(id) + " (field " + path +
                                      ") changes between record batches other than by appending values; the file "
                                      "format cannot replace a dictionary");
        }
        write_dictionary(id, dict, false);
        written_[id] = dict;
    }

    void write_dictionary(int64_t id, const ArrayPtr& values, bool delta) {
        const EncodedBatch encoded =
            encode_batch({dictionary_fields_.at(id)}, {values}, values->length, options_.metadata_version);
        const DictInfo d{id, delta};
        dictionary_blocks_.push_back(write_batch_message(encoded, &d));
    }

    Body lay_out(const EncodedBatch& encoded) const {
        Body body;
        body.entries.reserve(encoded.buffers.size());
        body.pieces.reserve(encoded.buffers.size());
        for (const Buffer& b : encoded.buffers) {
            BodyPieces pieces;
            if (!b.empty()) pieces = encoder_ ? encoder_->encode(b, options_) : encode_body_buffer({&b, 1}, options_);
            int64_t size = 0;
            for (const Buffer& p : pieces) size += p.size();
            body.entries.emplace_back(body.length, size);
            body.length += round_up(size, options_.alignment);
            body.pieces.push_back(std::move(pieces));
        }
        return body;
    }

    struct DictInfo {
        int64_t id;
        bool delta;
    };

    // A record batch message, or with `dict` a dictionary batch message.
    fbs::Block write_batch_message(const EncodedBatch& encoded, const DictInfo* dict) {
        const Body body = lay_out(encoded);
        flatbuffers::FlatBufferBuilder fbb;
        std::vector<fbs::FieldNode> nodes;
        nodes.reserve(encoded.nodes.size());
        for (const EncodedNode& n : encoded.nodes) nodes.emplace_back(n.length, n.null_count);
        const auto nodes_vec = fbb.CreateVectorOfStructs(nodes);
        const auto buffers_vec = fbb.CreateVectorOfStructs(body.entries);
        flatbuffers::Offset<fbs::BodyCompression> compression = 0;
        if (options_.compression != Compression::None)
            compression =
                fbs::CreateBodyCompression(fbb,
                                           options_.compression == Compression::Zstd ? fbs::CompressionType::ZSTD
                                                                                     : fbs::CompressionType::LZ4_FRAME,
                                           fbs::BodyCompressionMethod::BUFFER);
        const auto variadic = encoded.variadic_counts.empty() ? 0 : fbb.CreateVector(encoded.variadic_counts);
        const auto batch = fbs::CreateRecordBatch(fbb, encoded.length, nodes_vec, buffers_vec, compression, variadic);
        flatbuffers::Offset<fbs::Message> message;
        if (dict) {
            const auto header = fbs::CreateDictionaryBatch(fbb, dict->id, batch, dict->delta);
            message =
                fbs::CreateMessage(fbb, version(), fbs::MessageHeader::DictionaryBatch, header.Union(), body.length);
        } else {
            message = fbs::CreateMessage(fbb, version(), fbs::MessageHeader::RecordBatch, batch.Union(), body.length);
        }
        fbb.Finish(message);
        return write_message(fbb, body);
    }

    fbs::Block write_message(const flatbuffers::FlatBufferBuilder& fbb, const Body& body) {
        const int64_t start = position_;
        const std::vector<uint8_t> head =
            frame_metadata({fbb.GetBufferPointer(), fbb.GetSize()}, start, options_.alignment);
        put(head);
        for (size_t i = 0; i < body.pieces.size(); ++i) {
            for (const Buffer& part : body.pieces[i]) put(part.span());
            const int64_t size = body.entries[i].length();
            put_zeros(round_up(size, options_.alignment) - size);
        }
        return fbs::Block(start, static_cast<int32_t>(head.size()), body.length);
    }

    void write_schema(const Schema& schema) {
        flatbuffers::FlatBufferBuilder fbb;
        const auto s = schema_to_fbs(fbb, schema);
        fbb.Finish(fbs::CreateMessage(fbb, version(), fbs::MessageHeader::Schema, s.Union(), 0));
        write_message(fbb, Body{});
    }

    void write_footer(const Schema& schema) {
        flatbuffers::FlatBufferBuilder fbb;
        const auto s = schema_to_fbs(fbb, schema);
        const auto dicts = fbb.CreateVectorOfStructs(dictionary_blocks_);
        const auto batches = fbb.CreateVectorOfStructs(batch_blocks_);
        fbb.Finish(fbs::CreateFooter(fbb, version(), s, dicts, batches));
        put({fbb.GetBufferPointer(), fbb.GetSize()});
        const auto length = static_cast<int32_t>(fbb.GetSize());
        uint8_t tail[10];
        std::memcpy(tail, &length, 4);
        std::memcpy(tail + 4, kMagic, 6);
        put(tail);
    }
};

}  // namespace

}  // namespace legolasflux::arrow::detail

namespace legolasflux::arrow {

BodyPieces encode_body_buffer(std::span<const Buffer> pieces, const WriteOptions& options) {
    int64_t size = 0;
    for (const Buffer& p : pieces) size += p.size();
    if (options.compression == Compression::None || size == 0) return {pieces.begin(), pieces.end()};
    std::vector<Buffer> frame =
        detail::compress(options.compression, pieces, size, options.compression_level, options.compression_threads);
    int64_t frame_size = 0;
    for (const Buffer& p : frame) frame_size += p.size();
    const bool worth_it = frame_size < size;
    const int64_t prefix = worth_it ? size : -1;  // -1: stored as is
    BodyPieces out{Buffer::copy_of(&prefix, 8)};
    if (worth_it)
        for (Buffer& p : frame) out.push_back(std::move(p));
    else
        out.insert(out.end(), pieces.begin(), pieces.end());
    return out;
}

void write_file(OutputStream& out, const Table& table, const WriteOptions& options, BodyEncoder* encoder) {
    detail::write_ipc(out, table, options, true, encoder);
}

void write_stream(OutputStream& out, const Table& table, const WriteOptions& options, BodyEncoder* encoder) {
    detail::write_ipc(out, table, options, false, encoder);
}

}  // namespace legolasflux::arrow

namespace legolasflux::arrow::detail {

void write_ipc(OutputStream& out, const Table& table, const WriteOptions& options, bool file_format,
               BodyEncoder* encoder) {
    Writer(out, options, file_format, encoder).write(table);
}

}  // namespace legolasflux::arrow::detail
