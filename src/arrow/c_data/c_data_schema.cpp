// ArrowSchema ↔ DataType / Field / Schema: the C data interface's format strings, flags and binary
// metadata layout.
#include <charconv>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "c_data_private.hpp"
#include "core/layout.hpp"
#include "legolasflux/arrow/c_data.hpp"
#include "legolasflux/errors.hpp"

namespace legolasflux::arrow {

namespace {

constexpr int kMaxDepth = 256;  // as validate.hpp: deeper schemas are refused, not recursed into

// The format strings' letter for each TimeUnit, in the enum's order (s, ms, us, ns).
// The nested types whose format string has no parameters, both ways.
constexpr std::pair<std::string_view, TypeId> kNestedFormats[] = {
    {"+l", TypeId::List},   {"+L", TypeId::LargeList}, {"+vl", TypeId::ListView},     {"+vL", TypeId::LargeListView},
    {"+s", TypeId::Struct}, {"+m", TypeId::Map},       {"+r", TypeId::RunEndEncoded},
};

char unit_letter(TimeUnit u) { return "smun"[static_cast<int>(u) & 3]; }

std::string format_of(const DataType& t) {
    switch (t.id) {
        case TypeId::Null: return "n";
        case TypeId::Bool: return "b";
        case TypeId::Int:
            switch (t.bit_width) {
                case 8: return t.is_signed ? "c" : "C";
                case 16: return t.is_signed ? "s" : "S";
                case 32: return t.is_signed ? "i" : "I";
                case 64: return t.is_signed ? "l" : "L";
            }
            throw UnsupportedError("the Arrow C data interface has no " + std::to_string(t.bit_width) +
                                   "-bit integer type");
        case TypeId::FloatingPoint:
            return t.precision == Precision::Half ? "e" : t.precision == Precision::Single ? "f" : "g";
        case TypeId::Utf8: return "u";
        case TypeId::LargeUtf8: return "U";
        case TypeId::Binary: return "z";
        case TypeId::LargeBinary: return "Z";
        case TypeId::Utf8View: return "vu";
        case TypeId::BinaryView: return "vz";
        case TypeId::FixedSizeBinary: return "w:" + std::to_string(t.byte_width);
        case TypeId::Decimal: {
            // 128 bits is the default width and is written without it, as Arrow C++ does.
            std::string f = "d:" + std::to_string(t.decimal_precision) + "," + std::to_string(t.decimal_scale);
            if (t.bit_width != 128) f += "," + std::to_string(t.bit_width);
            return f;
        }
        case TypeId::Date: return t.date_unit == DateUnit::Day ? "tdD" : "tdm";
        case TypeId::Time: {
            // The unit implies the width: seconds and milliseconds are 32-bit, the others 64-bit.
            const bool narrow = t.time_unit == TimeUnit::Second || t.time_unit == TimeUnit::Millisecond;
            if (t.bit_width != (narrow ? 32 : 64))
                throw UnsupportedError("the Arrow C data interface has no type " + to_string(t));
            return std::string("tt") + unit_letter(t.time_unit);
        }
        case TypeId::Timestamp: return std::string("ts") + unit_letter(t.time_unit) + ":" + t.timezone;
        case TypeId::Duration: return std::string("tD") + unit_letter(t.time_unit);
        case TypeId::Interval:
            return t.interval_unit == IntervalUnit::YearMonth ? "tiM"
                   : t.interval_unit == IntervalUnit::DayTime ? "tiD"
                                                              : "tin";
        case TypeId::FixedSizeList: return "+w:" + std::to_string(t.list_size);
        case TypeId::Union: {
            std::string f = t.union_mode == UnionMode::Dense ? "+ud:" : "+us:";
            for (size_t k = 0; k < t.children.size(); ++k) {
                if (k) f += ",";
                f += std::to_string(t.type_ids.empty() ? static_cast<int32_t>(k) : t.type_ids[k]);
            }
            return f;
        }
        default:
            for (const auto& [format, id] : kNestedFormats)
                if (id == t.id) return std::string(format);
    }
    throw UnsupportedError("cannot export type " + to_string(t) + " through the Arrow C data interface");
}

// The binary layout of the spec: int32 count, then per pair int32 length + key bytes, int32 length
// + value bytes, all in native byte order.
std::string encode_metadata(const KeyValueMetadata& metadata) {
    if (metadata.empty()) return {};
    std::string out;
    auto put32 = [&](size_t n) {
        if (n > INT32_MAX) throw UnsupportedError("metadata entry longer than 2 GiB");
        const auto v = static_cast<int32_t>(n);
        out.append(reinterpret_cast<const char*>(&v), 4);
    };
    put32(metadata.size());
    for (const auto& [k, v] : metadata) {
        put32(k.size());
        out += k;
        put32(v.size());
        out += v;
    }
    return out;
}

struct SchemaPrivate {
    std::string format, name, metadata;
    std::vector<ArrowSchema> children;
    std::vector<ArrowSchema*> child_pointers;
    ArrowSchema dictionary{};
};

void release_schema(ArrowSchema* s) { detail::release_node<ArrowSchema, SchemaPrivate>(s); }

// Fills `out` with a type and the fields nested in it. On error `out` is left released.
void fill(const std::string& name, const DataType& type, int64_t flags, const KeyValueMetadata& metadata,
          const DictionaryEncoding* dictionary, ArrowSchema* out);

void fill_field(const Field& f, ArrowSchema* out) {
    int64_t flags = f.nullable ? ARROW_FLAG_NULLABLE : 0;
    if (f.dictionary && f.dictionary->ordered) flags |= ARROW_FLAG_DICTIONARY_ORDERED;
    fill(f.name, f.type, flags, f.metadata, f.dictionary ? &*f.dictionary : nullptr, out);
}

void fill(const std::string& name, const DataType& type, int64_t flags, const KeyValueMetadata& metadata,
          const DictionaryEncoding* dictionary, ArrowSchema* out) {
    auto p = std::make_unique<SchemaPrivate>();
    p->name = name;
    p->metadata = encode_metadata(metadata);
    // A dictionary-encoded field is described by its index type; the value type (and the fields
    // nested in it) go to the dictionary schema.
    if (dictionary && dictionary->index_type.id != TypeId::Int)
        throw UnsupportedError("dictionary index type " + to_string(dictionary->index_type) + " is not an integer");
    p->format = format_of(dictionary ? dictionary->index_type : type);
    static const std::vector<Field> kNone;
    const std::vector<Field>& nested = dictionary ? kNone : type.children;
    p->children.resize(nested.size());
    for (ArrowSchema& c : p->children) c.release = nullptr;
    for (ArrowSchema& c : p->children) p->child_pointers.push_back(&c);
    if (type.id == TypeId::Map && type.keys_sorted && !dictionary) flags |= ARROW_FLAG_MAP_KEYS_SORTED;

    out->format = p->format.c_str();
    out->name = p->name.c_str();
    out->metadata = p->metadata.empty() ? nullptr : p->metadata.data();
    out->flags = flags;
    out->n_children = static_cast<int64_t>(nested.size());
    out->children = p->child_pointers.empty() ? nullptr : p->child_pointers.data();
    out->dictionary = dictionary ? &p->dictionary : nullptr;
    out->release = release_schema;
    SchemaPrivate* raw = p.release();
    out->private_data = raw;
    try {
        for (size_t k = 0; k < nested.size(); ++k) fill_field(nested[k], &raw->children[k]);
        if (dictionary) {
            const int64_t dict_flags =
                ARROW_FLAG_NULLABLE | (type.id == TypeId::Map && type.keys_sorted ? ARROW_FLAG_MAP_KEYS_SORTED : 0);
            fill("", type, dict_flags, {}, nullptr, &raw->dictionary);
        }
    } catch (...) {
        release_schema(out);
        throw;
    }
}

// ---- import ----

// Owns an ArrowSchema taken from a producer: released exactly once, on every path.
struct SchemaGuard : detail::Taken<ArrowSchema> {
    explicit SchemaGuard(ArrowSchema* from) : Taken(from, "ArrowSchema") {}
};

KeyValueMetadata decode_metadata(const char* p, const std::string& where) {
    KeyValueMetadata out;
    if (!p) return out;
    auto get32 = [&](const char* what) {
        int32_t v;
        std::memcpy(&v, p, 4);
        p += 4;
        if (v < 0) throw FormatError("negative " + std::string(what) + " in the metadata of " + where);
        return static_cast<size_t>(v);
    };
    const size_t n = get32("pair count");
    for (size_t i = 0; i < n; ++i) {
        const size_t klen = get32("key length");
        std::string key(p, klen);
        p += klen;
        const size_t vlen = get32("value length");
        std::string value(p, vlen);
        p += vlen;
        out.emplace_back(std::move(key), std::move(value));
    }
    return out;
}

int32_t parse_int(std::string_view s, const std::string& format) {
    int32_t v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size() || s.empty())
        throw FormatError("malformed number '" + std::string(s) + "' in format string '" + format + "'");
    return v;
}

std::vector<int32_t> parse_list(std::string_view s, const std::string& format) {
    std::vector<int32_t> out;
    if (s.empty()) return out;
    size_t start = 0;
    while (true) {
        const size_t comma = s.find(',', start);
        out.push_back(parse_int(
            s.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start), format));
        if (comma == std::string_view::npos) return out;
        start = comma + 1;
    }
}

