// Text renderings of tables and single values, for people (the CLI's `arrow print`, test failure
// messages). Not a serialization format: long lists are abbreviated.
#pragma once

#include <cstdint>
#include <string>

#include "legolasflux/arrow/array.hpp"

namespace legolasflux::arrow {

// The schema (as to_string(Schema) prints it), then each record batch as an aligned text table of at
// most `max_rows_per_batch` rows (negative: all rows), e.g.
//   id: int64
//   name: utf8
//
//   record batch 0: 3 rows
//   id | name
//   ---+-----
//   1  | "a"
//   2  | null
//   ... 1 more row
// A batch whose aligned table would be wider than 160 characters is printed one value per line:
//   row 0
//     id: 1
//     points: [{x: 0.5, y: 1.5}, {x: 2.5, ...
std::string pretty_print(const Table& table, int64_t max_rows_per_batch = 20);

// Slot i of a (validated) array as text: null, true/false, numbers (floats shortest round-trip,
// always with a '.' or exponent), strings quoted with C escapes, binary as 0x-prefixed hex, decimals
// as decimal text, dates/times/timestamps in ISO 8601 form (a timestamp with a time zone is shown
// as its UTC instant, with a trailing Z), durations and intervals as numbers with units, lists as
// [a, b], structs as {name: value}, maps as {key: value}, unions and dictionary or run-end encoded
// arrays as the value they select. Lists show at most `max_list_items` items, then "... N more".
std::string format_value(const Array& array, int64_t i);
std::string format_value(const Array& array, int64_t i, int64_t max_list_items);

}  // namespace legolasflux::arrow
