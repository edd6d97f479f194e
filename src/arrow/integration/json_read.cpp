// read_json: integration JSON → Table, building every array in the layout of array.hpp.
// Everything that would make an array inconsistent (counts, offsets, ids, run ends, dictionary
// indices) is checked here, so the arrays read_json returns can be trusted by later code.
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <set>

#include "core/value_check_failure.hpp"
#include "json_internal.hpp"
#include "legolasflux/arrow/json.hpp"
#include "legolasflux/arrow/validate.hpp"
#include "legolasflux/errors.hpp"

namespace legolasflux::arrow {

using namespace json_detail;

namespace {

// A values buffer being filled slot by slot.
struct Bytes {
    std::vector<uint8_t> v;
    explicit Bytes(size_t n) : v(n, 0) {}
    template <class T>
    void put(size_t i, T x) {
        std::memcpy(v.data() + i * sizeof(T), &x, sizeof(T));
    }
    Buffer buffer() const { return Buffer::copy_of(v); }
};

void set_bit(std::vector<uint8_t>& bits, int64_t i) { bits[static_cast<size_t>(i >> 3)] |= uint8_t(1u << (i & 7)); }

struct Reader {
    ValidationLevel validation = ValidationLevel::Full;
    std::map<int64_t, const Json*> dictionary_json;  // id → the dictionary's {count, columns}
    std::map<int64_t, Field> dictionary_fields;      // id → the value field (no `dictionary`)
    std::map<int64_t, ArrayPtr> dictionaries;
    std::set<int64_t> resolving;

    void collect_dictionary_fields(const Field& f, const std::string& where) {
        if (f.dictionary) {
            Field values = f;
            values.dictionary.reset();
            auto [it, fresh] = dictionary_fields.emplace(f.dictionary->id, values);
            if (!fresh && !(it->second.type == values.type))
                fail(where, "dictionary id " + std::to_string(f.dictionary->id) + " is used with two value types: " +
                                to_string(it->second.type) + " and " + to_string(values.type));
        }
        for (const Field& c : f.type.children) collect_dictionary_fields(c, where + "." + c.name);
    }

    ArrayPtr dictionary(int64_t id, const std::string& where) {
        if (auto it = dictionaries.find(id); it != dictionaries.end()) return it->second;
        auto js = dictionary_json.find(id);
        if (js == dictionary_json.end())
            fail(where, "no dictionary with id " + std::to_string(id) + " in \"dictionaries\"");
        if (!resolving.insert(id).second) fail(where, "dictionary id " + std::to_string(id) + " contains itself");
        const std::string dw = "dictionary id " + std::to_string(id);
        const Json& data = *js->second;
        if (!data.is_object()) fail(dw, "\"data\" must be an object {count, columns}");
        const int64_t count = signed_value(need(data, "count", dw), 0, INT64_MAX, key_at(dw, "count"));
        const Json& columns = array_of(data, "columns", 1, dw);
        ArrayPtr values = column(dictionary_fields.at(id), columns[0], dw + " column", 0, false);
        if (values->length != count)
            fail(dw, "count " + std::to_string(count) + " but its column has " + std::to_string(values->length));
        resolving.erase(id);
        dictionaries.emplace(id, values);
        return values;
    }

    // VALIDITY of a column with `n` slots; an all-valid column gets no bitmap.
    Buffer validity(const Json& col, int64_t n, const std::string& where, int64_t* null_count) {
        const Json& a = array_of(col, "VALIDITY", static_cast<size_t>(n), where);
        std::vector<uint8_t> bits(static_cast<size_t>((n + 7) / 8), 0);
        int64_t nulls = 0;
        for (int64_t i = 0; i < n; ++i) {
            if (bit_value(a[static_cast<size_t>(i)], index_at(where, "VALIDITY", static_cast<size_t>(i))))
                set_bit(bits, i);
            else
                ++nulls;
        }
        *null_count = nulls;
        return nulls ? Buffer::copy_of(bits) : Buffer{};
    }

