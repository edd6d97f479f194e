// Validation of arrays read from untrusted input. Every size is computed with overflow checks, every
// buffer is checked large enough before a byte of it is read, and recursion is bounded, so that a
// corrupt array fails here with a FormatError instead of crashing a later reader.
#include "legolasflux/arrow/validate.hpp"

#include <cstring>
#include <string>
#include <unordered_map>

#include "layout.hpp"
#include "legolasflux/errors.hpp"
#include "value_check_failure.hpp"

namespace legolasflux::arrow {
namespace {

using detail::layout_of;
using detail::LayoutKind;
using detail::load_int;

// The IPC reader bounds nesting far below this; the guard is for arrays built by other means.
constexpr int kMaxDepth = 256;

std::string child_path(const std::string& path, const std::string& name) {
    if (name.empty()) return path;
    if (path.empty()) return name;
    return path + "." + name;
}

bool is_nested(const DataType& type) { return layout_of(type).children != detail::ChildCount::None; }

// What messages call an array: its field name, or for unnamed fields (Arrow.jl names list items "")
// a short name of its type.
std::string label_for(const std::string& name, const DataType& type) {
    if (!name.empty()) return name;
    if (!is_nested(type)) return to_string(type);
    switch (type.id) {
        case TypeId::List: return "list";
        case TypeId::LargeList: return "large_list";
        case TypeId::FixedSizeList: return "fixed_size_list";
        case TypeId::Struct: return "struct";
        case TypeId::Map: return "map";
        case TypeId::Union: return "union";
        case TypeId::ListView: return "list_view";
        case TypeId::LargeListView: return "large_list_view";
        default: return "run_end_encoded";
    }
}

class Validator {
public:
    explicit Validator(ValidationLevel level) : full_(level == ValidationLevel::Full) {}

    void array(const Array& a, const std::string& path, const std::string& label, int depth);
    // The array stored for field `f`: plain arrays have f's type, dictionary-encoded ones the index
    // type with a dictionary of f's type.
    void matches_field(const Array& a, const Field& f, const std::string& path);

private:
    struct Ctx {
        const Array& a;
        const std::string& path;
        const std::string& label;
        int64_t end;  // offset + length
    };

    // Messages read "<label> <what> in field <path> (<detail>)".
    [[noreturn]] static void fail(const Ctx& c, const std::string& what, const std::string& detail = {}) {
        fail_at(c.path, c.label + " " + what, detail);
    }
    [[noreturn]] static void fail_at(const std::string& path, const std::string& what, const std::string& detail = {}) {
        throw FormatError(message(path, what, detail));
    }
    // The same message, with the check's numbers for readers that reword it (value_check_failure.hpp).
    [[noreturn]] static void fail_value(const Ctx& c, const std::string& what, const std::string& detail,
                                        detail::ValueCheckFailure::Check check, int64_t index, int64_t a, int64_t b,
                                        int64_t x = 0) {
        throw detail::ValueCheckFailure(message(c.path, c.label + " " + what, detail), check, index, a, b, x);
    }
    static std::string message(const std::string& path, const std::string& what, const std::string& detail) {
        return what + (path.empty() ? std::string(" in unnamed array") : " in field " + path) +
               (detail.empty() ? std::string() : " (" + detail + ")");
    }
    static int64_t mul(const Ctx& c, int64_t x, int64_t y) {
        int64_t r;
        if (__builtin_mul_overflow(x, y, &r)) fail(c, "buffer size overflows 64 bits");
        return r;
    }
    static int64_t add(const Ctx& c, int64_t x, int64_t y) {
        int64_t r;
        if (__builtin_add_overflow(x, y, &r)) fail(c, "size overflows 64 bits");
        return r;
    }

    void buffer_count(const Ctx& c, size_t expected, bool at_least = false);
    void buffer_size(const Ctx& c, size_t index, const char* what, int64_t needed);
    void validity(const Ctx& c);
    void offsets_buffer(const Ctx& c, size_t index, int width, const char* what);
    void type_params(const Ctx& c);
    void children(const Ctx& c, size_t expected, int depth);
    // Offsets of a List/Binary-like array into something of `target_length` elements.
    void offsets_values(const Ctx& c, int width, int64_t target_length, const char* target);
    void list_view_values(const Ctx& c, int width);
    void view_values(const Ctx& c);
    void union_array(const Ctx& c, int depth);
    void run_end_encoded(const Ctx& c, int depth);
    void dictionary_array(const Ctx& c, int depth);

