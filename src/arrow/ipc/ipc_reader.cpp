// Arrow layer: the IPC readers (file and stream) on top of message framing and batch loading.
//
// Validation levels. Nothing from the input is trusted until it has passed, in this order:
//   1. Framing: magic numbers, metadata and body lengths, footer and Block positions lie inside
//      the input and agree with the messages they point at (ipc_message.cpp, read_file below).
//   2. FlatBuffers verification of every flatbuffer (message metadata, footer) with depth and
//      table limits derived from IpcLimits, before any accessor is called.
//   3. Metadata semantics: known metadata version (V4/V5) of every message, type members, features, codecs; type
//      parameters and child counts; nesting depth and field count (ipc_metadata.cpp).
//   4. Body structure: node and buffer counts match what the schema's types consume, every
//      buffer lies inside the body, compressed buffers expand to exactly their declared size
//      (ipc_read_batch.cpp). Misaligned buffers are copied; the rest stay views of the input.
//   5. Array validation (validate.hpp) at ReadOptions::validation: Minimal — buffer sizes suffice
//      for length and offset, children lengths, null counts; Full (the default) also
//      checks every value that addresses memory: offsets, union ids, dictionary indices, run
//      ends, views.
// Only after level 5 does an array leave this file. Errors name the message (and record batch or
// dictionary id) and the field path.
#include <istream>
#include <map>
#include <set>

#include "common/error_context.hpp"
#include "ipc_concat.hpp"
#include "ipc_message.hpp"
#include "ipc_metadata.hpp"
#include "ipc_read_batch.hpp"
#include "legolasflux/arrow/ipc.hpp"
#include "legolasflux/arrow/validate.hpp"
#include "legolasflux/errors.hpp"

namespace legolasflux::arrow {

namespace {

using common::with_context;
using detail::RawMessage;

std::string message_name(int64_t index, int64_t offset) {
    return "message " + std::to_string(index) + " at offset " + std::to_string(offset);
}

// Reading state shared by the file and stream readers: schema, dictionaries, batches so far.
class TableReader {
public:
    TableReader(const ReadOptions& options, bool file_format) : options_(options), file_format_(file_format) {}

    bool has_schema() const { return schema_ != nullptr; }

    void set_schema(Schema schema) {
        schema_ = std::make_shared<const Schema>(std::move(schema));
        for (const Field& f : schema_->fields) collect_dictionaries(f, f.name);
    }

    // A message after the schema: a dictionary batch or a record batch.
    // `name` says where the message is ("message 3 at offset 1160").
    void on_message(const RawMessage& m, const std::string& name) {
        switch (m.message->header_type()) {
            case fbs::MessageHeader::DictionaryBatch: {
                const fbs::DictionaryBatch* d = m.message->header_as_DictionaryBatch();
                if (d == nullptr) throw FormatError(name + ": dictionary batch without content");
                with_context("dictionary batch " + std::to_string(num_dictionaries_) + " (id " +
                                 std::to_string(d->id()) + ", " + name + ")",
                             [&] { on_dictionary(*d, m); });
                ++num_dictionaries_;
                break;
            }
            case fbs::MessageHeader::RecordBatch: {
                const fbs::RecordBatch* b = m.message->header_as_RecordBatch();
                if (b == nullptr) throw FormatError(name + ": record batch without content");
                with_context("record batch " + std::to_string(table_.batches.size()) + " (" + name + ")",
                             [&] { on_record_batch(*b, m); });
                break;
            }
            case fbs::MessageHeader::Schema: throw FormatError(name + ": a second schema message");
            case fbs::MessageHeader::Tensor:
            case fbs::MessageHeader::SparseTensor: throw UnsupportedError(name + ": tensor messages are not supported");
            case fbs::MessageHeader::NONE: throw FormatError(name + ": message without a header");
            default:
                throw UnsupportedError(name + ": unknown message type " +
                                       std::to_string(static_cast<int>(m.message->header_type())));
        }
    }