    // OFFSET of a variable-size column: n + 1 entries (an empty column may give none).
    std::vector<int64_t> offsets(const Json& col, int64_t n, bool large, const std::string& where) {
        const Json& a = need(col, "OFFSET", where);
        if (n == 0 && a.is_array() && a.empty()) return {0};
        array_of(col, "OFFSET", static_cast<size_t>(n + 1), where);
        const int64_t max = large ? INT64_MAX : INT32_MAX;
        std::vector<int64_t> out(static_cast<size_t>(n + 1));
        for (size_t i = 0; i < out.size(); ++i) {
            out[i] = signed_value(a[i], 0, max, index_at(where, "OFFSET", i));
            if (i > 0 && out[i] < out[i - 1])
                fail(index_at(where, "OFFSET", i),
                     std::to_string(out[i]) + " is less than the previous offset " + std::to_string(out[i - 1]));
        }
        return out;
    }

    static Buffer offsets_buffer(const std::vector<int64_t>& offs, bool large) {
        Bytes b(offs.size() * (large ? 8 : 4));
        for (size_t i = 0; i < offs.size(); ++i) large ? b.put(i, offs[i]) : b.put(i, static_cast<int32_t>(offs[i]));
        return b.buffer();
    }

    std::vector<ArrayPtr> children(const Field& f, const Json& col, const std::string& where, int depth) {
        const auto& fields = f.type.children;
        std::vector<ArrayPtr> out;
        if (fields.empty() && !col.contains("children")) return out;
        const Json& a = array_of(col, "children", fields.size(), where);
        for (size_t i = 0; i < fields.size(); ++i)
            out.push_back(column(fields[i], a[i], where + "." + fields[i].name, depth + 1, true));
        return out;
    }

