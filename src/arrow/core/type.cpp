#include "legolasflux/arrow/type.hpp"

#include <algorithm>

namespace legolasflux::arrow {

std::optional<std::string_view> find_metadata(const KeyValueMetadata& metadata, std::string_view key) {
    for (const auto& [k, v] : metadata)
        if (k == key) return std::string_view(v);
    return std::nullopt;
}

void set_metadata(KeyValueMetadata& metadata, std::string key, std::string value) {
    auto first = std::find_if(metadata.begin(), metadata.end(), [&](const auto& kv) { return kv.first == key; });
    if (first == metadata.end()) {
        metadata.emplace_back(std::move(key), std::move(value));
        return;
    }
    first->second = std::move(value);
    metadata.erase(std::remove_if(first + 1, metadata.end(), [&](const auto& kv) { return kv.first == key; }),
                   metadata.end());
}

int32_t DataType::fixed_width_bytes() const {
    switch (id) {
        case TypeId::Int:
        case TypeId::Decimal:
        case TypeId::Time: return bit_width / 8;
        case TypeId::FloatingPoint: return precision == Precision::Half ? 2 : precision == Precision::Single ? 4 : 8;
        case TypeId::Date: return date_unit == DateUnit::Day ? 4 : 8;
        case TypeId::Timestamp:
        case TypeId::Duration: return 8;
        case TypeId::Interval:
            return interval_unit == IntervalUnit::YearMonth ? 4 : interval_unit == IntervalUnit::DayTime ? 8 : 16;
        case TypeId::FixedSizeBinary: return byte_width;
        default: return 0;
    }
}

bool operator==(const DataType& a, const DataType& b) {
    if (a.id != b.id || a.children != b.children) return false;
    switch (a.id) {
        case TypeId::Int: return a.bit_width == b.bit_width && a.is_signed == b.is_signed;
        case TypeId::FloatingPoint: return a.precision == b.precision;
        case TypeId::FixedSizeBinary: return a.byte_width == b.byte_width;
        case TypeId::Decimal:
            return a.bit_width == b.bit_width && a.decimal_precision == b.decimal_precision &&
                   a.decimal_scale == b.decimal_scale;
        case TypeId::Date: return a.date_unit == b.date_unit;
        case TypeId::Time: return a.time_unit == b.time_unit && a.bit_width == b.bit_width;
        case TypeId::Timestamp: return a.time_unit == b.time_unit && a.timezone == b.timezone;
        case TypeId::Duration: return a.time_unit == b.time_unit;
        case TypeId::Interval: return a.interval_unit == b.interval_unit;
        case TypeId::FixedSizeList: return a.list_size == b.list_size;
        case TypeId::Map: return a.keys_sorted == b.keys_sorted;
        case TypeId::Union: {
            auto ids = [](const DataType& t) {
                if (!t.type_ids.empty()) return t.type_ids;
                std::vector<int32_t> v(t.children.size());
                for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<int32_t>(i);
                return v;
            };
            return a.union_mode == b.union_mode && ids(a) == ids(b);
        }
        default: return true;
    }
}

bool operator==(const DictionaryEncoding& a, const DictionaryEncoding& b) {
    return a.id == b.id && a.index_type == b.index_type && a.ordered == b.ordered;
}

bool operator==(const Field& a, const Field& b) {
    return a.name == b.name && a.nullable == b.nullable && a.type == b.type && a.metadata == b.metadata &&
           a.dictionary == b.dictionary;
}

bool operator==(const Schema& a, const Schema& b) {
    return a.fields == b.fields && a.metadata == b.metadata && a.endianness == b.endianness;
}

std::optional<std::string_view> Field::extension_name() const {
    return find_metadata(metadata, "ARROW:extension:name");
}

namespace {
DataType of(TypeId id) {
    DataType t;
    t.id = id;
    return t;
}
DataType with_time_unit(TypeId id, TimeUnit unit) {
    DataType t = of(id);
    t.time_unit = unit;
    return t;
}
DataType with_child(TypeId id, Field item) {
    DataType t = of(id);
    t.children.push_back(std::move(item));
    return t;
}
}  // namespace

DataType null() { return of(TypeId::Null); }
DataType boolean() { return of(TypeId::Bool); }
DataType int_type(int32_t bit_width, bool is_signed) {
    DataType t = of(TypeId::Int);
    t.bit_width = bit_width;
    t.is_signed = is_signed;
    return t;
}
DataType int8() { return int_type(8, true); }
DataType int16() { return int_type(16, true); }
DataType int32() { return int_type(32, true); }
DataType int64() { return int_type(64, true); }
DataType uint8() { return int_type(8, false); }
DataType uint16() { return int_type(16, false); }
DataType uint32() { return int_type(32, false); }
DataType uint64() { return int_type(64, false); }
static DataType floating(Precision p) {
    DataType t = of(TypeId::FloatingPoint);
    t.precision = p;
    return t;
}
DataType float16() { return floating(Precision::Half); }
DataType float32() { return floating(Precision::Single); }
DataType float64() { return floating(Precision::Double); }
DataType utf8() { return of(TypeId::Utf8); }
DataType large_utf8() { return of(TypeId::LargeUtf8); }
DataType binary() { return of(TypeId::Binary); }
DataType large_binary() { return of(TypeId::LargeBinary); }
DataType fixed_size_binary(int32_t byte_width) {
    DataType t = of(TypeId::FixedSizeBinary);
    t.byte_width = byte_width;
    return t;
}
DataType decimal(int32_t bit_width, int32_t precision, int32_t scale) {
    DataType t = of(TypeId::Decimal);
    t.bit_width = bit_width;
    t.decimal_precision = precision;
    t.decimal_scale = scale;
    return t;
}
DataType date32() { return of(TypeId::Date); }
DataType date64() {
    DataType t = of(TypeId::Date);
    t.date_unit = DateUnit::Millisecond;
    return t;
}
DataType time32(TimeUnit unit) {
    DataType t = with_time_unit(TypeId::Time, unit);
    t.bit_width = 32;
    return t;
}
DataType time64(TimeUnit unit) {
    DataType t = with_time_unit(TypeId::Time, unit);
    t.bit_width = 64;
    return t;
}
DataType timestamp(TimeUnit unit, std::string timezone) {
    DataType t = with_time_unit(TypeId::Timestamp, unit);
    t.timezone = std::move(timezone);
    return t;
}
DataType duration(TimeUnit unit) { return with_time_unit(TypeId::Duration, unit); }
DataType interval(IntervalUnit unit) {
    DataType t = of(TypeId::Interval);
    t.interval_unit = unit;
    return t;
}
DataType list(Field item) { return with_child(TypeId::List, std::move(item)); }
DataType large_list(Field item) { return with_child(TypeId::LargeList, std::move(item)); }
DataType fixed_size_list(Field item, int32_t list_size) {
    DataType t = with_child(TypeId::FixedSizeList, std::move(item));
    t.list_size = list_size;
    return t;
}
DataType struct_(std::vector<Field> fields) {
    DataType t = of(TypeId::Struct);
    t.children = std::move(fields);
    return t;
}
DataType map(Field key, Field value, bool keys_sorted) {
    key.nullable = false;
    DataType t = with_child(TypeId::Map, field("entries", struct_({std::move(key), std::move(value)}), false));
    t.keys_sorted = keys_sorted;
    return t;
}
DataType union_(UnionMode mode, std::vector<Field> children, std::vector<int32_t> type_ids) {
    DataType t = of(TypeId::Union);
    t.union_mode = mode;
    t.children = std::move(children);
    t.type_ids = std::move(type_ids);
    return t;
}
DataType utf8_view() { return of(TypeId::Utf8View); }
DataType binary_view() { return of(TypeId::BinaryView); }
DataType list_view(Field item) { return with_child(TypeId::ListView, std::move(item)); }
DataType large_list_view(Field item) { return with_child(TypeId::LargeListView, std::move(item)); }
DataType run_end_encoded(DataType run_end_type, Field values) {
    DataType t = of(TypeId::RunEndEncoded);
    t.children.push_back(field("run_ends", std::move(run_end_type), false));
    t.children.push_back(std::move(values));
    return t;
}

Field field(std::string name, DataType type, bool nullable, KeyValueMetadata metadata) {
    Field f;
    f.name = std::move(name);
    f.type = std::move(type);
    f.nullable = nullable;
    f.metadata = std::move(metadata);
    return f;
}

namespace {
const char* unit_name(TimeUnit u) {
    switch (u) {
        case TimeUnit::Second: return "s";
        case TimeUnit::Millisecond: return "ms";
        case TimeUnit::Microsecond: return "us";
        case TimeUnit::Nanosecond: return "ns";
    }
    return "?";
}
std::string children_string(const DataType& t) {
    std::string s;
    for (size_t i = 0; i < t.children.size(); ++i) {
        if (i) s += ", ";
        s += to_string(t.children[i]);
    }
    return s;
}
}  // namespace

std::string to_string(const DataType& t) {
    switch (t.id) {
        case TypeId::Null: return "null";
        case TypeId::Bool: return "bool";
        case TypeId::Int: return std::string(t.is_signed ? "int" : "uint") + std::to_string(t.bit_width);
        case TypeId::FloatingPoint:
            return t.precision == Precision::Half     ? "float16"
                   : t.precision == Precision::Single ? "float32"
                                                      : "float64";
        case TypeId::Utf8: return "utf8";
        case TypeId::LargeUtf8: return "large_utf8";
        case TypeId::Binary: return "binary";
        case TypeId::LargeBinary: return "large_binary";
        case TypeId::FixedSizeBinary: return "fixed_size_binary[" + std::to_string(t.byte_width) + "]";
        case TypeId::Decimal:
            return "decimal" + std::to_string(t.bit_width) + "(" + std::to_string(t.decimal_precision) + ", " +
                   std::to_string(t.decimal_scale) + ")";
        case TypeId::Date: return t.date_unit == DateUnit::Day ? "date32[day]" : "date64[ms]";
        case TypeId::Time: return "time" + std::to_string(t.bit_width) + "[" + unit_name(t.time_unit) + "]";
        case TypeId::Timestamp:
            return std::string("timestamp[") + unit_name(t.time_unit) +
                   (t.timezone.empty() ? "" : ", tz=" + t.timezone) + "]";
        case TypeId::Duration: return std::string("duration[") + unit_name(t.time_unit) + "]";
        case TypeId::Interval:
            return t.interval_unit == IntervalUnit::YearMonth ? "interval[year_month]"
                   : t.interval_unit == IntervalUnit::DayTime ? "interval[day_time]"
                                                              : "interval[month_day_nano]";
        case TypeId::List: return "list<" + children_string(t) + ">";
        case TypeId::LargeList: return "large_list<" + children_string(t) + ">";
        case TypeId::FixedSizeList:
            return "fixed_size_list<" + children_string(t) + ">[" + std::to_string(t.list_size) + "]";
        case TypeId::Struct: return "struct<" + children_string(t) + ">";
        case TypeId::Map:
            return std::string("map<") + children_string(t) + (t.keys_sorted ? ", keys_sorted" : "") + ">";
        case TypeId::Union:
            return std::string(t.union_mode == UnionMode::Dense ? "dense_union<" : "sparse_union<") +
                   children_string(t) + ">";
        case TypeId::Utf8View: return "utf8_view";
        case TypeId::BinaryView: return "binary_view";
        case TypeId::ListView: return "list_view<" + children_string(t) + ">";
        case TypeId::LargeListView: return "large_list_view<" + children_string(t) + ">";
        case TypeId::RunEndEncoded: return "run_end_encoded<" + children_string(t) + ">";
    }
    return "unknown";
}

std::string to_string(const Field& f) {
    // A list's child is often unnamed (Arrow.jl writes ""): its type alone, not ": type".
    std::string s = (f.name.empty() ? "" : f.name + ": ") + to_string(f.type);
    if (f.dictionary)
        s += " dictionary<" + to_string(f.dictionary->index_type) + ", id=" + std::to_string(f.dictionary->id) + ">";
    if (!f.nullable) s += " not null";
    if (auto ext = f.extension_name()) s += " extension<" + std::string(*ext) + ">";
    return s;
}

std::string to_string(const Schema& schema) {
    std::string s;
    for (const auto& f : schema.fields) s += to_string(f) + "\n";
    for (const auto& [k, v] : schema.metadata) s += "metadata " + k + " = " + v + "\n";
    return s;
}

int nesting_depth(const DataType& type) {
    int deepest = -1;
    for (const auto& c : type.children) deepest = std::max(deepest, nesting_depth(c.type));
    return deepest + 1;
}

}  // namespace legolasflux::arrow
