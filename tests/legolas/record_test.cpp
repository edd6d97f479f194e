// Typed records: the exact Arrow schema written for a declaration (what Legolas.jl writes), value
// round trips of every built-in value type, nested records matched by name (Legolas issue 94),
// Legolas v0.4-era nested rows, checks (Legolas' @check), and the errors.
#include <gtest/gtest.h>

#include "legolasflux/arrow/builder.hpp"
#include "legolasflux/arrow/compare.hpp"
#include "legolasflux/legolas/legolas.hpp"

namespace rec {

struct ConfigV1 {
    int64_t seed = 0;
    float dropout_rate = 0;
    bool operator==(const ConfigV1&) const = default;
};
LEGOLAS_RECORD(ConfigV1, "test.config", 1, seed, dropout_rate);

// Every built-in value type, required and optional, in one record.
struct EverythingV1 {
    int8_t i8 = 0;
    int16_t i16 = 0;
    int32_t i32 = 0;
    int64_t i64 = 0;
    uint8_t u8 = 0;
    uint16_t u16 = 0;
    uint32_t u32 = 0;
    uint64_t u64 = 0;
    float f32 = 0;
    double f64 = 0;
    bool flag = false;
    std::string text;
    std::vector<float> floats;
    std::vector<std::optional<int64_t>> maybe_ints;
    std::vector<std::string> words;
    std::vector<std::vector<int32_t>> nested;
    ConfigV1 config;
    std::optional<ConfigV1> maybe_config;
    std::vector<ConfigV1> configs;
    std::optional<int64_t> maybe;
    std::optional<std::string> maybe_text;
    std::optional<std::vector<double>> maybe_list;
    bool operator==(const EverythingV1&) const = default;
};
LEGOLAS_RECORD(EverythingV1, "test.everything", 1, i8, i16, i32, i64, u8, u16, u32, u64, f32, f64, flag, text, floats,
               maybe_ints, words, nested, config, maybe_config, configs, maybe, maybe_text, maybe_list);

// Legolas issue 94: the child declares b before a.
struct Issue94ChildV1 {
    int64_t b = 0;
    int64_t a = 0;
    bool operator==(const Issue94ChildV1&) const = default;
};
LEGOLAS_RECORD(Issue94ChildV1, "test.issue-94-child", 1, b, a);
struct Issue94ParentV1 {
    Issue94ChildV1 x;
};
LEGOLAS_RECORD(Issue94ParentV1, "test.issue-94-parent", 1, x);

// A digits-like row for v0.4-era files (weights left out: it needs the next layer's Weights type).
struct V04RowV1 {
    std::optional<int64_t> architecture_version;
    ConfigV1 config;
    std::optional<int64_t> epoch;
    std::optional<float> accuracy;
};
LEGOLAS_RECORD(V04RowV1, "test.v04-row", 1, architecture_version, config, epoch, accuracy);

// Checks (@check): lower <= upper; the child adds upper < 100.
struct LimitsV1 {
    double lower = 0;
    double upper = 0;
    bool operator==(const LimitsV1&) const = default;
};
LEGOLAS_RECORD(LimitsV1, "test.limits", 1, lower, upper);
inline void legolas_check(legolasflux::legolas::tag<LimitsV1>, const LimitsV1& r) {
    legolasflux::legolas::check(r.lower <= r.upper, "lower <= upper");
}
struct SmallLimitsV1 : LimitsV1 {
    std::string unit;
};
LEGOLAS_RECORD_EXTENDS(SmallLimitsV1, "test.small-limits", 1, LimitsV1, unit);
inline void legolas_check(legolasflux::legolas::tag<SmallLimitsV1>, const SmallLimitsV1& r) {
    legolasflux::legolas::check(r.upper < 100, "upper < 100");
}

struct NamedV1 {
    std::optional<std::string> name;
};
LEGOLAS_RECORD(NamedV1, "test.named", 1, LEGOLAS_REQUIRED(name));

}  // namespace rec

