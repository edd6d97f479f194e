// Schema declarations as JSON (declaration_json.hpp): every kind of constraint reads back equal,
// written files carry their chain, and hostile documents are SchemaErrors that say where.
#include <gtest/gtest.h>

#include "legolasflux/arrow/builder.hpp"
#include "legolasflux/arrow/ipc.hpp"
#include "legolasflux/legolas/declaration_json.hpp"
#include "legolasflux/legolas/table_io.hpp"

namespace {

namespace arrow = legolasflux::arrow;
using legolasflux::SchemaError;
using namespace legolasflux::legolas;

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// One declaration with a field of every kind, nested kinds inside each other, optional and not.
SchemaVersionDeclaration every_kind() {
    using namespace arrow;
    const DataType nested_exact = struct_(
        {field("when", timestamp(TimeUnit::Millisecond, "UTC"), true),
         field("codes", list(field("", int16(), false)), false),
         field("tag", utf8(), false, {{"ARROW:extension:name", "x.tag"}, {"ARROW:extension:metadata", ""}}),
         field("pick", union_(UnionMode::Dense, {field("a", float16()), field("b", decimal(128, 10, 2))}, {3, 7})),
         field("kv", map(field("key", utf8(), false), field("value", fixed_size_binary(4))))});
    SchemaVersionDeclaration d;
    d.schema_version = make_schema_version("test.json-kinds", 2);
    d.parent = make_schema_version("test.json-base", 1);
    d.fields = {
        {"anything", any_type()},
        {"exact_leaf", exact(int64())},
        {"exact_nested", optional(exact(nested_exact))},
        {"signed", any_signed_int()},
        {"integer", optional(any_integer())},
        {"real", any_real()},
        {"float", any_float()},
        {"string", optional(any_string())},
        {"binary", any_binary()},
        {"list", list_of(optional(list_of(exact(float32()))))},
        {"record", struct_of({{"seed", exact(int64())}, {"rate", optional(any_float())}, {"x", any_type()}})},
        {"ext", optional(extension("JuliaLang.Thing", struct_of({{"vec", list_of(any_real())}})))},
    };
    return d;
}

std::vector<SchemaVersionDeclaration> chain() {
    SchemaVersionDeclaration base{make_schema_version("test.json-base", 1), {}, {{"id", exact(arrow::utf8())}}};
    return {every_kind(), base};
}

std::string error_of(std::string_view json) {
    try {
        declarations_from_json(json, "team.json");
    } catch (const SchemaError& e) {
        return e.what();
    }
    return "";
}

TEST(DeclarationJson, EveryKindReadsBackEqual) {
    const auto declarations = chain();
    const std::string json = declarations_to_json(declarations);
    EXPECT_EQ(declarations_from_json(json, "x"), declarations) << json;
    // And once more through the text: writing is deterministic.
    EXPECT_EQ(declarations_to_json(declarations_from_json(json, "x")), json);
    EXPECT_TRUE(contains(json, R"({"name":"signed","kind":"signed_int"})")) << json;
    EXPECT_TRUE(contains(json, R"("kind":"exact","type":{"bitWidth":64,"isSigned":true,"name":"int"})")) << json;
}

TEST(DeclarationJson, AHandWrittenDocument) {
    const auto d = declarations_from_json(R"({"declarations": [
        {"schema_version": "team.run@1", "parent": "legolas-flux.model@1", "fields": [
            {"name": "step", "kind": "exact", "type": {"name": "int", "bitWidth": 64, "isSigned": true}},
            {"name": "note", "kind": "string", "optional": true},
            {"name": "losses", "kind": "list_of", "item": {"kind": "float"}}]}]})",
                                          "team.json");
    ASSERT_EQ(d.size(), 1u);
    EXPECT_EQ(d[0].schema_version, make_schema_version("team.run", 1));
    EXPECT_EQ(d[0].parent, make_schema_version("legolas-flux.model", 1));
    ASSERT_EQ(d[0].fields.size(), 3u);
    EXPECT_EQ(d[0].fields[0], (DeclaredField{"step", exact(arrow::int64())}));
    EXPECT_EQ(d[0].fields[1], (DeclaredField{"note", optional(any_string())}));
    EXPECT_EQ(d[0].fields[2], (DeclaredField{"losses", list_of(any_float())}));
}

