#include "ipc_read_batch.hpp"

#include <cstring>
#include <optional>

#include "compression.hpp"
#include "core/layout.hpp"
#include "ipc_metadata.hpp"
#include "legolasflux/arrow/ipc_body.hpp"
#include "legolasflux/errors.hpp"

namespace legolasflux::arrow::detail {

namespace {

std::string in_field(const std::string& path) { return path.empty() ? std::string() : " of field " + path; }

class Loader {
public:
    Loader(const fbs::RecordBatch& batch, const RawMessage& message, const ReadOptions& options,
           const DictionaryMap& dictionaries)
        : batch_(batch), message_(message), options_(options), limits_(options.limits), dictionaries_(dictionaries) {
        if (batch.length() < 0) throw FormatError("negative record batch length " + std::to_string(batch.length()));
        num_nodes_ = batch.nodes() ? static_cast<int64_t>(batch.nodes()->size()) : 0;
        num_buffers_ = batch.buffers() ? static_cast<int64_t>(batch.buffers()->size()) : 0;
        num_variadic_ = batch.variadicBufferCounts() ? static_cast<int64_t>(batch.variadicBufferCounts()->size()) : 0;
        if (num_nodes_ > limits_.max_fields)
            throw FormatError(std::to_string(num_nodes_) + " field nodes exceed the limit of " +
                              std::to_string(limits_.max_fields));
        if (num_buffers_ > limits_.max_buffers)
            throw FormatError(std::to_string(num_buffers_) + " buffers exceed the limit of " +
                              std::to_string(limits_.max_buffers));
        if (const fbs::BodyCompression* c = batch.compression()) {
            const int codec = static_cast<int>(c->codec());
            if (codec == static_cast<int>(fbs::CompressionType::LZ4_FRAME))
                codec_ = Compression::Lz4Frame;
            else if (codec == static_cast<int>(fbs::CompressionType::ZSTD))
                codec_ = Compression::Zstd;
            else
                throw UnsupportedError("unknown compression codec " + std::to_string(codec) +
                                       " (LZ4_FRAME and ZSTD are supported)");
            if (static_cast<int>(c->method()) != static_cast<int>(fbs::BodyCompressionMethod::BUFFER))
                throw UnsupportedError("unknown body compression method " +
                                       std::to_string(static_cast<int>(c->method())));
        }
    }

    std::vector<ArrayPtr> load(const std::vector<Field>& fields, bool values_unread) {
        std::vector<ArrayPtr> out;
        out.reserve(fields.size());
        for (const Field& f : fields) out.push_back(load_field(f, f.name, 0, values_unread));
        if (node_ != num_nodes_)
            throw FormatError("the schema uses " + std::to_string(node_) + " field nodes, the record batch has " +
                              std::to_string(num_nodes_));
        if (buffer_ != num_buffers_)
            throw FormatError("the schema uses " + std::to_string(buffer_) + " buffers, the record batch has " +
                              std::to_string(num_buffers_));
        if (variadic_ != num_variadic_)
            throw FormatError("the schema has " + std::to_string(variadic_) + " view fields, the record batch has " +
                              std::to_string(num_variadic_) + " variadicBufferCounts entries");
        return out;
    }

private:
    const fbs::RecordBatch& batch_;
    const RawMessage& message_;
    const ReadOptions& options_;
    const IpcLimits& limits_;
    const DictionaryMap& dictionaries_;
    Compression codec_ = Compression::None;
    int64_t num_nodes_ = 0, num_buffers_ = 0, num_variadic_ = 0;
    int64_t node_ = 0, buffer_ = 0, variadic_ = 0;

    fbs::FieldNode next_node(const std::string& path) {
        if (node_ >= num_nodes_)
            throw FormatError("too few field nodes: none left for field " +
                              (path.empty() ? std::string("(unnamed)") : path));
        const fbs::FieldNode n = load_element(batch_.nodes(), static_cast<flatbuffers::uoffset_t>(node_));
        if (n.length() < 0 || n.null_count() < 0 || n.null_count() > n.length())
            throw FormatError("field node " + std::to_string(node_) + in_field(path) + " has length " +
                              std::to_string(n.length()) + " and null count " + std::to_string(n.null_count()));
        ++node_;
        return n;
    }

    // The next buffer of the body: bounds-checked, decompressed, aligned to `align` bytes.
    // `values_unread`: the buffer holds values no read or validation looks at (CompressedBuffer).
    Buffer next_buffer(const std::string& path, const char* name, int align, bool values_unread = false) {
        if (buffer_ >= num_buffers_)
            throw FormatError("too few buffers: no " + std::string(name) + " buffer" + in_field(path));
        const fbs::Buffer b = load_element(batch_.buffers(), static_cast<flatbuffers::uoffset_t>(buffer_));
        const std::string which = "buffer " + std::to_string(buffer_) + " (" + name + in_field(path) + ")";
        ++buffer_;
        const int64_t body = message_.body.size();
        if (b.offset() < 0 || b.length() < 0 || b.offset() > body || b.length() > body - b.offset())
            throw FormatError(which + " at offset " + std::to_string(b.offset()) + " with length " +
                              std::to_string(b.length()) + " lies outside the message body of " + std::to_string(body) +
                              " bytes");
        Buffer data = message_.body.slice(b.offset(), b.length());
        if (codec_ != Compression::None && !data.empty()) data = decompress_buffer(data, which, path, values_unread);
        if (align > 1 && reinterpret_cast<uintptr_t>(data.data()) % static_cast<uintptr_t>(align) != 0)
            data = Buffer::copy_of(data.data(), data.size());
        return data;
    }