namespace {

namespace arrow = legolasflux::arrow;
using legolasflux::SchemaError;
using namespace legolasflux::legolas;
using namespace rec;

arrow::Field f(std::string name, arrow::DataType t, bool nullable = false, arrow::KeyValueMetadata md = {}) {
    return arrow::field(std::move(name), std::move(t), nullable, std::move(md));
}
arrow::Field item(arrow::DataType t, bool nullable = false) { return arrow::field("", std::move(t), nullable); }

arrow::Table table_of(std::vector<arrow::Field> fields, std::vector<arrow::ArrayPtr> columns,
                      arrow::KeyValueMetadata md = {}) {
    auto schema = std::make_shared<arrow::Schema>();
    schema->fields = std::move(fields);
    schema->metadata = std::move(md);
    arrow::Table t;
    t.schema = schema;
    t.batches.push_back(arrow::make_batch(schema, std::move(columns)));
    return t;
}

EverythingV1 sample(int n) {
    EverythingV1 e;
    e.i8 = static_cast<int8_t>(-n);
    e.i16 = static_cast<int16_t>(-300 * n);
    e.i32 = -70000 * n;
    e.i64 = -5'000'000'000LL * n;
    e.u8 = static_cast<uint8_t>(200 + n);
    e.u16 = static_cast<uint16_t>(60000 + n);
    e.u32 = 4'000'000'000u + static_cast<uint32_t>(n);
    e.u64 = 18'000'000'000'000'000'000ULL + static_cast<uint64_t>(n);
    e.f32 = 0.5f * static_cast<float>(n);
    e.f64 = 0.25 * n;
    e.flag = n % 2 == 1;
    e.text = "row " + std::to_string(n);
    e.floats = std::vector<float>(static_cast<size_t>(n), 1.5f);
    e.maybe_ints = {std::nullopt, n, std::nullopt};
    e.words = {"a", "", "ccc"};
    e.nested = {{1, 2}, {}, {n}};
    e.config = {n, 0.125f};
    if (n % 2 == 0) e.maybe_config = ConfigV1{100 + n, 1.0f};
    e.configs = {ConfigV1{1, 0}, ConfigV1{2, 0.5f}};
    if (n % 3 != 0) e.maybe = n;
    if (n % 2 == 1) e.maybe_text = "t";
    if (n == 2) e.maybe_list = std::vector<double>{};
    if (n == 3) e.maybe_list = std::vector<double>{1, 2};
    return e;
}

TEST(Record, WrittenSchemaIsWhatLegolasJlWrites) {
    // For Legolas.jl's BazV1 (x::Int8, y::String, z::String, k::Int64 over example.bar@1).
    const arrow::DataType config = arrow::struct_({f("seed", arrow::int64()), f("dropout_rate", arrow::float32())});
    arrow::Schema expected;
    expected.fields = {
        f("i8", arrow::int8()),
        f("i16", arrow::int16()),
        f("i32", arrow::int32()),
        f("i64", arrow::int64()),
        f("u8", arrow::uint8()),
        f("u16", arrow::uint16()),
        f("u32", arrow::uint32()),
        f("u64", arrow::uint64()),
        f("f32", arrow::float32()),
        f("f64", arrow::float64()),
        f("flag", arrow::boolean()),
        f("text", arrow::utf8()),
        f("floats", arrow::list(item(arrow::float32()))),
        f("maybe_ints", arrow::list(item(arrow::int64(), true))),
        f("words", arrow::list(item(arrow::utf8()))),
        f("nested", arrow::list(item(arrow::list(item(arrow::int32()))))),
        f("config", config),  // a plain struct: no extension name, as Julia writes `config`
        f("maybe_config", config, true),
        f("configs", arrow::list(item(config))),
        f("maybe", arrow::int64(), true),
        f("maybe_text", arrow::utf8(), true),
        f("maybe_list", arrow::list(item(arrow::float64())), true),
    };
    expected.metadata = {{"legolas_schema_qualified", "test.everything@1"}};
    const auto table = to_table(std::vector<EverythingV1>{sample(1), sample(2)});
    EXPECT_EQ(*table.schema, expected) << arrow::to_string(*table.schema);
    EXPECT_EQ(table.num_rows(), 2);
}

TEST(Record, ExtensionColumnsComeParentFirst) {
    rec::SmallLimitsV1 r;
    r.lower = 1;
    r.upper = 2;
    r.unit = "m";
    const auto table = to_table(std::vector<SmallLimitsV1>{r});
    arrow::Schema expected;
    expected.fields = {f("lower", arrow::float64()), f("upper", arrow::float64()), f("unit", arrow::utf8())};
    expected.metadata = {{"legolas_schema_qualified", "test.small-limits@1>test.limits@1"}};
    EXPECT_EQ(*table.schema, expected);
}

TEST(Record, RoundTripsEveryValueType) {
    std::vector<EverythingV1> rows;
    for (int n = 0; n < 5; ++n) rows.push_back(sample(n));
    const auto table = to_table(rows);
    EXPECT_EQ(from_table<EverythingV1>(table), rows);
    EXPECT_EQ(from_row<EverythingV1>(table, 3), rows[3]);
    EXPECT_THROW(from_row<EverythingV1>(table, 5), legolasflux::InvalidArgument);
    // Nulls are real nulls: the optional column has a validity bitmap with the right bits.
    const auto& maybe = *table.batches[0].columns[19];
    EXPECT_TRUE(maybe.is_null(0));
    EXPECT_FALSE(maybe.is_null(1));
    EXPECT_TRUE(maybe.is_null(3));
    EXPECT_EQ(maybe.null_count, 2);
}

TEST(Record, EmptyTables) {
    const auto table = to_table(std::vector<EverythingV1>{});
    EXPECT_EQ(table.num_rows(), 0);
    EXPECT_TRUE(from_table<EverythingV1>(table).empty());
}

TEST(Record, NestedRecordsMatchChildrenByName) {
    // As Legolas' issue-94.arrow: x stored as {a, b} with the record's extension name.
    const auto child = arrow::struct_({f("a", arrow::int64()), f("b", arrow::int64())});
    const auto table = table_of({f("x", child, false,
                                   {{"ARROW:extension:name", "JuliaLang.Legolas.Generated.test.issue-94-child.1"},
                                    {"ARROW:extension:metadata", ""}})},
                                {arrow::make_struct(child, 1,
                                                    {arrow::make_primitive<int64_t>(arrow::int64(), {1}),
                                                     arrow::make_primitive<int64_t>(arrow::int64(), {2})})},
                                {{"legolas_schema_qualified", "test.issue-94-parent@1"}});
    EXPECT_TRUE(complies_with(*table.schema, schema_version_of<Issue94ParentV1>()));
    const auto rows = from_table<Issue94ParentV1>(table);
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].x, (Issue94ChildV1{2, 1}));  // b = 2, a = 1
    EXPECT_EQ(rows[0].x.a, 1);
    EXPECT_EQ(rows[0].x.b, 2);
}

