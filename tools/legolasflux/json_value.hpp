// One value of an Arrow column as typed JSON, for every command that prints values as JSON
// (`inspect --json`, `diff --json`, `schema --json`). The shape is documented in docs/cli.md, "JSON values".
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>

#include "legolasflux/arrow/array.hpp"

namespace legolasflux::cli {

// Slot i of `array`, a column (or child) described by `field`: the field gives the names and the
// extension metadata that the array's type does not carry (a Legolas v0.4 nested row is known by
// its extension name). JSON null for a missing value; numbers, booleans and strings as themselves,
// except integers beyond ±2^53 (not exact in a double, so many JSON readers would change them) and
// NaN and infinities (JSON has none), which are strings; structs are objects, lists and maps
// arrays, binary base64. The array must be valid (ValidationLevel::Full): no bounds are checked.
nlohmann::ordered_json json_value(const arrow::Field& field, const arrow::Array& array, int64_t i);

// The same rules for plain numbers: integers beyond ±2^53 as strings; NaN and infinities as the
// strings "NaN", "Infinity", "-Infinity"; `narrow` (a Float16 or Float32 value) in its shortest
// decimal form.
nlohmann::ordered_json json_integer(int64_t v);
nlohmann::ordered_json json_unsigned(uint64_t v);
nlohmann::ordered_json json_floating(double v, bool narrow);

}  // namespace legolasflux::cli
