// Private helpers shared by the integration-JSON reader (json_read.cpp) and writer
// (json_write.cpp): value encodings the format prescribes and the schema part of the document.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "common/float16.hpp"
#include "legolasflux/arrow/type.hpp"

namespace legolasflux::arrow::json_detail {

// nlohmann's default object keeps keys sorted, which gives write_json its stable key order.
using Json = nlohmann::json;

// Throws FormatError("integration JSON: <where>: <what>").
[[noreturn]] void fail(const std::string& where, const std::string& what);

// Uppercase hex, as the format writes binary values.
std::string to_hex(std::string_view bytes);
// Either case accepted; odd length or a non-hex digit is a FormatError at `where`.
std::string from_hex(std::string_view hex, const std::string& where);

bool is_valid_utf8(std::string_view text);

using common::double_to_half;
// The shortest decimal that reads back as the same float16/float32, as a double, so that a
// value written as 0.1 comes back as 0.1 rather than as the binary float's exact expansion.
double shortest_half(uint16_t bits);
double shortest_float(float value);

// Decimals are little-endian two's complement integers of `width` bytes (4, 8, 16 or 32),
// written in the format as their unscaled value in base 10.
std::string decimal_to_string(const uint8_t* bytes, int width);
// Throws at `where` when the text is not an integer or does not fit `width` bytes.
void decimal_from_string(std::string_view text, uint8_t* out, int width, const std::string& where);

const char* time_unit_name(TimeUnit unit);

Json field_to_json(const Field& field);
Json schema_to_json(const Schema& schema);
Schema schema_from_json(const Json& json);

// The reader's accessors (json_values.cpp). `where` is the path of the value in the document.
std::string key_at(const std::string& where, const char* key);
std::string index_at(const std::string& where, const char* key, size_t i);
// obj[key], which must exist.
const Json& need(const Json& obj, const char* key, const std::string& where);
// The array under `key`, which must hold exactly `n` entries.
const Json& array_of(const Json& col, const char* key, size_t n, const std::string& where);
// An integer written as a JSON number or as a decimal string (the format's way for 64 bits),
// within [min, max] (signed) or [0, max] (unsigned).
int64_t signed_value(const Json& v, int64_t min, int64_t max, const std::string& where);
uint64_t unsigned_value(const Json& v, uint64_t max, const std::string& where);
// A number, or "NaN", "Infinity", "-Infinity" (and "Inf", "-Inf").
double float_value(const Json& v, const std::string& where);
// 0, 1, true or false.
bool bit_value(const Json& v, const std::string& where);
std::string string_value(const Json& v, const std::string& where);

// Deepest field nesting read_json accepts; deeper documents are rejected rather than recursed.
constexpr int kMaxDepth = 64;

}  // namespace legolasflux::arrow::json_detail
