#include "legolasflux/arrow/array.hpp"

#include <bit>
#include <cstring>

namespace legolasflux::arrow {

std::string_view Array::bytes_value(int64_t i) const noexcept {
    const int64_t j = offset + i;
    switch (type.id) {
        case TypeId::Utf8:
        case TypeId::Binary: {
            const auto* offs = reinterpret_cast<const int32_t*>(buffers[1].data());
            return {reinterpret_cast<const char*>(buffers[2].data()) + offs[j],
                    static_cast<size_t>(offs[j + 1] - offs[j])};
        }
        case TypeId::LargeUtf8:
        case TypeId::LargeBinary: {
            const auto* offs = reinterpret_cast<const int64_t*>(buffers[1].data());
            return {reinterpret_cast<const char*>(buffers[2].data()) + offs[j],
                    static_cast<size_t>(offs[j + 1] - offs[j])};
        }
        case TypeId::FixedSizeBinary: {
            const auto w = static_cast<size_t>(type.byte_width);
            return {reinterpret_cast<const char*>(buffers[1].data()) + static_cast<size_t>(j) * w, w};
        }
        case TypeId::Utf8View:
        case TypeId::BinaryView: {
            // A view is 16 bytes: int32 length, then either the bytes inline (length <= 12) or a
            // 4-byte prefix, int32 buffer index and int32 offset.
            const uint8_t* view = buffers[1].data() + 16 * j;
            int32_t len, index, off;
            std::memcpy(&len, view, 4);
            if (len <= 12) return {reinterpret_cast<const char*>(view + 4), static_cast<size_t>(len)};
            std::memcpy(&index, view + 8, 4);
            std::memcpy(&off, view + 12, 4);
            return {reinterpret_cast<const char*>(buffers[2 + static_cast<size_t>(index)].data()) + off,
                    static_cast<size_t>(len)};
        }
        default: return {};
    }
}

std::pair<int64_t, int64_t> Array::list_range(int64_t i) const noexcept {
    const int64_t j = offset + i;
    switch (type.id) {
        case TypeId::List:
        case TypeId::Map: {
            const auto* offs = reinterpret_cast<const int32_t*>(buffers[1].data());
            return {offs[j], offs[j + 1]};
        }
        case TypeId::LargeList: {
            const auto* offs = reinterpret_cast<const int64_t*>(buffers[1].data());
            return {offs[j], offs[j + 1]};
        }
        case TypeId::ListView: {
            const auto* offs = reinterpret_cast<const int32_t*>(buffers[1].data());
            const auto* sizes = reinterpret_cast<const int32_t*>(buffers[2].data());
            return {offs[j], int64_t{offs[j]} + sizes[j]};
        }
        case TypeId::LargeListView: {
            const auto* offs = reinterpret_cast<const int64_t*>(buffers[1].data());
            const auto* sizes = reinterpret_cast<const int64_t*>(buffers[2].data());
            return {offs[j], offs[j] + sizes[j]};
        }
        case TypeId::FixedSizeList: return {j * type.list_size, (j + 1) * type.list_size};
        default: return {0, 0};
    }
}

int64_t count_nulls(const Buffer& validity, int64_t offset, int64_t length) noexcept {
    if (validity.empty() || length <= 0) return 0;
    const uint8_t* bits = validity.data();
    int64_t set = 0;
    int64_t i = offset;
    const int64_t end = offset + length;
    for (; i < end && (i & 7); ++i) set += (bits[i >> 3] >> (i & 7)) & 1;
    for (; i + 64 <= end; i += 64) {
        uint64_t word;
        std::memcpy(&word, bits + (i >> 3), 8);
        set += std::popcount(word);
    }
    for (; i < end; ++i) set += (bits[i >> 3] >> (i & 7)) & 1;
    return length - set;
}

ArrayPtr slice(const ArrayPtr& array, int64_t offset, int64_t length) {
    auto out = std::make_shared<Array>(*array);
    out->offset = array->offset + offset;
    out->length = length;
    if (Array::has_validity_bitmap(array->type.id) && !array->buffers.empty())
        out->null_count = count_nulls(array->buffers[0], out->offset, length);
    else if (array->type.id == TypeId::Null)
        out->null_count = length;
    else
        out->null_count = 0;
    return out;
}

}  // namespace legolasflux::arrow