    Buffer fixed_values(const DataType& t, const Json& col, int64_t n, const std::string& where) {
        const Json& a = array_of(col, "DATA", static_cast<size_t>(n), where);
        const size_t count = static_cast<size_t>(n);
        auto at = [&](size_t i) { return index_at(where, "DATA", i); };
        switch (t.id) {
            case TypeId::Bool: {
                std::vector<uint8_t> bits(static_cast<size_t>((n + 7) / 8), 0);
                for (size_t i = 0; i < count; ++i)
                    if (bit_value(a[i], at(i))) set_bit(bits, static_cast<int64_t>(i));
                return Buffer::copy_of(bits);
            }
            case TypeId::Int: {
                Bytes b(count * static_cast<size_t>(t.bit_width / 8));
                for (size_t i = 0; i < count; ++i) {
                    if (t.is_signed) {
                        const int64_t max = t.bit_width == 64 ? INT64_MAX : (int64_t{1} << (t.bit_width - 1)) - 1;
                        const int64_t x = signed_value(a[i], -max - 1, max, at(i));
                        switch (t.bit_width) {
                            case 8: b.put(i, static_cast<int8_t>(x)); break;
                            case 16: b.put(i, static_cast<int16_t>(x)); break;
                            case 32: b.put(i, static_cast<int32_t>(x)); break;
                            default: b.put(i, x);
                        }
                    } else {
                        const uint64_t max = t.bit_width == 64 ? UINT64_MAX : (uint64_t{1} << t.bit_width) - 1;
                        const uint64_t x = unsigned_value(a[i], max, at(i));
                        switch (t.bit_width) {
                            case 8: b.put(i, static_cast<uint8_t>(x)); break;
                            case 16: b.put(i, static_cast<uint16_t>(x)); break;
                            case 32: b.put(i, static_cast<uint32_t>(x)); break;
                            default: b.put(i, x);
                        }
                    }
                }
                return b.buffer();
            }
            case TypeId::FloatingPoint: {
                Bytes b(count * static_cast<size_t>(t.fixed_width_bytes()));
                for (size_t i = 0; i < count; ++i) {
                    const double x = float_value(a[i], at(i));
                    if (t.precision == Precision::Half)
                        b.put(i, double_to_half(x));
                    else if (t.precision == Precision::Single)
                        b.put(i, static_cast<float>(x));
                    else
                        b.put(i, x);
                }
                return b.buffer();
            }
            case TypeId::Decimal: {
                const int w = t.bit_width / 8;
                Bytes b(count * static_cast<size_t>(w));
                for (size_t i = 0; i < count; ++i) {
                    const std::string s = a[i].is_number_integer() ? a[i].dump() : string_value(a[i], at(i));
                    decimal_from_string(s, b.v.data() + i * static_cast<size_t>(w), w, at(i));
                }
                return b.buffer();
            }
            case TypeId::Date:
            case TypeId::Time:
            case TypeId::Timestamp:
            case TypeId::Duration: {
                const bool wide = t.fixed_width_bytes() == 8;
                Bytes b(count * (wide ? 8 : 4));
                for (size_t i = 0; i < count; ++i) {
                    if (wide)
                        b.put(i, signed_value(a[i], INT64_MIN, INT64_MAX, at(i)));
                    else
                        b.put(i, static_cast<int32_t>(signed_value(a[i], INT32_MIN, INT32_MAX, at(i))));
                }
                return b.buffer();
            }
            case TypeId::Interval: {
                Bytes b(count * static_cast<size_t>(t.fixed_width_bytes()));
                for (size_t i = 0; i < count; ++i) {
                    auto part = [&](const char* key, int64_t min, int64_t max) {
                        if (!a[i].is_object()) fail(at(i), "expected an object, found " + a[i].dump());
                        return signed_value(need(a[i], key, at(i)), min, max, at(i) + "." + key);
                    };
                    if (t.interval_unit == IntervalUnit::YearMonth) {
                        b.put(i, static_cast<int32_t>(signed_value(a[i], INT32_MIN, INT32_MAX, at(i))));
                    } else if (t.interval_unit == IntervalUnit::DayTime) {
                        const auto days = static_cast<int32_t>(part("days", INT32_MIN, INT32_MAX));
                        const auto ms = static_cast<int32_t>(part("milliseconds", INT32_MIN, INT32_MAX));
                        std::memcpy(b.v.data() + 8 * i, &days, 4);
                        std::memcpy(b.v.data() + 8 * i + 4, &ms, 4);
                    } else {
                        const auto months = static_cast<int32_t>(part("months", INT32_MIN, INT32_MAX));
                        const auto days = static_cast<int32_t>(part("days", INT32_MIN, INT32_MAX));
                        const int64_t ns = part("nanoseconds", INT64_MIN, INT64_MAX);
                        std::memcpy(b.v.data() + 16 * i, &months, 4);
                        std::memcpy(b.v.data() + 16 * i + 4, &days, 4);
                        std::memcpy(b.v.data() + 16 * i + 8, &ns, 8);
                    }
                }
                return b.buffer();
            }
            case TypeId::FixedSizeBinary: {
                const auto w = static_cast<size_t>(t.byte_width);
                Bytes b(count * w);
                for (size_t i = 0; i < count; ++i) {
                    const std::string bytes = from_hex(string_value(a[i], at(i)), at(i));
                    if (bytes.size() != w)
                        fail(at(i),
                             std::to_string(bytes.size()) + " bytes in a fixedsizebinary(" + std::to_string(w) + ")");
                    if (w) std::memcpy(b.v.data() + i * w, bytes.data(), w);
                }
                return b.buffer();
            }
            default: fail(where, "internal: no fixed-width encoding for " + to_string(t));
        }
    }

