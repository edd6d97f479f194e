// write_json: Table → integration JSON in one canonical form: keys sorted, VALIDITY written for
// every type that has a bitmap (all ones when there is none), "children" on nested columns only,
// 64-bit integers and decimals as strings, floats as the shortest decimal of their own precision.
// Arrays may be slices: offsets are rebased and children cut so that the JSON describes only the
// visible slots; list views and dense unions keep their children whole, as their offsets point there.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>

#include "core/layout.hpp"
#include "json_internal.hpp"
#include "legolasflux/arrow/json.hpp"
#include "legolasflux/errors.hpp"

namespace legolasflux::arrow {

using namespace json_detail;

namespace {

template <class T>
T load(const uint8_t* p, int64_t i) {
    T x;
    std::memcpy(&x, p + i * static_cast<int64_t>(sizeof(T)), sizeof(T));
    return x;
}

Json float_json(double x) {
    if (std::isnan(x)) return "NaN";
    if (std::isinf(x)) return x > 0 ? "Infinity" : "-Infinity";
    return x;
}

[[noreturn]] void bad_array(const std::string& where, const std::string& what) {
    throw InvalidArgument("write_json: " + where + ": " + what);
}

struct Writer {
    struct Dict {
        ArrayPtr values;
        Field field;
    };
    std::map<int64_t, Dict> dictionaries;
    std::map<int64_t, Json> written;

    static void need_buffers(const Array& a, size_t n, const std::string& where) {
        if (a.buffers.size() < n)
            bad_array(where, to_string(a.type) + " array has " + std::to_string(a.buffers.size()) + " buffers, needs " +
                                 std::to_string(n));
    }

    static Json validity(const Array& a) {
        Json v = Json::array();
        for (int64_t i = 0; i < a.length; ++i) v.push_back(a.is_valid(i) ? 1 : 0);
        return v;
    }

    static Json int_value(const DataType& t, const uint8_t* p, int64_t i) {
        switch (t.bit_width) {
            case 8: return t.is_signed ? Json(load<int8_t>(p, i)) : Json(load<uint8_t>(p, i));
            case 16: return t.is_signed ? Json(load<int16_t>(p, i)) : Json(load<uint16_t>(p, i));
            case 32: return t.is_signed ? Json(load<int32_t>(p, i)) : Json(load<uint32_t>(p, i));
            default:
                return t.is_signed ? Json(std::to_string(load<int64_t>(p, i)))
                                   : Json(std::to_string(load<uint64_t>(p, i)));
        }
    }

    static Json fixed_data(const Array& a, const DataType& t, const std::string& where) {
        Json d = Json::array();
        const uint8_t* p = a.buffers[1].data();
        const int64_t w = t.fixed_width_bytes();
        if (t.id != TypeId::Bool && a.buffers[1].size() < (a.offset + a.length) * w)
            bad_array(where, "values buffer holds " + std::to_string(a.buffers[1].size()) + " bytes, needs " +
                                 std::to_string((a.offset + a.length) * w));
        for (int64_t k = 0; k < a.length; ++k) {
            const int64_t i = a.offset + k;
            switch (t.id) {
                case TypeId::Bool: d.push_back(a.bool_value(k)); break;
                case TypeId::Int: d.push_back(int_value(t, p, i)); break;
                case TypeId::FloatingPoint:
                    if (t.precision == Precision::Half)
                        d.push_back(float_json(shortest_half(load<uint16_t>(p, i))));
                    else if (t.precision == Precision::Single)
                        d.push_back(float_json(shortest_float(load<float>(p, i))));
                    else
                        d.push_back(float_json(load<double>(p, i)));
                    break;
                case TypeId::Decimal: d.push_back(decimal_to_string(p + i * w, static_cast<int>(w))); break;
                case TypeId::Date:
                case TypeId::Time:
                case TypeId::Timestamp:
                case TypeId::Duration:
                    if (w == 8)
                        d.push_back(std::to_string(load<int64_t>(p, i)));
                    else
                        d.push_back(load<int32_t>(p, i));
                    break;
                case TypeId::Interval:
                    if (t.interval_unit == IntervalUnit::YearMonth) {
                        d.push_back(load<int32_t>(p, i));
                    } else if (t.interval_unit == IntervalUnit::DayTime) {
                        d.push_back(
                            Json{{"days", load<int32_t>(p + 8 * i, 0)}, {"milliseconds", load<int32_t>(p + 8 * i, 1)}});
                    } else {
                        const uint8_t* q = p + 16 * i;
                        d.push_back(Json{{"months", load<int32_t>(q, 0)},
                                         {"days", load<int32_t>(q, 1)},
                                         {"nanoseconds", load<int64_t>(q + 8, 0)}});
                    }
                    break;
                case TypeId::FixedSizeBinary:
                    d.push_back(
                        to_hex(std::string_view(reinterpret_cast<const char*>(p) + i * w, static_cast<size_t>(w))));
                    break;
                default: bad_array(where, "no fixed-width encoding for " + to_string(t));
            }
        }
        return d;
    }

