// The parser of models as Flux prints them (flux::parse_model_text), then check_known. Contract: a
// description or a legolasflux::Error; a description is printed back by format_expr and parses to
// the same description (so the parser neither loses nor invents structure), and every node's offset
// lies inside the text (describe_position is called on each).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>

#include "legolasflux/flux_text.hpp"

namespace {

[[noreturn]] void finding(const std::string& what) {
    std::fprintf(stderr, "\n*** fuzz finding: %s\n", what.c_str());
    std::fflush(stderr);
    std::abort();
}

void check_offsets(const legolasflux::flux::Expr& e, std::string_view text) {
    if (e.offset >= text.size()) finding("a node's offset is past the text");
    (void)legolasflux::flux::describe_position(text, e.offset);
    for (const auto& a : e.args) check_offsets(a, text);
    for (const auto& k : e.keywords) check_offsets(k.value, text);
    for (const auto& t : e.type_params) check_offsets(t, text);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace legolasflux;
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    try {
        flux::TextLimits limits;
        limits.max_nodes = 10000;  // keeps each run fast; the default is exercised by the tests
        const flux::Expr e = flux::parse_model_text(text, limits);
        check_offsets(e, text);
        const std::string again = flux::format_expr(e);
        flux::Expr back;
        try {
            back = flux::parse_model_text(again, limits);
        } catch (const Error& err) {
            finding("format_expr wrote text that does not parse: " + std::string(err.what()) + "\n" + again);
        }
        if (!(back == e)) finding("format_expr + parse_model_text changed the description:\n" + again);
        try {
            flux::check_known(e, text);
        } catch (const UnsupportedError&) {}
    } catch (const Error&) {
        // The expected outcome for most inputs.
    } catch (const std::exception& err) {
        finding(std::string("threw a non-legolasflux exception: ") + err.what());
    }
    return 0;
}
