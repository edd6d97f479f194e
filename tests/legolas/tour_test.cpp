// C++ twins of the assertions in Legolas.jl's examples/tour.jl (Legolas 0.5), one test per tour
// section. Where the tour uses abstract Julia types (Real, AbstractVector, Any) the twins use the
// matching constraint kinds; where the tour relies on Julia's dynamic typing (x = 200 clamped into an
// Int8, y = :hi converted to a String) the C++ member types make the input impossible, and the
// twin asserts what remains meaningful.
#include <gtest/gtest.h>

#include <cmath>

#include "legolasflux/arrow/builder.hpp"
#include "legolasflux/arrow/compare.hpp"
#include "legolasflux/legolas/legolas.hpp"

namespace tour {

struct FooV1 {
    double a = 0;
    std::string b;
    std::optional<double> c;  // `c` (Any); the twin uses an optional float64
    std::vector<int64_t> d;
    bool operator==(const FooV1&) const = default;
};
LEGOLAS_RECORD(FooV1, "example.foo", 1, a, b, c, d);

struct FooV2 {
    double a = 0;
    std::string b;
    int64_t c = 0;
    std::vector<int64_t> d;
    bool operator==(const FooV2&) const = default;
};
LEGOLAS_RECORD(FooV2, "example.foo", 2, a, b, c, d);

// x::Union{Int8,Missing}; y::String; z::String = ismissing(z) ? string(y, '_', x) : z
struct BarV1 {
    std::optional<int8_t> x;
    std::string y;
    std::optional<std::string> z;
    bool operator==(const BarV1&) const = default;
};
LEGOLAS_RECORD(BarV1, "example.bar", 1, x, y, LEGOLAS_REQUIRED(z));

inline void legolas_assign(legolasflux::legolas::tag<BarV1>, BarV1& r) {
    if (!r.z) r.z = r.y + "_" + (r.x ? std::to_string(*r.x) : std::string("missing"));
}

// BazV1 > BarV1: x::Int8; z::String; k::Int64 = ismissing(k) ? length(z) : k
struct BazV1 : BarV1 {
    std::optional<int64_t> k;
    bool operator==(const BazV1&) const = default;
};
LEGOLAS_RECORD_EXTENDS(BazV1, "example.baz", 1, BarV1, LEGOLAS_REQUIRED(x), LEGOLAS_REQUIRED(z), LEGOLAS_REQUIRED(k));

inline void legolas_assign(legolasflux::legolas::tag<BazV1>, BazV1& r) {
    if (!r.k && r.z) r.k = static_cast<int64_t>(r.z->size());
}

// The tour's pathological declaration: x::Int = x + 1 (not idempotent), y reads global state.
inline int64_t global_state = 0;
struct BadV1 {
    int64_t x = 0;
    int64_t y = 0;
    bool operator==(const BadV1&) const = default;
};
LEGOLAS_RECORD(BadV1, "example.bad", 1, x, y);
inline void legolas_assign(legolasflux::legolas::tag<BadV1>, BadV1& r) {
    r.x = r.x + 1;
    global_state += r.y;
    r.y = global_state;
}

}  // namespace tour