    // Offsets of slots [offset, offset + length], as stored (offsets are int32 or int64).
    static std::vector<int64_t> raw_offsets(const Array& a, bool large) {
        std::vector<int64_t> out;
        if (a.length == 0) return {0};  // nothing addresses the offsets of an empty array
        for (int64_t k = 0; k <= a.length; ++k)
            out.push_back(large ? load<int64_t>(a.buffers[1].data(), a.offset + k)
                                : load<int32_t>(a.buffers[1].data(), a.offset + k));
        return out;
    }

    static Json offsets_json(const std::vector<int64_t>& offs, bool large) {
        Json o = Json::array();
        for (int64_t x : offs) large ? o.push_back(std::to_string(x - offs[0])) : o.push_back(x - offs[0]);
        return o;
    }

    Json child_json(const Field& f, const ArrayPtr& child, int64_t offset, int64_t length, const std::string& where) {
        if (offset == 0 && length == child->length) return column(f, *child, where);
        return column(f, *slice(child, offset, length), where);
    }

    Json run_end_children(const Array& a, const std::string& where) {
        const auto& fields = a.type.children;
        const ArrayPtr& re = a.children[0];
        const ArrayPtr& values = a.children[1];
        Json children = Json::array();
        if (a.offset == 0) {
            children.push_back(column(fields[0], *re, where + "." + fields[0].name));
            children.push_back(column(fields[1], *values, where + "." + fields[1].name));
            return children;
        }
        // A sliced run-end array: keep the runs that cover the visible slots, ends made relative.
        auto end_at = [&](int64_t j) -> int64_t {
            const uint8_t* p = re->buffers[1].data();
            const int64_t i = re->offset + j;
            return re->type.bit_width == 16   ? load<int16_t>(p, i)
                   : re->type.bit_width == 32 ? load<int32_t>(p, i)
                                              : load<int64_t>(p, i);
        };
        int64_t first = 0;
        while (first < re->length && end_at(first) <= a.offset) ++first;
        std::vector<int64_t> ends;
        for (int64_t j = first; j < re->length && a.length > 0; ++j) {
            ends.push_back(std::min(end_at(j) - a.offset, a.length));
            if (ends.back() == a.length) break;
        }
        Json rj = {
            {"name", fields[0].name}, {"count", ends.size()}, {"VALIDITY", Json::array()}, {"DATA", Json::array()}};
        for (int64_t e : ends) {
            rj["VALIDITY"].push_back(1);
            rj["DATA"].push_back(re->type.bit_width == 64 ? Json(std::to_string(e)) : Json(e));
        }
        children.push_back(rj);
        children.push_back(
            child_json(fields[1], values, first, static_cast<int64_t>(ends.size()), where + "." + fields[1].name));
        return children;
    }

