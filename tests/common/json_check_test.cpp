// The first pass over untrusted JSON text: nesting counted outside strings, keys repeated within
// one object refused (but not across objects), and text that is not JSON reported with the
// caller's prefix.
#include <gtest/gtest.h>

#include <string>

#include "common/json_check.hpp"  // white-box: a private helper
#include "legolasflux/errors.hpp"

namespace lc = legolasflux::common;

namespace {

// The message of check_json's FormatError, or "" when it accepts the text.
std::string error_of(const std::string& text, int max_depth) {
    try {
        lc::check_json(text, "test.json", "test.json is not valid JSON: ", max_depth);
        return "";
    } catch (const legolasflux::FormatError& e) {
        return e.what();
    }
}

}  // namespace

TEST(JsonCheck, NestingIsCountedOutsideStrings) {
    EXPECT_EQ(lc::json_nesting("1"), 0);
    EXPECT_EQ(lc::json_nesting(R"({"a": [1, {"b": []}], "c": {}})"), 4);
    EXPECT_EQ(lc::json_nesting(R"(["[[[{", "\"[[", {}])"), 2);
    EXPECT_EQ(lc::json_nesting(std::string(1000, '[') + std::string(1000, ']')), 1000);
}

TEST(JsonCheck, TheDepthBoundIsInclusive) {
    EXPECT_EQ(error_of(R"({"a": {"shape": [1, 2]}})", 3), "");
    EXPECT_EQ(error_of(R"({"a": {"shape": [[1], 2]}})", 3), "test.json: JSON nested deeper than the format allows");
    // Refused before any parse: a hostile depth never reaches the parser.
    EXPECT_EQ(error_of(std::string(100000, '['), 16), "test.json: JSON nested deeper than the format allows");
}

TEST(JsonCheck, AKeyRepeatedWithinOneObjectIsRefused) {
    EXPECT_EQ(error_of(R"({"a": 1, "b": {"a": 2}, "c": [{"a": 3}, {"a": 4}]})", 8), "");
    EXPECT_EQ(error_of(R"({"a": 1, "b": 2, "a": 3})", 8), "test.json: the key 'a' appears twice in one object");
    EXPECT_EQ(error_of(R"({"w": [{"x": 1, "x": 1}]})", 8), "test.json: the key 'x' appears twice in one object");
}

TEST(JsonCheck, TextThatIsNotJsonIsReportedWithThePrefix) {
    const std::string e = error_of(R"({"a": 1,})", 8);
    EXPECT_EQ(e.rfind("test.json is not valid JSON: ", 0), 0u) << e;
    EXPECT_GT(e.size(), std::string("test.json is not valid JSON: ").size()) << e;
}
