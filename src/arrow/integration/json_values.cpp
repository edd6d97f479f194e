// The reader's accessors for the values of an integration-JSON document: each checks what it
// takes and names where it was in its error (json_internal.hpp).
#include <cctype>
#include <cmath>
#include <limits>

#include "json_internal.hpp"

namespace legolasflux::arrow::json_detail {

std::string key_at(const std::string& where, const char* key) { return where + " " + key; }
std::string index_at(const std::string& where, const char* key, size_t i) {
    return where + " " + key + "[" + std::to_string(i) + "]";
}

const Json& need(const Json& obj, const char* key, const std::string& where) {
    auto it = obj.find(key);
    if (it == obj.end()) fail(where, std::string("missing key \"") + key + "\"");
    return *it;
}

// The array under `key`, which must hold exactly `n` entries.
const Json& array_of(const Json& col, const char* key, size_t n, const std::string& where) {
    const Json& a = need(col, key, where);
    if (!a.is_array()) fail(key_at(where, key), "must be an array");
    if (a.size() != n)
        fail(key_at(where, key), "expected " + std::to_string(n) + " entries, found " + std::to_string(a.size()));
    return a;
}

// An integer written as a JSON number or as a decimal string (the format's way for 64 bits).
int64_t signed_value(const Json& v, int64_t min, int64_t max, const std::string& where) {
    int64_t x;
    if (v.is_number_integer()) {
        if (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX))
            fail(where, v.dump() + " is out of range");
        x = v.get<int64_t>();
    } else if (v.is_string()) {
        const std::string s = v.get<std::string>();
        size_t used = 0;
        try {
            x = std::stoll(s, &used, 10);
        } catch (const std::exception&) {
            fail(where, "\"" + s + "\" is not a 64-bit integer");
        }
        if (used != s.size() || s.empty() || std::isspace(static_cast<unsigned char>(s[0])))
            fail(where, "\"" + s + "\" is not an integer");
    } else {
        fail(where, "expected an integer, found " + v.dump());
    }
    if (x < min || x > max)
        fail(where, std::to_string(x) + " is outside [" + std::to_string(min) + ", " + std::to_string(max) + "]");
    return x;
}

uint64_t unsigned_value(const Json& v, uint64_t max, const std::string& where) {
    uint64_t x;
    if (v.is_number_unsigned()) {
        x = v.get<uint64_t>();
    } else if (v.is_number_integer()) {
        fail(where, v.dump() + " is negative");
    } else if (v.is_string()) {
        const std::string s = v.get<std::string>();
        size_t used = 0;
        if (s.empty() || s[0] < '0' || s[0] > '9') fail(where, "\"" + s + "\" is not an unsigned integer");
        try {
            x = std::stoull(s, &used, 10);
        } catch (const std::exception&) {
            fail(where, "\"" + s + "\" is not a 64-bit unsigned integer");
        }
        if (used != s.size()) fail(where, "\"" + s + "\" is not an integer");
    } else {
        fail(where, "expected an integer, found " + v.dump());
    }
    if (x > max) fail(where, std::to_string(x) + " is above " + std::to_string(max));
    return x;
}

double float_value(const Json& v, const std::string& where) {
    if (v.is_number()) return v.get<double>();
    if (v.is_string()) {
        const std::string s = v.get<std::string>();
        if (s == "NaN") return std::numeric_limits<double>::quiet_NaN();
        if (s == "Infinity" || s == "Inf") return HUGE_VAL;
        if (s == "-Infinity" || s == "-Inf") return -HUGE_VAL;
    }
    fail(where, "expected a number, found " + v.dump());
}

bool bit_value(const Json& v, const std::string& where) {
    if (v.is_boolean()) return v.get<bool>();
    if (v.is_number_integer()) {
        const int64_t x = v.get<int64_t>();
        if (x == 0 || x == 1) return x == 1;
    }
    fail(where, "expected 0, 1, true or false, found " + v.dump());
}

std::string string_value(const Json& v, const std::string& where) {
    if (!v.is_string()) fail(where, "expected a string, found " + v.dump());
    return v.get<std::string>();
}

}  // namespace legolasflux::arrow::json_detail
