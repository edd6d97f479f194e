// First passes over untrusted JSON text, before parsing it into a document. nlohmann's parser does
// not recurse, but copying, printing and destroying a parsed document do: a hostile text of a
// million nested arrays would overflow the stack after a successful parse, so readers of JSON from
// files refuse texts nested deeper than they need, first (json_nesting). And nlohmann's document
// keeps one value of a key that repeats within an object, which would hide a tensor of a
// safetensors header or an entry of a weight_map: check_json also refuses those.
#pragma once

#include <algorithm>
#include <cstddef>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "legolasflux/errors.hpp"

namespace legolasflux::common {

// The deepest nesting of arrays and objects in `text`; brackets inside strings are not counted.
// Malformed text gives some number: the parser reports what is wrong with it.
inline int json_nesting(std::string_view text) {
    int depth = 0, deepest = 0;
    bool in_string = false;
    for (size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (in_string) {
            if (c == '\\')
                ++i;
            else if (c == '"')
                in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            deepest = std::max(deepest, ++depth);
        } else if (c == ']' || c == '}') {
            --depth;
        }
    }
    return deepest;
}

namespace json_check_detail {

// A SAX handler rather than a parse callback: nlohmann's callback parser rescans the parent object
// at the end of every child, quadratic in the number of keys.
class RepeatedKeys {
public:
    using json = nlohmann::json;
    using string_t = json::string_t;

    RepeatedKeys(const std::string& where, const std::string& not_json) : where_(where), not_json_(not_json) {}

    bool null() { return true; }
    bool boolean(bool) { return true; }
    bool number_integer(json::number_integer_t) { return true; }
    bool number_unsigned(json::number_unsigned_t) { return true; }
    bool number_float(json::number_float_t, const string_t&) { return true; }
    bool string(string_t&) { return true; }
    bool binary(json::binary_t&) { return true; }
    bool start_object(std::size_t) {
        keys_.emplace_back();
        return true;
    }
    bool key(string_t& key) {
        if (!keys_.back().insert(key).second)
            throw FormatError(where_ + ": the key '" + key + "' appears twice in one object");
        return true;
    }
    bool end_object() {
        keys_.pop_back();
        return true;
    }
    bool start_array(std::size_t) { return true; }
    bool end_array() { return true; }
    bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) {
        throw FormatError(not_json_ + e.what());
    }

private:
    const std::string& where_;
    const std::string& not_json_;
    std::vector<std::set<std::string>> keys_;
};

}  // namespace json_check_detail

// Checks `text` without building anything: FormatErrors starting with `where` when it nests deeper
// than `max_depth` ("safetensors header: JSON nested deeper than the format allows") or repeats a
// key within one object ("…: the key 'x' appears twice in one object"); text that is not JSON gives
// `not_json` followed by the parser's message.
inline void check_json(std::string_view text, const std::string& where, const std::string& not_json, int max_depth) {
    if (json_nesting(text) > max_depth) throw FormatError(where + ": JSON nested deeper than the format allows");
    json_check_detail::RepeatedKeys handler(where, not_json);
    nlohmann::json::sax_parse(text.begin(), text.end(), &handler);
}

}  // namespace legolasflux::common