namespace {

namespace arrow = legolasflux::arrow;
using legolasflux::SchemaError;
using namespace legolasflux::legolas;
using namespace tour;

arrow::Table table_of(std::vector<arrow::Field> fields, std::vector<arrow::ArrayPtr> columns,
                      arrow::KeyValueMetadata metadata = {}) {
    auto schema = std::make_shared<arrow::Schema>();
    schema->fields = std::move(fields);
    schema->metadata = std::move(metadata);
    arrow::Table t;
    t.schema = schema;
    t.batches.push_back(arrow::make_batch(schema, std::move(columns)));
    return t;
}

arrow::Schema schema_of(std::vector<arrow::Field> fields) {
    arrow::Schema s;
    s.fields = std::move(fields);
    return s;
}

arrow::Field f(std::string name, arrow::DataType t, bool nullable = false) {
    return arrow::field(std::move(name), std::move(t), nullable);
}

arrow::DataType list_of_t(arrow::DataType t) { return arrow::list(arrow::field("", std::move(t), false)); }

// example.foo@1 as the tour declares it, with its abstract types: a::Real, b::String, c, d::AbstractVector.
Registry& abstract_foo_registry() {
    static Registry r;
    static const bool declared = [] {
        r.declare({{"example.foo", 1},
                   std::nullopt,
                   {{"a", any_real()}, {"b", any_string()}, {"c", any_type()}, {"d", list_of(any_type())}}});
        return true;
    }();
    (void)declared;
    return r;
}

TEST(Tour, Introduction) {
    EXPECT_EQ(schema_version_of<FooV1>(), (SchemaVersion{"example.foo", 1}));
    EXPECT_EQ(default_registry().qualified_identifier(schema_version_of<FooV1>()), "example.foo@1");
    EXPECT_EQ(to_string(schema_version_of<FooV1>()), "example.foo@1");
}

TEST(Tour, TablesSchemaComplianceValidation) {
    const SchemaVersion foo{"example.foo", 1};
    const Registry& reg = abstract_foo_registry();
    const std::vector<arrow::Schema> compliant = {
        // All declared fields present, with types within the constraints…
        schema_of({f("a", arrow::float32()), f("b", arrow::large_utf8()), f("c", arrow::utf8(), true),
                   f("d", list_of_t(arrow::utf8()))}),
        schema_of({f("a", arrow::int64()), f("b", arrow::utf8()), f("c", arrow::float64()),
                   f("d", list_of_t(arrow::int64()))}),
        // …in any order…
        schema_of({f("b", arrow::utf8()), f("a", arrow::int64()), f("d", list_of_t(arrow::int64())),
                   f("c", arrow::float64())}),
        // …a field that may be missing (c::Any) may be elided…
        schema_of({f("a", arrow::int64()), f("b", arrow::utf8()), f("d", list_of_t(arrow::int64()))}),
        // …and other fields may be present.
        schema_of({f("a", arrow::int64()), f("x", arrow::boolean()), f("b", arrow::utf8()), f("y", arrow::null(), true),
                   f("d", list_of_t(arrow::int64()))}),
    };
    for (const auto& s : compliant) {
        EXPECT_TRUE(complies_with(s, foo, reg)) << arrow::to_string(s);
        EXPECT_NO_THROW(validate(s, foo, reg));
        EXPECT_TRUE(find_violations(s, foo, reg).empty());
        EXPECT_EQ(find_violation(s, foo, reg), std::nullopt);
    }

    // The declared field b is missing.
    const auto missing_b =
        schema_of({f("a", arrow::int64()), f("c", arrow::float64()), f("d", list_of_t(arrow::int64()))});
    EXPECT_FALSE(complies_with(missing_b, foo, reg));
    EXPECT_THROW(validate(missing_b, foo, reg), SchemaError);
    const Violation b_missing{"b", "string", std::nullopt};
    EXPECT_EQ(find_violation(missing_b, foo, reg), b_missing);
    EXPECT_EQ(find_violations(missing_b, foo, reg), std::vector<Violation>{b_missing});

    // The type of d does not comply with AbstractVector.
    const auto bad_d =
        schema_of({f("a", arrow::int64()), f("b", arrow::utf8()), f("c", arrow::float64()), f("d", arrow::int64())});
    EXPECT_FALSE(complies_with(bad_d, foo, reg));
    EXPECT_THROW(validate(bad_d, foo, reg), SchemaError);
    const Violation d_wrong{"d", "list of anything", "int64"};
    EXPECT_EQ(find_violation(bad_d, foo, reg), d_wrong);
    EXPECT_EQ(find_violations(bad_d, foo, reg), std::vector<Violation>{d_wrong});
}

TEST(Tour, LegolasGeneratedRecordTypes) {
    const FooV1 fields{1.0, "hi", M_PI, {1, 2, 3}};
    EXPECT_EQ(from_table<FooV1>(to_table(std::vector<FooV1>{fields})), std::vector<FooV1>{fields});

    // Other fields in the input are ignored.
    const auto with_x = table_of(
        {f("a", arrow::float64()), f("b", arrow::utf8()), f("c", arrow::float64(), true), f("x", arrow::utf8()),
         f("d", list_of_t(arrow::int64()))},
        {arrow::make_primitive<double>(arrow::float64(), {1.0}), arrow::make_strings({"hi"}),
         arrow::make_primitive<double>(arrow::float64(), {M_PI}), arrow::make_strings({"x"}),
         arrow::make_list(list_of_t(arrow::int64()), {3}, arrow::make_primitive<int64_t>(arrow::int64(), {1, 2, 3}))});
    EXPECT_EQ(from_table<FooV1>(with_x), std::vector<FooV1>{fields});

    // An elided field that may be missing reads as missing.
    const auto without_c = table_of(
        {f("a", arrow::float64()), f("b", arrow::utf8()), f("d", list_of_t(arrow::int64()))},
        {arrow::make_primitive<double>(arrow::float64(), {1.0}), arrow::make_strings({"hi"}),
         arrow::make_list(list_of_t(arrow::int64()), {3}, arrow::make_primitive<int64_t>(arrow::int64(), {1, 2, 3}))});
    const auto foo = from_table<FooV1>(without_c);
    ASSERT_EQ(foo.size(), 1u);
    EXPECT_EQ(foo[0].c, std::nullopt);
    EXPECT_EQ(foo[0], (FooV1{1.0, "hi", std::nullopt, {1, 2, 3}}));

    // d::Int instead of a vector: an error.
    const auto d_int = table_of({f("a", arrow::float64()), f("b", arrow::utf8()), f("d", arrow::int64())},
                                {arrow::make_primitive<double>(arrow::float64(), {1.0}), arrow::make_strings({"hi"}),
                                 arrow::make_primitive<int64_t>(arrow::int64(), {2})});
    EXPECT_THROW(from_table<FooV1>(d_int), SchemaError);
    // d missing altogether: an error too.
    const auto no_d = table_of({f("a", arrow::float64()), f("b", arrow::utf8())},
                               {arrow::make_primitive<double>(arrow::float64(), {1.0}), arrow::make_strings({"hi"})});
    EXPECT_THROW(from_table<FooV1>(no_d), SchemaError);
}

TEST(Tour, CustomFieldAssignments) {
    EXPECT_EQ(make(BarV1{127, "hi", std::nullopt}), (BarV1{127, "hi", "hi_127"}));
    EXPECT_EQ(make(BarV1{std::nullopt, "hi", std::nullopt}), (BarV1{std::nullopt, "hi", "hi_missing"}));
    EXPECT_EQ(make(BarV1{127, "hi", "bye"}), (BarV1{127, "hi", "bye"}));
    // R(fields) == R(fields) and R(R(fields)) == R(fields) for a well-behaved declaration.
    const BarV1 fields{-3, "hi", std::nullopt};
    EXPECT_EQ(make(fields), make(fields));
    EXPECT_EQ(make(make(fields)), make(fields));
    // Assignments also run when records are read.
    const auto read = from_table<BarV1>(table_of({f("y", arrow::utf8()), f("z", arrow::utf8())},
                                                 {arrow::make_strings({"a"}), arrow::make_strings({"given"})}));
    EXPECT_EQ(read, std::vector<BarV1>{(BarV1{std::nullopt, "a", "given"})});
}

TEST(Tour, CustomFieldAssignmentsPathological) {
    const BadV1 fields{1, 1};
    global_state = 0;
    EXPECT_NE(make(make(fields)), make(fields));  // not idempotent
    EXPECT_NE(make(fields), make(fields));        // side effects / non-local state
}

TEST(Tour, ExtendingExistingSchemaVersions) {
    const auto& reg = default_registry();
    EXPECT_EQ(
        reg.declared_fields(schema_version_of<BarV1>()),
        (std::vector<DeclaredField>{{"x", optional(exact(arrow::int8()))}, {"y", any_string()}, {"z", any_string()}}));
    EXPECT_EQ(
        reg.declared_fields(schema_version_of<BazV1>()),
        (std::vector<DeclaredField>{
            {"x", exact(arrow::int8())}, {"y", any_string()}, {"z", any_string()}, {"k", exact(arrow::int64())}}));
    EXPECT_EQ(reg.parent_of(schema_version_of<BazV1>()), schema_version_of<BarV1>());

    // @version BrokenV1 > BarV1 begin x::Any end — rejected.
    try {
        default_registry().declare({{"example.broken", 1}, schema_version_of<BarV1>(), {{"x", any_type()}}});
        FAIL() << "BrokenV1 was accepted";
    } catch (const SchemaError& e) {
        EXPECT_NE(std::string(e.what()).find("declared field types violate parent's field types"), std::string::npos)
            << e.what();
    }
    EXPECT_FALSE(default_registry().is_declared({"example.broken", 1}));

    // The parent's assignments run before the child's.
    BazV1 in;
    in.x = 127;
    in.y = "hi";
    BazV1 expected;
    expected.x = 127;
    expected.y = "hi";
    expected.z = "hi_127";
    expected.k = 6;
    EXPECT_EQ(make(in), expected);
    // example.baz@1 does not allow x::Missing.
    BazV1 no_x;
    no_x.y = "hi";
    try {
        make(no_x);
        FAIL();
    } catch (const SchemaError& e) {
        EXPECT_EQ(std::string(e.what()),
                  "`example.baz@1` requires field `x`, but a record has no value for it (missing)");
    }
}

TEST(Tour, WrittenSchemasAreWhatLegolasJlWrites) {
    arrow::Schema bar;
    bar.fields = {f("x", arrow::int8(), true), f("y", arrow::utf8()), f("z", arrow::utf8())};
    bar.metadata = {{"legolas_schema_qualified", "example.bar@1"}};
    EXPECT_EQ(*to_table(std::vector<BarV1>{make(BarV1{1, "a", std::nullopt})}).schema, bar);
    arrow::Schema baz;
    baz.fields = {f("x", arrow::int8()), f("y", arrow::utf8()), f("z", arrow::utf8()), f("k", arrow::int64())};
    baz.metadata = {{"legolas_schema_qualified", "example.baz@1>example.bar@1"}};
    BazV1 r;
    r.x = 1;
    r.y = "a";
    EXPECT_EQ(*to_table(std::vector<BazV1>{make(r)}).schema, baz);
}

TEST(Tour, SchemaVersioning) {
    EXPECT_EQ(schema_version_of<FooV2>(), (SchemaVersion{"example.foo", 2}));
    const FooV2 fields{1.0, "b", 3, {1, 2, 3}};
    EXPECT_EQ(from_table<FooV2>(to_table(std::vector<FooV2>{fields})), std::vector<FooV2>{fields});
    // The two versions are distinct declarations.
    EXPECT_EQ(default_registry().declared_fields({"example.foo", 2})[2], (DeclaredField{"c", exact(arrow::int64())}));
    EXPECT_EQ(default_registry().declared_fields({"example.foo", 1})[2],
              (DeclaredField{"c", optional(exact(arrow::float64()))}));
}

TEST(Tour, ParameterizingDeclaredFieldTypes) {
    // a::Int, b::(<:Real), c, d::(<:Union{Real,Missing}): a parameterised field accepts any type
    // within its bound, so columns of different real types comply.
    Registry reg;
    const SchemaVersion param{"example.param", 1};
    reg.declare({param,
                 std::nullopt,
                 {{"a", exact(arrow::int64())}, {"b", any_real()}, {"c", any_type()}, {"d", optional(any_real())}}});
    EXPECT_TRUE(complies_with(schema_of({f("a", arrow::int64()), f("b", arrow::float64()), f("c", arrow::utf8())}),
                              param, reg));
    EXPECT_TRUE(complies_with(schema_of({f("a", arrow::int64()), f("b", arrow::int64()), f("c", arrow::utf8()),
                                         f("d", arrow::int64(), true)}),
                              param, reg));
    EXPECT_TRUE(complies_with(schema_of({f("a", arrow::int64()), f("b", arrow::int32()), f("c", arrow::utf8()),
                                         f("d", arrow::float32(), true)}),
                              param, reg));
    EXPECT_FALSE(
        complies_with(schema_of({f("a", arrow::int64()), f("b", arrow::utf8()), f("c", arrow::utf8())}), param, reg));
    // Parameters are not inherited: a child re-declares the field to keep or narrow its bound.
    EXPECT_NO_THROW(
        reg.declare({{"example.child-param", 1}, param, {{"b", any_float()}, {"d", optional(exact(arrow::int64()))}}}));
    EXPECT_THROW(reg.declare({{"example.child-param", 2}, param, {{"b", any_string()}}}), SchemaError);
}

std::vector<BazV1> baz_table() {
    std::vector<BazV1> rows(3);
    rows[0].x = 23;
    rows[0].y = "beep";
    rows[1].x = 127;
    rows[1].y = "boop";
    rows[1].k = 4;
    rows[2].x = 23;
    rows[2].y = "buzz";
    rows[2].z = "some_other_value";
    for (auto& r : rows) r = make(r);
    return rows;
}

TEST(Tour, ValidatingWritingReadingArrowTables) {
    const auto rows = baz_table();
    EXPECT_EQ(rows[0].z, "beep_23");
    EXPECT_EQ(rows[0].k, 7);
    EXPECT_EQ(rows[1].k, 4);
    EXPECT_EQ(rows[2].k, 16);

    const auto bytes = write_to_bytes(rows);
    const arrow::Buffer buffer = arrow::Buffer::from_vector(bytes);
    const ReadResult t = read(buffer);
    EXPECT_EQ(t.schema_version, schema_version_of<BazV1>());
    // The file also records the two declarations (declaration_json.hpp), so that a reader that never
    // declared them can check it.
    const std::string declarations = declarations_to_json(
        {*default_registry().find(schema_version_of<BazV1>()), *default_registry().find(schema_version_of<BarV1>())});
    EXPECT_EQ(t.table.schema->metadata,
              (arrow::KeyValueMetadata{{"legolas_schema_qualified", "example.baz@1>example.bar@1"},
                                       {"legolasflux.schema_declarations", declarations}}));
    EXPECT_EQ(arrow::table_difference(t.table, tag_table(to_table(rows), schema_version_of<BazV1>())), "");
    EXPECT_EQ(read<BazV1>(buffer), rows);

    // A table without the metadata.
    arrow::Table untagged = to_table(rows);
    auto plain_schema = std::make_shared<arrow::Schema>(*untagged.schema);
    plain_schema->metadata.clear();
    untagged.schema = plain_schema;
    for (auto& b : untagged.batches) b.schema = plain_schema;
    try {
        read(arrow::Buffer::from_vector(arrow::write_file(untagged)));
        FAIL();
    } catch (const SchemaError& e) {
        EXPECT_EQ(std::string(e.what()),
                  "could not extract valid SchemaVersion from the Arrow table; is it missing the expected custom "
                  "metadata and/or the expected \"legolas_schema_qualified\" field?");
    }

    // k as a string, with the metadata: reading lists the violation.
    arrow::Table invalid = to_table(rows);
    auto invalid_schema = std::make_shared<arrow::Schema>(*invalid.schema);
    invalid_schema->fields[3] = f("k", arrow::utf8());
    invalid.schema = invalid_schema;
    invalid.batches[0].schema = invalid_schema;
    invalid.batches[0].columns[3] = arrow::make_strings({"7", "4", "16"});
    WriteOptions no_validation;
    no_validation.check_compliance = false;
    const auto invalid_bytes = write_to_bytes(invalid, schema_version_of<BazV1>(), no_validation);
    const std::string msg2 =
        "Arrow schema violates Legolas schema `example.baz@1`:\n"
        " - Incorrect type: `k` expected `<:int64`, found `utf8`\n"
        "Provided Arrow schema:\n"
        " x: int8 not null\n"
        " y: utf8 not null\n"
        " z: utf8 not null\n"
        " k: utf8 not null";
    try {
        read(arrow::Buffer::from_vector(invalid_bytes));
        FAIL();
    } catch (const SchemaError& e) {
        EXPECT_EQ(std::string(e.what()), msg2);
    }
    // …and writing it with validation refuses it with the same message.
    try {
        write_to_bytes(invalid, schema_version_of<BazV1>());
        FAIL();
    } catch (const SchemaError& e) {
        EXPECT_EQ(std::string(e.what()), msg2);
    }
}

TEST(Tour, SchemaVersionPortability) {
    // Legolas' accepted_field_type widens String to AbstractString; here a String field accepts
    // large_utf8 columns, which other Arrow writers produce for big string columns.
    const auto t = table_of(
        {f("y", arrow::large_utf8()), f("z", arrow::large_utf8())},
        {arrow::make_binary_like(arrow::large_utf8(), {"a"}), arrow::make_binary_like(arrow::large_utf8(), {"b"})});
    EXPECT_TRUE(complies_with(*t.schema, schema_version_of<BarV1>()));
    EXPECT_EQ(from_table<BarV1>(t), std::vector<BarV1>{(BarV1{std::nullopt, "a", "b"})});
}

}  // namespace