    void binary_like(Array& a, const Json& col, const std::string& where) {
        const bool large = a.type.id == TypeId::LargeUtf8 || a.type.id == TypeId::LargeBinary;
        const bool text = a.type.id == TypeId::Utf8 || a.type.id == TypeId::LargeUtf8;
        const auto offs = offsets(col, a.length, large, where);
        const Json& data = array_of(col, "DATA", static_cast<size_t>(a.length), where);
        std::vector<uint8_t> bytes(static_cast<size_t>(offs.back()), 0);
        for (size_t i = 0; i < static_cast<size_t>(a.length); ++i) {
            const std::string at = index_at(where, "DATA", i);
            const std::string s = text ? string_value(data[i], at) : from_hex(string_value(data[i], at), at);
            if (static_cast<int64_t>(s.size()) != offs[i + 1] - offs[i])
                fail(at, std::to_string(s.size()) + " bytes but OFFSET gives " + std::to_string(offs[i + 1] - offs[i]));
            if (!s.empty()) std::memcpy(bytes.data() + offs[i], s.data(), s.size());
        }
        a.buffers.push_back(offsets_buffer(offs, large));
        a.buffers.push_back(Buffer::copy_of(bytes));
    }

    void views(Array& a, const Json& col, const std::string& where) {
        const bool text = a.type.id == TypeId::Utf8View;
        const Json& vars = need(col, "VARIADIC_DATA_BUFFERS", where);
        if (!vars.is_array()) fail(key_at(where, "VARIADIC_DATA_BUFFERS"), "must be an array of hex strings");
        std::vector<std::string> data;
        for (size_t i = 0; i < vars.size(); ++i) {
            const std::string at = index_at(where, "VARIADIC_DATA_BUFFERS", i);
            data.push_back(from_hex(string_value(vars[i], at), at));
        }
        const Json& vs = array_of(col, "VIEWS", static_cast<size_t>(a.length), where);
        Bytes b(static_cast<size_t>(a.length) * 16);
        for (size_t i = 0; i < vs.size(); ++i) {
            const std::string at = index_at(where, "VIEWS", i);
            const Json& v = vs[i];
            if (!v.is_object()) fail(at, "a view must be an object");
            const auto size = static_cast<int32_t>(signed_value(need(v, "SIZE", at), 0, INT32_MAX, at + ".SIZE"));
            uint8_t* view = b.v.data() + 16 * i;
            std::memcpy(view, &size, 4);
            if (size <= 12) {
                const std::string s =
                    text ? string_value(need(v, "INLINED", at), at + ".INLINED")
                         : from_hex(string_value(need(v, "INLINED", at), at + ".INLINED"), at + ".INLINED");
                if (static_cast<int32_t>(s.size()) != size)
                    fail(at, "INLINED holds " + std::to_string(s.size()) + " bytes, SIZE says " + std::to_string(size));
                std::memcpy(view + 4, s.data(), s.size());
                continue;
            }
            const std::string prefix =
                from_hex(string_value(need(v, "PREFIX_HEX", at), at + ".PREFIX_HEX"), at + ".PREFIX_HEX");
            const auto index = signed_value(need(v, "BUFFER_INDEX", at), 0, INT32_MAX, at + ".BUFFER_INDEX");
            const auto off = signed_value(need(v, "OFFSET", at), 0, INT32_MAX, at + ".OFFSET");
            if (index >= static_cast<int64_t>(data.size()))
                fail(at, "BUFFER_INDEX " + std::to_string(index) + " but only " + std::to_string(data.size()) +
                             " variadic buffers");
            const std::string& buf = data[static_cast<size_t>(index)];
            if (off + size > static_cast<int64_t>(buf.size()))
                fail(at, "OFFSET " + std::to_string(off) + " + SIZE " + std::to_string(size) +
                             " is past the end of buffer " + std::to_string(index) + " (" + std::to_string(buf.size()) +
                             " bytes)");
            if (prefix.size() != 4 || std::memcmp(prefix.data(), buf.data() + off, 4) != 0)
                fail(at, "PREFIX_HEX " + to_hex(prefix) + " does not match the data " +
                             to_hex(std::string_view(buf).substr(static_cast<size_t>(off), 4)));
            const auto index32 = static_cast<int32_t>(index), off32 = static_cast<int32_t>(off);
            std::memcpy(view + 4, prefix.data(), 4);
            std::memcpy(view + 8, &index32, 4);
            std::memcpy(view + 12, &off32, 4);
        }
        a.buffers.push_back(b.buffer());
        for (const auto& d : data) a.buffers.push_back(Buffer::copy_of(d));
    }

