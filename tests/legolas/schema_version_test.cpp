// Schema version identifiers: formatting, parsing with Legolas.jl 0.5's leniency, and its errors.
#include <gtest/gtest.h>

#include "legolasflux/errors.hpp"
#include "legolasflux/legolas/schema_version.hpp"

namespace {

using legolasflux::InvalidArgument;
using namespace legolasflux::legolas;

TEST(SchemaVersion, FormatsAsNameAtVersion) {
    EXPECT_EQ(to_string(SchemaVersion{"example.foo", 1}), "example.foo@1");
    EXPECT_EQ(to_string(SchemaVersion{"legolas-flux.model", 12}), "legolas-flux.model@12");
}

TEST(SchemaVersion, ComparesByNameThenVersion) {
    EXPECT_EQ((SchemaVersion{"a", 1}), (SchemaVersion{"a", 1}));
    EXPECT_NE((SchemaVersion{"a", 1}), (SchemaVersion{"a", 2}));
    EXPECT_LT((SchemaVersion{"a", 2}), (SchemaVersion{"b", 1}));
    EXPECT_LT((SchemaVersion{"a", 1}), (SchemaVersion{"a", 2}));
}

TEST(SchemaVersion, ValidNames) {
    EXPECT_TRUE(is_valid_schema_name("example.foo"));
    EXPECT_TRUE(is_valid_schema_name("legolas-flux.model"));
    EXPECT_TRUE(is_valid_schema_name("abc123"));
    EXPECT_TRUE(is_valid_schema_name(""));  // technically valid in Legolas
    EXPECT_FALSE(is_valid_schema_name("Example"));
    EXPECT_FALSE(is_valid_schema_name("a b"));
    EXPECT_FALSE(is_valid_schema_name("a_b"));
    EXPECT_FALSE(is_valid_schema_name("a@1"));
    EXPECT_FALSE(is_valid_schema_name("a>b"));
}

TEST(SchemaVersion, MakeChecksNameAndVersion) {
    EXPECT_EQ(make_schema_version("a.b", 0), (SchemaVersion{"a.b", 0}));
    EXPECT_THROW(make_schema_version("A", 1), InvalidArgument);
    try {
        make_schema_version("ok", -1);
        FAIL();
    } catch (const InvalidArgument& e) {
        EXPECT_NE(std::string(e.what()).find("non-negative"), std::string::npos) << e.what();
    }
}

TEST(ParseIdentifier, SingleAndQualified) {
    EXPECT_EQ(parse_identifier("example.foo@1"), (std::vector<SchemaVersion>{{"example.foo", 1}}));
    EXPECT_EQ(parse_identifier("digits.model@1>legolas-flux.model@1"),
              (std::vector<SchemaVersion>{{"digits.model", 1}, {"legolas-flux.model", 1}}));
    EXPECT_EQ(parse_identifier("c@3>b@2>a@1"), (std::vector<SchemaVersion>{{"c", 3}, {"b", 2}, {"a", 1}}));
    EXPECT_EQ(parse_schema_version("digits.model@1>legolas-flux.model@1"), (SchemaVersion{"digits.model", 1}));
}

TEST(ParseIdentifier, SpacesAroundPartsAreStripped) {
    EXPECT_EQ(parse_identifier("  c@3 > b@2 >a@1\t"), (std::vector<SchemaVersion>{{"c", 3}, {"b", 2}, {"a", 1}}));
    // Whitespace inside a part belongs to the name, which then is not valid.
    EXPECT_THROW(parse_identifier("c @3"), InvalidArgument);
}

TEST(ParseIdentifier, VersionsAsJuliaTryparseAcceptsThem) {
    EXPECT_EQ(parse_schema_version("a@+1").version, 1);
    EXPECT_EQ(parse_schema_version("a@01").version, 1);
    EXPECT_EQ(parse_schema_version("a@ 7 ").version, 7);
    EXPECT_EQ(parse_schema_version("a@0x10").version, 16);
    EXPECT_EQ(parse_schema_version("a@0b101").version, 5);
    EXPECT_EQ(parse_schema_version("a@0o17").version, 15);
    EXPECT_EQ(parse_schema_version("a@-0").version, 0);
}

TEST(ParseIdentifier, PartsWithUnparseableVersionsAreDropped) {
    EXPECT_EQ(parse_identifier("a@1>b@x>c@3"), (std::vector<SchemaVersion>{{"a", 1}, {"c", 3}}));
    EXPECT_EQ(parse_identifier("a@one>b@2"), (std::vector<SchemaVersion>{{"b", 2}}));
    // …but the name of a dropped part is not checked either, as in Legolas.
    EXPECT_EQ(parse_identifier("a@1>NOT VALID@x"), (std::vector<SchemaVersion>{{"a", 1}}));
}

TEST(ParseIdentifier, EmptyNameIsTechnicallyValid) { EXPECT_EQ(parse_schema_version("@1"), (SchemaVersion{"", 1})); }

TEST(ParseIdentifier, Errors) {
    for (const char* bad : {"", "a", "a@", "a@x", "a@1@2", "a@1>b", "a@1>>b@2", "A@1", "a_b@1", "a@1.0",
                            "a@9223372036854775808", "a@1_000", "a@+ 1"}) {
        EXPECT_THROW(parse_identifier(bad), InvalidArgument) << bad;
    }
    try {
        parse_identifier("not an identifier");
        FAIL();
    } catch (const InvalidArgument& e) {
        EXPECT_EQ(
            std::string(e.what()),
            "failed to parse seemingly invalid/malformed schema version identifier string: \"not an identifier\"");
    }
}

TEST(ParseIdentifier, NegativeVersionIsAnError) {
    try {
        parse_identifier("a@-1");
        FAIL();
    } catch (const InvalidArgument& e) {
        EXPECT_NE(std::string(e.what()).find("non-negative"), std::string::npos) << e.what();
    }
    EXPECT_THROW(parse_identifier("a@1>b@-2"), InvalidArgument);
}

TEST(ParseIdentifier, JuliaIntLimits) {
    int64_t v = 0;
    EXPECT_TRUE(try_parse_julia_int("9223372036854775807", v));
    EXPECT_EQ(v, INT64_MAX);
    EXPECT_TRUE(try_parse_julia_int("-9223372036854775808", v));
    EXPECT_EQ(v, INT64_MIN);
    EXPECT_FALSE(try_parse_julia_int("9223372036854775808", v));
    EXPECT_FALSE(try_parse_julia_int("0x", v));
    EXPECT_FALSE(try_parse_julia_int("", v));
    EXPECT_FALSE(try_parse_julia_int("+", v));
    EXPECT_FALSE(try_parse_julia_int("1 2", v));
    EXPECT_TRUE(try_parse_julia_int("0xfF", v));
    EXPECT_EQ(v, 255);
}

}  // namespace
