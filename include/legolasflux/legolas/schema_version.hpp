// Legolas schema version identifiers: "name@version", and the fully qualified form
// "child@1>parent@1>grandparent@1" that files carry in their `legolas_schema_qualified` metadata.
//
// Parsing follows Legolas.jl 0.5 (`parse_identifier`) so that every identifier Julia accepts is
// accepted here, including its leniency: spaces around each `>`-separated part are ignored, the
// version may be anything Julia's `tryparse(Int, …)` accepts ("+1", "01", " 1 ", "0x1"), and a part
// whose version does not parse is silently dropped as long as at least one part parses.
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace legolasflux::legolas {

// The key of the schema-level Arrow metadata naming a table's schema version.
inline constexpr std::string_view kSchemaQualifiedKey = "legolas_schema_qualified";
// Written by Legolas.jl >= 0.5.22 when it knows which Julia package declared the schema.
inline constexpr std::string_view kProviderNameKey = "legolas_julia_schema_provider_name";
inline constexpr std::string_view kProviderVersionKey = "legolas_julia_schema_provider_version";

struct SchemaVersion {
    std::string name;
    int64_t version = 0;

    friend bool operator==(const SchemaVersion&, const SchemaVersion&) = default;
    friend std::strong_ordering operator<=>(const SchemaVersion&, const SchemaVersion&) = default;
};

// "name@version".
std::string to_string(const SchemaVersion& sv);

// Lowercase ASCII letters, digits, '-' and '.'; the empty name is technically valid, as in Legolas.
bool is_valid_schema_name(std::string_view name);

// A checked SchemaVersion: InvalidArgument when the name is not valid or the version negative.
SchemaVersion make_schema_version(std::string name, int64_t version);

// All parts of a (qualified) identifier, most-derived first. InvalidArgument when the string is
// malformed (a part without exactly one '@', or no part with a parseable version), a name is not
// valid, or a version is negative.
std::vector<SchemaVersion> parse_identifier(std::string_view identifier);

// The most-derived schema version of a (qualified) identifier: parse_identifier(s).front().
SchemaVersion parse_schema_version(std::string_view identifier);

// Julia's `tryparse(Int, s)`: surrounding whitespace allowed, optional sign, 0x/0o/0b prefixes;
// false on anything else or on overflow.
bool try_parse_julia_int(std::string_view text, int64_t& out);

}  // namespace legolasflux::legolas