    void list_views(Array& a, const Json& col, const std::string& where) {
        const bool large = a.type.id == TypeId::LargeListView;
        const size_t n = static_cast<size_t>(a.length);
        const Json& offs = array_of(col, "OFFSET", n, where);
        const Json& sizes = array_of(col, "SIZE", n, where);
        const int64_t max = large ? INT64_MAX : INT32_MAX;
        Bytes ob(n * (large ? 8 : 4)), sb(n * (large ? 8 : 4));
        for (size_t i = 0; i < n; ++i) {
            const int64_t o = signed_value(offs[i], 0, max, index_at(where, "OFFSET", i));
            const int64_t s = signed_value(sizes[i], 0, max, index_at(where, "SIZE", i));
            if (large) {
                ob.put(i, o);
                sb.put(i, s);
            } else {
                ob.put(i, static_cast<int32_t>(o));
                sb.put(i, static_cast<int32_t>(s));
            }
        }
        a.buffers.push_back(ob.buffer());
        a.buffers.push_back(sb.buffer());
    }

    void union_buffers(Array& a, const Json& col, const std::string& where) {
        const size_t n = static_cast<size_t>(a.length);
        const Json& ids = array_of(col, "TYPE_ID", n, where);
        std::vector<int32_t> codes = a.type.type_ids;
        if (codes.empty())
            for (size_t c = 0; c < a.children.size(); ++c) codes.push_back(static_cast<int32_t>(c));
        std::vector<int> child_of(128, -1);
        for (size_t c = 0; c < codes.size(); ++c) child_of[static_cast<size_t>(codes[c])] = static_cast<int>(c);
        Bytes tb(n);
        std::vector<int> child(n);
        for (size_t i = 0; i < n; ++i) {
            const int64_t id = signed_value(ids[i], 0, 127, index_at(where, "TYPE_ID", i));
            child[i] = child_of[static_cast<size_t>(id)];
            if (child[i] < 0)
                fail(index_at(where, "TYPE_ID", i), std::to_string(id) + " is not one of the union's typeIds");
            tb.put(i, static_cast<int8_t>(id));
        }
        a.buffers.push_back(tb.buffer());
        if (a.type.union_mode == UnionMode::Sparse) {
            for (size_t c = 0; c < a.children.size(); ++c)
                if (a.children[c]->length != a.length)
                    fail(where + "." + a.type.children[c].name, "a sparse union child needs " +
                                                                    std::to_string(a.length) + " slots, found " +
                                                                    std::to_string(a.children[c]->length));
            return;
        }
        const Json& offs = array_of(col, "OFFSET", n, where);
        Bytes ob(n * 4);
        for (size_t i = 0; i < n; ++i) {
            const int64_t o = signed_value(offs[i], 0, INT32_MAX, index_at(where, "OFFSET", i));
            const int64_t len = a.children[static_cast<size_t>(child[i])]->length;
            if (o >= len)
                fail(index_at(where, "OFFSET", i), std::to_string(o) + " is past the end of child \"" +
                                                       a.type.children[static_cast<size_t>(child[i])].name + "\" (" +
                                                       std::to_string(len) + " values)");
            ob.put(i, static_cast<int32_t>(o));
        }
        a.buffers.push_back(ob.buffer());
    }

