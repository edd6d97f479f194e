// Arrow logical types, fields and schemas, named and shaped as in the Arrow format's Schema message:
// one plain value type (DataType) whose id says which of the format's Type union members it is and
// whose other members hold that member's parameters. Nested types own their child fields.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace legolasflux::arrow {

enum class TypeId : uint8_t {
    Null,
    Bool,
    Int,            // bit_width 8/16/32/64, is_signed
    FloatingPoint,  // precision
    Utf8,
    LargeUtf8,
    Binary,
    LargeBinary,
    FixedSizeBinary,  // byte_width
    Decimal,          // bit_width 32/64/128/256, decimal_precision, decimal_scale
    Date,             // date_unit
    Time,             // time_unit, bit_width 32 (s, ms) or 64 (us, ns)
    Timestamp,        // time_unit, timezone
    Duration,         // time_unit
    Interval,         // interval_unit
    List,             // children[0]
    LargeList,        // children[0]
    FixedSizeList,    // list_size, children[0]
    Struct,           // children
    Map,              // keys_sorted, children[0] = struct "entries" {key, value}
    Union,            // union_mode, type_ids, children
    Utf8View,
    BinaryView,
    ListView,       // children[0]
    LargeListView,  // children[0]
    RunEndEncoded,  // children[0] = run_ends (int16/32/64), children[1] = values
};

enum class Precision : uint8_t { Half, Single, Double };
enum class DateUnit : uint8_t { Day, Millisecond };
enum class TimeUnit : uint8_t { Second, Millisecond, Microsecond, Nanosecond };
enum class IntervalUnit : uint8_t { YearMonth, DayTime, MonthDayNano };
enum class UnionMode : uint8_t { Sparse, Dense };
enum class Endianness : uint8_t { Little, Big };

// Key-value metadata, in file order; duplicates are kept as found (Julia can write them).
using KeyValueMetadata = std::vector<std::pair<std::string, std::string>>;

// The value of the first pair with this key, if any.
std::optional<std::string_view> find_metadata(const KeyValueMetadata& metadata, std::string_view key);
// Sets `key` to `value`: replaces every existing pair with that key by one, at the first's place.
void set_metadata(KeyValueMetadata& metadata, std::string key, std::string value);

struct Field;

struct DataType {
    TypeId id = TypeId::Null;
    int32_t bit_width = 0;
    bool is_signed = false;
    Precision precision = Precision::Single;
    int32_t decimal_precision = 0;
    int32_t decimal_scale = 0;
    DateUnit date_unit = DateUnit::Day;
    TimeUnit time_unit = TimeUnit::Second;
    IntervalUnit interval_unit = IntervalUnit::YearMonth;
    std::string timezone;  // Timestamp: empty means no time zone
    int32_t byte_width = 0;
    int32_t list_size = 0;
    bool keys_sorted = false;
    UnionMode union_mode = UnionMode::Sparse;
    std::vector<int32_t> type_ids;  // Union: the id of each child; empty means 0..n-1
    std::vector<Field> children;

    // Bytes per value of the fixed-width values buffer (bool: 0, as it is bit-packed; variable or
    // nested types: 0).
    int32_t fixed_width_bytes() const;
};

bool operator==(const DataType& a, const DataType& b);

// Dictionary encoding of a field: the field's type is the dictionary's value type; the array
// stores indices of `index_type` (a signed or unsigned Int).
struct DictionaryEncoding {
    int64_t id = 0;
    DataType index_type;
    bool ordered = false;
};

bool operator==(const DictionaryEncoding& a, const DictionaryEncoding& b);

struct Field {
    std::string name;
    DataType type;
    bool nullable = true;
    KeyValueMetadata metadata;  // extension types keep ARROW:extension:name / :metadata here
    std::optional<DictionaryEncoding> dictionary;

    // ARROW:extension:name, if present.
    std::optional<std::string_view> extension_name() const;
};

bool operator==(const Field& a, const Field& b);

struct Schema {
    std::vector<Field> fields;
    KeyValueMetadata metadata;
    Endianness endianness = Endianness::Little;
};

bool operator==(const Schema& a, const Schema& b);

// Constructors, named after the types.
DataType null();
DataType boolean();
DataType int_type(int32_t bit_width, bool is_signed);
DataType int8();
DataType int16();
DataType int32();
DataType int64();
DataType uint8();
DataType uint16();
DataType uint32();
DataType uint64();
DataType float16();
DataType float32();
DataType float64();
DataType utf8();
DataType large_utf8();
DataType binary();
DataType large_binary();
DataType fixed_size_binary(int32_t byte_width);
DataType decimal(int32_t bit_width, int32_t precision, int32_t scale);
DataType date32();
DataType date64();
DataType time32(TimeUnit unit);
DataType time64(TimeUnit unit);
DataType timestamp(TimeUnit unit, std::string timezone = {});
DataType duration(TimeUnit unit);
DataType interval(IntervalUnit unit);
DataType list(Field item);
DataType large_list(Field item);
DataType fixed_size_list(Field item, int32_t list_size);
DataType struct_(std::vector<Field> fields);
// entries: a non-nullable struct field "entries" with a non-nullable "key" and a "value" field.
DataType map(Field key, Field value, bool keys_sorted = false);
DataType union_(UnionMode mode, std::vector<Field> children, std::vector<int32_t> type_ids = {});
DataType utf8_view();
DataType binary_view();
DataType list_view(Field item);
DataType large_list_view(Field item);
DataType run_end_encoded(DataType run_end_type, Field values);

Field field(std::string name, DataType type, bool nullable = true, KeyValueMetadata metadata = {});

// Human-readable, e.g. "list<item: float32 not null>", "timestamp[ms, tz=UTC]".
std::string to_string(const DataType& type);
std::string to_string(const Field& field);
std::string to_string(const Schema& schema);

// Nesting depth of a type: 0 for a leaf, 1 + the deepest child otherwise.
int nesting_depth(const DataType& type);

}  // namespace legolasflux::arrow