TEST(DeclarationJson, MalformedDocumentsSayWhereAndWhat) {
    EXPECT_TRUE(contains(error_of("{"), "team.json: schema declarations: not valid JSON")) << error_of("{");
    EXPECT_TRUE(contains(error_of("[]"), "must be an object")) << error_of("[]");
    EXPECT_TRUE(contains(error_of(R"({"declarations": {}})"), "\"declarations\" must be an array"));
    EXPECT_TRUE(contains(error_of(R"({"declarations": [], "extra": 1})"), "unknown member \"extra\""));
    const std::string bad_version = error_of(R"({"declarations": [{"schema_version": "Team@1", "fields": []}]})");
    EXPECT_TRUE(contains(bad_version, "declarations[0]")) << bad_version;
    EXPECT_TRUE(contains(bad_version, "Team")) << bad_version;
    const std::string two = error_of(R"({"declarations": [{"schema_version": "a@1>b@1", "fields": []}]})");
    EXPECT_TRUE(contains(two, "must name one schema version")) << two;
    const std::string kind =
        error_of(R"({"declarations": [{"schema_version": "a@1", "fields": [{"name": "x", "kind": "int"}]}]})");
    EXPECT_TRUE(contains(kind, "declarations[0] (`a@1`).fields[0] (`x`): unknown kind \"int\"")) << kind;
    const std::string member = error_of(
        R"({"declarations": [{"schema_version": "a@1", "fields": [{"name": "x", "kind": "string", "type": 1}]}]})");
    EXPECT_TRUE(contains(member, "unknown member \"type\" for kind \"string\"")) << member;
    const std::string arrow_type = error_of(
        R"({"declarations": [{"schema_version": "a@1", "fields": [{"name": "x", "kind": "exact", "type": {"name": "int", "bitWidth": 7, "isSigned": true}}]}]})");
    EXPECT_TRUE(contains(arrow_type, "(`x`): not an Arrow type")) << arrow_type;
    const std::string no_item =
        error_of(R"({"declarations": [{"schema_version": "a@1", "fields": [{"name": "x", "kind": "list_of"}]}]})");
    EXPECT_TRUE(contains(no_item, "missing \"item\"")) << no_item;
    const std::string optional_text = error_of(
        R"({"declarations": [{"schema_version": "a@1", "fields": [{"name": "x", "kind": "float", "optional": "yes"}]}]})");
    EXPECT_TRUE(contains(optional_text, "\"optional\" must be true or false")) << optional_text;

    // Deep nesting is refused, not recursed into without end.
    std::string deep = R"({"declarations": [{"schema_version": "a@1", "fields": [{"name": "x", )";
    for (int i = 0; i < 200; ++i) deep += R"("kind": "list_of", "item": {)";
    deep += R"("kind": "float")";
    for (int i = 0; i < 200; ++i) deep += "}";
    deep += "}]}]}";
    EXPECT_TRUE(contains(error_of(deep), "nest deeper than 64")) << error_of(deep);
    // So is JSON nested so deeply that copying or destroying the parsed document would overflow the
    // stack, valid or not, wherever it is (here: an Arrow type's children).
    const std::string nested = std::string(200000, '[') + std::string(200000, ']');
    const std::string hostile =
        R"({"declarations": [{"schema_version": "a@1", "fields": [{"name": "x", "kind": "exact", "type": {"name": )"
        R"("struct"}, "children": )" +
        nested + "}]}]}";
    EXPECT_TRUE(contains(error_of(hostile), "team.json: schema declarations: arrays and objects nest deeper than 512"))
        << error_of(hostile).substr(0, 300);
    // Brackets inside strings are text.
    EXPECT_EQ(declarations_from_json(R"({"declarations": [{"schema_version": "a@1", "fields": [{"name": ")" +
                                         std::string(1000, '[') + R"(", "kind": "string"}]}]})",
                                     "x")[0]
                  .fields[0]
                  .name.size(),
              1000u);
}

