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

}  // namespace legolasflux::arrow