    Json column(const Field& f, const Array& a, const std::string& where) {
        Json col = Json::object();
        col["name"] = f.name;
        col["count"] = a.length;
        if (f.dictionary) {
            if (a.type.id != TypeId::Int)
                bad_array(where, "dictionary-encoded array of non-integer type " + to_string(a.type));
            if (!a.dictionary) bad_array(where, "dictionary-encoded field without a dictionary array");
            need_buffers(a, 2, where);
            col["VALIDITY"] = validity(a);
            col["DATA"] = fixed_data(a, a.type, where);
            register_dictionary(f, a.dictionary, where);
            return col;
        }
        if (a.type.id != f.type.id)
            bad_array(where, "array of type " + to_string(a.type) + " for field of type " + to_string(f.type));
        const TypeId id = a.type.id;
        if (id == TypeId::Null) return col;
        if (Array::has_validity_bitmap(id)) col["VALIDITY"] = validity(a);
        const auto& fields = f.type.children;
        if (a.children.size() != fields.size())
            bad_array(where, std::to_string(a.children.size()) + " child arrays for " + std::to_string(fields.size()) +
                                 " child fields");
        Json children = Json::array();
        auto sub = [&](size_t c) { return where + "." + fields[c].name; };
        const detail::Layout layout = detail::layout_of(a.type);
        const bool large = layout.offset_width == 8;
        // The buffers DATA, OFFSET, VIEWS or TYPE_ID come from; a struct or fixed-size list is written
        // from its children, and an absent bitmap reads as all valid.
        if (layout.kind != detail::LayoutKind::Struct && layout.kind != detail::LayoutKind::FixedSizeList)
            need_buffers(a, static_cast<size_t>(layout.n_buffers), where);
        switch (layout.kind) {
            case detail::LayoutKind::VarBinary: {
                const bool text = id == TypeId::Utf8 || id == TypeId::LargeUtf8;
                col["OFFSET"] = offsets_json(raw_offsets(a, large), large);
                Json d = Json::array();
                for (int64_t k = 0; k < a.length; ++k) {
                    const std::string_view v = a.bytes_value(k);
                    if (text && !is_valid_utf8(v))
                        throw FormatError("write_json: " + where + " DATA[" + std::to_string(k) + "]: not valid UTF-8");
                    d.push_back(text ? Json(std::string(v)) : Json(to_hex(v)));
                }
                col["DATA"] = std::move(d);
                return col;
            }
            case detail::LayoutKind::BinaryView: {
                const bool text = id == TypeId::Utf8View;
                Json views = Json::array();
                for (int64_t k = 0; k < a.length; ++k) {
                    const uint8_t* view = a.buffers[1].data() + 16 * (a.offset + k);
                    const int32_t size = load<int32_t>(view, 0);
                    if (size <= 12) {
                        const std::string_view v(reinterpret_cast<const char*>(view + 4),
                                                 static_cast<size_t>(std::max(size, 0)));
                        if (text && !is_valid_utf8(v))
                            throw FormatError("write_json: " + where + " VIEWS[" + std::to_string(k) +
                                              "]: not valid UTF-8");
                        views.push_back(
                            Json{{"SIZE", size}, {"INLINED", text ? Json(std::string(v)) : Json(to_hex(v))}});
                    } else {
                        views.push_back(
                            Json{{"SIZE", size},
                                 {"PREFIX_HEX", to_hex(std::string_view(reinterpret_cast<const char*>(view + 4), 4))},
                                 {"BUFFER_INDEX", load<int32_t>(view + 8, 0)},
                                 {"OFFSET", load<int32_t>(view + 12, 0)}});
                    }
                }
                col["VIEWS"] = std::move(views);
                Json vars = Json::array();
                for (size_t b = 2; b < a.buffers.size(); ++b) vars.push_back(to_hex(a.buffers[b].as_string_view()));
                col["VARIADIC_DATA_BUFFERS"] = std::move(vars);
                return col;
            }
            case detail::LayoutKind::List: {
                const auto offs = raw_offsets(a, large);
                col["OFFSET"] = offsets_json(offs, large);
                children.push_back(
                    child_json(fields[0], a.children[0], offs.front(), offs.back() - offs.front(), sub(0)));
                break;
            }
            case detail::LayoutKind::ListView: {
                Json o = Json::array(), s = Json::array();
                for (int64_t k = 0; k < a.length; ++k) {
                    const int64_t i = a.offset + k;
                    if (large) {
                        o.push_back(std::to_string(load<int64_t>(a.buffers[1].data(), i)));
                        s.push_back(std::to_string(load<int64_t>(a.buffers[2].data(), i)));
                    } else {
                        o.push_back(load<int32_t>(a.buffers[1].data(), i));
                        s.push_back(load<int32_t>(a.buffers[2].data(), i));
                    }
                }
                col["OFFSET"] = std::move(o);
                col["SIZE"] = std::move(s);
                children.push_back(column(fields[0], *a.children[0], sub(0)));
                break;
            }
            case detail::LayoutKind::FixedSizeList: {
                const int64_t n = f.type.list_size;
                children.push_back(child_json(fields[0], a.children[0], a.offset * n, a.length * n, sub(0)));
                break;
            }
            case detail::LayoutKind::Struct:
                for (size_t c = 0; c < fields.size(); ++c)
                    children.push_back(child_json(fields[c], a.children[c], a.offset, a.length, sub(c)));
                break;
            case detail::LayoutKind::SparseUnion:
            case detail::LayoutKind::DenseUnion: {
                const bool dense = layout.kind == detail::LayoutKind::DenseUnion;
                Json ids = Json::array(), offs = Json::array();
                for (int64_t k = 0; k < a.length; ++k) {
                    ids.push_back(load<int8_t>(a.buffers[0].data(), a.offset + k));
                    if (dense) offs.push_back(load<int32_t>(a.buffers[1].data(), a.offset + k));
                }
                col["TYPE_ID"] = std::move(ids);
                if (dense) col["OFFSET"] = std::move(offs);
                for (size_t c = 0; c < fields.size(); ++c)
                    children.push_back(dense ? column(fields[c], *a.children[c], sub(c))
                                             : child_json(fields[c], a.children[c], a.offset, a.length, sub(c)));
                break;
            }
            case detail::LayoutKind::RunEndEncoded: children = run_end_children(a, where); break;
            default: col["DATA"] = fixed_data(a, a.type, where); return col;
        }
        col["children"] = std::move(children);
        return col;
    }