TEST(DeclarationJson, DeclareAllOrdersParentsAndRefusesCyclesAndContradictions) {
    Registry r;
    auto list = chain();  // most derived first: declare_all puts the parent first itself
    declare_all(r, list, "file.arrow");
    EXPECT_EQ(r.qualified_identifier(list[0].schema_version), "test.json-kinds@2>test.json-base@1");
    EXPECT_EQ(declaration_chain(r, list[0].schema_version), list);
    declare_all(r, list, "again.arrow");  // the same again: nothing to do

    // A contradiction of what is declared names the source and the difference.
    auto changed = list;
    changed[1].fields[0].constraint = exact(arrow::large_utf8());
    try {
        declare_all(r, changed, "other.arrow");
        FAIL();
    } catch (const SchemaError& e) {
        EXPECT_TRUE(contains(e.what(), "other.arrow: its declaration of `test.json-base@1` contradicts")) << e.what();
        EXPECT_TRUE(contains(e.what(), "`id`: large_utf8 vs utf8")) << e.what();
    }

    Registry fresh;
    const SchemaVersion a = make_schema_version("cyc.a", 1), b = make_schema_version("cyc.b", 1);
    const std::vector<SchemaVersionDeclaration> cycle{{a, b, {}}, {b, a, {}}};
    try {
        declare_all(fresh, cycle, "cycle.json");
        FAIL();
    } catch (const SchemaError& e) {
        EXPECT_TRUE(
            contains(e.what(), "cycle.json: the parents of `cyc.a@1` form a cycle: cyc.a@1 > cyc.b@1 > cyc.a@1"))
            << e.what();
    }
    const std::vector<SchemaVersionDeclaration> self{{a, a, {}}};
    EXPECT_THROW(declare_all(fresh, self, "self.json"), SchemaError);
    const std::vector<SchemaVersionDeclaration> orphan{{a, make_schema_version("nowhere", 1), {}}};
    try {
        declare_all(fresh, orphan, "orphan.json");
        FAIL();
    } catch (const SchemaError& e) {
        EXPECT_TRUE(contains(e.what(), "`cyc.a@1` extends `nowhere@1`, which is neither declared there nor known here"))
            << e.what();
    }
    const std::vector<SchemaVersionDeclaration> twice{{a, {}, {}}, {a, {}, {{"x", any_type()}}}};
    EXPECT_THROW(declare_all(fresh, twice, "twice.json"), SchemaError);
    EXPECT_FALSE(fresh.is_declared(a));
}

TEST(DeclarationJson, WrittenFilesCarryTheirChainAndRereadingReplacesIt) {
    Registry r;
    declare_all(r, chain(), "test");
    const SchemaVersion base = make_schema_version("test.json-base", 1);
    auto schema = std::make_shared<arrow::Schema>();
    schema->fields = {arrow::field("id", arrow::utf8(), false)};
    // A stale key from elsewhere is replaced by the written version's chain.
    schema->metadata = {{std::string(kSchemaDeclarationsKey), "stale"}};
    arrow::Table t;
    t.schema = schema;
    t.batches.push_back(arrow::make_batch(schema, {arrow::make_strings({"one"})}));
    WriteOptions options;
    options.registry = &r;
    const auto back = arrow::read_any(arrow::Buffer::from_vector(write_to_bytes(t, base, options)));
    EXPECT_EQ(declarations_in_metadata(back.schema->metadata, "f"), declaration_chain(r, base));

    // Without a declaration (compliance unchecked) there is nothing to record, and the stale key goes.
    options.check_compliance = false;
    const auto undeclared = tag_table(t, make_schema_version("test.json-nobody", 1), options);
    EXPECT_FALSE(arrow::find_metadata(undeclared.schema->metadata, kSchemaDeclarationsKey));
    EXPECT_TRUE(declarations_in_metadata(undeclared.schema->metadata, "f").empty());
    try {
        declarations_in_metadata({{std::string(kSchemaDeclarationsKey), "stale"}}, "x.arrow");
        FAIL();
    } catch (const SchemaError& e) {
        EXPECT_TRUE(contains(e.what(),
                             "x.arrow (metadata key `legolasflux.schema_declarations`): schema declarations: "
                             "not valid JSON"))
            << e.what();
    }
}

}  // namespace
