// The "schema" part of integration JSON: fields, types, dictionary encodings and metadata.
#include <set>

#include "common/json_check.hpp"
#include "json_internal.hpp"
#include "legolasflux/arrow/json.hpp"
#include "legolasflux/errors.hpp"

namespace legolasflux::arrow::json_detail {

namespace {

Json metadata_to_json(const KeyValueMetadata& metadata) {
    Json out = Json::array();
    for (const auto& [k, v] : metadata) out.push_back(Json{{"key", k}, {"value", v}});
    return out;
}

Json type_to_json(const DataType& t) {
    Json j = Json::object();
    auto name = [&](const char* n) { j["name"] = n; };
    switch (t.id) {
        case TypeId::Null: name("null"); break;
        case TypeId::Bool: name("bool"); break;
        case TypeId::Int:
            name("int");
            j["bitWidth"] = t.bit_width;
            j["isSigned"] = t.is_signed;
            break;
        case TypeId::FloatingPoint:
            name("floatingpoint");
            j["precision"] = t.precision == Precision::Half     ? "HALF"
                             : t.precision == Precision::Single ? "SINGLE"
                                                                : "DOUBLE";
            break;
        case TypeId::Utf8: name("utf8"); break;
        case TypeId::LargeUtf8: name("largeutf8"); break;
        case TypeId::Binary: name("binary"); break;
        case TypeId::LargeBinary: name("largebinary"); break;
        case TypeId::FixedSizeBinary:
            name("fixedsizebinary");
            j["byteWidth"] = t.byte_width;
            break;
        case TypeId::Decimal:
            name("decimal");
            j["precision"] = t.decimal_precision;
            j["scale"] = t.decimal_scale;
            j["bitWidth"] = t.bit_width;
            break;
        case TypeId::Date:
            name("date");
            j["unit"] = t.date_unit == DateUnit::Day ? "DAY" : "MILLISECOND";
            break;
        case TypeId::Time:
            name("time");
            j["unit"] = time_unit_name(t.time_unit);
            j["bitWidth"] = t.bit_width;
            break;
        case TypeId::Timestamp:
            name("timestamp");
            j["unit"] = time_unit_name(t.time_unit);
            if (!t.timezone.empty()) j["timezone"] = t.timezone;
            break;
        case TypeId::Duration:
            name("duration");
            j["unit"] = time_unit_name(t.time_unit);
            break;
        case TypeId::Interval:
            name("interval");
            j["unit"] = t.interval_unit == IntervalUnit::YearMonth ? "YEAR_MONTH"
                        : t.interval_unit == IntervalUnit::DayTime ? "DAY_TIME"
                                                                   : "MONTH_DAY_NANO";
            break;
        case TypeId::List: name("list"); break;
        case TypeId::LargeList: name("largelist"); break;
        case TypeId::FixedSizeList:
            name("fixedsizelist");
            j["listSize"] = t.list_size;
            break;
        case TypeId::Struct: name("struct"); break;
        case TypeId::Map:
            name("map");
            j["keysSorted"] = t.keys_sorted;
            break;
        case TypeId::Union: {
            name("union");
            j["mode"] = t.union_mode == UnionMode::Dense ? "DENSE" : "SPARSE";
            Json ids = Json::array();
            if (t.type_ids.empty())
                for (size_t i = 0; i < t.children.size(); ++i) ids.push_back(static_cast<int32_t>(i));
            else
                for (int32_t id : t.type_ids) ids.push_back(id);
            j["typeIds"] = ids;
            break;
        }
        case TypeId::Utf8View: name("utf8view"); break;
        case TypeId::BinaryView: name("binaryview"); break;
        case TypeId::ListView: name("listview"); break;
        case TypeId::LargeListView: name("largelistview"); break;
        case TypeId::RunEndEncoded: name("runendencoded"); break;
    }
    return j;
}

// --- reading -------------------------------------------------------------------------------

const Json& member(const Json& obj, const char* key, const std::string& where) {
    auto it = obj.find(key);
    if (it == obj.end()) fail(where, std::string("missing key \"") + key + "\"");
    return *it;
}

std::string get_string(const Json& obj, const char* key, const std::string& where) {
    const Json& v = member(obj, key, where);
    if (!v.is_string()) fail(where, std::string("key \"") + key + "\" must be a string, found " + v.dump());
    return v.get<std::string>();
}

bool get_bool(const Json& obj, const char* key, const std::string& where) {
    const Json& v = member(obj, key, where);
    if (!v.is_boolean()) fail(where, std::string("key \"") + key + "\" must be a boolean, found " + v.dump());
    return v.get<bool>();
}

int64_t get_int(const Json& obj, const char* key, const std::string& where) {
    const Json& v = member(obj, key, where);
    if (!v.is_number_integer()) fail(where, std::string("key \"") + key + "\" must be an integer, found " + v.dump());
    if (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX))
        fail(where, std::string("key \"") + key + "\" is out of range");
    return v.get<int64_t>();
}

int32_t get_int32(const Json& obj, const char* key, const std::string& where, int64_t min, int64_t max) {
    const int64_t v = get_int(obj, key, where);
    if (v < min || v > max)
        fail(where, std::string("key \"") + key + "\" = " + std::to_string(v) + " is outside [" + std::to_string(min) +
                        ", " + std::to_string(max) + "]");
    return static_cast<int32_t>(v);
}

KeyValueMetadata metadata_from_json(const Json& obj, const std::string& where) {
    KeyValueMetadata out;
    auto it = obj.find("metadata");
    if (it == obj.end() || it->is_null()) return out;
    if (!it->is_array()) fail(where, "\"metadata\" must be an array of {key, value}");
    for (size_t i = 0; i < it->size(); ++i) {
        const Json& kv = (*it)[i];
        const std::string at = where + " metadata[" + std::to_string(i) + "]";
        if (!kv.is_object()) fail(at, "expected an object {key, value}");
        out.emplace_back(get_string(kv, "key", at), get_string(kv, "value", at));
    }
    return out;
}

TimeUnit time_unit_from(const std::string& s, const std::string& where) {
    if (s == "SECOND") return TimeUnit::Second;
    if (s == "MILLISECOND") return TimeUnit::Millisecond;
    if (s == "MICROSECOND") return TimeUnit::Microsecond;
    if (s == "NANOSECOND") return TimeUnit::Nanosecond;
    fail(where, "unknown time unit \"" + s + "\"");
}

DataType int_from_json(const Json& t, const std::string& where) {
    DataType d;
    d.id = TypeId::Int;
    d.bit_width = get_int32(t, "bitWidth", where, 8, 64);
    if (d.bit_width != 8 && d.bit_width != 16 && d.bit_width != 32 && d.bit_width != 64)
        fail(where, "int bitWidth " + std::to_string(d.bit_width) + " is not 8, 16, 32 or 64");
    d.is_signed = get_bool(t, "isSigned", where);
    return d;
}

void expect_children(const DataType& d, const std::string& name, size_t n, const std::string& where) {
    if (d.children.size() != n)
        fail(where, "type \"" + name + "\" needs " + std::to_string(n) + " child field(s), found " +
                        std::to_string(d.children.size()));
}

Field field_from_json(const Json& j, const std::string& parent, int depth);

DataType type_from_json(const Json& t, std::vector<Field> children, const std::string& where) {
    if (!t.is_object()) fail(where, "\"type\" must be an object");
    const std::string name = get_string(t, "name", where + " type");
    const std::string tw = where + " type " + name;
    DataType d;
    d.children = std::move(children);
    if (name == "null") {
        d.id = TypeId::Null;
    } else if (name == "bool") {
        d.id = TypeId::Bool;
    } else if (name == "int") {
        auto c = std::move(d.children);
        d = int_from_json(t, tw);
        d.children = std::move(c);
    } else if (name == "floatingpoint") {
        d.id = TypeId::FloatingPoint;
        const std::string p = get_string(t, "precision", tw);
        if (p == "HALF")
            d.precision = Precision::Half;
        else if (p == "SINGLE")
            d.precision = Precision::Single;
        else if (p == "DOUBLE")
            d.precision = Precision::Double;
        else
            fail(tw, "unknown precision \"" + p + "\"");
    } else if (name == "utf8") {
        d.id = TypeId::Utf8;
    } else if (name == "largeutf8") {
        d.id = TypeId::LargeUtf8;
    } else if (name == "binary") {
        d.id = TypeId::Binary;
    } else if (name == "largebinary") {
        d.id = TypeId::LargeBinary;
    } else if (name == "utf8view") {
        d.id = TypeId::Utf8View;
    } else if (name == "binaryview") {
        d.id = TypeId::BinaryView;
    } else if (name == "fixedsizebinary") {
        d.id = TypeId::FixedSizeBinary;
        d.byte_width = get_int32(t, "byteWidth", tw, 0, INT32_MAX);
    } else if (name == "decimal") {
        d.id = TypeId::Decimal;
        d.decimal_precision = get_int32(t, "precision", tw, 1, 76);
        d.decimal_scale = get_int32(t, "scale", tw, INT32_MIN, INT32_MAX);
        // bitWidth came after 128-bit decimals; its absence means 128.
        d.bit_width = t.contains("bitWidth") ? get_int32(t, "bitWidth", tw, 32, 256) : 128;
        if (d.bit_width != 32 && d.bit_width != 64 && d.bit_width != 128 && d.bit_width != 256)
            fail(tw, "decimal bitWidth " + std::to_string(d.bit_width) + " is not 32, 64, 128 or 256");
    } else if (name == "date") {
        d.id = TypeId::Date;
        const std::string u = get_string(t, "unit", tw);
        if (u == "DAY")
            d.date_unit = DateUnit::Day;
        else if (u == "MILLISECOND")
            d.date_unit = DateUnit::Millisecond;
        else
            fail(tw, "unknown date unit \"" + u + "\"");
    } else if (name == "time") {
        d.id = TypeId::Time;
        d.time_unit = time_unit_from(get_string(t, "unit", tw), tw);
        const int32_t expected = d.time_unit == TimeUnit::Second || d.time_unit == TimeUnit::Millisecond ? 32 : 64;
        d.bit_width = t.contains("bitWidth") ? get_int32(t, "bitWidth", tw, 0, 64) : expected;
        if (d.bit_width != expected)
            fail(tw, "bitWidth " + std::to_string(d.bit_width) + " does not match unit (expected " +
                         std::to_string(expected) + ")");
    } else if (name == "timestamp") {
        d.id = TypeId::Timestamp;
        d.time_unit = time_unit_from(get_string(t, "unit", tw), tw);
        if (auto it = t.find("timezone"); it != t.end() && !it->is_null()) d.timezone = get_string(t, "timezone", tw);
    } else if (name == "duration") {
        d.id = TypeId::Duration;
        d.time_unit = time_unit_from(get_string(t, "unit", tw), tw);
    } else if (name == "interval") {
        d.id = TypeId::Interval;
        const std::string u = get_string(t, "unit", tw);
        if (u == "YEAR_MONTH")
            d.interval_unit = IntervalUnit::YearMonth;
        else if (u == "DAY_TIME")
            d.interval_unit = IntervalUnit::DayTime;
        else if (u == "MONTH_DAY_NANO")
            d.interval_unit = IntervalUnit::MonthDayNano;
        else
            fail(tw, "unknown interval unit \"" + u + "\"");
    } else if (name == "list" || name == "largelist" || name == "listview" || name == "largelistview") {
        d.id = name == "list"        ? TypeId::List
               : name == "largelist" ? TypeId::LargeList
               : name == "listview"  ? TypeId::ListView
                                     : TypeId::LargeListView;
        expect_children(d, name, 1, where);
    } else if (name == "fixedsizelist") {
        d.id = TypeId::FixedSizeList;
        d.list_size = get_int32(t, "listSize", tw, 0, INT32_MAX);
        expect_children(d, name, 1, where);
    } else if (name == "struct") {
        d.id = TypeId::Struct;
    } else if (name == "map") {
        d.id = TypeId::Map;
        d.keys_sorted = t.contains("keysSorted") ? get_bool(t, "keysSorted", tw) : false;
        expect_children(d, name, 1, where);
        const Field& entries = d.children[0];
        if (entries.type.id != TypeId::Struct || entries.type.children.size() != 2)
            fail(where, "map entries \"" + entries.name + "\" must be a struct of two fields (key, value)");
    } else if (name == "union") {
        d.id = TypeId::Union;
        const std::string m = get_string(t, "mode", tw);
        if (m == "SPARSE")
            d.union_mode = UnionMode::Sparse;
        else if (m == "DENSE")
            d.union_mode = UnionMode::Dense;
        else
            fail(tw, "unknown union mode \"" + m + "\"");
        if (auto it = t.find("typeIds"); it != t.end() && !it->is_null()) {
            if (!it->is_array()) fail(tw, "\"typeIds\" must be an array");
            std::set<int32_t> seen;
            for (const Json& id : *it) {
                if (!id.is_number_integer() || id.get<int64_t>() < 0 || id.get<int64_t>() > 127)
                    fail(tw, "type id " + id.dump() + " is not an integer in [0, 127]");
                if (!seen.insert(id.get<int32_t>()).second) fail(tw, "type id " + id.dump() + " repeats");
                d.type_ids.push_back(id.get<int32_t>());
            }
            if (d.type_ids.size() != d.children.size())
                fail(tw, std::to_string(d.type_ids.size()) + " typeIds for " + std::to_string(d.children.size()) +
                             " children");
        }
        if (d.children.size() > 128) fail(tw, "more than 128 union members");
    } else if (name == "runendencoded") {
        d.id = TypeId::RunEndEncoded;
        expect_children(d, name, 2, where);
        const DataType& re = d.children[0].type;
        if (re.id != TypeId::Int || !re.is_signed || re.bit_width < 16)
            fail(where, "run_ends must be int16, int32 or int64, found " + to_string(re));
    } else {
        fail(where, "unknown type name \"" + name + "\"");
    }
    const bool nested = d.id == TypeId::List || d.id == TypeId::LargeList || d.id == TypeId::ListView ||
                        d.id == TypeId::LargeListView || d.id == TypeId::FixedSizeList || d.id == TypeId::Struct ||
                        d.id == TypeId::Map || d.id == TypeId::Union || d.id == TypeId::RunEndEncoded;
    if (!nested && !d.children.empty())
        fail(where, "type \"" + name + "\" cannot have children, found " + std::to_string(d.children.size()));
    return d;
}

Field field_from_json(const Json& j, const std::string& parent, int depth) {
    if (!j.is_object()) fail(parent, "a field must be an object");
    Field f;
    f.name = get_string(j, "name", parent);
    const std::string where = parent.empty() ? "field " + f.name : parent + "." + f.name;
    if (depth > kMaxDepth) fail(where, "fields nest deeper than " + std::to_string(kMaxDepth));
    f.nullable = get_bool(j, "nullable", where);
    std::vector<Field> children;
    if (auto it = j.find("children"); it != j.end() && !it->is_null()) {
        if (!it->is_array()) fail(where, "\"children\" must be an array");
        for (const Json& c : *it) children.push_back(field_from_json(c, where, depth + 1));
    }
    f.type = type_from_json(member(j, "type", where), std::move(children), where);
    f.metadata = metadata_from_json(j, where);
    if (auto it = j.find("dictionary"); it != j.end() && !it->is_null()) {
        const std::string dw = where + " dictionary";
        if (!it->is_object()) fail(dw, "must be an object {id, indexType, isOrdered}");
        DictionaryEncoding enc;
        enc.id = get_int(*it, "id", dw);
        const Json& index = member(*it, "indexType", dw);
        if (!index.is_object() || !index.contains("name") || index["name"] != "int")
            fail(dw, "indexType must be an int type, found " + index.dump());
        enc.index_type = int_from_json(index, dw + " indexType");
        enc.ordered = it->contains("isOrdered") ? get_bool(*it, "isOrdered", dw) : false;
        f.dictionary = std::move(enc);
    }
    return f;
}

}  // namespace

