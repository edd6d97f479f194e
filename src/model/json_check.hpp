// A first pass over untrusted JSON text, without building anything (private to the model layer):
// it bounds the nesting and refuses a key that repeats within one object — nlohmann's DOM would keep
// only one value of a repeated key, hiding a tensor of a safetensors header or an entry of a
// weight_map. A SAX handler rather than a parse callback: nlohmann's callback parser rescans the
// parent object at the end of every child, quadratic in the number of keys.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "legolasflux/errors.hpp"

namespace legolasflux::detail {

class JsonCheck {
public:
    using json = nlohmann::json;
    using string_t = json::string_t;

    // Errors are FormatErrors starting with `where` ("safetensors header: the key 'x' appears twice
    // in one object"); text that is not JSON gives `not_json` followed by the parser's message.
    JsonCheck(std::string where, std::string not_json, int max_depth)
        : where_(std::move(where)), not_json_(std::move(not_json)), max_depth_(max_depth) {}

    bool null() { return true; }
    bool boolean(bool) { return true; }
    bool number_integer(json::number_integer_t) { return true; }
    bool number_unsigned(json::number_unsigned_t) { return true; }
    bool number_float(json::number_float_t, const string_t&) { return true; }
    bool string(string_t&) { return true; }
    bool binary(json::binary_t&) { return true; }
    bool start_object(std::size_t) {
        push();
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
        --depth_;
        return true;
    }
    bool start_array(std::size_t) {
        push();
        return true;
    }
    bool end_array() {
        --depth_;
        return true;
    }
    bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) {
        throw FormatError(not_json_ + e.what());
    }

private:
    void push() {
        if (++depth_ > max_depth_) throw FormatError(where_ + ": JSON nested deeper than the format allows");
    }
    std::string where_, not_json_;
    int max_depth_;
    int depth_ = 0;
    std::vector<std::set<std::string>> keys_;
};

}  // namespace legolasflux::detail
