// Building arrays from C++ values. Each function makes a fresh array owning aligned buffers.
// A `valid` vector, when given, has one entry per value (false = null); empty means no nulls.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "legolasflux/arrow/array.hpp"

namespace legolasflux::arrow {

// Fixed-width values of any fixed-width type whose storage is T (ints, floats, dates, times,
// timestamps, durations, intervals (as raw bytes), decimals (as raw bytes)).
ArrayPtr make_fixed_width(DataType type, const void* values, int64_t length, const std::vector<bool>& valid = {});

template <class T>
ArrayPtr make_primitive(DataType type, const std::vector<T>& values, const std::vector<bool>& valid = {}) {
    return make_fixed_width(std::move(type), values.data(), static_cast<int64_t>(values.size()), valid);
}

// Convenience: std::nullopt entries become nulls (their slots hold zero).
template <class T>
ArrayPtr make_primitive(DataType type, const std::vector<std::optional<T>>& values) {
    std::vector<T> plain(values.size());
    std::vector<bool> valid(values.size());
    bool any_null = false;
    for (size_t i = 0; i < values.size(); ++i) {
        valid[i] = values[i].has_value();
        any_null |= !valid[i];
        if (valid[i]) plain[i] = *values[i];
    }
    return make_primitive(std::move(type), plain, any_null ? valid : std::vector<bool>{});
}

ArrayPtr make_null(int64_t length);
ArrayPtr make_bool(const std::vector<bool>& values, const std::vector<bool>& valid = {});
// Utf8 / LargeUtf8 / Binary / LargeBinary / FixedSizeBinary / Utf8View / BinaryView, by `type`.
ArrayPtr make_binary_like(DataType type, const std::vector<std::string>& values, const std::vector<bool>& valid = {});
ArrayPtr make_strings(const std::vector<std::string>& values, const std::vector<bool>& valid = {});
// List / LargeList / Map (by `type`) from per-slot lengths into `child`.
ArrayPtr make_list(DataType type, const std::vector<int64_t>& lengths, ArrayPtr child,
                   const std::vector<bool>& valid = {});
// ListView / LargeListView from offsets and sizes.
ArrayPtr make_list_view(DataType type, const std::vector<int64_t>& offsets, const std::vector<int64_t>& sizes,
                        ArrayPtr child, const std::vector<bool>& valid = {});
ArrayPtr make_fixed_size_list(DataType type, int64_t length, ArrayPtr child, const std::vector<bool>& valid = {});
ArrayPtr make_struct(DataType type, int64_t length, std::vector<ArrayPtr> children,
                     const std::vector<bool>& valid = {});
// Sparse (offsets empty) or dense union.
ArrayPtr make_union(DataType type, const std::vector<int8_t>& type_ids, const std::vector<int32_t>& offsets,
                    std::vector<ArrayPtr> children);
ArrayPtr make_run_end_encoded(DataType type, int64_t length, ArrayPtr run_ends, ArrayPtr values);
// Indices (of `index_type`) into `dictionary`.
ArrayPtr make_dictionary(DataType index_type, const std::vector<int64_t>& indices, ArrayPtr dictionary,
                         const std::vector<bool>& valid = {});

// A record batch / table from columns; the schema's fields must match the columns.
RecordBatch make_batch(std::shared_ptr<const Schema> schema, std::vector<ArrayPtr> columns);

}  // namespace legolasflux::arrow