    Table finish(IpcFileInfo* info, MetadataVersion version) {
        if (!schema_) throw FormatError("no schema message");
        table_.schema = schema_;
        if (info) {
            info->metadata_version = version;
            info->is_file_format = file_format_;
            info->num_dictionary_batches = num_dictionaries_;
            info->compressed = compressed_;
        }
        return std::move(table_);
    }

    const Schema& schema() const { return *schema_; }

private:
    ReadOptions options_;
    bool file_format_;
    std::shared_ptr<const Schema> schema_;
    std::map<int64_t, Field> dictionary_fields_;  // id → the values' field
    std::map<int64_t, std::string> dictionary_paths_;
    detail::DictionaryMap dictionaries_;
    int64_t num_dictionaries_ = 0;
    bool compressed_ = false;
    Table table_;

    ValidationLevel level() const { return options_.validation; }

    // Every dictionary id of the schema, including those nested inside dictionary values.
    void collect_dictionaries(const Field& f, const std::string& path) {
        if (f.dictionary) {
            Field values = f;
            values.dictionary.reset();
            const auto [it, added] = dictionary_fields_.emplace(f.dictionary->id, values);
            if (!added && !(it->second.type == values.type))
                throw FormatError("dictionary id " + std::to_string(f.dictionary->id) + " is used by fields " +
                                  dictionary_paths_[f.dictionary->id] + " and " + path + " with different value types");
            dictionary_paths_.emplace(f.dictionary->id, path);
        }
        for (const Field& c : f.type.children) collect_dictionaries(c, detail::join_path(path, c.name));
    }

    void on_dictionary(const fbs::DictionaryBatch& d, const RawMessage& m) {
        const auto field = dictionary_fields_.find(d.id());
        if (field == dictionary_fields_.end()) throw FormatError("no field of the schema uses this dictionary id");
        if (d.data() == nullptr) throw FormatError("dictionary batch without data");
        compressed_ |= d.data()->compression() != nullptr;
        const std::vector<ArrayPtr> columns =
            detail::load_record_batch({field->second}, *d.data(), m, options_, dictionaries_, false);
        ArrayPtr values = columns[0];
        if (values->length != d.data()->length())
            throw FormatError("dictionary length " + std::to_string(values->length) +
                              " differs from the batch length " + std::to_string(d.data()->length()));
        const std::string& path = dictionary_paths_[d.id()];
        validate(*values, path, level());
        const auto existing = dictionaries_.find(d.id());
        if (existing != dictionaries_.end()) {
            if (d.isDelta()) {
                values = detail::concatenate(*existing->second, *values);
            } else if (file_format_) {
                throw FormatError("the file replaces the dictionary (the file format allows only deltas)");
            }
        }
        dictionaries_[d.id()] = std::move(values);
    }

