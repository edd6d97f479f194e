#include "ipc_writer.hpp"

#include <sys/mman.h>

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

// A body ready to write: the Buffer entries of the metadata and, for each, the bytes behind it
// (one piece, or the parts of a gathered buffer, in order).
struct Body {
    std::vector<fbs::Buffer> entries;
    std::vector<std::vector<Buffer>> pieces;
    int64_t length = 0;
};

// The bytes `b` stands for: itself, or the slices of a gathered buffer's parts that it covers.
std::vector<Buffer> resolve(const Buffer& b, std::span<const Gathered> gathered) {
    for (const Gathered& g : gathered) {
        const uint8_t* base = g.stand_in.data();
        if (b.empty() || !base || b.data() < base || b.data() >= base + g.stand_in.size()) continue;
        if (b.size() > g.stand_in.size() - (b.data() - base))
            throw InvalidArgument("a buffer overruns the gathered buffer it starts in");
        std::vector<Buffer> out;
        int64_t skip = b.data() - base, want = b.size();
        for (const Buffer& part : g.parts) {
            if (want == 0) break;
            if (skip >= part.size()) {
                skip -= part.size();
                continue;
            }
            const int64_t take = std::min(want, part.size() - skip);
            out.push_back(part.slice(skip, take));
            skip = 0;
            want -= take;
        }
        return out;
    }
    return {b};
}

class Writer {
public:
    Writer(Sink& sink, const WriteOptions& options, bool file_format, std::span<const Gathered> gathered,
           CompressionCache* cache)
        : sink_(sink), options_(options), file_format_(file_format), gathered_(gathered), cache_(cache) {
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
    Sink& sink_;
    const WriteOptions& options_;
    bool file_format_;
    std::span<const Gathered> gathered_;
    CompressionCache* cache_;
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
            std::vector<Buffer> parts = resolve(b, gathered_);
            int64_t size = b.size();
            if (options_.compression != Compression::None && !b.empty()) {
                parts = compressed(b, std::move(parts));
                size = 0;
                for (const Buffer& p : parts) size += p.size();
            }
            body.entries.emplace_back(body.length, size);
            body.length += round_up(size, options_.alignment);
            body.pieces.push_back(std::move(parts));
        }
        return body;
    }

    // The 8-byte length prefix and the frame (or the bytes as they are, when that is not smaller),
    // as pieces to write one after the other.
    std::vector<Buffer> compressed(const Buffer& b, std::vector<Buffer> parts) const {
        if (cache_) {
            const auto it = cache_->entries.find({b.data(), b.size()});
            if (it != cache_->entries.end()) return it->second.second;
        }
        const int64_t size = b.size();
        std::vector<Buffer> frame =
            compress(options_.compression, parts, size, options_.compression_level, options_.compression_threads);
        int64_t frame_size = 0;
        for (const Buffer& p : frame) frame_size += p.size();
        const bool worth_it = frame_size < size;
        const int64_t prefix = worth_it ? size : -1;  // -1: stored as is
        std::vector<Buffer> pieces{Buffer::copy_of(&prefix, 8)};
        for (Buffer& p : worth_it ? frame : parts) pieces.push_back(std::move(p));
        if (cache_) cache_->entries.emplace(std::make_pair(b.data(), b.size()), std::make_pair(b, pieces));
        return pieces;
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

Gathered gather(std::vector<Buffer> parts) {
    int64_t size = 0;
    for (const Buffer& p : parts) size += p.size();
    Gathered g;
    g.parts = std::move(parts);
    if (size == 0) return g;
    void* addr =
        ::mmap(nullptr, static_cast<size_t>(size), PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (addr == MAP_FAILED) throw std::bad_alloc();
    const auto length = static_cast<size_t>(size);
    std::shared_ptr<const void> owner(addr, [length](const void* p) { ::munmap(const_cast<void*>(p), length); });
    g.stand_in = Buffer(std::move(owner), static_cast<const uint8_t*>(addr), size);
    return g;
}

void write_gathered(ByteSink& sink, const Table& table, const WriteOptions& options, bool file_format,
                    std::span<const Gathered> gathered, CompressionCache* cache) {
    detail::write_ipc(sink, table, options, file_format, gathered, cache);
}

}  // namespace legolasflux::arrow

namespace legolasflux::arrow::detail {

void write_ipc(Sink& sink, const Table& table, const WriteOptions& options, bool file_format,
               std::span<const Gathered> gathered, CompressionCache* cache) {
    Writer(sink, options, file_format, gathered, cache).write(table);
}

}  // namespace legolasflux::arrow::detail
