#include "ipc_metadata.hpp"

#include <set>
#include <utility>

#include "fbs_access.hpp"
#include "legolasflux/errors.hpp"

namespace legolasflux::arrow::detail {

std::string join_path(const std::string& parent, const std::string& name) {
    if (name.empty()) return parent;
    if (parent.empty()) return name;
    return parent + "." + name;
}

MetadataVersion metadata_version_from_fbs(fbs::MetadataVersion version, const std::string& where) {
    const auto v = static_cast<int16_t>(version);
    if (v == static_cast<int16_t>(MetadataVersion::V4)) return MetadataVersion::V4;
    if (v == static_cast<int16_t>(MetadataVersion::V5)) return MetadataVersion::V5;
    if (v >= 0 && v < static_cast<int16_t>(MetadataVersion::V4))
        throw UnsupportedError(where + ": metadata version V" + std::to_string(v + 1) +
                               " (Arrow before 0.8) is not supported; only V4 and V5 are");
    throw UnsupportedError(where + ": unknown metadata version " + std::to_string(v) + " (newer than V5?)");
}

void check_footer_version(fbs::MetadataVersion version) {
    const auto v = static_cast<int16_t>(version);
    if (v < 0 || v > static_cast<int16_t>(MetadataVersion::V5)) metadata_version_from_fbs(version, "file footer");
}

namespace {

using KeyValues = flatbuffers::Vector<flatbuffers::Offset<fbs::KeyValue>>;

KeyValueMetadata metadata_from_fbs(const KeyValues* pairs) {
    KeyValueMetadata out;
    if (pairs == nullptr) return out;
    out.reserve(pairs->size());
    for (const fbs::KeyValue* kv : *pairs) {
        out.emplace_back(kv->key() ? kv->key()->str() : std::string(),
                         kv->value() ? kv->value()->str() : std::string());
    }
    return out;
}

std::string where(const std::string& path) { return path.empty() ? "a top-level field" : "field " + path; }

template <class Enum>
int enum_value(Enum e) {
    return static_cast<int>(e);
}

// The schema's enum value `v` as ours, which numbers the same values 0..max; FormatError naming
// `what` otherwise.
template <class To>
To checked_enum(int v, int max, const char* what, const std::string& path) {
    if (v < 0 || v > max)
        throw FormatError("unknown " + std::string(what) + " " + std::to_string(v) + " in " + where(path));
    return static_cast<To>(v);
}

TimeUnit time_unit(fbs::TimeUnit unit, const std::string& path) {
    return checked_enum<TimeUnit>(enum_value(unit), 3, "time unit", path);
}

// Checks that a field has the number of children its type needs.
void expect_children(const std::vector<Field>& children, size_t n, const char* type, const std::string& path) {
    if (children.size() != n)
        throw FormatError(std::string(type) + " " + where(path) + " has " + std::to_string(children.size()) +
                          " children, expected " + std::to_string(n));
}

struct SchemaReader {
    const IpcLimits& limits;
    int64_t fields_seen = 0;

    Field field(const fbs::Field& f, const std::string& parent, int depth) {
        if (++fields_seen > limits.max_fields)
            throw FormatError("schema has more than " + std::to_string(limits.max_fields) + " fields");
        Field out;
        out.name = f.name() ? f.name()->str() : std::string();
        const std::string path = join_path(parent, out.name);
        if (depth > limits.max_nesting_depth)
            throw FormatError("schema nests deeper than " + std::to_string(limits.max_nesting_depth) + " levels at " +
                              where(path));
        out.nullable = f.nullable();
        out.metadata = metadata_from_fbs(f.custom_metadata());
        std::vector<Field> children;
        if (f.children() != nullptr) {
            children.reserve(f.children()->size());
            for (const fbs::Field* child : *f.children()) children.push_back(field(*child, path, depth + 1));
        }
        out.type = type(f, path, std::move(children));
        if (const fbs::DictionaryEncoding* d = f.dictionary()) out.dictionary = dictionary(*d, path);
        return out;
    }

