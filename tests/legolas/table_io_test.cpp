// Schema-tagged Arrow files: the Julia-written digits fixture read and validated against a
// test-only declaration of legolas-flux.model@1 and digits.model@1, modified copies and the
// violations they give, unknown schema versions with and without provider metadata, metadata
// handling on write, and typed reads.
#include <gtest/gtest.h>

#include <filesystem>

#include "legolasflux/arrow/builder.hpp"
#include "legolasflux/arrow/compare.hpp"
#include "legolasflux/arrow/ipc.hpp"
#include "legolasflux/legolas/legolas.hpp"

namespace io {

struct DigitsConfigV1 {
    int64_t seed = 0;
    float dropout_rate = 0;
    bool operator==(const DigitsConfigV1&) const = default;
};
LEGOLAS_RECORD(DigitsConfigV1, "test.io-digits-config", 1, seed, dropout_rate);

// The digits row without `weights` (that needs the next layer's Weights type).
struct DigitsLiteV1 {
    std::optional<int64_t> architecture_version;
    DigitsConfigV1 config;
    std::optional<int64_t> epoch;
    std::optional<float> accuracy;
};
LEGOLAS_RECORD(DigitsLiteV1, "test.io-digits-lite", 1, architecture_version, config, epoch, accuracy);

struct MetaV1 {
    int64_t a = 0;
    bool operator==(const MetaV1&) const = default;
};
LEGOLAS_RECORD(MetaV1, "test.io-meta", 1, a);
struct MetaChildV1 : MetaV1 {
    std::string b;
};
LEGOLAS_RECORD_EXTENDS(MetaChildV1, "test.io-meta-child", 1, MetaV1, b);
struct OtherV1 {
    int64_t a = 0;
};
LEGOLAS_RECORD(OtherV1, "test.io-other", 1, a);

}  // namespace io