TEST(Record, LegacyV04NestedRowsReadAsTheNestedRecord) {
    // The v0.4-era digits file: child fields first, config wrapped as {"1","2","3"} with extension
    // name JuliaLang.digits-config@1, epoch/accuracy non-nullable, architecture_version all-missing Null.
    const auto payload = arrow::struct_({f("seed", arrow::int64()), f("dropout_rate", arrow::float32())});
    const auto wrapped = arrow::struct_({f("1", arrow::utf8()), f("2", arrow::int64()), f("3", payload)});
    const auto payload_array = arrow::make_struct(payload, 2,
                                                  {arrow::make_primitive<int64_t>(arrow::int64(), {5, 6}),
                                                   arrow::make_primitive<float>(arrow::float32(), {0.0f, 0.5f})});
    const auto table = table_of(
        {f("config", wrapped, false,
           {{"ARROW:extension:name", "JuliaLang.digits-config@1"}, {"ARROW:extension:metadata", ""}}),
         f("epoch", arrow::int64()), f("accuracy", arrow::float32()), f("architecture_version", arrow::null(), true)},
        {arrow::make_struct(wrapped, 2,
                            {arrow::make_strings({"digits-config", "digits-config"}),
                             arrow::make_primitive<int64_t>(arrow::int64(), {1, 1}), payload_array}),
         arrow::make_primitive<int64_t>(arrow::int64(), {1, 2}),
         arrow::make_primitive<float>(arrow::float32(), {0.06f, 0.5f}), arrow::make_null(2)},
        {{"legolas_schema_qualified", "test.v04-row@1"}});
    EXPECT_TRUE(complies_with(*table.schema, schema_version_of<V04RowV1>()));
    const auto rows = from_table<V04RowV1>(table);
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[0].config, (ConfigV1{5, 0.0f}));
    EXPECT_EQ(rows[1].config, (ConfigV1{6, 0.5f}));
    EXPECT_EQ(rows[0].architecture_version, std::nullopt);
    EXPECT_EQ(rows[0].epoch, 1);
    EXPECT_EQ(rows[1].epoch, 2);
    EXPECT_FLOAT_EQ(*rows[0].accuracy, 0.06f);
}

TEST(Record, SlicedAndMultiBatchTables) {
    std::vector<EverythingV1> rows;
    for (int n = 0; n < 6; ++n) rows.push_back(sample(n));
    const auto whole = to_table(rows);
    arrow::Table split;
    split.schema = whole.schema;
    for (const auto& [start, length] : std::vector<std::pair<int64_t, int64_t>>{{0, 2}, {2, 3}, {5, 1}}) {
        arrow::RecordBatch b;
        b.schema = whole.schema;
        b.length = length;
        for (const auto& c : whole.batches[0].columns) b.columns.push_back(arrow::slice(c, start, length));
        split.batches.push_back(std::move(b));
    }
    EXPECT_EQ(from_table<EverythingV1>(split), rows);
    EXPECT_EQ(from_row<EverythingV1>(split, 4), rows[4]);
}