    void register_dictionary(const Field& f, const ArrayPtr& values, const std::string& where) {
        const int64_t id = f.dictionary->id;
        auto it = dictionaries.find(id);
        if (it == dictionaries.end()) {
            Field vf = f;
            vf.dictionary.reset();
            dictionaries.emplace(id, Dict{values, std::move(vf)});
            return;
        }
        if (it->second.values == values) return;
        // Another batch (or field) carries its own copy: fine as long as it holds the same values.
        const Json mine = dictionary_data(it->second.field, *it->second.values, id);
        const Json theirs = dictionary_data(it->second.field, *values, id);
        if (mine != theirs)
            throw UnsupportedError("write_json: " + where + ": dictionary id " + std::to_string(id) +
                                   " changes between batches; integration JSON holds one dictionary per id");
    }

    Json dictionary_data(const Field& values_field, const Array& values, int64_t id) {
        Field named = values_field;
        named.name = "DICT" + std::to_string(id);
        return Json{{"count", values.length},
                    {"columns", Json::array({column(named, values, "dictionary id " + std::to_string(id))})}};
    }
};

}  // namespace

std::string write_json(const Table& table) {
    if (!table.schema) throw InvalidArgument("write_json: the table has no schema");
    const Schema& schema = *table.schema;
    Writer w;
    Json batches = Json::array();
    for (size_t b = 0; b < table.batches.size(); ++b) {
        const RecordBatch& batch = table.batches[b];
        const std::string bw = "batch " + std::to_string(b);
        if (batch.columns.size() != schema.fields.size())
            bad_array(bw, std::to_string(batch.columns.size()) + " columns for " +
                              std::to_string(schema.fields.size()) + " fields");
        Json columns = Json::array();
        for (size_t c = 0; c < batch.columns.size(); ++c) {
            const std::string cw = bw + ", column " + schema.fields[c].name;
            if (!batch.columns[c]) bad_array(cw, "null column");
            if (batch.columns[c]->length != batch.length)
                bad_array(cw, "length " + std::to_string(batch.columns[c]->length) + " but the batch has " +
                                  std::to_string(batch.length) + " rows");
            columns.push_back(w.column(schema.fields[c], *batch.columns[c], cw));
        }
        batches.push_back(Json{{"count", batch.length}, {"columns", std::move(columns)}});
    }
    // Dictionaries may hold dictionary-encoded fields themselves, registering more as they are written.
    for (;;) {
        auto next = std::find_if(w.dictionaries.begin(), w.dictionaries.end(),
                                 [&](const auto& kv) { return !w.written.count(kv.first); });
        if (next == w.dictionaries.end()) break;
        const int64_t id = next->first;
        const auto dict = next->second;
        w.written.emplace(id, w.dictionary_data(dict.field, *dict.values, id));
    }
    Json doc = Json::object();
    doc["schema"] = schema_to_json(schema);
    doc["batches"] = std::move(batches);
    if (!w.written.empty()) {
        Json dicts = Json::array();
        for (auto& [id, data] : w.written) dicts.push_back(Json{{"id", id}, {"data", std::move(data)}});
        doc["dictionaries"] = std::move(dicts);
    }
    try {
        return doc.dump(2) + "\n";
    } catch (const Json::exception& e) {
        throw FormatError(std::string("write_json: ") + e.what());
    }
}

}  // namespace legolasflux::arrow