namespace {

namespace arrow = legolasflux::arrow;
namespace fs = std::filesystem;
using legolasflux::SchemaError;
using namespace legolasflux::legolas;
using namespace io;

const fs::path kDigits = fs::path(LEGOLASFLUX_JULIA_FIXTURES) / "test.digits-model.arrow";
const SchemaVersion kModel{"legolas-flux.model", 1};
const SchemaVersion kDigitsModel{"digits.model", 1};

FieldConstraint weights_constraint() {
    const FieldConstraint flat =
        extension("JuliaLang.LegolasFlux.FlatArray",
                  struct_of({{"vec", list_of(any_real())}, {"size", list_of(exact(arrow::int64()))}}));
    return extension("JuliaLang.LegolasFlux.Weights", struct_of({{"weights", list_of(flat)}}));
}

// TEST-ONLY declarations: the real ones belong to the next layer, with its Weights type.
Registry& digits_registry() {
    static Registry r;
    static const bool declared = [] {
        r.declare(
            {kModel,
             std::nullopt,
             {{"weights", optional(weights_constraint())}, {"architecture_version", optional(exact(arrow::int64()))}}});
        r.declare({kDigitsModel,
                   kModel,
                   {{"weights", optional(weights_constraint())},
                    {"config", struct_of({{"seed", exact(arrow::int64())}, {"dropout_rate", exact(arrow::float32())}})},
                    {"epoch", optional(exact(arrow::int64()))},
                    {"accuracy", optional(exact(arrow::float32()))}}});
        return true;
    }();
    (void)declared;
    return r;
}

ReadOptions digits_read() {
    ReadOptions o;
    o.registry = &digits_registry();
    return o;
}

WriteOptions unvalidated() {
    WriteOptions o;
    o.check_compliance = false;
    o.registry = &digits_registry();
    return o;
}

fs::path temp_path(const std::string& name) {
    const fs::path dir = fs::path(LEGOLASFLUX_BINARY_DIR) / "legolas-test-files";
    fs::create_directories(dir);
    return dir / name;
}

// A copy of `table` with column `name` removed, or replaced when `field`/`column` are given.
arrow::Table with_column(const arrow::Table& table, const std::string& name, std::optional<arrow::Field> field = {},
                         arrow::ArrayPtr column = nullptr) {
    auto schema = std::make_shared<arrow::Schema>(*table.schema);
    arrow::Table out;
    std::vector<arrow::Field> fields;
    std::vector<size_t> keep;
    for (size_t i = 0; i < schema->fields.size(); ++i) {
        if (schema->fields[i].name == name) {
            if (field) {
                fields.push_back(*field);
                keep.push_back(i);
            }
        } else {
            fields.push_back(schema->fields[i]);
            keep.push_back(i);
        }
    }
    schema->fields = fields;
    out.schema = schema;
    for (const auto& b : table.batches) {
        std::vector<arrow::ArrayPtr> columns;
        for (size_t i : keep) columns.push_back(table.schema->fields[i].name == name ? column : b.columns[i]);
        out.batches.push_back(arrow::make_batch(schema, std::move(columns)));
    }
    return out;
}

std::string read_error(const std::vector<uint8_t>& bytes, const ReadOptions& options) {
    try {
        read(arrow::Buffer::from_vector(bytes), options);
    } catch (const SchemaError& e) {
        return e.what();
    }
    return "";
}

TEST(DigitsFixture, ReadsAsDigitsModelAndValidates) {
    const ReadResult r = read(kDigits, digits_read());
    EXPECT_EQ(r.schema_version, kDigitsModel);
    EXPECT_EQ(digits_registry().parent_of(r.schema_version), kModel);
    EXPECT_EQ(arrow::find_metadata(r.table.schema->metadata, kSchemaQualifiedKey),
              std::optional<std::string_view>("digits.model@1>legolas-flux.model@1"));
    EXPECT_EQ(digits_registry().qualified_identifier(r.schema_version), "digits.model@1>legolas-flux.model@1");
    EXPECT_EQ(r.table.num_rows(), 1);
    EXPECT_TRUE(find_violations(*r.table.schema, kDigitsModel, digits_registry()).empty());
    EXPECT_TRUE(complies_with(*r.table.schema, kModel, digits_registry()));  // extra columns allowed
    // The column order is the parent-first declared order.
    std::vector<std::string> names;
    for (const auto& f : r.table.schema->fields) names.push_back(f.name);
    std::vector<std::string> declared;
    for (const auto& f : digits_registry().declared_fields(kDigitsModel)) declared.push_back(f.name);
    EXPECT_EQ(names, declared);
}

TEST(DigitsFixture, UnknownWithoutTheDeclaration) {
    try {
        read(kDigits);
        FAIL();
    } catch (const UnknownSchemaVersionError& e) {
        EXPECT_EQ(e.schema_version(), kDigitsModel);
        EXPECT_EQ(e.provider_name(), std::nullopt);
    }
    ReadOptions o;
    o.check_compliance = false;
    EXPECT_THROW(read(kDigits, o), UnknownSchemaVersionError);  // declaration is required even then
}

TEST(DigitsFixture, TypedFieldsReadFromTheJuliaFile) {
    const ReadResult r = read(kDigits, digits_read());
    const auto rows = from_table<DigitsLiteV1>(r.table);
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].config, (DigitsConfigV1{5, 0.0f}));
    EXPECT_EQ(rows[0].epoch, 1);
    EXPECT_EQ(rows[0].architecture_version, std::nullopt);
    ASSERT_TRUE(rows[0].accuracy.has_value());
    EXPECT_FLOAT_EQ(*rows[0].accuracy, 0.06f);
}

TEST(DigitsFixture, CppRecordColumnsAreWhatJuliaWrote) {
    // The same declaration (minus weights) written by C++ gives, field by field, the Julia file's
    // fields: Int64 nullable architecture_version, a plain non-null config struct, nullable epoch
    // and accuracy — types, nullability, child fields and metadata.
    const ReadResult r = read(kDigits, digits_read());
    DigitsLiteV1 row;
    row.config = {5, 0.0f};
    row.epoch = 1;
    row.accuracy = 0.06f;
    const auto ours = to_table(std::vector<DigitsLiteV1>{row});
    ASSERT_EQ(ours.schema->fields.size(), 4u);
    ASSERT_EQ(r.table.schema->fields.size(), 5u);
    for (size_t i = 0; i < 4; ++i)
        EXPECT_EQ(ours.schema->fields[i], r.table.schema->fields[i + 1])
            << arrow::to_string(ours.schema->fields[i]) << " vs " << arrow::to_string(r.table.schema->fields[i + 1]);
    // And the values read back from the Julia file equal the ones we wrote.
    EXPECT_EQ(from_table<DigitsLiteV1>(r.table)[0].config, from_table<DigitsLiteV1>(ours)[0].config);
}