TEST(Record, DictionaryEncodedColumnsRead) {
    arrow::Field name = f("name", arrow::utf8());
    name.dictionary = arrow::DictionaryEncoding{0, arrow::int32(), false};
    const auto table =
        table_of({name}, {arrow::make_dictionary(arrow::int32(), {1, 0, 1}, arrow::make_strings({"x", "y"}))});
    const auto rows = from_table<NamedV1>(table);
    ASSERT_EQ(rows.size(), 3u);
    EXPECT_EQ(rows[0].name, "y");
    EXPECT_EQ(rows[1].name, "x");
    EXPECT_EQ(rows[2].name, "y");
}

TEST(Record, Checks) {
    EXPECT_EQ(make(LimitsV1{1, 2}), (LimitsV1{1, 2}));
    try {
        make(LimitsV1{3, 2});
        FAIL();
    } catch (const CheckConstraintError& e) {
        EXPECT_EQ(std::string(e.what()), "CheckConstraintError: lower <= upper");
    }
    // The parent's checks come first.
    SmallLimitsV1 both;
    both.lower = 300;
    both.upper = 200;
    try {
        make(both);
        FAIL();
    } catch (const CheckConstraintError& e) {
        EXPECT_EQ(std::string(e.what()), "CheckConstraintError: lower <= upper");
    }
    SmallLimitsV1 child_only;
    child_only.lower = 1;
    child_only.upper = 200;
    try {
        make(child_only);
        FAIL();
    } catch (const CheckConstraintError& e) {
        EXPECT_EQ(std::string(e.what()), "CheckConstraintError: upper < 100");
    }
    // Checks run when records are read, too.
    const auto table = table_of({f("lower", arrow::float64()), f("upper", arrow::float64())},
                                {arrow::make_primitive<double>(arrow::float64(), {1, 5}),
                                 arrow::make_primitive<double>(arrow::float64(), {2, 4})});
    EXPECT_THROW(from_table<LimitsV1>(table), CheckConstraintError);
    EXPECT_EQ(from_row<LimitsV1>(table, 0), (LimitsV1{1, 2}));
}

TEST(Record, ReadErrors) {
    // A required nested record column that is nullable: a schema violation.
    const auto config = arrow::struct_({f("seed", arrow::int64()), f("dropout_rate", arrow::float32())});
    const auto table = table_of({f("config", config, true)},
                                {arrow::make_struct(config, 1,
                                                    {arrow::make_primitive<int64_t>(arrow::int64(), {1}),
                                                     arrow::make_primitive<float>(arrow::float32(), {0.5f})})});
    try {
        from_table<V04RowV1>(table);
        FAIL();
    } catch (const SchemaError& e) {
        EXPECT_NE(std::string(e.what()).find("Incorrect type: `config` expected `<:struct {seed: int64, dropout_rate: "
                                             "float32}`, found `struct<seed: int64 not null, dropout_rate: float32 not "
                                             "null> (nullable)`"),
                  std::string::npos)
            << e.what();
    }
}

TEST(Record, RequiredValues) {
    // A LEGOLAS_REQUIRED member is written non-nullable; an empty one cannot be written or made.
    const auto table = to_table(std::vector<NamedV1>{NamedV1{"a"}});
    EXPECT_EQ(table.schema->fields[0], f("name", arrow::utf8()));
    try {
        to_table(std::vector<NamedV1>{NamedV1{"a"}, NamedV1{}});
        FAIL();
    } catch (const SchemaError& e) {
        EXPECT_EQ(std::string(e.what()),
                  "`test.named@1` requires field `name`, but a record has no value for it (missing)");
    }
    EXPECT_THROW(make(NamedV1{}), SchemaError);
    EXPECT_EQ(make(NamedV1{"b"}).name, "b");
    // Reading: an absent required column is a violation.
    const auto empty = table_of({f("other", arrow::int8())}, {arrow::make_primitive<int8_t>(arrow::int8(), {1})});
    try {
        from_table<NamedV1>(empty);
        FAIL();
    } catch (const SchemaError& e) {
        EXPECT_NE(std::string(e.what()).find(" - Could not find declared field: `name`"), std::string::npos)
            << e.what();
    }
}

}  // namespace
