#include "legolasflux/legolas/schema_version.hpp"

#include <limits>

#include "legolasflux/errors.hpp"

namespace legolasflux::legolas {
namespace {

// Julia's isspace for the ASCII range (Legolas strips with `strip`, Julia's parse skips the same).
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'; }

std::string_view strip(std::string_view s) {
    while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
    return s;
}

int digit_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'z') return c - 'a' + 10;
    if (c >= 'A' && c <= 'Z') return c - 'A' + 10;
    return 99;
}

std::string in_quotes(std::string_view s) { return "\"" + std::string(s) + "\""; }

}  // namespace

std::string to_string(const SchemaVersion& sv) { return sv.name + "@" + std::to_string(sv.version); }

bool is_valid_schema_name(std::string_view name) {
    for (char c : name)
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.')) return false;
    return true;
}

SchemaVersion make_schema_version(std::string name, int64_t version) {
    if (!is_valid_schema_name(name))
        throw InvalidArgument("not a valid schema name: " + in_quotes(name) +
                              " (allowed: lowercase letters a-z, digits, '-' and '.')");
    if (version < 0)
        throw InvalidArgument("schema version must be a non-negative integer, received " + std::to_string(version) +
                              " for " + in_quotes(name));
    return SchemaVersion{std::move(name), version};
}

bool try_parse_julia_int(std::string_view text, int64_t& out) {
    std::string_view s = strip(text);
    bool negative = false;
    if (!s.empty() && (s.front() == '+' || s.front() == '-')) {
        negative = s.front() == '-';
        s.remove_prefix(1);
    }
    int base = 10;
    if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'o' || s[1] == 'b')) {
        base = s[1] == 'x' ? 16 : s[1] == 'o' ? 8 : 2;
        s.remove_prefix(2);
    }
    if (s.empty()) return false;
    // Accumulate as a negative number so that INT64_MIN parses.
    int64_t value = 0;
    const int64_t min = std::numeric_limits<int64_t>::min();
    for (char c : s) {
        const int d = digit_value(c);
        if (d >= base) return false;
        if (value < (min + d) / base) return false;
        value = value * base - d;
    }
    if (!negative) {
        if (value == min) return false;
        value = -value;
    }
    out = value;
    return true;
}

std::vector<SchemaVersion> parse_identifier(std::string_view identifier) {
    const auto malformed = [&] {
        return InvalidArgument("failed to parse seemingly invalid/malformed schema version identifier string: " +
                               in_quotes(identifier));
    };
    std::vector<SchemaVersion> results;
    size_t start = 0;
    while (true) {
        const size_t end = identifier.find('>', start);
        const std::string_view part =
            strip(identifier.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
        const size_t at = part.find('@');
        if (at == std::string_view::npos || part.find('@', at + 1) != std::string_view::npos) throw malformed();
        int64_t version = 0;
        if (try_parse_julia_int(part.substr(at + 1), version))
            results.push_back(make_schema_version(std::string(part.substr(0, at)), version));
        if (end == std::string_view::npos) break;
        start = end + 1;
    }
    if (results.empty()) throw malformed();
    return results;
}

SchemaVersion parse_schema_version(std::string_view identifier) { return parse_identifier(identifier).front(); }

}  // namespace legolasflux::legolas