TEST(DigitsFixture, RemovedColumnIsReported) {
    const ReadResult r = read(kDigits, digits_read());
    const auto copy = with_column(r.table, "config");
    const auto violations = find_violations(*copy.schema, kDigitsModel, digits_registry());
    ASSERT_EQ(violations.size(), 1u);
    EXPECT_EQ(violations[0], (Violation{"config", "struct {seed: int64, dropout_rate: float32}", std::nullopt}));
    EXPECT_EQ(violations[0].to_string(), "Could not find declared field: `config`");
    const std::string e = read_error(write_to_bytes(copy, kDigitsModel, unvalidated()), digits_read());
    EXPECT_EQ(e.substr(0, e.find("\nProvided")),
              "Arrow schema violates Legolas schema `digits.model@1`:\n - Could not find declared field: `config`");
    // An optional column may go: removing `epoch` is fine.
    EXPECT_TRUE(complies_with(*with_column(r.table, "epoch").schema, kDigitsModel, digits_registry()));
}

TEST(DigitsFixture, RetypedColumnsAreReported) {
    const ReadResult r = read(kDigits, digits_read());
    const auto epoch32 = with_column(r.table, "epoch", arrow::field("epoch", arrow::int32(), true),
                                     arrow::make_primitive<int32_t>(arrow::int32(), {1}));
    const auto both = with_column(epoch32, "config");
    const std::string e = read_error(write_to_bytes(both, kDigitsModel, unvalidated()), digits_read());
    EXPECT_EQ(e.substr(0, e.find("\nProvided")),
              "Arrow schema violates Legolas schema `digits.model@1`:\n"
              " - Could not find declared field: `config`\n"
              " - Incorrect type: `epoch` expected `<:optional int64`, found `int32 (nullable)`");
    EXPECT_NE(e.find("\nProvided Arrow schema:\n weights: struct<"), std::string::npos) << e;

    // weights without its extension name reads as a NamedTuple in Julia: a violation.
    arrow::Field plain = r.table.schema->fields[0];
    plain.metadata.clear();
    const auto no_ext = with_column(r.table, "weights", plain, r.table.batches[0].columns[0]);
    const auto v = find_violations(*no_ext.schema, kDigitsModel, digits_registry());
    ASSERT_EQ(v.size(), 1u);
    EXPECT_EQ(v[0].field, "weights");
    EXPECT_EQ(v[0].expected, "optional extension JuliaLang.LegolasFlux.Weights");
    ASSERT_TRUE(v[0].found);
    EXPECT_EQ(v[0].found->find("struct<weights: list<"), 0u) << *v[0].found;
    EXPECT_EQ(v[0].found->find("(extension JuliaLang.LegolasFlux.Weights)"), std::string::npos);

    // A required struct written nullable fails too.
    arrow::Field nullable_config = r.table.schema->fields[2];
    ASSERT_EQ(nullable_config.name, "config");
    nullable_config.nullable = true;
    const auto nc = with_column(r.table, "config", nullable_config, r.table.batches[0].columns[2]);
    EXPECT_FALSE(complies_with(*nc.schema, kDigitsModel, digits_registry()));
}

TEST(DigitsFixture, MissingWeightsAsNullColumnComply) {
    const ReadResult r = read(kDigits, digits_read());
    const auto null_weights =
        with_column(r.table, "weights", arrow::field("weights", arrow::null(), true), arrow::make_null(1));
    EXPECT_TRUE(complies_with(*null_weights.schema, kDigitsModel, digits_registry()));
    const auto bytes = write_to_bytes(null_weights, kDigitsModel, [] {
        WriteOptions o;
        o.registry = &digits_registry();
        return o;
    }());
    EXPECT_EQ(read(arrow::Buffer::from_vector(bytes), digits_read()).table.schema->fields[0].type.id,
              arrow::TypeId::Null);
}