    // The uncompressed length a compressed buffer claims (-1: stored uncompressed), checked.
    int64_t claimed_length(const Buffer& data, const std::string& which) const {
        if (data.size() < 8) throw FormatError(which + " is compressed but shorter than its 8-byte length prefix");
        int64_t length;
        std::memcpy(&length, data.data(), 8);
        if (length == -1) return length;
        if (length < 0) throw FormatError(which + " claims a negative uncompressed length " + std::to_string(length));
        if (length > limits_.max_decompressed_buffer)
            throw FormatError(which + " claims " + std::to_string(length) + " uncompressed bytes, over the limit of " +
                              std::to_string(limits_.max_decompressed_buffer));
        return length;
    }

    Buffer decompress_buffer(const Buffer& data, const std::string& which, const std::string& path,
                             bool values_unread) {
        const int64_t length = claimed_length(data, which);
        const Buffer rest = data.slice(8, data.size() - 8);
        if (length == -1) return rest;
        try {
            if (!options_.decompressor) return detail::decompress(codec_, rest.span(), length);
            const CompressedBuffer compressed{path, codec_, rest, length, values_unread};
            Buffer out = options_.decompressor->decompress(compressed);
            if (out.size() != length)
                throw FormatError("the decompressor gave " + std::to_string(out.size()) + " bytes, not the " +
                                  std::to_string(length) + " the buffer claims");
            return out;
        } catch (const FormatError& e) {
            throw FormatError(which + ": " + e.what());
        }
    }

    Buffer validity(const fbs::FieldNode& node, const std::string& path) {
        Buffer v = next_buffer(path, "validity", 1);
        if (node.null_count() == 0) return Buffer();
        if (v.empty())
            throw FormatError("field node" + in_field(path) + " has " + std::to_string(node.null_count()) +
                              " nulls but no validity buffer");
        return v;
    }

    // `values_unread`: whether the read and validation leave the field's values unread (not so for
    // the run ends of a run-end encoded array, which validation reads).
    ArrayPtr load_field(const Field& f, const std::string& path, int depth, bool values_unread = true) {
        if (depth > limits_.max_nesting_depth)
            throw FormatError("nesting deeper than " + std::to_string(limits_.max_nesting_depth) + in_field(path));
        if (!f.dictionary) return load_type(f.type, path, depth, values_unread);

        const fbs::FieldNode& node = next_node(path);
        auto a = std::make_shared<Array>();
        a->type = f.dictionary->index_type;
        a->length = node.length();
        a->null_count = node.null_count();
        a->buffers.push_back(validity(node, path));
        a->buffers.push_back(next_buffer(path, "indices", layout_of(a->type).buffers[1].align));
        const auto it = dictionaries_.find(f.dictionary->id);
        if (it == dictionaries_.end())
            throw FormatError("no dictionary with id " + std::to_string(f.dictionary->id) +
                              " has been read for field " + path);
        a->dictionary = it->second;
        return a;
    }

    ArrayPtr load_type(const DataType& type, const std::string& path, int depth, bool values_unread) {
        const fbs::FieldNode& node = next_node(path);
        auto a = std::make_shared<Array>();
        a->type = type;
        a->length = node.length();
        a->null_count = node.null_count();
        auto& buffers = a->buffers;
        const Layout layout = layout_of(type);
        switch (layout.kind) {
            case LayoutKind::Null: a->null_count = a->length; break;
            case LayoutKind::SparseUnion:
            case LayoutKind::DenseUnion:
                if (message_.version == MetadataVersion::V4) {
                    // V4 unions carry a validity bitmap, which the V5 layout (ours) has no room for.
                    next_buffer(path, "union validity (V4)", 1);
                    if (node.null_count() != 0)
                        throw UnsupportedError("V4 union" + in_field(path) + " has " +
                                               std::to_string(node.null_count()) +
                                               " top-level nulls, which the V5 union layout cannot represent");
                }
                a->null_count = 0;
                break;
            case LayoutKind::RunEndEncoded: a->null_count = 0; break;
            default: break;
        }
        for (int k = 0; k < layout.n_buffers; ++k) {
            const BufferSpec& b = layout.buffers[k];
            const bool unread = b.kind == BufferKind::Values && values_unread &&
                                (type.id == TypeId::Int || type.id == TypeId::FloatingPoint);
            buffers.push_back(b.kind == BufferKind::Validity ? validity(node, path)
                                                             : next_buffer(path, buffer_name(b.kind), b.align, unread));
        }
        if (layout.variadic()) {
            if (variadic_ >= num_variadic_) throw FormatError("no variadicBufferCounts entry for view field " + path);
            const int64_t count =
                load_element(batch_.variadicBufferCounts(), static_cast<flatbuffers::uoffset_t>(variadic_++));
            if (count < 0 || count > num_buffers_ - buffer_)
                throw FormatError("view field " + path + " claims " + std::to_string(count) + " data buffers, " +
                                  std::to_string(num_buffers_ - buffer_) + " remain");
            for (int64_t i = 0; i < count; ++i) buffers.push_back(next_buffer(path, "view data", 1));
        }
        a->children.reserve(type.children.size());
        for (const Field& child : type.children)
            a->children.push_back(
                load_field(child, join_path(path, child.name), depth + 1, layout.kind != LayoutKind::RunEndEncoded));
        return a;
    }
};

}  // namespace

std::vector<ArrayPtr> load_record_batch(const std::vector<Field>& fields, const fbs::RecordBatch& batch,
                                        const RawMessage& message, const ReadOptions& options,
                                        const DictionaryMap& dictionaries, bool values_unread) {
    return Loader(batch, message, options, dictionaries).load(fields, values_unread);
}

}  // namespace legolasflux::arrow::detail