    DictionaryEncoding dictionary(const fbs::DictionaryEncoding& d, const std::string& path) {
        if (enum_value(d.dictionaryKind()) != enum_value(fbs::DictionaryKind::DenseArray))
            throw UnsupportedError("dictionary kind " + std::to_string(enum_value(d.dictionaryKind())) + " of " +
                                   where(path) + " is not supported");
        DictionaryEncoding out;
        out.id = d.id();
        out.ordered = d.isOrdered();
        out.index_type = arrow::int32();  // the format's default when indexType is absent
        if (const fbs::Int* index = d.indexType()) {
            const int32_t w = index->bitWidth();
            if (w != 8 && w != 16 && w != 32 && w != 64)
                throw FormatError("dictionary index bit width " + std::to_string(w) + " of " + where(path));
            out.index_type = int_type(w, index->is_signed());
        }
        return out;
    }

    DataType type(const fbs::Field& f, const std::string& path, std::vector<Field> children) {
        DataType t;
        const auto leaf = [&](TypeId id) {
            if (!children.empty())
                throw FormatError(where(path) + " of type " + fbs::EnumNameType(f.type_type()) + " has " +
                                  std::to_string(children.size()) + " children, expected none");
            t.id = id;
        };
        switch (f.type_type()) {
            case fbs::Type::NONE: throw FormatError(where(path) + " has no type");
            case fbs::Type::Null: leaf(TypeId::Null); break;
            case fbs::Type::Bool: leaf(TypeId::Bool); break;
            case fbs::Type::Binary: leaf(TypeId::Binary); break;
            case fbs::Type::Utf8: leaf(TypeId::Utf8); break;
            case fbs::Type::LargeBinary: leaf(TypeId::LargeBinary); break;
            case fbs::Type::LargeUtf8: leaf(TypeId::LargeUtf8); break;
            case fbs::Type::BinaryView: leaf(TypeId::BinaryView); break;
            case fbs::Type::Utf8View: leaf(TypeId::Utf8View); break;
            case fbs::Type::Int: {
                leaf(TypeId::Int);
                const fbs::Int* p = f.type_as_Int();
                if (p == nullptr) throw FormatError(where(path) + ": missing Int parameters");
                t.bit_width = p->bitWidth();
                t.is_signed = p->is_signed();
                if (t.bit_width != 8 && t.bit_width != 16 && t.bit_width != 32 && t.bit_width != 64)
                    throw UnsupportedError("Int bit width " + std::to_string(t.bit_width) + " of " + where(path) +
                                           " is not supported (8, 16, 32 or 64)");
                break;
            }
            case fbs::Type::FloatingPoint: {
                leaf(TypeId::FloatingPoint);
                const auto* p = f.type_as_FloatingPoint();
                t.precision =
                    checked_enum<Precision>(p ? enum_value(p->precision()) : 0, 2, "floating point precision", path);
                break;
            }
            case fbs::Type::Decimal: {
                leaf(TypeId::Decimal);
                const auto* p = f.type_as_Decimal();
                if (p == nullptr) throw FormatError(where(path) + ": missing Decimal parameters");
                t.bit_width = p->bitWidth();
                t.decimal_precision = p->precision();
                t.decimal_scale = p->scale();
                if (t.bit_width != 32 && t.bit_width != 64 && t.bit_width != 128 && t.bit_width != 256)
                    throw UnsupportedError("Decimal bit width " + std::to_string(t.bit_width) + " of " + where(path) +
                                           " is not supported (32, 64, 128 or 256)");
                if (t.decimal_precision <= 0)
                    throw FormatError("Decimal precision " + std::to_string(t.decimal_precision) + " of " +
                                      where(path));
                break;
            }
            case fbs::Type::Date: {
                leaf(TypeId::Date);
                const auto* p = f.type_as_Date();
                t.date_unit = checked_enum<DateUnit>(p ? enum_value(p->unit()) : 1, 1, "date unit", path);
                break;
            }
            case fbs::Type::Time: {
                leaf(TypeId::Time);
                const auto* p = f.type_as_Time();
                t.time_unit = p ? time_unit(p->unit(), path) : TimeUnit::Millisecond;
                t.bit_width = p ? p->bitWidth() : 32;
                const int32_t need = t.time_unit <= TimeUnit::Millisecond ? 32 : 64;
                if (t.bit_width != need)
                    throw FormatError("Time " + where(path) + " has bit width " + std::to_string(t.bit_width) +
                                      ", its unit needs " + std::to_string(need));
                break;
            }
            case fbs::Type::Timestamp: {
                leaf(TypeId::Timestamp);
                const auto* p = f.type_as_Timestamp();
                t.time_unit = p ? time_unit(p->unit(), path) : TimeUnit::Second;
                if (p && p->timezone()) t.timezone = p->timezone()->str();
                break;
            }
            case fbs::Type::Duration: {
                leaf(TypeId::Duration);
                const auto* p = f.type_as_Duration();
                t.time_unit = p ? time_unit(p->unit(), path) : TimeUnit::Millisecond;
                break;
            }
            case fbs::Type::Interval: {
                leaf(TypeId::Interval);
                const auto* p = f.type_as_Interval();
                t.interval_unit = checked_enum<IntervalUnit>(p ? enum_value(p->unit()) : 0, 2, "interval unit", path);
                break;
            }
            case fbs::Type::FixedSizeBinary: {
                leaf(TypeId::FixedSizeBinary);
                const auto* p = f.type_as_FixedSizeBinary();
                t.byte_width = p ? p->byteWidth() : 0;
                if (t.byte_width < 0) throw FormatError("negative byte width of " + where(path));
                break;
            }
            case fbs::Type::List:
                expect_children(children, 1, "List", path);
                t.id = TypeId::List;
                break;
            case fbs::Type::LargeList:
                expect_children(children, 1, "LargeList", path);
                t.id = TypeId::LargeList;
                break;
            case fbs::Type::ListView:
                expect_children(children, 1, "ListView", path);
                t.id = TypeId::ListView;
                break;
            case fbs::Type::LargeListView:
                expect_children(children, 1, "LargeListView", path);
                t.id = TypeId::LargeListView;
                break;
            case fbs::Type::FixedSizeList: {
                expect_children(children, 1, "FixedSizeList", path);
                t.id = TypeId::FixedSizeList;
                const auto* p = f.type_as_FixedSizeList();
                t.list_size = p ? p->listSize() : 0;
                if (t.list_size < 0) throw FormatError("negative list size of " + where(path));
                break;
            }
            case fbs::Type::Map: {
                expect_children(children, 1, "Map", path);
                if (children[0].type.id != TypeId::Struct || children[0].type.children.size() != 2)
                    throw FormatError("Map " + where(path) + " needs a struct child with two fields (key, value)");
                t.id = TypeId::Map;
                const auto* p = f.type_as_Map();
                t.keys_sorted = p && p->keysSorted();
                break;
            }
            case fbs::Type::Struct_: t.id = TypeId::Struct; break;
            case fbs::Type::Union: {
                t.id = TypeId::Union;
                const auto* p = f.type_as_Union();
                const int mode = p ? enum_value(p->mode()) : 0;
                if (mode < 0 || mode > 1)
                    throw FormatError("unknown union mode " + std::to_string(mode) + " in " + where(path));
                t.union_mode = static_cast<UnionMode>(mode);
                if (children.size() > 128)
                    throw FormatError("Union " + where(path) + " has " + std::to_string(children.size()) +
                                      " children (at most 128)");
                if (p && p->typeIds()) {
                    if (p->typeIds()->size() != children.size())
                        throw FormatError("Union " + where(path) + " has " + std::to_string(p->typeIds()->size()) +
                                          " type ids for " + std::to_string(children.size()) + " children");
                    std::set<int32_t> seen;
                    for (flatbuffers::uoffset_t k = 0; k < p->typeIds()->size(); ++k) {
                        const int32_t id = load_element(p->typeIds(), k);
                        if (id < 0 || id > 127 || !seen.insert(id).second)
                            throw FormatError("Union " + where(path) + " has an invalid or repeated type id " +
                                              std::to_string(id));
                        t.type_ids.push_back(id);
                    }
                }
                break;
            }
            case fbs::Type::RunEndEncoded: {
                expect_children(children, 2, "RunEndEncoded", path);
                const DataType& ends = children[0].type;
                if (ends.id != TypeId::Int || !ends.is_signed || ends.bit_width == 8)
                    throw FormatError("RunEndEncoded " + where(path) + " needs int16, int32 or int64 run ends, not " +
                                      to_string(ends));
                t.id = TypeId::RunEndEncoded;
                break;
            }
            default:
                throw UnsupportedError("unsupported type (Type union member " +
                                       std::to_string(enum_value(f.type_type())) + ") in " + where(path));
        }
        t.children = std::move(children);
        return t;
    }
};

// --- writing -------------------------------------------------------------------------------

using Builder = flatbuffers::FlatBufferBuilder;

flatbuffers::Offset<KeyValues> metadata_to_fbs(Builder& b, const KeyValueMetadata& metadata) {
    std::vector<flatbuffers::Offset<fbs::KeyValue>> pairs;
    pairs.reserve(metadata.size());
    for (const auto& [k, v] : metadata) pairs.push_back(fbs::CreateKeyValue(b, b.CreateString(k), b.CreateString(v)));
    return b.CreateVector(pairs);
}

std::pair<fbs::Type, flatbuffers::Offset<void>> type_to_fbs(Builder& b, const DataType& t) {
    const auto unit = [](TimeUnit u) { return static_cast<fbs::TimeUnit>(static_cast<int>(u)); };
    switch (t.id) {
        case TypeId::Null: return {fbs::Type::Null, fbs::CreateNull(b).Union()};
        case TypeId::Bool: return {fbs::Type::Bool, fbs::CreateBool(b).Union()};
        case TypeId::Int: return {fbs::Type::Int, fbs::CreateInt(b, t.bit_width, t.is_signed).Union()};
        case TypeId::FloatingPoint:
            return {fbs::Type::FloatingPoint,
                    fbs::CreateFloatingPoint(b, static_cast<fbs::Precision>(static_cast<int>(t.precision))).Union()};
        case TypeId::Utf8: return {fbs::Type::Utf8, fbs::CreateUtf8(b).Union()};
        case TypeId::LargeUtf8: return {fbs::Type::LargeUtf8, fbs::CreateLargeUtf8(b).Union()};
        case TypeId::Binary: return {fbs::Type::Binary, fbs::CreateBinary(b).Union()};
        case TypeId::LargeBinary: return {fbs::Type::LargeBinary, fbs::CreateLargeBinary(b).Union()};
        case TypeId::FixedSizeBinary:
            return {fbs::Type::FixedSizeBinary, fbs::CreateFixedSizeBinary(b, t.byte_width).Union()};
        case TypeId::Decimal:
            return {fbs::Type::Decimal,
                    fbs::CreateDecimal(b, t.decimal_precision, t.decimal_scale, t.bit_width).Union()};
        case TypeId::Date:
            return {fbs::Type::Date,
                    fbs::CreateDate(b, static_cast<fbs::DateUnit>(static_cast<int>(t.date_unit))).Union()};
        case TypeId::Time: return {fbs::Type::Time, fbs::CreateTime(b, unit(t.time_unit), t.bit_width).Union()};
        case TypeId::Timestamp: {
            const auto tz = t.timezone.empty() ? 0 : b.CreateString(t.timezone);
            return {fbs::Type::Timestamp, fbs::CreateTimestamp(b, unit(t.time_unit), tz).Union()};
        }
        case TypeId::Duration: return {fbs::Type::Duration, fbs::CreateDuration(b, unit(t.time_unit)).Union()};
        case TypeId::Interval:
            return {fbs::Type::Interval,
                    fbs::CreateInterval(b, static_cast<fbs::IntervalUnit>(static_cast<int>(t.interval_unit))).Union()};
        case TypeId::List: return {fbs::Type::List, fbs::CreateList(b).Union()};
        case TypeId::LargeList: return {fbs::Type::LargeList, fbs::CreateLargeList(b).Union()};
        case TypeId::FixedSizeList: return {fbs::Type::FixedSizeList, fbs::CreateFixedSizeList(b, t.list_size).Union()};
        case TypeId::Struct: return {fbs::Type::Struct_, fbs::CreateStruct_(b).Union()};
        case TypeId::Map: return {fbs::Type::Map, fbs::CreateMap(b, t.keys_sorted).Union()};
        case TypeId::Union: {
            const auto ids = t.type_ids.empty() ? 0 : b.CreateVector(t.type_ids);
            return {fbs::Type::Union,
                    fbs::CreateUnion(b, static_cast<fbs::UnionMode>(static_cast<int>(t.union_mode)), ids).Union()};
        }
        case TypeId::Utf8View: return {fbs::Type::Utf8View, fbs::CreateUtf8View(b).Union()};
        case TypeId::BinaryView: return {fbs::Type::BinaryView, fbs::CreateBinaryView(b).Union()};
        case TypeId::ListView: return {fbs::Type::ListView, fbs::CreateListView(b).Union()};
        case TypeId::LargeListView: return {fbs::Type::LargeListView, fbs::CreateLargeListView(b).Union()};
        case TypeId::RunEndEncoded: return {fbs::Type::RunEndEncoded, fbs::CreateRunEndEncoded(b).Union()};
    }
    throw InvalidArgument("cannot write type " + to_string(t));
}

flatbuffers::Offset<fbs::Field> field_to_fbs(Builder& b, const Field& f) {
    std::vector<flatbuffers::Offset<fbs::Field>> children;
    children.reserve(f.type.children.size());
    for (const Field& c : f.type.children) children.push_back(field_to_fbs(b, c));
    // Built before the Field table: FlatBuffers builds tables one at a time, leaves first.
    const auto name = b.CreateString(f.name);
    const auto children_vec = b.CreateVector(children);
    const auto metadata = f.metadata.empty() ? 0 : metadata_to_fbs(b, f.metadata);
    const auto [type_tag, type] = type_to_fbs(b, f.type);
    flatbuffers::Offset<fbs::DictionaryEncoding> dictionary = 0;
    if (f.dictionary) {
        const DataType& index = f.dictionary->index_type;
        if (index.id != TypeId::Int)
            throw InvalidArgument("dictionary index type of field " + f.name + " must be an integer, not " +
                                  to_string(index));
        dictionary =
            fbs::CreateDictionaryEncoding(b, f.dictionary->id, fbs::CreateInt(b, index.bit_width, index.is_signed),
                                          f.dictionary->ordered, fbs::DictionaryKind::DenseArray);
    }
    return fbs::CreateField(b, name, f.nullable, type_tag, type, dictionary, children_vec, metadata);
}

}  // namespace

Schema schema_from_fbs(const fbs::Schema& schema, const IpcLimits& limits) {
    Schema out;
    if (enum_value(schema.endianness()) == enum_value(fbs::Endianness::Big))
        throw UnsupportedError("big-endian data is not supported (the schema says Big)");
    if (enum_value(schema.endianness()) != enum_value(fbs::Endianness::Little))
        throw FormatError("unknown endianness " + std::to_string(enum_value(schema.endianness())));
    if (const auto* features = schema.features()) {
        for (flatbuffers::uoffset_t k = 0; k < features->size(); ++k) {
            const auto v = static_cast<int64_t>(load_element(features, k));
            if (v != 0 && v != 1 && v != 2)
                throw UnsupportedError("unknown schema feature " + std::to_string(v) + " is not supported");
        }
    }
    SchemaReader reader{limits};
    if (schema.fields() != nullptr) {
        if (static_cast<int64_t>(schema.fields()->size()) > limits.max_fields)
            throw FormatError("schema has more than " + std::to_string(limits.max_fields) + " fields");
        out.fields.reserve(schema.fields()->size());
        for (const fbs::Field* f : *schema.fields()) out.fields.push_back(reader.field(*f, "", 0));
    }
    out.metadata = metadata_from_fbs(schema.custom_metadata());
    return out;
}

flatbuffers::Offset<fbs::Schema> schema_to_fbs(Builder& b, const Schema& schema) {
    std::vector<flatbuffers::Offset<fbs::Field>> fields;
    fields.reserve(schema.fields.size());
    for (const Field& f : schema.fields) fields.push_back(field_to_fbs(b, f));
    const auto fields_vec = b.CreateVector(fields);
    const auto metadata = schema.metadata.empty() ? 0 : metadata_to_fbs(b, schema.metadata);
    const auto endianness = schema.endianness == Endianness::Big ? fbs::Endianness::Big : fbs::Endianness::Little;
    return fbs::CreateSchema(b, endianness, fields_vec, metadata);
}

}  // namespace legolasflux::arrow::detail