TimeUnit parse_unit(char c, const std::string& format) {
    switch (c) {
        case 's': return TimeUnit::Second;
        case 'm': return TimeUnit::Millisecond;
        case 'u': return TimeUnit::Microsecond;
        case 'n': return TimeUnit::Nanosecond;
    }
    throw FormatError("unknown time unit in format string '" + format + "'");
}

// The type a format string names, without its children.
DataType parse_format(const std::string& f) {
    auto starts = [&](std::string_view p) { return f.compare(0, p.size(), p) == 0; };
    if (f.size() == 1) {
        switch (f[0]) {
            case 'n': return null();
            case 'b': return boolean();
            case 'c': return int8();
            case 'C': return uint8();
            case 's': return int16();
            case 'S': return uint16();
            case 'i': return int32();
            case 'I': return uint32();
            case 'l': return int64();
            case 'L': return uint64();
            case 'e': return float16();
            case 'f': return float32();
            case 'g': return float64();
            case 'u': return utf8();
            case 'U': return large_utf8();
            case 'z': return binary();
            case 'Z': return large_binary();
        }
    }
    if (f == "vu") return utf8_view();
    if (f == "vz") return binary_view();
    if (starts("w:")) {
        const int32_t w = parse_int(std::string_view(f).substr(2), f);
        if (w < 0) throw FormatError("negative byte width in format string '" + f + "'");
        return fixed_size_binary(w);
    }
    if (starts("d:")) {
        const auto parts = parse_list(std::string_view(f).substr(2), f);
        if (parts.size() != 2 && parts.size() != 3) throw FormatError("malformed decimal format string '" + f + "'");
        const int32_t bits = parts.size() == 3 ? parts[2] : 128;
        if (bits != 32 && bits != 64 && bits != 128 && bits != 256)
            throw FormatError("decimal bit width " + std::to_string(bits) + " in format string '" + f + "'");
        return decimal(bits, parts[0], parts[1]);
    }
    if (f == "tdD") return date32();
    if (f == "tdm") return date64();
    if (f.size() == 3 && starts("tt")) {
        const TimeUnit u = parse_unit(f[2], f);
        return u == TimeUnit::Second || u == TimeUnit::Millisecond ? time32(u) : time64(u);
    }
    if (f.size() >= 4 && starts("ts") && f[3] == ':') return timestamp(parse_unit(f[2], f), f.substr(4));
    if (f.size() == 3 && starts("tD")) return duration(parse_unit(f[2], f));
    if (f == "tiM") return interval(IntervalUnit::YearMonth);
    if (f == "tiD") return interval(IntervalUnit::DayTime);
    if (f == "tin") return interval(IntervalUnit::MonthDayNano);
    DataType t;
    for (const auto& [format, id] : kNestedFormats)
        if (f == format) {
            t.id = id;
            return t;
        }
    if (starts("+w:")) {
        t.id = TypeId::FixedSizeList;
        t.list_size = parse_int(std::string_view(f).substr(3), f);
        if (t.list_size < 0) throw FormatError("negative list size in format string '" + f + "'");
    } else if (starts("+ud:") || starts("+us:")) {
        t.id = TypeId::Union;
        t.union_mode = f[2] == 'd' ? UnionMode::Dense : UnionMode::Sparse;
        t.type_ids = parse_list(std::string_view(f).substr(4), f);
        for (int32_t id : t.type_ids)
            if (id < 0 || id > 127)
                throw FormatError("union type id " + std::to_string(id) + " outside 0..127 in '" + f + "'");
    } else {
        throw UnsupportedError("Arrow C data interface format string '" + f + "' is not supported");
    }
    return t;
}

