#include "ipc_write_batch.hpp"

#include <algorithm>
#include <cstring>
#include <string>

#include "core/layout.hpp"
#include "ipc_metadata.hpp"
#include "legolasflux/errors.hpp"

namespace legolasflux::arrow::detail {

namespace {

// `length` bits of `src` from bit `offset`, moved to start at bit 0, in `bytes` bytes; a view of
// `src` when possible, unless `fresh` asks for a copy the caller may change.
Buffer shifted_bits(const Buffer& src, int64_t offset, int64_t length, int64_t bytes, bool fresh = false) {
    if (!fresh && offset % 8 == 0 && (length + 7) / 8 == bytes && offset / 8 + bytes <= src.size())
        return src.slice(offset / 8, bytes);  // already starts on a byte: share it
    Buffer out = Buffer::allocate(bytes);
    uint8_t* dst = out.mutable_data();
    const uint8_t* s = src.data();
    for (int64_t i = 0; i < length; ++i) {
        const int64_t j = offset + i;
        if ((s[j >> 3] >> (j & 7)) & 1) dst[i >> 3] |= static_cast<uint8_t>(1u << (i & 7));
    }
    return out;
}

// Offsets [start, start + length] of an offsets buffer of `width`-byte offsets, rebased to begin at 0.
Buffer rebased_offsets(const Buffer& offsets, int width, int64_t start, int64_t length, int64_t& first, int64_t& last) {
    if (length == 0) {  // nothing addresses an empty array's offsets (its buffer may even be empty)
        first = last = 0;
        return Buffer::allocate(width);
    }
    const uint8_t* p = offsets.data();
    first = load_int(p + start * width, width, true);
    last = load_int(p + (start + length) * width, width, true);
    const int64_t bytes = (length + 1) * width;
    if (first == 0) return offsets.slice(start * width, bytes);
    Buffer out = Buffer::allocate(bytes);
    for (int64_t i = 0; i <= length; ++i)
        store_int(out.mutable_data() + i * width, width, load_int(p + (start + i) * width, width, true) - first);
    return out;
}

class Encoder {
public:
    Encoder(EncodedBatch& out, MetadataVersion version) : out_(out), version_(version) {}

    void field(const Field& f, const Array& a, int64_t start, int64_t length, const std::string& path) {
        if (f.dictionary) {
            if (!a.dictionary)
                throw InvalidArgument("dictionary-encoded field " + path + " has an array without dictionary");
            if (!(a.type == f.dictionary->index_type))
                throw InvalidArgument("field " + path + " has indices of type " + to_string(a.type) +
                                      ", its dictionary encoding says " + to_string(f.dictionary->index_type));
            return fixed_width(a, start, length, a.type.fixed_width_bytes());
        }
        if (a.type.id != f.type.id)
            throw InvalidArgument("field " + path + " is " + to_string(f.type) + " but its array is " +
                                  to_string(a.type));
        if (a.children.size() != f.type.children.size())
            throw InvalidArgument("field " + path + " has " + std::to_string(f.type.children.size()) +
                                  " children, its array " + std::to_string(a.children.size()));
        type(f, a, start, length, path);
    }

private:
    EncodedBatch& out_;
    MetadataVersion version_;

    void node(int64_t length, int64_t nulls) { out_.nodes.push_back({length, nulls}); }
    void fixed(const Buffer& b, int64_t byte_start, int64_t bytes) {
        out_.buffers.push_back(bytes == 0 ? Buffer() : b.slice(byte_start, bytes));
    }
    // Node, validity and the `width`-byte values of slots [start, start + length) of `a`.
    void fixed_width(const Array& a, int64_t start, int64_t length, int64_t width) {
        validity(a, start, length);
        fixed(a.buffers.at(1), (a.offset + start) * width, length * width);
    }

    // Node plus validity buffer for slots [start, start + length) of `a`.
    void validity(const Array& a, int64_t start, int64_t length) {
        const bool has_bitmap = !a.buffers.empty() && !a.buffers[0].empty();
        const int64_t nulls = has_bitmap ? count_nulls(a.buffers[0], a.offset + start, length) : 0;
        node(length, nulls);
        if (nulls == 0) {
            out_.buffers.emplace_back();  // omitted, as Julia does
            return;
        }
        // As Julia writes it: the recorded length padded to 8 bytes, the unused bits of the last
        // byte set.
        const int64_t bytes = ((length + 7) / 8 + 7) / 8 * 8;
        Buffer bits = shifted_bits(a.buffers[0], a.offset + start, length, bytes, /*fresh=*/true);
        for (int64_t i = length; i % 8 != 0; ++i) bits.mutable_data()[i >> 3] |= static_cast<uint8_t>(1u << (i & 7));
        out_.buffers.push_back(std::move(bits));
    }

    void child(const Field& f, const Array& a, int64_t start, int64_t length, const std::string& path) {
        field(f, a, start, length, join_path(path, f.name));
    }