    // The validator checks the values of list views and run ends; its failures are said here in
    // terms of the JSON document (keys and indices under `where`).
    void validated(const Array& a, const Field& f, const std::string& where) const {
        using Check = detail::ValueCheckFailure::Check;
        try {
            validate(a, f.name, validation);
        } catch (const detail::ValueCheckFailure& e) {
            const std::string runs = where + "." + (a.type.children.empty() ? std::string() : a.type.children[0].name);
            switch (e.check) {
                case Check::ListViewOutsideChild:
                    fail(index_at(where, "OFFSET", static_cast<size_t>(e.index)),
                         "view [" + std::to_string(e.a) + ", " +
                             std::to_string(static_cast<uint64_t>(e.a) + static_cast<uint64_t>(e.b)) +
                             ") is outside the child's " + std::to_string(e.c) + " values");
                case Check::RunEndNotIncreasing:
                    fail(runs + " DATA[" + std::to_string(e.index) + "]",
                         "run end " + std::to_string(e.b) + " does not increase past " + std::to_string(e.a));
                case Check::LastRunEndShort:
                    fail(runs, "the last run ends at " + std::to_string(e.a) + ", before the column's " +
                                   std::to_string(e.b) + " slots");
            }
            throw;
        }
    }

    ArrayPtr column(const Field& f, const Json& col, const std::string& where, int depth, bool check_name) {
        if (depth > kMaxDepth) fail(where, "columns nest deeper than " + std::to_string(kMaxDepth));
        if (!col.is_object()) fail(where, "a column must be an object");
        if (check_name) {
            const std::string name = string_value(need(col, "name", where), key_at(where, "name"));
            if (name != f.name)
                fail(where, "column is named \"" + name + "\" but the schema field is \"" + f.name + "\"");
        }
        auto a = std::make_shared<Array>();
        a->length = signed_value(need(col, "count", where), 0, INT64_MAX, key_at(where, "count"));
        if (f.dictionary) {
            a->type = f.dictionary->index_type;
            a->buffers.push_back(validity(col, a->length, where, &a->null_count));
            a->buffers.push_back(fixed_values(a->type, col, a->length, where));
            a->dictionary = dictionary(f.dictionary->id, where);
            const int64_t size = a->dictionary->length;
            for (int64_t i = 0; i < a->length; ++i) {
                if (!a->is_valid(i)) continue;
                const auto* p = a->buffers[1].data();
                int64_t index = 0;
                switch (a->type.bit_width) {
                    case 8: index = a->type.is_signed ? reinterpret_cast<const int8_t*>(p)[i] : p[i]; break;
                    case 16:
                        index = a->type.is_signed ? reinterpret_cast<const int16_t*>(p)[i]
                                                  : reinterpret_cast<const uint16_t*>(p)[i];
                        break;
                    case 32:
                        index = a->type.is_signed ? reinterpret_cast<const int32_t*>(p)[i]
                                                  : reinterpret_cast<const uint32_t*>(p)[i];
                        break;
                    default: index = reinterpret_cast<const int64_t*>(p)[i];
                }
                if (index < 0 || index >= size)
                    fail(index_at(where, "DATA", static_cast<size_t>(i)), "dictionary index " + std::to_string(index) +
                                                                              " outside the dictionary's " +
                                                                              std::to_string(size) + " values");
            }
            return a;
        }
        a->type = f.type;
        const TypeId id = f.type.id;
        if (id == TypeId::Null) {
            a->null_count = a->length;
            return a;
        }
        if (Array::has_validity_bitmap(id)) a->buffers.push_back(validity(col, a->length, where, &a->null_count));
        a->children = children(f, col, where, depth);
        switch (id) {
            case TypeId::Utf8:
            case TypeId::LargeUtf8:
            case TypeId::Binary:
            case TypeId::LargeBinary: binary_like(*a, col, where); break;
            case TypeId::Utf8View:
            case TypeId::BinaryView: views(*a, col, where); break;
            case TypeId::List:
            case TypeId::LargeList:
            case TypeId::Map: {
                const bool large = id == TypeId::LargeList;
                const auto offs = offsets(col, a->length, large, where);
                if (offs.back() > a->children[0]->length)
                    fail(key_at(where, "OFFSET"), "ends at " + std::to_string(offs.back()) + " but the child has " +
                                                      std::to_string(a->children[0]->length) + " values");
                a->buffers.push_back(offsets_buffer(offs, large));
                break;
            }
            case TypeId::ListView:
            case TypeId::LargeListView:
                list_views(*a, col, where);
                validated(*a, f, where);
                break;
            case TypeId::FixedSizeList:
            case TypeId::Struct:
                for (size_t c = 0; c < a->children.size(); ++c) {
                    const int64_t need_len = id == TypeId::Struct ? a->length : a->length * f.type.list_size;
                    if (a->children[c]->length != need_len)
                        fail(where + "." + f.type.children[c].name, "expected " + std::to_string(need_len) +
                                                                        " values, found " +
                                                                        std::to_string(a->children[c]->length));
                }
                break;
            case TypeId::Union: union_buffers(*a, col, where); break;
            case TypeId::RunEndEncoded:
                if (a->children[0]->length != a->children[1]->length)
                    fail(where, std::to_string(a->children[0]->length) + " run ends for " +
                                    std::to_string(a->children[1]->length) + " values");
                validated(*a, f, where);
                break;
            default: a->buffers.push_back(fixed_values(f.type, col, a->length, where));
        }
        return a;
    }
};

}  // namespace

Table read_json(std::string_view text, ValidationLevel validation) {
    Json doc;
    try {
        doc = Json::parse(text.begin(), text.end());
    } catch (const Json::exception& e) {
        // parse_error, and out_of_range for a number beyond what a double holds ("1E400").
        throw FormatError(std::string("integration JSON: not valid JSON: ") + e.what());
    }
    if (!doc.is_object()) fail("document", "must be an object {schema, batches, dictionaries}");
    auto schema = std::make_shared<Schema>(schema_from_json(need(doc, "schema", "document")));

    Reader reader;
    reader.validation = validation;
    for (const Field& f : schema->fields) reader.collect_dictionary_fields(f, "field " + f.name);
    if (auto it = doc.find("dictionaries"); it != doc.end() && !it->is_null()) {
        if (!it->is_array()) fail("document", "\"dictionaries\" must be an array");
        for (size_t i = 0; i < it->size(); ++i) {
            const Json& d = (*it)[i];
            const std::string at = "dictionaries[" + std::to_string(i) + "]";
            if (!d.is_object()) fail(at, "must be an object {id, data}");
            const int64_t id = signed_value(need(d, "id", at), INT64_MIN, INT64_MAX, key_at(at, "id"));
            if (!reader.dictionary_fields.count(id))
                fail(at, "dictionary id " + std::to_string(id) + " is not used by any schema field");
            if (!reader.dictionary_json.emplace(id, &need(d, "data", at)).second)
                fail(at, "dictionary id " + std::to_string(id) + " appears twice");
        }
        // Read every dictionary now, so that one no batch refers to is still checked.
        for (const auto& [id, data] : reader.dictionary_json) reader.dictionary(id, "dictionaries");
    }

    Table table;
    table.schema = schema;
    const Json& batches = need(doc, "batches", "document");
    if (!batches.is_array()) fail("document", "\"batches\" must be an array");
    for (size_t b = 0; b < batches.size(); ++b) {
        const std::string bw = "batch " + std::to_string(b);
        const Json& batch = batches[b];
        if (!batch.is_object()) fail(bw, "must be an object {count, columns}");
        RecordBatch rb;
        rb.schema = schema;
        rb.length = signed_value(need(batch, "count", bw), 0, INT64_MAX, key_at(bw, "count"));
        const Json& columns = array_of(batch, "columns", schema->fields.size(), bw);
        for (size_t c = 0; c < columns.size(); ++c) {
            const Field& f = schema->fields[c];
            const std::string cw = bw + ", column " + f.name;
            ArrayPtr a = reader.column(f, columns[c], cw, 0, true);
            if (a->length != rb.length)
                fail(cw, "count " + std::to_string(a->length) + " but the batch count is " + std::to_string(rb.length));
            rb.columns.push_back(std::move(a));
        }
        table.batches.push_back(std::move(rb));
    }
    validate(table, validation);
    return table;
}

}  // namespace legolasflux::arrow