TEST(DigitsFixture, RewrittenByCppReadsBackEqual) {
    const ReadResult r = read(kDigits, digits_read());
    WriteOptions o;
    o.registry = &digits_registry();
    const fs::path out = temp_path("digits-rewritten.arrow");
    write(out, r.table, kDigitsModel, o);
    ReadResult back = read(out, digits_read());
    EXPECT_EQ(back.schema_version, kDigitsModel);
    // Julia's table, plus the one key of our own that it ignores: the declarations of its chain.
    auto metadata = back.table.schema->metadata;
    ASSERT_FALSE(metadata.empty());
    EXPECT_EQ(metadata.back(), (std::pair<std::string, std::string>{
                                   std::string(kSchemaDeclarationsKey),
                                   declarations_to_json(declaration_chain(digits_registry(), kDigitsModel))}));
    metadata.pop_back();
    auto schema = std::make_shared<arrow::Schema>(*back.table.schema);
    schema->metadata = metadata;
    back.table.schema = schema;
    for (auto& b : back.table.batches) b.schema = schema;
    EXPECT_EQ(arrow::table_difference(back.table, r.table), "");
    // Labelled with the parent schema version, the same table is a legolas-flux.model@1 table.
    write(out, r.table, kModel, o);
    const ReadResult as_parent = read(out, digits_read());
    EXPECT_EQ(as_parent.schema_version, kModel);
    EXPECT_EQ(arrow::find_metadata(as_parent.table.schema->metadata, kSchemaQualifiedKey),
              std::optional<std::string_view>("legolas-flux.model@1"));
}

arrow::Table provider_table(bool with_provider) {
    auto schema = std::make_shared<arrow::Schema>();
    schema->fields = {arrow::field("a", arrow::int64(), false)};
    schema->metadata = {
        {"legolas_schema_qualified", with_provider ? "test-provider-pkg.foo@1" : "test.issue-94-unknown@1"}};
    if (with_provider) {
        schema->metadata.emplace_back("legolas_julia_schema_provider_name", "TestProviderPkg");
        schema->metadata.emplace_back("legolas_julia_schema_provider_version", "0.1.0");
    }
    arrow::Table t;
    t.schema = schema;
    t.batches.push_back(arrow::make_batch(schema, {arrow::make_primitive<int64_t>(arrow::int64(), {1})}));
    return t;
}

TEST(UnknownSchemaVersion, NamesTheProviderPackage) {
    const fs::path path = temp_path("test_provider_pkg.arrow");
    arrow::write_file(path, provider_table(true));
    try {
        read(path);
        FAIL();
    } catch (const UnknownSchemaVersionError& e) {
        EXPECT_EQ(e.schema_version(), (SchemaVersion{"test-provider-pkg.foo", 1}));
        EXPECT_EQ(e.provider_name(), "TestProviderPkg");
        EXPECT_EQ(e.provider_version(), "0.1.0");
        const std::string what = e.what();
        EXPECT_NE(what.find("`test-provider-pkg.foo@1`"), std::string::npos) << what;
        EXPECT_NE(what.find("Julia package TestProviderPkg (version 0.1.0)"), std::string::npos) << what;
    }
    // Plain Arrow still reads it.
    const auto plain = arrow::read_any(path);
    EXPECT_EQ(plain.batches.at(0).columns.at(0)->values<int64_t>()[0], 1);
}

TEST(UnknownSchemaVersion, WithoutProviderMetadata) {
    try {
        check_table(provider_table(false));
        FAIL();
    } catch (const UnknownSchemaVersionError& e) {
        EXPECT_EQ(e.schema_version(), (SchemaVersion{"test.issue-94-unknown", 1}));
        EXPECT_EQ(e.provider_name(), std::nullopt);
        EXPECT_EQ(e.provider_version(), std::nullopt);
        EXPECT_EQ(std::string(e.what()).find("Julia package"), std::string::npos) << e.what();
    }
}

