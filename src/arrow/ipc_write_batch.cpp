#include "ipc_write_batch.hpp"

#include <algorithm>
#include <cstring>
#include <string>

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

template <class T>
T load(const uint8_t* p, int64_t i) {
    T v;
    std::memcpy(&v, p + i * static_cast<int64_t>(sizeof(T)), sizeof(T));
    return v;
}

// Offsets [start, start + length] of an offsets buffer, rebased to begin at 0.
template <class T>
Buffer rebased_offsets(const Buffer& offsets, int64_t start, int64_t length, int64_t& first, int64_t& last) {
    if (length == 0) {  // nothing addresses an empty array's offsets (its buffer may even be empty)
        first = last = 0;
        return Buffer::allocate(sizeof(T));
    }
    first = load<T>(offsets.data(), start);
    last = load<T>(offsets.data(), start + length);
    const auto bytes = (length + 1) * static_cast<int64_t>(sizeof(T));
    if (first == 0) return offsets.slice(start * static_cast<int64_t>(sizeof(T)), bytes);
    Buffer out = Buffer::allocate(bytes);
    T* o = reinterpret_cast<T*>(out.mutable_data());
    for (int64_t i = 0; i <= length; ++i) o[i] = static_cast<T>(load<T>(offsets.data(), start + i) - first);
    return out;
}

class Encoder {
public:
    Encoder(EncodedBatch& out, MetadataVersion version) : out_(out), version_(version) {}

    void field(const Field& f, const Array& a, int64_t start, int64_t length, const std::string& path) {
        if (f.dictionary) {
            if (!a.dictionary) throw InvalidArgument("dictionary-encoded field " + path + " has an array without dictionary");
            if (!(a.type == f.dictionary->index_type))
                throw InvalidArgument("field " + path + " has indices of type " + to_string(a.type) + ", its dictionary encoding says " +
                                      to_string(f.dictionary->index_type));
            const int64_t w = a.type.fixed_width_bytes();
            validity(a, start, length);
            fixed(a.buffers.at(1), (a.offset + start) * w, length * w);
            return;
        }
        if (a.type.id != f.type.id)
            throw InvalidArgument("field " + path + " is " + to_string(f.type) + " but its array is " + to_string(a.type));
        if (a.children.size() != f.type.children.size())
            throw InvalidArgument("field " + path + " has " + std::to_string(f.type.children.size()) + " children, its array " +
                                  std::to_string(a.children.size()));
        type(f, a, start, length, path);
    }

private:
    EncodedBatch& out_;
    MetadataVersion version_;

    void node(int64_t length, int64_t nulls) { out_.nodes.push_back({length, nulls}); }
    void fixed(const Buffer& b, int64_t byte_start, int64_t bytes) {
        out_.buffers.push_back(bytes == 0 ? Buffer() : b.slice(byte_start, bytes));
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
        switch (t.id) {
            case TypeId::Null: node(length, length); return;
            case TypeId::Bool:
                validity(a, start, length);
                out_.buffers.push_back(shifted_bits(a.buffers.at(1), pos, length, (length + 7) / 8));
                return;
            case TypeId::Int:
            case TypeId::FloatingPoint:
            case TypeId::Decimal:
            case TypeId::Date:
            case TypeId::Time:
            case TypeId::Timestamp:
            case TypeId::Duration:
            case TypeId::Interval:
            case TypeId::FixedSizeBinary: {
                const int64_t w = t.fixed_width_bytes();
                validity(a, start, length);
                fixed(a.buffers.at(1), pos * w, length * w);
                return;
            }
            case TypeId::Utf8:
            case TypeId::Binary:
            case TypeId::LargeUtf8:
            case TypeId::LargeBinary: {
                validity(a, start, length);
                int64_t first, last;
                const bool large = t.id == TypeId::LargeUtf8 || t.id == TypeId::LargeBinary;
                out_.buffers.push_back(large ? rebased_offsets<int64_t>(a.buffers.at(1), pos, length, first, last)
                                             : rebased_offsets<int32_t>(a.buffers.at(1), pos, length, first, last));
                fixed(a.buffers.at(2), first, last - first);
                return;
            }
            case TypeId::Utf8View:
            case TypeId::BinaryView:
                validity(a, start, length);
                fixed(a.buffers.at(1), pos * 16, length * 16);
                // Data buffers go whole: views address them by index and offset.
                for (size_t i = 2; i < a.buffers.size(); ++i) out_.buffers.push_back(a.buffers[i]);
                out_.variadic_counts.push_back(static_cast<int64_t>(a.buffers.size()) - 2);
                return;
            case TypeId::List:
            case TypeId::Map:
            case TypeId::LargeList: {
                validity(a, start, length);
                int64_t first, last;
                out_.buffers.push_back(t.id == TypeId::LargeList
                                           ? rebased_offsets<int64_t>(a.buffers.at(1), pos, length, first, last)
                                           : rebased_offsets<int32_t>(a.buffers.at(1), pos, length, first, last));
                child(t.children[0], *a.children[0], first, last - first, path);
                return;
            }
            case TypeId::ListView:
            case TypeId::LargeListView: {
                const int64_t w = t.id == TypeId::LargeListView ? 8 : 4;
                validity(a, start, length);
                fixed(a.buffers.at(1), pos * w, length * w);
                fixed(a.buffers.at(2), pos * w, length * w);
                // Offsets stay valid against the whole child.
                child(t.children[0], *a.children[0], 0, a.children[0]->length, path);
                return;
            }
            case TypeId::FixedSizeList: {
                const int64_t n = t.list_size;
                validity(a, start, length);
                child(t.children[0], *a.children[0], pos * n, length * n, path);
                return;
            }
            case TypeId::Struct:
                validity(a, start, length);
                for (size_t i = 0; i < t.children.size(); ++i) child(t.children[i], *a.children[i], pos, length, path);
                return;
            case TypeId::Union: {
                node(length, 0);
                if (version_ == MetadataVersion::V4) out_.buffers.emplace_back();  // V4's (empty) union validity
                fixed(a.buffers.at(0), pos, length);
                if (t.union_mode == UnionMode::Dense) {
                    fixed(a.buffers.at(1), pos * 4, length * 4);
                    // Dense offsets address the whole children.
                    for (size_t i = 0; i < t.children.size(); ++i)
                        child(t.children[i], *a.children[i], 0, a.children[i]->length, path);
                } else {
                    for (size_t i = 0; i < t.children.size(); ++i) child(t.children[i], *a.children[i], pos, length, path);
                }
                return;
            }
            case TypeId::RunEndEncoded:
                node(length, 0);
                run_end_encoded(f, a, pos, length, path);
                return;
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
        const int64_t w = ends.type.bit_width / 8;
        const auto end_at = [&](int64_t i) -> int64_t {
            const uint8_t* p = ends.buffers.at(1).data();
            const int64_t j = ends.offset + i;
            return w == 2 ? load<int16_t>(p, j) : w == 4 ? load<int32_t>(p, j) : load<int64_t>(p, j);
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
        for (int64_t i = 0; i < runs; ++i) {
            const int64_t e = std::min(end_at(first + i), pos + length) - pos;
            if (w == 2) { const auto v = static_cast<int16_t>(e); std::memcpy(b.mutable_data() + i * 2, &v, 2); }
            else if (w == 4) { const auto v = static_cast<int32_t>(e); std::memcpy(b.mutable_data() + i * 4, &v, 4); }
            else std::memcpy(b.mutable_data() + i * 8, &e, 8);
        }
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
