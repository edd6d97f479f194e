#include "ipc_concat.hpp"

#include <cstdint>
#include <cstring>
#include <string>

#include "core/layout.hpp"
#include "legolasflux/errors.hpp"

namespace legolasflux::arrow::detail {

namespace {

bool bit(const uint8_t* bits, int64_t i) { return (bits[i >> 3] >> (i & 7)) & 1; }

void set_bit(uint8_t* bits, int64_t i, bool v) {
    if (v) bits[i >> 3] |= static_cast<uint8_t>(1u << (i & 7));
}

// Copies `length` bits starting at bit `offset` of `src` to bit `at` of `dst`; an empty `src` is
// all ones (no nulls).
void copy_bits(uint8_t* dst, int64_t at, const Buffer& src, int64_t offset, int64_t length) {
    for (int64_t i = 0; i < length; ++i) set_bit(dst, at + i, src.empty() || bit(src.data(), offset + i));
}

Buffer concat_bitmaps(const Array& a, const Array& b, int index, bool skip_if_no_nulls) {
    if (skip_if_no_nulls && a.null_count == 0 && b.null_count == 0) return Buffer();
    Buffer out = Buffer::allocate((a.length + b.length + 7) / 8);
    const Buffer empty;
    copy_bits(out.mutable_data(), 0, a.buffers.empty() ? empty : a.buffers[index], a.offset, a.length);
    copy_bits(out.mutable_data(), a.length, b.buffers.empty() ? empty : b.buffers[index], b.offset, b.length);
    return out;
}

Buffer concat_bytes(const uint8_t* x, int64_t nx, const uint8_t* y, int64_t ny) {
    Buffer out = Buffer::allocate(nx + ny);
    if (nx > 0) std::memcpy(out.mutable_data(), x, static_cast<size_t>(nx));
    if (ny > 0) std::memcpy(out.mutable_data() + nx, y, static_cast<size_t>(ny));
    return out;
}

// Offsets of `a` then `b` (`width` bytes each), rebased so that they index the concatenation of
// their ranges.
Buffer concat_offsets(const Array& a, const Array& b, int width, int64_t& a_first, int64_t& a_last, int64_t& b_first,
                      int64_t& b_last) {
    const uint8_t* ao = a.buffers[1].data() + a.offset * width;
    const uint8_t* bo = b.buffers[1].data() + b.offset * width;
    auto at = [width](const uint8_t* p, int64_t i) { return load_int(p + i * width, width, true); };
    a_first = at(ao, 0), a_last = at(ao, a.length), b_first = at(bo, 0), b_last = at(bo, b.length);
    Buffer out = Buffer::allocate((a.length + b.length + 1) * width);
    uint8_t* o = out.mutable_data();
    for (int64_t i = 0; i <= a.length; ++i) store_int(o + i * width, width, at(ao, i) - a_first);
    const int64_t base = a_last - a_first;
    for (int64_t i = 1; i <= b.length; ++i) store_int(o + (a.length + i) * width, width, at(bo, i) - b_first + base);
    return out;
}

ArrayPtr concat_impl(const Array& a, const Array& b);

ArrayPtr concat_range(const ArrayPtr& a, int64_t a_start, int64_t a_len, const ArrayPtr& b, int64_t b_start,
                      int64_t b_len) {
    return concat_impl(*slice(a, a_start, a_len), *slice(b, b_start, b_len));
}

ArrayPtr concat_impl(const Array& a, const Array& b) {
    if (!(a.type == b.type))
        throw InvalidArgument("cannot concatenate " + to_string(a.type) + " and " + to_string(b.type));
    auto out = std::make_shared<Array>();
    out->type = a.type;
    out->length = a.length + b.length;
    out->null_count = a.null_count + b.null_count;
    if ((a.dictionary || b.dictionary)) {
        if (a.dictionary != b.dictionary)
            throw UnsupportedError(
                "concatenating dictionary-encoded arrays with different dictionaries is not supported");
        out->dictionary = a.dictionary;
    }
    const Layout layout = layout_of(a.type);
    const int w = layout.offset_width;
    int64_t af, al, bf, bl;
    switch (layout.kind) {
        case LayoutKind::Null: return out;
        case LayoutKind::Bitmap:
            out->buffers = {concat_bitmaps(a, b, 0, true), concat_bitmaps(a, b, 1, false)};
            return out;
        case LayoutKind::FixedWidth: {
            const int64_t vw = layout.value_width;
            out->buffers = {concat_bitmaps(a, b, 0, true),
                            concat_bytes(a.buffers[1].data() + a.offset * vw, a.length * vw,
                                         b.buffers[1].data() + b.offset * vw, b.length * vw)};
            return out;
        }
        case LayoutKind::VarBinary: {
            Buffer offsets = concat_offsets(a, b, w, af, al, bf, bl);
            if (w == 4 && (al - af) + (bl - bf) > INT32_MAX)
                throw UnsupportedError("concatenated " + to_string(a.type) + " data would overflow 32-bit offsets");
            out->buffers = {concat_bitmaps(a, b, 0, true), offsets,
                            concat_bytes(a.buffers[2].data() + af, al - af, b.buffers[2].data() + bf, bl - bf)};
            return out;
        }
        case LayoutKind::List: {
            Buffer offsets = concat_offsets(a, b, w, af, al, bf, bl);
            if (w == 4 && (al - af) + (bl - bf) > INT32_MAX)
                throw UnsupportedError("concatenated list would overflow 32-bit offsets");
            out->buffers = {concat_bitmaps(a, b, 0, true), offsets};
            out->children = {concat_range(a.children[0], af, al - af, b.children[0], bf, bl - bf)};
            return out;
        }
        case LayoutKind::FixedSizeList: {
            const int64_t n = a.type.list_size;
            out->buffers = {concat_bitmaps(a, b, 0, true)};
            out->children = {
                concat_range(a.children[0], a.offset * n, a.length * n, b.children[0], b.offset * n, b.length * n)};
            return out;
        }
        case LayoutKind::Struct:
            out->buffers = {concat_bitmaps(a, b, 0, true)};
            for (size_t i = 0; i < a.children.size(); ++i)
                out->children.push_back(
                    concat_range(a.children[i], a.offset, a.length, b.children[i], b.offset, b.length));
            return out;
        case LayoutKind::BinaryView: {
            // Views of `b` that point into data buffers move by the number of `a`'s data buffers.
            const auto a_data = static_cast<int32_t>(a.buffers.size() - 2);
            Buffer views = concat_bytes(a.buffers[1].data() + a.offset * 16, a.length * 16,
                                        b.buffers[1].data() + b.offset * 16, b.length * 16);
            for (int64_t i = 0; i < b.length; ++i) {
                uint8_t* v = views.mutable_data() + (a.length + i) * 16;
                int32_t len, index;
                std::memcpy(&len, v, 4);
                if (len <= 12) continue;
                std::memcpy(&index, v + 8, 4);
                index += a_data;
                std::memcpy(v + 8, &index, 4);
            }
            out->buffers = {concat_bitmaps(a, b, 0, true), views};
            for (size_t i = 2; i < a.buffers.size(); ++i) out->buffers.push_back(a.buffers[i]);
            for (size_t i = 2; i < b.buffers.size(); ++i) out->buffers.push_back(b.buffers[i]);
            return out;
        }
        case LayoutKind::SparseUnion:
        case LayoutKind::DenseUnion:
        case LayoutKind::ListView:
        case LayoutKind::RunEndEncoded:
        case LayoutKind::Unknown: break;
    }
    throw UnsupportedError("delta dictionaries of type " + to_string(a.type) + " are not supported");
}

}  // namespace

ArrayPtr concatenate(const Array& a, const Array& b) { return concat_impl(a, b); }

}  // namespace legolasflux::arrow::detail