struct Importer {
    int64_t next_dictionary_id = 0;

    DataType type_of(const ArrowSchema& s, const std::string& where, int depth) {
        if (!s.format) throw FormatError("ArrowSchema of " + where + " has no format string");
        DataType t = parse_format(s.format);
        if (s.n_children < 0 || (s.n_children > 0 && !s.children))
            throw FormatError("ArrowSchema of " + where + " has an invalid children array");
        for (int64_t k = 0; k < s.n_children; ++k) {
            if (!s.children[k] || !s.children[k]->release)
                throw FormatError("child " + std::to_string(k) + " of " + where + " is missing or released");
            t.children.push_back(field_of(*s.children[k], where, depth + 1));
        }
        check_children(t, s.format, where);
        if (t.id == TypeId::Map) t.keys_sorted = (s.flags & ARROW_FLAG_MAP_KEYS_SORTED) != 0;
        return t;
    }

    static void check_children(const DataType& t, const std::string& format, const std::string& where) {
        auto bad = [&](const std::string& what) {
            throw FormatError("format '" + format + "' of " + where + " " + what + ", it has " +
                              std::to_string(t.children.size()) + " children");
        };
        switch (t.id) {
            case TypeId::Map:
                if (!detail::has_map_entries(t)) bad("needs one struct child of two fields");
                break;
            case TypeId::RunEndEncoded:
                if (t.children.size() != 2 || t.children[0].type.id != TypeId::Int || !t.children[0].type.is_signed ||
                    t.children[0].type.bit_width == 8)
                    bad("needs run ends (int16/32/64) and values");
                break;
            case TypeId::Union:
                if (t.children.size() != t.type_ids.size())
                    bad("lists " + std::to_string(t.type_ids.size()) + " type ids");
                break;
            default: {
                // Lists have one child, structs any number, other types none.
                const detail::ChildCount count = detail::layout_of(t).children;
                if (count == detail::ChildCount::One && t.children.size() != 1) bad("needs one child");
                if (count == detail::ChildCount::None && !t.children.empty()) bad("takes no children");
            }
        }
    }

