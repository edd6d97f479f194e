// Arrow's integration-test JSON format (the one Arrow's implementations use to prove they agree):
// {"schema": …, "batches": [...], "dictionaries": [...]}.
#pragma once

#include <string>
#include <string_view>

#include "legolasflux/arrow/array.hpp"
#include "legolasflux/arrow/validate.hpp"

namespace legolasflux::arrow {

// Parses integration JSON; a malformed document is a FormatError that says where. The arrays built
// are then validated at `validation` (validate.hpp).
Table read_json(std::string_view json, ValidationLevel validation = ValidationLevel::Full);
// Writes integration JSON, pretty-printed with stable key order.
std::string write_json(const Table& table);

// One field in the form a document's "fields" hold it ({"name", "nullable", "type", "children",
// "metadata", "dictionary"}), compact, keys sorted: a way for other formats that describe Arrow
// fields in JSON to spell them as the integration format does.
std::string write_field_json(const Field& field);
// The inverse; malformed JSON or a malformed field is a FormatError that says where, as read_json.
Field read_field_json(std::string_view json);

}  // namespace legolasflux::arrow