    bool full_;
};

void Validator::buffer_count(const Ctx& c, size_t expected, bool at_least) {
    const size_t n = c.a.buffers.size();
    if (at_least ? n < expected : n != expected)
        fail(c, "has " + std::to_string(n) + " buffers, expected " + (at_least ? "at least " : "") +
                    std::to_string(expected) + " for " + to_string(c.a.type));
}

void Validator::buffer_size(const Ctx& c, size_t index, const char* what, int64_t needed) {
    const int64_t have = c.a.buffers[index].size();
    if (have < needed)
        fail(c, std::string(what) + " buffer (buffer " + std::to_string(index) +
                    ") too small: " + std::to_string(have) + " bytes, need " + std::to_string(needed) + " for offset " +
                    std::to_string(c.a.offset) + " + length " + std::to_string(c.a.length));
}

void Validator::validity(const Ctx& c) {
    const Buffer& bits = c.a.buffers[0];
    if (bits.empty()) {
        if (c.a.null_count != 0)
            fail(c, "null_count is " + std::to_string(c.a.null_count) + " but there is no validity bitmap");
        return;
    }
    buffer_size(c, 0, "validity", c.end / 8 + (c.end % 8 != 0));
    if (full_) {
        const int64_t counted = count_nulls(bits, c.a.offset, c.a.length);
        if (counted != c.a.null_count)
            fail(c, "null_count is " + std::to_string(c.a.null_count) + " but the validity bitmap has " +
                        std::to_string(counted) + " nulls");
    }
}

void Validator::offsets_buffer(const Ctx& c, size_t index, int width, const char* what) {
    // Nothing addresses the offsets of an empty array, and writers may leave the buffer empty.
    if (c.a.length == 0) return;
    buffer_size(c, index, what, mul(c, add(c, c.end, 1), width));
}

void Validator::type_params(const Ctx& c) {
    const DataType& t = c.a.type;
    auto bad = [&](const std::string& what) { fail(c, "has an invalid type " + to_string(t) + ": " + what); };
    // Lists and run-end encoded types declare a fixed number of child fields (a map's one child is
    // checked with its shape below).
    if (t.id == TypeId::FixedSizeList && t.list_size < 0) bad("negative list size");
    const detail::ChildCount fixed = layout_of(t).children;
    const size_t expected = fixed == detail::ChildCount::One ? 1 : 2;
    if ((fixed == detail::ChildCount::One || fixed == detail::ChildCount::Two) && t.id != TypeId::Map &&
        t.children.size() != expected)
        bad(std::to_string(t.children.size()) + " child fields, expected " + std::to_string(expected));
    switch (t.id) {
        case TypeId::Int:
            if (t.bit_width != 8 && t.bit_width != 16 && t.bit_width != 32 && t.bit_width != 64 && t.bit_width != 128)
                bad("bit width " + std::to_string(t.bit_width));
            break;
        case TypeId::Decimal:
            if (t.bit_width != 32 && t.bit_width != 64 && t.bit_width != 128 && t.bit_width != 256)
                bad("bit width " + std::to_string(t.bit_width));
            break;
        case TypeId::Time:
            if (t.bit_width != 32 && t.bit_width != 64) bad("bit width " + std::to_string(t.bit_width));
            break;
        case TypeId::FixedSizeBinary:
            if (t.byte_width < 0) bad("negative byte width");
            break;
        case TypeId::Map:
            if (!detail::has_map_entries(t)) bad("a map needs one struct child with two fields (key, value)");
            break;
        case TypeId::RunEndEncoded: {
            const DataType& r = t.children[0].type;
            if (r.id != TypeId::Int || !r.is_signed || (r.bit_width != 16 && r.bit_width != 32 && r.bit_width != 64))
                bad("run ends must be int16, int32 or int64");
            if (t.children[0].dictionary) bad("run ends cannot be dictionary-encoded");
            break;
        }
        case TypeId::Union: {
            if (!t.type_ids.empty() && t.type_ids.size() != t.children.size())
                bad(std::to_string(t.type_ids.size()) + " type ids for " + std::to_string(t.children.size()) +
                    " children");
            if (t.children.size() > 128) bad("more than 128 children");
            bool seen[128] = {};
            for (int32_t id : t.type_ids) {
                if (id < 0 || id > 127) bad("type id " + std::to_string(id) + " outside 0..127");
                if (seen[id]) bad("type id " + std::to_string(id) + " declared twice");
                seen[id] = true;
            }
            break;
        }
        default: break;
    }
}

void Validator::matches_field(const Array& a, const Field& f, const std::string& path) {
    const std::string label = label_for(f.name, f.type);
    if (f.dictionary) {
        if (!(a.type == f.dictionary->index_type))
            fail_at(path, label + " is dictionary-encoded with index type " + to_string(f.dictionary->index_type) +
                              " but the array has type " + to_string(a.type));
        if (!a.dictionary) fail_at(path, label + " is dictionary-encoded but the array has no dictionary");
        if (!(a.dictionary->type == f.type))
            fail_at(path, label + " dictionary has type " + to_string(a.dictionary->type) + ", expected " +
                              to_string(f.type));
        return;
    }
    if (a.dictionary) fail_at(path, label + " is not dictionary-encoded but the array has a dictionary");
    if (!(a.type == f.type))
        fail_at(path, label + " has type " + to_string(a.type) + ", expected " + to_string(f.type));
}

void Validator::children(const Ctx& c, size_t expected, int depth) {
    const auto& kids = c.a.children;
    if (kids.size() != expected)
        fail(c, "has " + std::to_string(kids.size()) + " children, expected " + std::to_string(expected));
    for (size_t i = 0; i < kids.size(); ++i) {
        if (!kids[i]) fail(c, "child " + std::to_string(i) + " is missing");
        if (i < c.a.type.children.size()) {
            const Field& f = c.a.type.children[i];
            const std::string p = child_path(c.path, f.name);
            matches_field(*kids[i], f, p);
            array(*kids[i], p, label_for(f.name, f.type), depth + 1);
        } else {
            array(*kids[i], c.path, "child " + std::to_string(i), depth + 1);
        }
    }
}

void Validator::offsets_values(const Ctx& c, int width, int64_t target_length, const char* target) {
    if (c.a.length == 0) return;
    const uint8_t* offs = c.a.buffers[1].data();
    auto at = [&](int64_t j) { return load_int(offs + j * width, width, true); };
    // First and last are checked at both levels: they bound what any reader of the array touches.
    const int64_t first = at(c.a.offset);
    const int64_t last = at(c.end);
    if (first < 0) fail(c, "offsets start negative (" + std::to_string(first) + ") at index 0");
    if (last < first)
        fail(c, "offsets decrease from " + std::to_string(first) + " to " + std::to_string(last) + " over the array");
    if (last > target_length)
        fail(c, "offsets end at " + std::to_string(last) + " beyond the " + target + " length " +
                    std::to_string(target_length));
    if (!full_) return;
    int64_t prev = first;
    for (int64_t i = 1; i <= c.a.length; ++i) {
        const int64_t v = at(c.a.offset + i);
        if (v < prev)
            fail(c, "offsets not increasing at index " + std::to_string(i),
                 std::to_string(prev) + " then " + std::to_string(v));
        prev = v;
    }
}

void Validator::list_view_values(const Ctx& c, int width) {
    if (!full_ || c.a.length == 0) return;
    const int64_t child_len = c.a.children[0]->length;
    const uint8_t* offs = c.a.buffers[1].data();
    const uint8_t* sizes = c.a.buffers[2].data();
    // The spec requires bounds even for null slots, so every slot is checked.
    for (int64_t i = 0; i < c.a.length; ++i) {
        const int64_t j = c.a.offset + i;
        const int64_t off = load_int(offs + j * width, width, true);
        const int64_t size = load_int(sizes + j * width, width, true);
        int64_t stop;
        if (off < 0 || size < 0 || __builtin_add_overflow(off, size, &stop) || stop > child_len)
            fail_value(c,
                       "list view at index " + std::to_string(i) + " (offset " + std::to_string(off) + ", size " +
                           std::to_string(size) + ") outside the child of length " + std::to_string(child_len),
                       {}, detail::ValueCheckFailure::Check::ListViewOutsideChild, i, off, size, child_len);
    }
}

void Validator::view_values(const Ctx& c) {
    if (!full_) return;
    const uint8_t* views = c.a.buffers[1].data();
    const size_t data_buffers = c.a.buffers.size() - 2;
    for (int64_t i = 0; i < c.a.length; ++i) {
        const uint8_t* v = views + 16 * (c.a.offset + i);
        int32_t len, index, off;
        std::memcpy(&len, v, 4);
        if (len < 0) fail(c, "view at index " + std::to_string(i) + " has negative length " + std::to_string(len));
        if (len <= 12) continue;
        std::memcpy(&index, v + 8, 4);
        std::memcpy(&off, v + 12, 4);
        if (index < 0 || static_cast<size_t>(index) >= data_buffers)
            fail(c, "view at index " + std::to_string(i) + " refers to data buffer " + std::to_string(index) + " of " +
                        std::to_string(data_buffers));
        const int64_t size = c.a.buffers[2 + static_cast<size_t>(index)].size();
        if (off < 0 || int64_t{off} + len > size)
            fail(c, "view at index " + std::to_string(i) + " (offset " + std::to_string(off) + ", length " +
                        std::to_string(len) + ") outside data buffer " + std::to_string(index) + " of " +
                        std::to_string(size) + " bytes");
    }
}

void Validator::union_array(const Ctx& c, int depth) {
    const DataType& t = c.a.type;
    const bool dense = t.union_mode == UnionMode::Dense;
    buffer_count(c, dense ? 2 : 1);
    buffer_size(c, 0, "type ids", c.end);
    if (dense) buffer_size(c, 1, "offsets", mul(c, c.end, 4));
    children(c, t.children.size(), depth);
    if (!dense)
        for (size_t k = 0; k < c.a.children.size(); ++k)
            if (c.a.children[k]->length < c.end)
                fail(c, "child " + std::to_string(k) + " has length " + std::to_string(c.a.children[k]->length) +
                            ", need at least " + std::to_string(c.end) + " for a sparse union");
    if (!full_) return;
    int child_of[128];
    for (int& x : child_of) x = -1;
    for (size_t k = 0; k < t.children.size(); ++k)
        child_of[t.type_ids.empty() ? k : static_cast<size_t>(t.type_ids[k])] = static_cast<int>(k);
    const auto* ids = reinterpret_cast<const int8_t*>(c.a.buffers[0].data());
    for (int64_t i = 0; i < c.a.length; ++i) {
        const int8_t id = ids[c.a.offset + i];
        if (id < 0 || child_of[id] < 0)
            fail(c, "type id " + std::to_string(id) + " at index " + std::to_string(i) + " is not a declared type id");
        if (!dense) continue;
        int32_t off;
        std::memcpy(&off, c.a.buffers[1].data() + 4 * (c.a.offset + i), 4);
        // Per the spec, dense offsets need not increase within a child; only their bounds matter.
        const int64_t child_len = c.a.children[static_cast<size_t>(child_of[id])]->length;
        if (off < 0 || off >= child_len)
            fail(c, "offset " + std::to_string(off) + " at index " + std::to_string(i) + " outside child " +
                        std::to_string(child_of[id]) + " of length " + std::to_string(child_len));
    }
}

void Validator::run_end_encoded(const Ctx& c, int depth) {
    buffer_count(c, 0);
    if (c.a.null_count != 0) fail(c, "null_count must be 0 for run-end encoded arrays");
    children(c, 2, depth);
    const Array& runs = *c.a.children[0];
    const Array& values = *c.a.children[1];
    if (runs.null_count != 0) fail(c, "run ends contain " + std::to_string(runs.null_count) + " nulls");
    if (values.length < runs.length)
        fail(c, "values child has length " + std::to_string(values.length) + ", less than the " +
                    std::to_string(runs.length) + " run ends");
    const int width = runs.type.bit_width / 8;
    const uint8_t* data = runs.buffers[1].data() + runs.offset * width;
    auto at = [&](int64_t k) { return load_int(data + k * width, width, true); };
    if (c.end > 0) {
        if (runs.length == 0) fail(c, "has no run ends for length " + std::to_string(c.a.length));
        const int64_t last = at(runs.length - 1);
        if (last < c.end)
            fail_value(
                c, "last run end " + std::to_string(last) + " is less than offset + length " + std::to_string(c.end),
                {}, detail::ValueCheckFailure::Check::LastRunEndShort, runs.length - 1, last, c.end);
    }
    if (!full_) return;
    int64_t prev = 0;
    for (int64_t k = 0; k < runs.length; ++k) {
        const int64_t v = at(k);
        if (v <= prev)
            fail_value(c, "run ends not strictly increasing and positive at index " + std::to_string(k),
                       std::to_string(prev) + " then " + std::to_string(v),
                       detail::ValueCheckFailure::Check::RunEndNotIncreasing, k, prev, v);
        prev = v;
    }
}

void Validator::dictionary_array(const Ctx& c, int depth) {
    const DataType& t = c.a.type;
    if (t.id != TypeId::Int || (t.bit_width != 8 && t.bit_width != 16 && t.bit_width != 32 && t.bit_width != 64))
        fail(c, "has a dictionary but its type " + to_string(t) + " is not an integer index type");
    if (!c.a.children.empty()) fail(c, "dictionary indices have children");
    buffer_count(c, 2);
    validity(c);
    const int width = t.bit_width / 8;
    buffer_size(c, 1, "indices", mul(c, c.end, width));
    const Array& dict = *c.a.dictionary;
    array(dict, c.path, c.label + " dictionary", depth + 1);
    if (!full_) return;
    const uint8_t* data = c.a.buffers[1].data();
    for (int64_t i = 0; i < c.a.length; ++i) {
        if (!c.a.is_valid(i)) continue;
        const int64_t index = load_int(data + (c.a.offset + i) * width, width, t.is_signed);
        if (index < 0 || index >= dict.length)
            fail(c, "dictionary index " + std::to_string(index) + " at index " + std::to_string(i) +
                        " outside the dictionary of length " + std::to_string(dict.length));
    }
}

void Validator::array(const Array& a, const std::string& path, const std::string& label, int depth) {
    if (depth > kMaxDepth) fail_at(path, label + " is nested deeper than " + std::to_string(kMaxDepth) + " levels");
    if (a.length < 0 || a.offset < 0 || a.null_count < 0)
        fail_at(path, label + " has negative length, offset or null_count (" + std::to_string(a.length) + ", " +
                          std::to_string(a.offset) + ", " + std::to_string(a.null_count) + ")");
    int64_t end;
    if (__builtin_add_overflow(a.offset, a.length, &end)) fail_at(path, label + " offset + length overflows");
    const Ctx c{a, path, label, end};
    if (a.null_count > a.length)
        fail(c, "null_count " + std::to_string(a.null_count) + " exceeds length " + std::to_string(a.length));
    if (a.dictionary) return dictionary_array(c, depth);
    type_params(c);

    const DataType& t = a.type;
    const detail::Layout layout = layout_of(t);
    const int width = layout.offset_width;
    switch (layout.kind) {
        case LayoutKind::Null:
            buffer_count(c, 0);
            children(c, 0, depth);
            if (a.null_count != a.length)
                fail(c, "null_count " + std::to_string(a.null_count) + " must equal length " +
                            std::to_string(a.length) + " for the null type");
            return;
        case LayoutKind::Bitmap:
            buffer_count(c, 2);
            children(c, 0, depth);
            validity(c);
            buffer_size(c, 1, "values", end / 8 + (end % 8 != 0));
            return;
        case LayoutKind::FixedWidth:
            buffer_count(c, 2);
            children(c, 0, depth);
            validity(c);
            buffer_size(c, 1, "values", mul(c, end, layout.value_width));
            return;
        case LayoutKind::VarBinary:
            buffer_count(c, 3);
            children(c, 0, depth);
            validity(c);
            offsets_buffer(c, 1, width, "offsets");
            offsets_values(c, width, a.buffers[2].size(), "data buffer");
            return;
        case LayoutKind::BinaryView:
            buffer_count(c, 2, true);
            children(c, 0, depth);
            validity(c);
            buffer_size(c, 1, "views", mul(c, end, layout.value_width));
            view_values(c);
            return;
        case LayoutKind::List:
            buffer_count(c, 2);
            validity(c);
            offsets_buffer(c, 1, width, "offsets");
            children(c, 1, depth);
            offsets_values(c, width, a.children[0]->length, "child");
            return;
        case LayoutKind::ListView:
            buffer_count(c, 3);
            validity(c);
            if (a.length > 0) {
                buffer_size(c, 1, "offsets", mul(c, end, width));
                buffer_size(c, 2, "sizes", mul(c, end, width));
            }
            children(c, 1, depth);
            list_view_values(c, width);
            return;
        case LayoutKind::FixedSizeList: {
            buffer_count(c, 1);
            validity(c);
            children(c, 1, depth);
            const int64_t need = mul(c, end, t.list_size);
            if (a.children[0]->length < need)
                fail(c, "child has length " + std::to_string(a.children[0]->length) + ", need " + std::to_string(need) +
                            " for " + std::to_string(end) + " lists of " + std::to_string(t.list_size));
            return;
        }
        case LayoutKind::Struct:
            buffer_count(c, 1);
            validity(c);
            children(c, t.children.size(), depth);
            for (size_t k = 0; k < a.children.size(); ++k)
                if (a.children[k]->length < end)
                    fail(c, "child " + std::to_string(k) + " (" + t.children[k].name + ") has length " +
                                std::to_string(a.children[k]->length) + ", need at least " + std::to_string(end));
            return;
        case LayoutKind::SparseUnion:
        case LayoutKind::DenseUnion: return union_array(c, depth);
        case LayoutKind::RunEndEncoded: return run_end_encoded(c, depth);
        case LayoutKind::Unknown: break;
    }
    fail(c, "has an unknown type id " + std::to_string(static_cast<int>(t.id)));
}

std::string last_component(const std::string& path) {
    const auto dot = path.rfind('.');
    return dot == std::string::npos ? path : path.substr(dot + 1);
}

}  // namespace

void validate(const Array& array, const std::string& path, ValidationLevel level) {
    Validator(level).array(array, path, label_for(last_component(path), array.type), 0);
}

void validate(const RecordBatch& batch, ValidationLevel level) {
    if (!batch.schema) throw FormatError("record batch has no schema");
    const auto& fields = batch.schema->fields;
    if (batch.length < 0) throw FormatError("record batch has negative length " + std::to_string(batch.length));
    if (batch.columns.size() != fields.size())
        throw FormatError("record batch has " + std::to_string(batch.columns.size()) + " columns but the schema has " +
                          std::to_string(fields.size()) + " fields");
    Validator v(level);
    for (size_t i = 0; i < fields.size(); ++i) {
        const Field& f = fields[i];
        if (!batch.columns[i]) throw FormatError("column " + std::to_string(i) + " (" + f.name + ") is missing");
        const Array& col = *batch.columns[i];
        if (col.length != batch.length)
            throw FormatError("column " + f.name + " has length " + std::to_string(col.length) +
                              " but the record batch has length " + std::to_string(batch.length));
        v.matches_field(col, f, f.name);
        v.array(col, f.name, label_for(f.name, f.type), 0);
    }
}

void validate(const Table& table, ValidationLevel level) {
    if (!table.schema) throw FormatError("table has no schema");
    for (size_t b = 0; b < table.batches.size(); ++b) {
        const RecordBatch& batch = table.batches[b];
        if (batch.schema != table.schema && (!batch.schema || !(*batch.schema == *table.schema)))
            throw FormatError("record batch " + std::to_string(b) + " has a schema different from the table's");
        try {
            validate(batch, level);
        } catch (const FormatError& e) {
            throw FormatError("record batch " + std::to_string(b) + ": " + e.what());
        }
    }
}

}  // namespace legolasflux::arrow