    Field field_of(const ArrowSchema& s, const std::string& parent, int depth) {
        if (depth > kMaxDepth)
            throw FormatError("ArrowSchema nested deeper than " + std::to_string(kMaxDepth) + " levels");
        Field f;
        f.name = s.name ? s.name : "";
        const std::string where =
            parent.empty() ? (f.name.empty() ? std::string("field") : "field " + f.name) : parent + "." + f.name;
        f.nullable = (s.flags & ARROW_FLAG_NULLABLE) != 0;
        f.metadata = decode_metadata(s.metadata, where);
        if (!s.dictionary) {
            f.type = type_of(s, where, depth);
            return f;
        }
        if (!s.dictionary->release) throw FormatError("the dictionary schema of " + where + " is released");
        if (s.dictionary->dictionary)
            throw UnsupportedError("the dictionary of " + where + " is itself dictionary-encoded");
        DictionaryEncoding enc;
        enc.id = next_dictionary_id++;
        enc.index_type = type_of(s, where, depth);
        if (enc.index_type.id != TypeId::Int)
            throw FormatError("dictionary index type of " + where + " is " + to_string(enc.index_type) +
                              ", not an integer");
        enc.ordered = (s.flags & ARROW_FLAG_DICTIONARY_ORDERED) != 0;
        f.dictionary = enc;
        f.type = type_of(*s.dictionary, where + " (dictionary)", depth + 1);
        return f;
    }
};

}  // namespace

void export_type(const DataType& type, ArrowSchema* out) {
    ArrowSchema s;
    fill("", type, ARROW_FLAG_NULLABLE, {}, nullptr, &s);
    *out = s;
}

void export_field(const Field& field, ArrowSchema* out) {
    ArrowSchema s;
    fill_field(field, &s);
    *out = s;
}

void export_schema(const Schema& schema, ArrowSchema* out) {
    if (schema.endianness != Endianness::Little)
        throw UnsupportedError("cannot export a big-endian schema: the C data interface is native-endian");
    DataType top;
    top.id = TypeId::Struct;
    top.children = schema.fields;
    ArrowSchema s;
    fill("", top, 0, schema.metadata, nullptr, &s);
    *out = s;
}

DataType import_type(ArrowSchema* schema) {
    SchemaGuard g(schema);
    if (g.s.dictionary) throw InvalidArgument("ArrowSchema is dictionary-encoded: import it as a field");
    return Importer{}.type_of(g.s, "type", 0);
}

Field import_field(ArrowSchema* schema) {
    SchemaGuard g(schema);
    return Importer{}.field_of(g.s, "", 0);
}

Schema import_schema(ArrowSchema* schema) {
    SchemaGuard g(schema);
    if (!g.s.format || std::string(g.s.format) != "+s")
        throw FormatError(std::string("a schema must be a struct type (format '+s'), got '") +
                          (g.s.format ? g.s.format : "(null)") + "'");
    if (g.s.dictionary) throw FormatError("a schema cannot be dictionary-encoded");
    Schema out;
    out.metadata = decode_metadata(g.s.metadata, "the schema");
    out.fields = Importer{}.type_of(g.s, "", 0).children;
    return out;
}

}  // namespace legolasflux::arrow
