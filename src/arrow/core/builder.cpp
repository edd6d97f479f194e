// Arrays from C++ values. Each builder lays out fresh buffers as array.hpp describes, then checks the
// result structurally so that a caller's mistake (wrong child type, too short a child) is reported
// here as InvalidArgument rather than later as a corrupt array.
#include "legolasflux/arrow/builder.hpp"

#include <cstring>

#include "layout.hpp"
#include "legolasflux/arrow/validate.hpp"
#include "legolasflux/errors.hpp"

namespace legolasflux::arrow {
namespace {

void check_valid_size(const std::vector<bool>& valid, int64_t length, const char* what) {
    if (!valid.empty() && static_cast<int64_t>(valid.size()) != length)
        throw InvalidArgument(std::string(what) + ": " + std::to_string(valid.size()) + " validity entries for " +
                              std::to_string(length) + " values");
}

// Validity bitmap and null count; an empty buffer when every slot is valid.
std::pair<Buffer, int64_t> validity_bitmap(const std::vector<bool>& valid) {
    int64_t nulls = 0;
    for (bool v : valid) nulls += !v;
    if (nulls == 0) return {Buffer(), 0};
    Buffer bits = Buffer::allocate((static_cast<int64_t>(valid.size()) + 7) / 8);
    uint8_t* p = bits.mutable_data();
    for (size_t i = 0; i < valid.size(); ++i)
        if (valid[i]) p[i >> 3] |= static_cast<uint8_t>(1u << (i & 7));
    return {bits, nulls};
}

bool slot_valid(const std::vector<bool>& valid, size_t i) { return valid.empty() || valid[i]; }

std::shared_ptr<Array> start(DataType type, int64_t length, const std::vector<bool>& valid, const char* what) {
    check_valid_size(valid, length, what);
    auto a = std::make_shared<Array>();
    a->type = std::move(type);
    a->length = length;
    if (Array::has_validity_bitmap(a->type.id)) {
        auto [bits, nulls] = validity_bitmap(valid);
        a->buffers.push_back(std::move(bits));
        a->null_count = nulls;
    }
    return a;
}

ArrayPtr finish(std::shared_ptr<Array> a, const char* what) {
    try {
        validate(*a, "", ValidationLevel::Minimal);
    } catch (const FormatError& e) {
        throw InvalidArgument(std::string(what) + ": " + e.what());
    }
    return a;
}

void store_int(uint8_t* p, int width, int64_t v) {
    switch (width) {
        case 1: *p = static_cast<uint8_t>(v); break;
        case 2: {
            auto x = static_cast<int16_t>(v);
            std::memcpy(p, &x, 2);
            break;
        }
        case 4: {
            auto x = static_cast<int32_t>(v);
            std::memcpy(p, &x, 4);
            break;
        }
        default: std::memcpy(p, &v, 8); break;
    }
}

// Offsets of `width` bytes from per-slot lengths.
Buffer offsets_from_lengths(const std::vector<int64_t>& lengths, int width, const char* what) {
    Buffer out = Buffer::allocate(static_cast<int64_t>(lengths.size() + 1) * width);
    int64_t total = 0;
    store_int(out.mutable_data(), width, 0);
    for (size_t i = 0; i < lengths.size(); ++i) {
        if (lengths[i] < 0)
            throw InvalidArgument(std::string(what) + ": negative length at index " + std::to_string(i));
        total += lengths[i];
        if (width == 4 && total > INT32_MAX)
            throw InvalidArgument(std::string(what) + ": more than 2^31-1 values need 64-bit offsets");
        store_int(out.mutable_data() + (i + 1) * static_cast<size_t>(width), width, total);
    }
    return out;
}

}  // namespace

ArrayPtr make_fixed_width(DataType type, const void* values, int64_t length, const std::vector<bool>& valid) {
    const int32_t width = type.fixed_width_bytes();
    if (width <= 0 && !(type.id == TypeId::FixedSizeBinary && width == 0))
        throw InvalidArgument("make_fixed_width: " + to_string(type) + " is not a fixed-width type");
    if (length < 0) throw InvalidArgument("make_fixed_width: negative length");
    auto a = start(std::move(type), length, valid, "make_fixed_width");
    a->buffers.push_back(Buffer::copy_of(values, length * width));
    return finish(std::move(a), "make_fixed_width");
}

ArrayPtr make_null(int64_t length) {
    if (length < 0) throw InvalidArgument("make_null: negative length");
    auto a = std::make_shared<Array>();
    a->type = null();
    a->length = length;
    a->null_count = length;
    return a;
}

ArrayPtr make_bool(const std::vector<bool>& values, const std::vector<bool>& valid) {
    const auto n = static_cast<int64_t>(values.size());
    auto a = start(boolean(), n, valid, "make_bool");
    Buffer bits = Buffer::allocate((n + 7) / 8);
    for (size_t i = 0; i < values.size(); ++i)
        if (values[i]) bits.mutable_data()[i >> 3] |= static_cast<uint8_t>(1u << (i & 7));
    a->buffers.push_back(std::move(bits));
    return finish(std::move(a), "make_bool");
}

ArrayPtr make_binary_like(DataType type, const std::vector<std::string>& values, const std::vector<bool>& valid) {
    const char* what = "make_binary_like";
    const auto n = static_cast<int64_t>(values.size());
    const TypeId id = type.id;
    auto a = start(std::move(type), n, valid, what);
    switch (id) {
        case TypeId::Utf8:
        case TypeId::Binary:
        case TypeId::LargeUtf8:
        case TypeId::LargeBinary: {
            // Null slots hold no bytes.
            std::vector<int64_t> lengths(values.size());
            std::string data;
            for (size_t i = 0; i < values.size(); ++i) {
                if (!slot_valid(valid, i)) continue;
                lengths[i] = static_cast<int64_t>(values[i].size());
                data += values[i];
            }
            const int width = detail::layout_of(a->type).offset_width;
            a->buffers.push_back(offsets_from_lengths(lengths, width, what));
            a->buffers.push_back(Buffer::copy_of(data));
            break;
        }
        case TypeId::FixedSizeBinary: {
            const size_t w = static_cast<size_t>(a->type.byte_width);
            Buffer out = Buffer::allocate(n * a->type.byte_width);
            for (size_t i = 0; i < values.size(); ++i) {
                if (!slot_valid(valid, i)) continue;
                if (values[i].size() != w)
                    throw InvalidArgument(std::string(what) + ": value " + std::to_string(i) + " has " +
                                          std::to_string(values[i].size()) + " bytes, the type needs " +
                                          std::to_string(w));
                std::memcpy(out.mutable_data() + i * w, values[i].data(), w);
            }
            a->buffers.push_back(std::move(out));
            break;
        }
        case TypeId::Utf8View:
        case TypeId::BinaryView: {
            // Short values inline; long ones in a single data buffer.
            Buffer views = Buffer::allocate(n * 16);
            std::string data;
            for (size_t i = 0; i < values.size(); ++i) {
                if (!slot_valid(valid, i)) continue;
                const std::string& v = values[i];
                if (v.size() > static_cast<size_t>(INT32_MAX) ||
                    data.size() + v.size() > static_cast<size_t>(INT32_MAX))
                    throw InvalidArgument(std::string(what) + ": view data beyond 2 GiB is not supported");
                uint8_t* view = views.mutable_data() + 16 * i;
                const auto len = static_cast<int32_t>(v.size());
                std::memcpy(view, &len, 4);
                if (v.size() <= 12) {
                    std::memcpy(view + 4, v.data(), v.size());
                    continue;
                }
                const int32_t index = 0;
                const auto off = static_cast<int32_t>(data.size());
                std::memcpy(view + 4, v.data(), 4);
                std::memcpy(view + 8, &index, 4);
                std::memcpy(view + 12, &off, 4);
                data += v;
            }
            a->buffers.push_back(std::move(views));
            if (!data.empty()) a->buffers.push_back(Buffer::copy_of(data));
            break;
        }
        default: throw InvalidArgument(std::string(what) + ": " + to_string(a->type) + " is not a binary-like type");
    }
    return finish(std::move(a), what);
}

ArrayPtr make_strings(const std::vector<std::string>& values, const std::vector<bool>& valid) {
    return make_binary_like(utf8(), values, valid);
}

ArrayPtr make_list(DataType type, const std::vector<int64_t>& lengths, ArrayPtr child, const std::vector<bool>& valid) {
    const char* what = "make_list";
    if (type.id != TypeId::List && type.id != TypeId::LargeList && type.id != TypeId::Map)
        throw InvalidArgument(std::string(what) + ": " + to_string(type) + " is not a list or map type");
    if (!child) throw InvalidArgument(std::string(what) + ": no child array");
    const int width = detail::layout_of(type).offset_width;
    auto a = start(std::move(type), static_cast<int64_t>(lengths.size()), valid, what);
    a->buffers.push_back(offsets_from_lengths(lengths, width, what));
    a->children.push_back(std::move(child));
    return finish(std::move(a), what);
}

ArrayPtr make_list_view(DataType type, const std::vector<int64_t>& offsets, const std::vector<int64_t>& sizes,
                        ArrayPtr child, const std::vector<bool>& valid) {
    const char* what = "make_list_view";
    if (type.id != TypeId::ListView && type.id != TypeId::LargeListView)
        throw InvalidArgument(std::string(what) + ": " + to_string(type) + " is not a list view type");
    if (offsets.size() != sizes.size())
        throw InvalidArgument(std::string(what) + ": " + std::to_string(offsets.size()) + " offsets but " +
                              std::to_string(sizes.size()) + " sizes");
    if (!child) throw InvalidArgument(std::string(what) + ": no child array");
    const int width = detail::layout_of(type).offset_width;
    const auto n = static_cast<int64_t>(offsets.size());
    auto a = start(std::move(type), n, valid, what);
    Buffer offs = Buffer::allocate(n * width);
    Buffer lens = Buffer::allocate(n * width);
    for (size_t i = 0; i < offsets.size(); ++i) {
        if (width == 4 &&
            (offsets[i] > INT32_MAX || offsets[i] < INT32_MIN || sizes[i] > INT32_MAX || sizes[i] < INT32_MIN))
            throw InvalidArgument(std::string(what) + ": offset or size at index " + std::to_string(i) +
                                  " does not fit 32 bits");
        store_int(offs.mutable_data() + i * static_cast<size_t>(width), width, offsets[i]);
        store_int(lens.mutable_data() + i * static_cast<size_t>(width), width, sizes[i]);
    }
    a->buffers.push_back(std::move(offs));
    a->buffers.push_back(std::move(lens));
    a->children.push_back(std::move(child));
    return finish(std::move(a), what);
}

ArrayPtr make_fixed_size_list(DataType type, int64_t length, ArrayPtr child, const std::vector<bool>& valid) {
    const char* what = "make_fixed_size_list";
    if (type.id != TypeId::FixedSizeList)
        throw InvalidArgument(std::string(what) + ": " + to_string(type) + " is not a fixed-size list type");
    if (!child) throw InvalidArgument(std::string(what) + ": no child array");
    if (length < 0) throw InvalidArgument(std::string(what) + ": negative length");
    auto a = start(std::move(type), length, valid, what);
    a->children.push_back(std::move(child));
    return finish(std::move(a), what);
}

ArrayPtr make_struct(DataType type, int64_t length, std::vector<ArrayPtr> children, const std::vector<bool>& valid) {
    const char* what = "make_struct";
    if (type.id != TypeId::Struct)
        throw InvalidArgument(std::string(what) + ": " + to_string(type) + " is not a struct type");
    if (length < 0) throw InvalidArgument(std::string(what) + ": negative length");
    for (const auto& c : children)
        if (!c) throw InvalidArgument(std::string(what) + ": a child array is null");
    auto a = start(std::move(type), length, valid, what);
    a->children = std::move(children);
    return finish(std::move(a), what);
}

ArrayPtr make_union(DataType type, const std::vector<int8_t>& type_ids, const std::vector<int32_t>& offsets,
                    std::vector<ArrayPtr> children) {
    const char* what = "make_union";
    if (type.id != TypeId::Union)
        throw InvalidArgument(std::string(what) + ": " + to_string(type) + " is not a union type");
    const bool dense = type.union_mode == UnionMode::Dense;
    if (dense && offsets.size() != type_ids.size())
        throw InvalidArgument(std::string(what) + ": a dense union needs one offset per type id");
    if (!dense && !offsets.empty()) throw InvalidArgument(std::string(what) + ": a sparse union has no offsets");
    for (const auto& c : children)
        if (!c) throw InvalidArgument(std::string(what) + ": a child array is null");
    auto a = start(std::move(type), static_cast<int64_t>(type_ids.size()), {}, what);
    a->buffers.push_back(Buffer::copy_of(std::span<const int8_t>(type_ids)));
    if (dense) a->buffers.push_back(Buffer::copy_of(std::span<const int32_t>(offsets)));
    a->children = std::move(children);
    return finish(std::move(a), what);
}

ArrayPtr make_run_end_encoded(DataType type, int64_t length, ArrayPtr run_ends, ArrayPtr values) {
    const char* what = "make_run_end_encoded";
    if (type.id != TypeId::RunEndEncoded)
        throw InvalidArgument(std::string(what) + ": " + to_string(type) + " is not a run-end encoded type");
    if (!run_ends || !values) throw InvalidArgument(std::string(what) + ": missing run ends or values");
    if (length < 0) throw InvalidArgument(std::string(what) + ": negative length");
    auto a = start(std::move(type), length, {}, what);
    a->children = {std::move(run_ends), std::move(values)};
    return finish(std::move(a), what);
}

ArrayPtr make_dictionary(DataType index_type, const std::vector<int64_t>& indices, ArrayPtr dictionary,
                         const std::vector<bool>& valid) {
    const char* what = "make_dictionary";
    if (index_type.id != TypeId::Int)
        throw InvalidArgument(std::string(what) + ": index type " + to_string(index_type) + " is not an integer type");
    if (!dictionary) throw InvalidArgument(std::string(what) + ": no dictionary");
    const int width = index_type.bit_width / 8;
    const auto n = static_cast<int64_t>(indices.size());
    auto a = start(std::move(index_type), n, valid, what);
    Buffer out = Buffer::allocate(n * width);
    for (size_t i = 0; i < indices.size(); ++i)
        store_int(out.mutable_data() + i * static_cast<size_t>(width), width, indices[i]);
    a->buffers.push_back(std::move(out));
    a->dictionary = std::move(dictionary);
    return finish(std::move(a), what);
}

RecordBatch make_batch(std::shared_ptr<const Schema> schema, std::vector<ArrayPtr> columns) {
    if (!schema) throw InvalidArgument("make_batch: no schema");
    if (columns.size() != schema->fields.size())
        throw InvalidArgument("make_batch: " + std::to_string(columns.size()) + " columns for " +
                              std::to_string(schema->fields.size()) + " fields");
    for (size_t i = 0; i < columns.size(); ++i)
        if (!columns[i]) throw InvalidArgument("make_batch: column " + std::to_string(i) + " is null");
    RecordBatch batch;
    batch.schema = std::move(schema);
    batch.length = columns.empty() ? 0 : columns[0]->length;
    batch.columns = std::move(columns);
    try {
        validate(batch, ValidationLevel::Minimal);
    } catch (const FormatError& e) {
        throw InvalidArgument(std::string("make_batch: ") + e.what());
    }
    return batch;
}

}  // namespace legolasflux::arrow
