// A failed value check of the validator, with the numbers a reader needs to say it in its own terms:
// the integration JSON reader names JSON keys and indices ("OFFSET[1]") where the validator names
// field paths. It is the FormatError validate() throws, with the validator's message, so callers of
// validate() see nothing new; only readers that build arrays catch it to reword it.
#pragma once

#include <cstdint>
#include <string>

#include "legolasflux/errors.hpp"

namespace legolasflux::arrow::detail {

class ValueCheckFailure : public FormatError {
public:
    enum class Check : uint8_t {
        ListViewOutsideChild,  // slot `index`: offset a, size b, child length c
        RunEndNotIncreasing,   // run `index`: previous end a, this end b
        LastRunEndShort,       // last run end a, offset + length b
    };
    ValueCheckFailure(const std::string& message, Check check, int64_t index, int64_t a, int64_t b, int64_t c = 0)
        : FormatError(message), check(check), index(index), a(a), b(b), c(c) {}

    Check check;
    int64_t index;
    int64_t a, b, c;
};

}  // namespace legolasflux::arrow::detail
