// The physical layout of each Arrow type, worked out in one place: which buffers an array of the
// type carries, what each holds, how wide its elements are and which children the array has. The
// readers, writers, validator, concatenation and comparison switch on the handful of layout kinds
// here instead of listing every TypeId, so that a type is described once (as nanoarrow's
// ArrowLayout does for its C implementation).
#pragma once

#include <cstdint>
#include <cstring>

#include "legolasflux/arrow/type.hpp"

namespace legolasflux::arrow::detail {

enum class LayoutKind : uint8_t {
    Null,           // no buffers: every slot is null
    Bitmap,         // validity, bit-packed values (boolean)
    FixedWidth,     // validity, values of value_width bytes each
    VarBinary,      // validity, offsets, data bytes the offsets address
    BinaryView,     // validity, 16-byte views, then any number of variadic data buffers
    List,           // validity, offsets into the one child
    ListView,       // validity, offsets and sizes into the one child
    FixedSizeList,  // validity; list_size child slots per slot
    Struct,         // validity; one child per field, indexed like the parent
    SparseUnion,    // type ids; one child per member, indexed like the parent
    DenseUnion,     // type ids, int32 offsets into the selected child
    RunEndEncoded,  // no buffers; children run ends and values
    Unknown,        // a TypeId outside the enum (arrays built by other means than our readers)
};

enum class BufferKind : uint8_t { Validity, Values, Offsets, Sizes, Data, Views, TypeIds };

struct BufferSpec {
    BufferKind kind;
    // The alignment the element type needs, so that readers can copy a misaligned buffer to reach it
    // (1 for bytes and bits; fixed-size binary values are bytes, whatever their width).
    int align;
};

enum class ChildCount : uint8_t { None, One, Two, PerField };

struct Layout {
    LayoutKind kind = LayoutKind::Unknown;
    int n_buffers = 0;  // the fixed buffers; views have variadic data buffers after them
    BufferSpec buffers[3] = {};
    int offset_width = 0;  // bytes of each offset (and size): 4 or 8; 0 without offsets
    int value_width = 0;   // FixedWidth: bytes per value; Bitmap: 1 (bit); BinaryView: 16
    ChildCount children = ChildCount::None;

    bool has_validity() const { return n_buffers > 0 && buffers[0].kind == BufferKind::Validity; }
    bool variadic() const { return kind == LayoutKind::BinaryView; }
};

Layout layout_of(const DataType& type);

// Whether a map type has the one child its layout needs: a struct of two fields, keys and values.
inline bool has_map_entries(const DataType& map) {
    return map.children.size() == 1 && map.children[0].type.id == TypeId::Struct &&
           map.children[0].type.children.size() == 2;
}

// What messages call a buffer of this kind ("validity", "offsets", ...).
const char* buffer_name(BufferKind kind);

// Little-endian integer of `width` bytes (1, 2, 4 or 8) at p, as int64. Unsigned 64-bit values
// above INT64_MAX saturate, which every bounds check then rejects; valid data (offsets, run ends,
// dictionary indices) never comes near them.
inline int64_t load_int(const uint8_t* p, int width, bool is_signed) {
    switch (width) {
        case 1: return is_signed ? int64_t{static_cast<int8_t>(*p)} : int64_t{*p};
        case 2: {
            uint16_t v;
            std::memcpy(&v, p, 2);
            return is_signed ? int64_t{static_cast<int16_t>(v)} : int64_t{v};
        }
        case 4: {
            uint32_t v;
            std::memcpy(&v, p, 4);
            return is_signed ? int64_t{static_cast<int32_t>(v)} : int64_t{v};
        }
        default: {
            uint64_t v;
            std::memcpy(&v, p, 8);
            if (!is_signed && v > static_cast<uint64_t>(INT64_MAX)) return INT64_MAX;
            return static_cast<int64_t>(v);
        }
    }
}

// Stores the low `width` bytes (2, 4 or 8) of v at p, little-endian.
inline void store_int(uint8_t* p, int width, int64_t v) {
    if (width == 2) {
        const auto x = static_cast<int16_t>(v);
        std::memcpy(p, &x, 2);
    } else if (width == 4) {
        const auto x = static_cast<int32_t>(v);
        std::memcpy(p, &x, 4);
    } else {
        std::memcpy(p, &v, 8);
    }
}

}  // namespace legolasflux::arrow::detail
