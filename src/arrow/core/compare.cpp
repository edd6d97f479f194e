// Logical equality of arrays and tables. Arrays are compared slot by slot through their offsets, so
// slicing, padding, bytes under null slots and the physical layout of nested values do not matter.
#include "legolasflux/arrow/compare.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <optional>

#include "common/float16.hpp"
#include "legolasflux/arrow/pretty_print.hpp"
#include "value_access.hpp"

namespace legolasflux::arrow {
namespace {

bool same_dictionary_type(const Array& a, const Array& b) {
    if (!a.dictionary != !b.dictionary) return false;
    return !a.dictionary || a.dictionary->type == b.dictionary->type;
}

// Bit-exact, except that every NaN equals every NaN.
bool float_slot_equals(const Array& a, int64_t i, const Array& b, int64_t j) {
    const int width = a.type.fixed_width_bytes();
    const uint8_t* pa = a.buffers[1].data() + (a.offset + i) * width;
    const uint8_t* pb = b.buffers[1].data() + (b.offset + j) * width;
    if (std::memcmp(pa, pb, static_cast<size_t>(width)) == 0) return true;
    switch (a.type.precision) {
        case Precision::Half: {
            uint16_t x, y;
            std::memcpy(&x, pa, 2);
            std::memcpy(&y, pb, 2);
            return std::isnan(common::half_to_float(x)) && std::isnan(common::half_to_float(y));
        }
        case Precision::Single: {
            float x, y;
            std::memcpy(&x, pa, 4);
            std::memcpy(&y, pb, 4);
            return std::isnan(x) && std::isnan(y);
        }
        case Precision::Double: {
            double x, y;
            std::memcpy(&x, pa, 8);
            std::memcpy(&y, pb, 8);
            return std::isnan(x) && std::isnan(y);
        }
    }
    return false;
}

bool slots_equal(const Array& a, int64_t i, const Array& b, int64_t j);

bool ranges_equal(const Array& a, int64_t i, const Array& b, int64_t j, int64_t n) {
    // Fast path: fixed-width values with no nulls in either array compare as bytes.
    const int width = a.type.fixed_width_bytes();
    if (!a.dictionary && width > 0 && a.type.id != TypeId::FloatingPoint && a.null_count == 0 && b.null_count == 0)
        return n == 0 || std::memcmp(a.buffers[1].data() + (a.offset + i) * width,
                                     b.buffers[1].data() + (b.offset + j) * width, static_cast<size_t>(n * width)) == 0;
    for (int64_t k = 0; k < n; ++k)
        if (!slots_equal(a, i + k, b, j + k)) return false;
    return true;
}

// Slot i of a equals slot j of b; the arrays have equal types (checked by the caller).
bool slots_equal(const Array& a, int64_t i, const Array& b, int64_t j) {
    const DataType& t = a.type;
    if (t.id == TypeId::Null) return true;
    const bool va = a.is_valid(i);
    if (va != b.is_valid(j)) return false;
    if (!va) return true;
    if (a.dictionary)
        return slots_equal(*a.dictionary, detail::dictionary_index(a, i), *b.dictionary,
                           detail::dictionary_index(b, j));
    if (t.id == TypeId::FloatingPoint) return float_slot_equals(a, i, b, j);
    switch (detail::layout_of(t).kind) {
        case detail::LayoutKind::Null: return true;
        case detail::LayoutKind::Bitmap: return a.bool_value(i) == b.bool_value(j);
        case detail::LayoutKind::FixedWidth: {
            const int width = t.fixed_width_bytes();
            return std::memcmp(a.buffers[1].data() + (a.offset + i) * width,
                               b.buffers[1].data() + (b.offset + j) * width, static_cast<size_t>(width)) == 0;
        }
        case detail::LayoutKind::VarBinary:
        case detail::LayoutKind::BinaryView: return a.bytes_value(i) == b.bytes_value(j);
        case detail::LayoutKind::List:
        case detail::LayoutKind::ListView:
        case detail::LayoutKind::FixedSizeList: {
            const auto [sa, ea] = a.list_range(i);
            const auto [sb, eb] = b.list_range(j);
            return ea - sa == eb - sb && ranges_equal(*a.children[0], sa, *b.children[0], sb, ea - sa);
        }
        case detail::LayoutKind::Struct:
            for (size_t k = 0; k < a.children.size(); ++k)
                if (!slots_equal(*a.children[k], a.offset + i, *b.children[k], b.offset + j)) return false;
            return true;
        case detail::LayoutKind::SparseUnion:
        case detail::LayoutKind::DenseUnion: {
            const auto sa = detail::union_slot(a, i);
            const auto sb = detail::union_slot(b, j);
            return sa.type_id == sb.type_id &&
                   slots_equal(*a.children[sa.child], sa.child_slot, *b.children[sb.child], sb.child_slot);
        }
        case detail::LayoutKind::RunEndEncoded:
            return slots_equal(*a.children[1], detail::run_index(a, i), *b.children[1], detail::run_index(b, j));
        case detail::LayoutKind::Unknown: break;
    }
    return false;
}

struct Difference {
    std::string where;
    std::string left, right;
};

// The innermost place where slot i of a and slot j of b differ, descending through structs and
// equally long lists, so that a difference deep inside a nested value is named precisely.
std::optional<Difference> find_difference(const Array& a, int64_t i, const Array& b, int64_t j,
                                          const std::string& where) {
    if (slots_equal(a, i, b, j)) return std::nullopt;
    const DataType& t = a.type;
    if (a.is_valid(i) && b.is_valid(j) && !a.dictionary) {
        if (t.id == TypeId::Struct) {
            for (size_t k = 0; k < a.children.size(); ++k) {
                const std::string& name = t.children[k].name;
                auto d = find_difference(*a.children[k], a.offset + i, *b.children[k], b.offset + j,
                                         where + "." + (name.empty() ? std::to_string(k) : name));
                if (d) return d;
            }
        }
        const bool list_like = t.id == TypeId::List || t.id == TypeId::LargeList || t.id == TypeId::FixedSizeList ||
                               t.id == TypeId::ListView || t.id == TypeId::LargeListView;
        if (list_like) {
            const auto [sa, ea] = a.list_range(i);
            const auto [sb, eb] = b.list_range(j);
            if (ea - sa == eb - sb)
                for (int64_t k = 0; k < ea - sa; ++k) {
                    auto d = find_difference(*a.children[0], sa + k, *b.children[0], sb + k,
                                             where + "[" + std::to_string(k) + "]");
                    if (d) return d;
                }
        }
    }
    return Difference{where, format_value(a, i), format_value(b, j)};
}

std::string schema_difference(const Schema& a, const Schema& b) {
    if (a.fields.size() != b.fields.size())
        return "the schemas have " + std::to_string(a.fields.size()) + " and " + std::to_string(b.fields.size()) +
               " fields";
    for (size_t k = 0; k < a.fields.size(); ++k) {
        if (a.fields[k] == b.fields[k]) continue;
        std::string sa = to_string(a.fields[k]), sb = to_string(b.fields[k]);
        if (sa == sb) {
            sa += " (metadata differs)";
            sb += " (metadata differs)";
        }
        return "field " + std::to_string(k) + " of the schemas differs: " + sa + " vs " + sb;
    }
    if (a.metadata != b.metadata) return "the schemas' metadata differ";
    if (a.endianness != b.endianness) return "the schemas' endianness differ";
    return {};
}

// Walks two tables' rows in step, in runs that lie inside one batch of each, and calls
// visit(column, a_batch, a_row, b_batch, b_row, n, table_row) until it returns true.
template <class Visit>
bool walk_rows(const Table& a, const Table& b, Visit visit) {
    size_t ba = 0, bb = 0;
    int64_t ra = 0, rb = 0, row = 0;
    for (;;) {
        while (ba < a.batches.size() && ra >= a.batches[ba].length) ++ba, ra = 0;
        while (bb < b.batches.size() && rb >= b.batches[bb].length) ++bb, rb = 0;
        if (ba == a.batches.size() || bb == b.batches.size()) return false;
        const RecordBatch& x = a.batches[ba];
        const RecordBatch& y = b.batches[bb];
        const int64_t n = std::min(x.length - ra, y.length - rb);
        if (visit(x, ra, y, rb, n, row)) return true;
        ra += n;
        rb += n;
        row += n;
    }
}

bool columns_comparable(const Array& x, const Array& y) { return x.type == y.type && same_dictionary_type(x, y); }

}  // namespace

bool array_equals(const Array& a, const Array& b) {
    if (!(a.type == b.type) || a.length != b.length || !same_dictionary_type(a, b)) return false;
    return ranges_equal(a, 0, b, 0, a.length);
}

bool table_equals(const Table& a, const Table& b) {
    if (!a.schema || !b.schema) return !a.schema && !b.schema && a.num_rows() == b.num_rows();
    if (!(*a.schema == *b.schema) || a.num_rows() != b.num_rows()) return false;
    const bool differs =
        walk_rows(a, b, [](const RecordBatch& x, int64_t ra, const RecordBatch& y, int64_t rb, int64_t n, int64_t) {
            if (x.columns.size() != y.columns.size()) return true;
            for (size_t c = 0; c < x.columns.size(); ++c) {
                if (!columns_comparable(*x.columns[c], *y.columns[c])) return true;
                if (!ranges_equal(*x.columns[c], ra, *y.columns[c], rb, n)) return true;
            }
            return false;
        });
    return !differs;
}

std::string table_difference(const Table& a, const Table& b) {
    if (!a.schema || !b.schema) {
        if (!a.schema != !b.schema) return "one table has a schema and the other has none";
    } else if (std::string s = schema_difference(*a.schema, *b.schema); !s.empty()) {
        return s;
    }
    if (a.num_rows() != b.num_rows())
        return "the tables have " + std::to_string(a.num_rows()) + " and " + std::to_string(b.num_rows()) + " rows";
    std::string result;
    walk_rows(a, b, [&](const RecordBatch& x, int64_t ra, const RecordBatch& y, int64_t rb, int64_t n, int64_t row) {
        // The earliest differing row first, then the first column in schema order.
        if (x.columns.size() != y.columns.size()) {
            result = "record batches at row " + std::to_string(row) + " have " + std::to_string(x.columns.size()) +
                     " and " + std::to_string(y.columns.size()) + " columns";
            return true;
        }
        bool any = false;
        for (size_t c = 0; c < x.columns.size() && !any; ++c)
            any = !columns_comparable(*x.columns[c], *y.columns[c]) ||
                  !ranges_equal(*x.columns[c], ra, *y.columns[c], rb, n);
        if (!any) return false;
        for (int64_t k = 0; k < n; ++k) {
            for (size_t c = 0; c < x.columns.size(); ++c) {
                const Array& p = *x.columns[c];
                const Array& q = *y.columns[c];
                const std::string name =
                    a.schema && c < a.schema->fields.size() ? a.schema->fields[c].name : "#" + std::to_string(c);
                if (!columns_comparable(p, q)) {
                    result = "column " + name + " has type " + to_string(p.type) + " in one table and " +
                             to_string(q.type) + " in the other";
                    return true;
                }
                auto d = find_difference(p, ra + k, q, rb + k, name);
                if (!d) continue;
                result = "column " + name + " differs at row " + std::to_string(row + k) +
                         (d->where == name ? std::string() : " at " + d->where) + ": " + d->left + " vs " + d->right;
                return true;
            }
        }
        return false;
    });
    return result;
}

}  // namespace legolasflux::arrow
