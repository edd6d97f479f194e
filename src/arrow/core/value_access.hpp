// Reading the slot a union, run-end encoded or dictionary array selects, shared by compare.cpp and
// pretty_print.cpp. The arrays must have been validated (Full): nothing here checks bounds.
#pragma once

#include <cstdint>
#include <cstring>
#include <utility>

#include "layout.hpp"
#include "legolasflux/arrow/array.hpp"

namespace legolasflux::arrow::detail {

// The dictionary index stored in logical slot i of a dictionary-encoded array.
inline int64_t dictionary_index(const Array& a, int64_t i) {
    const int width = a.type.bit_width / 8;
    return load_int(a.buffers[1].data() + (a.offset + i) * width, width, a.type.is_signed);
}

// The union's type id at slot i, the child it selects and the slot within that child.
struct UnionSlot {
    int8_t type_id;
    size_t child;
    int64_t child_slot;
};

inline UnionSlot union_slot(const Array& a, int64_t i) {
    const int64_t j = a.offset + i;
    const auto id = static_cast<int8_t>(a.buffers[0].data()[j]);
    size_t child = static_cast<size_t>(id);
    const auto& ids = a.type.type_ids;
    for (size_t k = 0; k < ids.size(); ++k)
        if (ids[k] == id) child = k;
    int64_t slot = j;
    if (a.type.union_mode == UnionMode::Dense) {
        int32_t off;
        std::memcpy(&off, a.buffers[1].data() + 4 * j, 4);
        slot = off;
    }
    return {id, child, slot};
}

// The index into the values child of a run-end encoded array holding logical slot i: the first run
// whose end exceeds offset + i.
inline int64_t run_index(const Array& a, int64_t i) {
    const Array& runs = *a.children[0];
    const int width = runs.type.bit_width / 8;
    const uint8_t* data = runs.buffers[1].data() + runs.offset * width;
    const int64_t target = a.offset + i;
    int64_t lo = 0, hi = runs.length;
    while (lo < hi) {
        const int64_t mid = lo + (hi - lo) / 2;
        if (load_int(data + mid * width, width, true) > target)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

}  // namespace legolasflux::arrow::detail