    void on_record_batch(const fbs::RecordBatch& b, const RawMessage& m) {
        RecordBatch batch;
        batch.schema = schema_;
        batch.length = b.length();
        compressed_ |= b.compression() != nullptr;
        batch.columns = detail::load_record_batch(schema_->fields, b, m, options_, dictionaries_, true);
        validate(batch, level());
        table_.batches.push_back(std::move(batch));
    }
};

Schema schema_of(const RawMessage& m, const ReadOptions& options, const std::string& name) {
    if (m.message->header_type() != fbs::MessageHeader::Schema)
        throw FormatError(name + ": expected a schema message, found " +
                          fbs::EnumNameMessageHeader(m.message->header_type()));
    const fbs::Schema* s = m.message->header_as_Schema();
    if (s == nullptr) throw FormatError(name + ": schema message without content");
    return with_context(name, [&] { return detail::schema_from_fbs(*s, options.limits); });
}

int32_t read_i32(const uint8_t* p) {
    int32_t v;
    std::memcpy(&v, p, 4);
    return v;
}

// Checks that `block` points at a whole message of `kind` inside `region` and returns it.
RawMessage block_message(const Buffer& region, const fbs::Block& block, fbs::MessageHeader kind,
                         const std::string& name, const IpcLimits& limits) {
    const int64_t end = region.size();
    if (block.offset() < 8 || block.offset() >= end || block.metaDataLength() <= 0 || block.bodyLength() < 0 ||
        block.metaDataLength() > end - block.offset() ||
        block.bodyLength() > end - block.offset() - block.metaDataLength())
        throw FormatError(name + ": block (offset " + std::to_string(block.offset()) + ", metadata " +
                          std::to_string(block.metaDataLength()) + ", body " + std::to_string(block.bodyLength()) +
                          ") lies outside the file's " + std::to_string(end) + " bytes of messages");
    std::optional<RawMessage> m = detail::read_message(region, block.offset(), limits, name);
    if (!m) throw FormatError(name + ": block points at an end-of-stream marker");
    if (m->header_length != block.metaDataLength() || m->body.size() != block.bodyLength())
        throw FormatError(name + ": block says metadata " + std::to_string(block.metaDataLength()) + " and body " +
                          std::to_string(block.bodyLength()) + " bytes, the message has " +
                          std::to_string(m->header_length) + " and " + std::to_string(m->body.size()));
    if (m->message->header_type() != kind)
        throw FormatError(name + ": block should point at a " + fbs::EnumNameMessageHeader(kind) + " message, found " +
                          fbs::EnumNameMessageHeader(m->message->header_type()));
    return std::move(*m);
}

// What is missing from a file that does not end with the ARROW1 magic, in words that do not depend
// on which command reads it: where its messages stop, then the footer and the magic.
std::string missing_end(const Buffer& bytes, const IpcLimits& limits) {
    const int64_t size = bytes.size();
    int64_t pos = 8;
    std::string where;
    while (pos < size) {
        std::optional<RawMessage> m;
        try {
            m = detail::read_message(bytes, pos, limits, "");
        } catch (const FormatError& e) {
            // Cut inside this message, or bytes that are no message (the footer, or damage).
            if (std::string_view(e.what()).find("truncated:") != std::string_view::npos)
                where = "it ends inside the message at offset " + std::to_string(pos) + ", ";
            break;
        }
        if (!m) break;
        pos = m->offset + m->header_length + m->body.size();
    }
    if (where.empty() && size > 8)
        where = pos >= size ? "it ends after its last message, "
                            : "its messages end at offset " + std::to_string(pos) + ", ";
    return "the file is " + std::to_string(size) + " bytes long; " + where +
           "the footer and the closing ARROW1 magic are missing";
}

}  // namespace

Table read_file(const Buffer& bytes, const ReadOptions& options, IpcFileInfo* info) {
    const int64_t size = bytes.size();
    constexpr int64_t kMin = 8 + 4 + 6;  // leading magic + padding, footer length, trailing magic
    switch (detail::input_start(bytes.data(), size, options.limits)) {
        case detail::InputStart::File: break;
        case detail::InputStart::Stream:
            throw FormatError("an Arrow stream, not an Arrow file: no ARROW1 magic at the start");
        case detail::InputStart::Neither:
            throw FormatError(size == 0 ? std::string(detail::kNotArrow) + ": the input is empty" : detail::kNotArrow);
    }
    if (size < kMin || std::memcmp(bytes.data() + size - 6, detail::kMagic, 6) != 0)
        throw FormatError("truncated or damaged Arrow file: " + missing_end(bytes, options.limits));
    const int64_t footer_length = read_i32(bytes.data() + size - 10);
    if (footer_length <= 0 || footer_length > size - kMin)
        throw FormatError("footer length " + std::to_string(footer_length) + " does not fit in the file of " +
                          std::to_string(size) + " bytes");
    const int64_t footer_start = size - 10 - footer_length;
    Buffer footer_holder;
    const fbs::Footer& footer =
        detail::verify_footer(bytes, footer_start, footer_length, options.limits, footer_holder);
    // The footer's version does not decide: Arrow C++ 0.14 wrote footers recording V1 (the field left
    // at its default) after V4 messages, and Arrow C++ reads such files by each message's own
    // version, as we do (read_message refuses messages before V4). Only a version we do not know
    // at all is refused here.
    detail::check_footer_version(footer.version());
    if (footer.schema() == nullptr) throw FormatError("the file footer has no schema");
    Schema schema =
        with_context("file footer", [&] { return detail::schema_from_fbs(*footer.schema(), options.limits); });

    // Messages may not run into the footer.
    const Buffer region = bytes.slice(0, footer_start);
    // What IpcFileInfo reports: the version of the first message (the schema message), the footer's
    // only when the file holds no message at all.
    std::optional<MetadataVersion> version;
    if (std::optional<RawMessage> first = detail::read_message(region, 8, options.limits, message_name(0, 8))) {
        version = first->version;
        if (first->message->header_type() == fbs::MessageHeader::Schema &&
            !(schema_of(*first, options, message_name(0, 8)) == schema))
            throw FormatError("the schema message at the start of the file differs from the footer's schema");
    }

    TableReader reader(options, true);
    reader.set_schema(std::move(schema));
    const auto read_blocks = [&](const flatbuffers::Vector<const fbs::Block*>* blocks, fbs::MessageHeader kind,
                                 const char* what) {
        if (blocks == nullptr) return;
        for (flatbuffers::uoffset_t i = 0; i < blocks->size(); ++i) {
            const fbs::Block block = detail::load_element(blocks, i);
            const std::string name =
                "message at offset " + std::to_string(block.offset()) + ", " + what + " block " + std::to_string(i);
            const RawMessage m = block_message(region, block, kind, name, options.limits);
            if (!version) version = m.version;
            reader.on_message(m, name);
        }
    };
    read_blocks(footer.dictionaries(), fbs::MessageHeader::DictionaryBatch, "dictionary");
    read_blocks(footer.recordBatches(), fbs::MessageHeader::RecordBatch, "record batch");
    return reader.finish(info, version.value_or(static_cast<MetadataVersion>(footer.version())));
}

namespace {

// The stream reader over any source of messages: `next(index)` returns the next message or
// nullopt at the end.
template <class Next>
Table read_messages(Next&& next, const ReadOptions& options, IpcFileInfo* info) {
    TableReader reader(options, false);
    MetadataVersion version = MetadataVersion::V5;
    for (int64_t index = 0;; ++index) {
        std::optional<RawMessage> m = next(index);
        if (!m) break;
        if (index == 0) {
            reader.set_schema(schema_of(*m, options, message_name(0, m->offset)));
            version = m->version;
        } else {
            reader.on_message(*m, message_name(index, m->offset));
        }
    }
    if (!reader.has_schema()) throw FormatError("empty stream: no schema message");
    return reader.finish(info, version);
}

}  // namespace

Table read_stream(const Buffer& bytes, const ReadOptions& options, IpcFileInfo* info) {
    int64_t pos = 0;
    return read_messages(
        [&](int64_t index) {
            std::optional<RawMessage> m = detail::read_message(bytes, pos, options.limits, message_name(index, pos));
            if (m) pos = m->offset + m->header_length + m->body.size();
            return m;
        },
        options, info);
}

Table read_stream(std::istream& in, const ReadOptions& options, IpcFileInfo* info) {
    int64_t pos = 0;
    return read_messages(
        [&](int64_t index) { return detail::read_message(in, pos, options.limits, message_name(index, pos)); }, options,
        info);
}

Table read_any(const Buffer& bytes, const ReadOptions& options, IpcFileInfo* info) {
    if (bytes.size() >= 6 && std::memcmp(bytes.data(), detail::kMagic, 6) == 0) return read_file(bytes, options, info);
    return read_stream(bytes, options, info);
}

}  // namespace legolasflux::arrow