    void type(const Field& f, const Array& a, int64_t start, int64_t length, const std::string& path) {
        const DataType& t = f.type;
        const int64_t pos = a.offset + start;  // physical slot in a's buffers
        const Layout layout = layout_of(t);
        const int w = layout.offset_width;
        int64_t first, last;
        switch (layout.kind) {
            case LayoutKind::Null: node(length, length); return;
            case LayoutKind::Bitmap:
                validity(a, start, length);
                out_.buffers.push_back(shifted_bits(a.buffers.at(1), pos, length, (length + 7) / 8));
                return;
            case LayoutKind::FixedWidth: return fixed_width(a, start, length, layout.value_width);
            case LayoutKind::VarBinary:
                validity(a, start, length);
                out_.buffers.push_back(rebased_offsets(a.buffers.at(1), w, pos, length, first, last));
                fixed(a.buffers.at(2), first, last - first);
                return;
            case LayoutKind::BinaryView:
                fixed_width(a, start, length, layout.value_width);
                // Data buffers go whole: views address them by index and offset.
                for (size_t i = 2; i < a.buffers.size(); ++i) out_.buffers.push_back(a.buffers[i]);
                out_.variadic_counts.push_back(static_cast<int64_t>(a.buffers.size()) - 2);
                return;
            case LayoutKind::List:
                validity(a, start, length);
                out_.buffers.push_back(rebased_offsets(a.buffers.at(1), w, pos, length, first, last));
                child(t.children[0], *a.children[0], first, last - first, path);
                return;
            case LayoutKind::ListView:
                fixed_width(a, start, length, w);
                fixed(a.buffers.at(2), pos * w, length * w);
                // Offsets stay valid against the whole child.
                child(t.children[0], *a.children[0], 0, a.children[0]->length, path);
                return;
            case LayoutKind::FixedSizeList: {
                const int64_t n = t.list_size;
                validity(a, start, length);
                child(t.children[0], *a.children[0], pos * n, length * n, path);
                return;
            }
            case LayoutKind::Struct:
                validity(a, start, length);
                for (size_t i = 0; i < t.children.size(); ++i) child(t.children[i], *a.children[i], pos, length, path);
                return;
            case LayoutKind::SparseUnion:
            case LayoutKind::DenseUnion: {
                node(length, 0);
                if (version_ == MetadataVersion::V4) out_.buffers.emplace_back();  // V4's (empty) union validity
                fixed(a.buffers.at(0), pos, length);
                if (layout.kind == LayoutKind::DenseUnion) {
                    fixed(a.buffers.at(1), pos * 4, length * 4);
                    // Dense offsets address the whole children.
                    for (size_t i = 0; i < t.children.size(); ++i)
                        child(t.children[i], *a.children[i], 0, a.children[i]->length, path);
                } else {
                    for (size_t i = 0; i < t.children.size(); ++i)
                        child(t.children[i], *a.children[i], pos, length, path);
                }
                return;
            }
            case LayoutKind::RunEndEncoded:
                node(length, 0);
                run_end_encoded(f, a, pos, length, path);
                return;
            case LayoutKind::Unknown: break;
        }
        throw InvalidArgument("cannot write type " + to_string(t));
    }

    // Run ends count logical slots from the unsliced start; a slice is rewritten to the runs it
    // covers, with ends relative to the slice.
    void run_end_encoded(const Field& f, const Array& a, int64_t pos, int64_t length, const std::string& path) {
        const Array& ends = *a.children[0];
        const Array& values = *a.children[1];
        if (pos == 0 && length == a.length) {
            child(f.type.children[0], ends, 0, ends.length, path);
            child(f.type.children[1], values, 0, values.length, path);
            return;
        }
        const int w = ends.type.bit_width / 8;
        const auto end_at = [&](int64_t i) {
            return load_int(ends.buffers.at(1).data() + (ends.offset + i) * w, w, true);
        };
        int64_t first = 0;
        while (first < ends.length && end_at(first) <= pos) ++first;
        int64_t last = first;  // exclusive
        if (length > 0) {
            while (last < ends.length && end_at(last) < pos + length) ++last;
            last = std::min(last + 1, ends.length);
        }
        const int64_t runs = last - first;
        auto new_ends = std::make_shared<Array>();
        new_ends->type = ends.type;
        new_ends->length = runs;
        Buffer b = Buffer::allocate(runs * w);
        for (int64_t i = 0; i < runs; ++i)
            store_int(b.mutable_data() + i * w, w, std::min(end_at(first + i), pos + length) - pos);
        new_ends->buffers = {Buffer(), b};
        child(f.type.children[0], *new_ends, 0, runs, path);
        child(f.type.children[1], values, first, runs, path);
    }
};

}  // namespace

EncodedBatch encode_batch(const std::vector<Field>& fields, const std::vector<ArrayPtr>& columns, int64_t length,
                          MetadataVersion version) {
    if (fields.size() != columns.size())
        throw InvalidArgument("the schema has " + std::to_string(fields.size()) + " fields but the batch " +
                              std::to_string(columns.size()) + " columns");
    EncodedBatch out;
    out.length = length;
    Encoder encoder(out, version);
    for (size_t i = 0; i < fields.size(); ++i) {
        if (!columns[i]) throw InvalidArgument("column " + fields[i].name + " is missing");
        if (columns[i]->length != length)
            throw InvalidArgument("column " + fields[i].name + " has " + std::to_string(columns[i]->length) +
                                  " slots, the batch " + std::to_string(length));
        encoder.field(fields[i], *columns[i], 0, length, fields[i].name);
    }
    return out;
}

}  // namespace legolasflux::arrow::detail
