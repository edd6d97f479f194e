// Compliance of an Arrow schema with a declared schema version, as Legolas defines it: every
// declared field (parents' included) is present with a complying type, or absent when it may be
// missing; other columns are allowed; column order does not matter.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "legolasflux/arrow/type.hpp"
#include "legolasflux/legolas/declaration.hpp"

namespace legolasflux::legolas {

struct Violation {
    std::string field;
    std::string expected;              // describe(constraint)
    std::optional<std::string> found;  // describe(column); nullopt: the column is missing

    // "Could not find declared field: `b`" or
    // "Incorrect type: `k` expected `<:int64`, found `utf8`".
    std::string to_string() const;
    friend bool operator==(const Violation&, const Violation&) = default;
};

// All violations, in declared-field order. UnknownSchemaVersionError when `sv` is not declared.
std::vector<Violation> find_violations(const arrow::Schema& schema, const SchemaVersion& sv,
                                       const Registry& registry = default_registry());
// The first violation, if any.
std::optional<Violation> find_violation(const arrow::Schema& schema, const SchemaVersion& sv,
                                        const Registry& registry = default_registry());
bool complies_with(const arrow::Schema& schema, const SchemaVersion& sv, const Registry& registry = default_registry());
// Throws SchemaError listing every violation:
//   Arrow schema violates Legolas schema `example.baz@1`:
//    - Could not find declared field: `b`
//    - Incorrect type: `k` expected `<:int64`, found `utf8`
//   Provided Arrow schema:
//    x: int8 not null
//    …
void validate(const arrow::Schema& schema, const SchemaVersion& sv, const Registry& registry = default_registry());

}  // namespace legolasflux::legolas
