// The registry of declared schema versions: declaration checks and their errors, merged fields,
// qualified identifiers, ancestry, unknown schema versions.
#include <gtest/gtest.h>

#include <thread>

#include "legolasflux/legolas/declaration.hpp"

namespace {

namespace arrow = legolasflux::arrow;
using legolasflux::SchemaError;
using namespace legolasflux::legolas;

SchemaVersionDeclaration decl(SchemaVersion sv, std::optional<SchemaVersion> parent,
                              std::vector<DeclaredField> fields) {
    return SchemaVersionDeclaration{std::move(sv), std::move(parent), std::move(fields)};
}

std::string declare_error(Registry& r, const SchemaVersionDeclaration& d) {
    try {
        r.declare(d);
    } catch (const SchemaError& e) {
        return e.what();
    }
    return "";
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

class RegistryTest : public ::testing::Test {
protected:
    void SetUp() override {
        r.declare(decl({"test.parent", 1}, {}, {{"x", any_type()}, {"y", optional(any_integer())}}));
        r.declare(decl({"test.child", 1}, SchemaVersion{"test.parent", 1},
                       {{"z", exact(arrow::utf8())}, {"y", exact(arrow::int64())}}));
    }
    Registry r;
};

TEST_F(RegistryTest, MergesFieldsParentFirst) {
    const auto fields = r.declared_fields({"test.child", 1});
    ASSERT_EQ(fields.size(), 3u);
    EXPECT_EQ(fields[0], (DeclaredField{"x", any_type()}));
    EXPECT_EQ(fields[1], (DeclaredField{"y", exact(arrow::int64())}));  // parent's position, child's constraint
    EXPECT_EQ(fields[2], (DeclaredField{"z", exact(arrow::utf8())}));
    const auto resolved = r.resolved_fields({"test.child", 1});
    EXPECT_EQ(resolved[0].declared_by, (SchemaVersion{"test.parent", 1}));
    EXPECT_EQ(resolved[1].declared_by, (SchemaVersion{"test.child", 1}));
    EXPECT_EQ(resolved[2].declared_by, (SchemaVersion{"test.child", 1}));
}

TEST_F(RegistryTest, QualifiedIdentifiersAndAncestry) {
    r.declare(decl({"test.grandchild", 3}, SchemaVersion{"test.child", 1}, {{"w", any_type()}}));
    EXPECT_EQ(r.qualified_identifier({"test.parent", 1}), "test.parent@1");
    EXPECT_EQ(r.qualified_identifier({"test.grandchild", 3}), "test.grandchild@3>test.child@1>test.parent@1");
    EXPECT_TRUE(r.descends_from({"test.grandchild", 3}, {"test.parent", 1}));
    EXPECT_TRUE(r.descends_from({"test.grandchild", 3}, {"test.grandchild", 3}));
    EXPECT_FALSE(r.descends_from({"test.parent", 1}, {"test.child", 1}));
    EXPECT_EQ(r.parent_of({"test.child", 1}), (SchemaVersion{"test.parent", 1}));
    EXPECT_EQ(r.parent_of({"test.parent", 1}), std::nullopt);
    EXPECT_TRUE(r.is_declared({"test.child", 1}));
    EXPECT_FALSE(r.is_declared({"test.child", 2}));
    EXPECT_EQ(r.schema_versions(),
              (std::vector<SchemaVersion>{{"test.child", 1}, {"test.grandchild", 3}, {"test.parent", 1}}));
    ASSERT_NE(r.find({"test.child", 1}), nullptr);
    EXPECT_EQ(r.find({"test.child", 1})->parent, (SchemaVersion{"test.parent", 1}));
    EXPECT_EQ(r.find({"nope", 1}), nullptr);
}

TEST_F(RegistryTest, UnknownSchemaVersions) {
    EXPECT_THROW(r.declared_fields({"test.unknown", 1}), UnknownSchemaVersionError);
    EXPECT_THROW(r.qualified_identifier({"test.unknown", 1}), UnknownSchemaVersionError);
    try {
        r.parent_of({"test.unknown", 1});
        FAIL();
    } catch (const UnknownSchemaVersionError& e) {
        EXPECT_EQ(e.schema_version(), (SchemaVersion{"test.unknown", 1}));
        EXPECT_EQ(e.provider_name(), std::nullopt);
        EXPECT_TRUE(contains(e.what(), "`test.unknown@1`")) << e.what();
    }
}

TEST_F(RegistryTest, RedeclaringIdenticallyIsANoOp) {
    EXPECT_NO_THROW(r.declare(decl({"test.parent", 1}, {}, {{"x", any_type()}, {"y", optional(any_integer())}})));
    EXPECT_EQ(r.schema_versions().size(), 2u);
}

TEST_F(RegistryTest, RedeclaringDifferentlyIsAnError) {
    EXPECT_TRUE(contains(declare_error(r, decl({"test.parent", 1}, {}, {{"x", any_type()}})),
                         "invalid redeclaration of existing schema version"));
}

TEST_F(RegistryTest, FieldNameRules) {
    EXPECT_TRUE(
        contains(declare_error(r, decl({"test.new", 1}, {}, {{"x", any_type()}, {"y", any_type()}, {"x", any_type()}})),
                 "duplicate field name `x`"));
    EXPECT_TRUE(contains(declare_error(r, decl({"test.new", 1}, {}, {{"X", any_type()}, {"_X", any_type()}})),
                         "may not start with an underscore: `_X`"));
    EXPECT_TRUE(contains(declare_error(r, decl({"test.new", 1}, {}, {{"", any_type()}})), "empty name"));
    EXPECT_FALSE(r.is_declared({"test.new", 1}));
}

TEST_F(RegistryTest, SchemaVersionRules) {
    EXPECT_TRUE(contains(declare_error(r, decl({"Test.New", 1}, {}, {{"x", any_type()}})), "not a valid schema name"));
    EXPECT_TRUE(contains(declare_error(r, decl({"test.new", -1}, {}, {{"x", any_type()}})), "non-negative"));
    EXPECT_TRUE(contains(declare_error(r, decl({"test.child", 2}, SchemaVersion{"test.child", 1}, {{"x", any_type()}})),
                         "cannot extend from another version of the same schema"));
    EXPECT_TRUE(
        contains(declare_error(r, decl({"test.child", 2}, SchemaVersion{"test.parent", 2}, {{"x", any_type()}})),
                 "parent schema version cannot be used before it has been declared: `test.parent@2`"));
}

TEST_F(RegistryTest, ReDeclaredFieldsMustNarrow) {
    // As Legolas' tests: y::Int against the parent's Union{Missing,Integer} is fine, but a child of
    // test.child re-declaring y (an int64 there) as any integer widens it.
    const std::string e1 = declare_error(
        r, decl({"test.new", 1}, SchemaVersion{"test.child", 1}, {{"y", optional(exact(arrow::int64()))}}));
    EXPECT_TRUE(contains(e1, "declared field types violate parent's field types")) << e1;
    EXPECT_TRUE(contains(e1, "`y` is declared as optional int64 but `test.child@1` declares it as int64")) << e1;
    const std::string e2 =
        declare_error(r, decl({"test.new", 1}, SchemaVersion{"test.parent", 1}, {{"y", any_string()}}));
    EXPECT_TRUE(contains(e2, "declared field types violate parent's field types")) << e2;
    EXPECT_NO_THROW(r.declare(decl({"test.new", 1}, SchemaVersion{"test.parent", 1}, {{"y", exact(arrow::uint8())}})));
}

TEST(Registry, DefaultRegistryIsOneInstance) { EXPECT_EQ(&default_registry(), &default_registry()); }

TEST(Registry, ConcurrentDeclarations) {
    Registry r;
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&r, t] {
            for (int i = 0; i < 50; ++i) {
                r.declare(decl({"test.t" + std::to_string(t), i}, {}, {{"x", any_type()}}));
                (void)r.declared_fields({"test.t" + std::to_string(t), i});
            }
        });
    for (auto& th : threads) th.join();
    EXPECT_EQ(r.schema_versions().size(), 200u);
}

}  // namespace