Json field_to_json(const Field& f) {
    Json j = Json::object();
    j["name"] = f.name;
    j["nullable"] = f.nullable;
    j["type"] = type_to_json(f.type);
    Json children = Json::array();
    for (const Field& c : f.type.children) children.push_back(field_to_json(c));
    j["children"] = std::move(children);
    if (f.dictionary) {
        j["dictionary"] = Json{{"id", f.dictionary->id},
                               {"indexType", type_to_json(f.dictionary->index_type)},
                               {"isOrdered", f.dictionary->ordered}};
    }
    if (!f.metadata.empty()) j["metadata"] = metadata_to_json(f.metadata);
    return j;
}

Json schema_to_json(const Schema& schema) {
    Json j = Json::object();
    Json fields = Json::array();
    for (const Field& f : schema.fields) fields.push_back(field_to_json(f));
    j["fields"] = std::move(fields);
    if (!schema.metadata.empty()) j["metadata"] = metadata_to_json(schema.metadata);
    return j;
}

Schema schema_from_json(const Json& j) {
    if (!j.is_object()) fail("schema", "must be an object");
    Schema s;
    const Json& fields = member(j, "fields", "schema");
    if (!fields.is_array()) fail("schema", "\"fields\" must be an array");
    for (const Json& f : fields) s.fields.push_back(field_from_json(f, "", 0));
    s.metadata = metadata_from_json(j, "schema");
    return s;
}

}  // namespace legolasflux::arrow::json_detail

namespace legolasflux::arrow {

std::string write_field_json(const Field& field) { return json_detail::field_to_json(field).dump(); }

Field read_field_json(std::string_view json) {
    // Fields nest at most kMaxDepth deep, two JSON levels each ({…, "children": [...]}).
    if (common::json_nesting(json) > 2 * json_detail::kMaxDepth + 8)
        throw FormatError("integration JSON: fields nest deeper than " + std::to_string(json_detail::kMaxDepth));
    json_detail::Json doc;
    try {
        doc = json_detail::Json::parse(json.begin(), json.end());
    } catch (const json_detail::Json::exception& e) {
        throw FormatError(std::string("integration JSON: not valid JSON: ") + e.what());
    }
    return json_detail::field_from_json(doc, "", 0);
}

}  // namespace legolasflux::arrow
