// How deeply a JSON text nests, counted before parsing it. nlohmann's parser does not recurse, but
// copying, printing and destroying a parsed document do: a hostile text of a million nested arrays
// would overflow the stack after a successful parse. Readers of JSON from files refuse texts
// nested deeper than they need, first.
#pragma once

#include <algorithm>
#include <string_view>

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

}  // namespace legolasflux::common