TEST(TableIo, MalformedQualifiedIdentifier) {
    auto t = provider_table(false);
    auto schema = std::make_shared<arrow::Schema>(*t.schema);
    schema->metadata = {{"legolas_schema_qualified", "not an identifier"}};
    t.schema = schema;
    try {
        check_table(t);
        FAIL();
    } catch (const SchemaError& e) {
        EXPECT_NE(std::string(e.what()).find("\"legolas_schema_qualified\" field?"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("not an identifier"), std::string::npos) << e.what();
    }
}

TEST(TableIo, WriteKeepsOtherMetadataAndOneQualifiedKey) {
    auto t = to_table(std::vector<MetaV1>{{1}, {2}});
    auto schema = std::make_shared<arrow::Schema>(*t.schema);
    schema->metadata = {
        {"author", "me"}, {"legolas_schema_qualified", "stale@1"}, {"x", "y"}, {"legolas_schema_qualified", "older@2"}};
    t.schema = schema;
    for (auto& b : t.batches) b.schema = schema;
    const auto tagged = tag_table(t, schema_version_of<MetaV1>());
    // The schema's declarations follow, after the keys the table had (declaration_json_test.cpp checks
    // their value).
    EXPECT_EQ(tagged.schema->metadata,
              (arrow::KeyValueMetadata{
                  {"author", "me"},
                  {"legolas_schema_qualified", "test.io-meta@1"},
                  {"x", "y"},
                  {"legolasflux.schema_declarations",
                   declarations_to_json(declaration_chain(default_registry(), schema_version_of<MetaV1>()))}}));
    const auto back = read(arrow::Buffer::from_vector(write_to_bytes(t, schema_version_of<MetaV1>())));
    EXPECT_EQ(back.table.schema->metadata, tagged.schema->metadata);
    // The footer and the schema message agree (the reader sees one schema).
    EXPECT_EQ(arrow::table_difference(back.table, tagged), "");
}

TEST(TableIo, TypedReadAcceptsExtensionsOfTheSchema) {
    MetaChildV1 c;
    c.a = 7;
    c.b = "seven";
    const fs::path path = temp_path("meta-child.arrow");
    write(path, std::vector<MetaChildV1>{c});
    EXPECT_EQ(read(path).schema_version, schema_version_of<MetaChildV1>());
    EXPECT_EQ(read<MetaV1>(path), std::vector<MetaV1>{MetaV1{7}});
    const auto children = read<MetaChildV1>(path);
    ASSERT_EQ(children.size(), 1u);
    EXPECT_EQ(children[0].b, "seven");

    write(path, std::vector<OtherV1>{OtherV1{7}});
    try {
        read<MetaV1>(path);
        FAIL();
    } catch (const SchemaError& e) {
        EXPECT_EQ(std::string(e.what()),
                  "the table's schema version `test.io-other@1` is neither `test.io-meta@1` nor an extension of it");
    }
}

TEST(TableIo, WriteValidatesFirst) {
    auto schema = std::make_shared<arrow::Schema>();
    schema->fields = {arrow::field("a", arrow::utf8(), false)};
    arrow::Table t;
    t.schema = schema;
    t.batches.push_back(arrow::make_batch(schema, {arrow::make_strings({"1"})}));
    try {
        write_to_bytes(t, schema_version_of<MetaV1>());
        FAIL();
    } catch (const SchemaError& e) {
        EXPECT_NE(std::string(e.what()).find(" - Incorrect type: `a` expected `<:int64`, found `utf8`"),
                  std::string::npos)
            << e.what();
    }
    EXPECT_THROW(write_to_bytes(t, SchemaVersion{"test.io-undeclared", 1}), UnknownSchemaVersionError);
    WriteOptions o;
    o.check_compliance = false;
    const auto tagged = tag_table(t, SchemaVersion{"test.io-undeclared", 1}, o);
    EXPECT_EQ(tagged.schema->metadata, (arrow::KeyValueMetadata{{"legolas_schema_qualified", "test.io-undeclared@1"}}));
}

}  // namespace
