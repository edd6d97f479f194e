// Arrays, record batches and tables: Arrow's columnar layout in memory.
//
// An Array holds its buffers in the order the IPC format lists them for its type:
//   Null                                   (no buffers)
//   Bool, Int, FloatingPoint, Decimal, Date, Time, Timestamp, Duration, Interval, FixedSizeBinary
//                                          validity, values
//   Utf8, Binary (int32 offsets), LargeUtf8, LargeBinary (int64 offsets)
//                                          validity, offsets, data
//   Utf8View, BinaryView                   validity, views, data buffers…
//   List, Map (int32), LargeList (int64)   validity, offsets          + children[0]
//   ListView (int32), LargeListView        validity, offsets, sizes   + children[0]
//   FixedSizeList, Struct                  validity                   + children
//   Union (sparse)                         type ids                   + children
//   Union (dense)                          type ids, offsets (int32)  + children
//   RunEndEncoded                          (no buffers)               + children run_ends, values
// A dictionary-encoded array has `type` = its index type, buffers validity and indices, and
// `dictionary` = the array of values.
//
// An empty validity buffer means "no nulls". `offset` is the logical start within the buffers, as in
// the Arrow C data interface; for Struct, FixedSizeList and sparse Union it applies to the children
// too (children are indexed at parent offset + i), for the other nested types the offsets buffers
// locate the child values.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "legolasflux/arrow/buffer.hpp"
#include "legolasflux/arrow/type.hpp"

namespace legolasflux::arrow {

struct Array;
using ArrayPtr = std::shared_ptr<const Array>;

struct Array {
    DataType type;
    int64_t length = 0;
    int64_t offset = 0;
    int64_t null_count = 0;
    std::vector<Buffer> buffers;
    std::vector<ArrayPtr> children;
    ArrayPtr dictionary;

    // Validity of logical slot i (0 <= i < length). Unions and run-end encoded arrays have no
    // validity bitmap of their own: they report their slots valid here.
    bool is_valid(int64_t i) const noexcept {
        if (buffers.empty() || buffers[0].empty() || !has_validity_bitmap(type.id)) return true;
        const int64_t bit = offset + i;
        return (buffers[0].data()[bit >> 3] >> (bit & 7)) & 1;
    }
    bool is_null(int64_t i) const noexcept { return !is_valid(i); }

    // The values buffer as T, already advanced by `offset` (fixed-width types only).
    template <class T>
    const T* values() const noexcept {
        return reinterpret_cast<const T*>(buffers[1].data()) + offset;
    }
    // The bit of a boolean array at logical slot i.
    bool bool_value(int64_t i) const noexcept {
        const int64_t bit = offset + i;
        return (buffers[1].data()[bit >> 3] >> (bit & 7)) & 1;
    }
    // Bytes of slot i of a Utf8/Binary/LargeUtf8/LargeBinary/Utf8View/BinaryView/FixedSizeBinary array.
    std::string_view bytes_value(int64_t i) const noexcept;
    // Start and end (exclusive) in children[0] of slot i of a list-like array
    // (List, LargeList, Map, ListView, LargeListView, FixedSizeList).
    std::pair<int64_t, int64_t> list_range(int64_t i) const noexcept;

    static bool has_validity_bitmap(TypeId id) noexcept {
        return id != TypeId::Null && id != TypeId::Union && id != TypeId::RunEndEncoded;
    }
};

struct RecordBatch {
    std::shared_ptr<const Schema> schema;
    int64_t length = 0;
    std::vector<ArrayPtr> columns;
};

struct Table {
    std::shared_ptr<const Schema> schema;
    std::vector<RecordBatch> batches;

    int64_t num_rows() const noexcept {
        int64_t n = 0;
        for (const auto& b : batches) n += b.length;
        return n;
    }
};

// Counts the zero bits of a validity bitmap over [offset, offset + length).
int64_t count_nulls(const Buffer& validity, int64_t offset, int64_t length) noexcept;

// The array as a slice [offset, offset + length) of `array`, sharing its buffers.
ArrayPtr slice(const ArrayPtr& array, int64_t offset, int64_t length);

}  // namespace legolasflux::arrow
