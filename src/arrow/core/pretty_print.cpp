#include "legolasflux/arrow/pretty_print.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <vector>

#include "common/float16.hpp"
#include "value_access.hpp"

namespace legolasflux::arrow {
namespace {

constexpr int64_t kDefaultListItems = 10;
// Wider tables are printed one value per line.
constexpr size_t kMaxTableWidth = 160;

template <class T>
T load(const Array& a, int64_t i) {
    T v;
    std::memcpy(&v, a.buffers[1].data() + (a.offset + i) * static_cast<int64_t>(sizeof(T)), sizeof(T));
    return v;
}

template <class F>
std::string float_text(F v) {
    char buf[64];
    auto res = std::to_chars(buf, buf + sizeof buf, v);
    std::string s(buf, res.ptr);
    // Keep floats recognisable as floats: "1" would read as an integer.
    if (s.find_first_not_of("-0123456789") == std::string::npos) s += ".0";
    return s;
}

std::string quoted(std::string_view bytes) {
    static const char* hex = "0123456789abcdef";
    std::string s = "\"";
    for (char ch : bytes) {
        const auto c = static_cast<unsigned char>(ch);
        switch (c) {
            case '"': s += "\\\""; break;
            case '\\': s += "\\\\"; break;
            case '\n': s += "\\n"; break;
            case '\t': s += "\\t"; break;
            case '\r': s += "\\r"; break;
            default:
                if (c < 0x20 || c == 0x7f) {
                    s += "\\x";
                    s += hex[c >> 4];
                    s += hex[c & 15];
                } else {
                    s += ch;
                }
        }
    }
    return s + "\"";
}

std::string hex_text(std::string_view bytes) {
    static const char* hex = "0123456789abcdef";
    std::string s = "0x";
    for (char ch : bytes) {
        const auto c = static_cast<unsigned char>(ch);
        s += hex[c >> 4];
        s += hex[c & 15];
    }
    return s;
}

// Two's-complement little-endian integer of `width` bytes (a multiple of 4) as decimal digits.
std::string big_int_text(const uint8_t* p, int width) {
    uint32_t limbs[8] = {};
    const int n = width / 4;
    std::memcpy(limbs, p, static_cast<size_t>(width));
    const bool negative = limbs[n - 1] >> 31;
    if (negative) {
        uint64_t carry = 1;
        for (int k = 0; k < n; ++k) {
            const uint64_t v = uint64_t{~limbs[k]} + carry;
            limbs[k] = static_cast<uint32_t>(v);
            carry = v >> 32;
        }
    }
    std::string digits;
    for (;;) {
        bool zero = true;
        uint64_t rem = 0;
        for (int k = n - 1; k >= 0; --k) {
            const uint64_t cur = (rem << 32) | limbs[k];
            limbs[k] = static_cast<uint32_t>(cur / 1000000000);
            rem = cur % 1000000000;
            zero &= limbs[k] == 0;
        }
        std::string chunk = std::to_string(rem);
        if (!zero) chunk.insert(0, 9 - chunk.size(), '0');
        digits.insert(0, chunk);
        if (zero) break;
    }
    return negative ? "-" + digits : digits;
}

std::string decimal_text(const Array& a, int64_t i) {
    const int width = a.type.bit_width / 8;
    std::string s = big_int_text(a.buffers[1].data() + (a.offset + i) * width, width);
    const bool negative = s[0] == '-';
    std::string digits = negative ? s.substr(1) : s;
    const int scale = a.type.decimal_scale;
    // The file chooses the scale (any int32); far beyond the widest precision (76 digits), an
    // exponent says it in a few bytes where plain digits would take up to 2^31 zeros.
    if (scale > 76 || scale < -76) return s + "E" + std::to_string(-static_cast<int64_t>(scale));
    if (scale > 0) {
        if (digits.size() <= static_cast<size_t>(scale))
            digits.insert(0, static_cast<size_t>(scale) + 1 - digits.size(), '0');
        digits.insert(digits.size() - static_cast<size_t>(scale), ".");
    } else if (scale < 0 && digits != "0") {
        digits.append(static_cast<size_t>(-scale), '0');
    }
    return negative ? "-" + digits : digits;
}

int64_t floor_div(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// Proleptic Gregorian date of a day count since 1970-01-01 (the usual era-based conversion).
std::string date_text(int64_t days) {
    const int64_t z = days + 719468;
    const int64_t era = floor_div(z, 146097);
    const int64_t doe = z - era * 146097;
    const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const int64_t mp = (5 * doy + 2) / 153;
    const int64_t d = doy - (153 * mp + 2) / 5 + 1;
    const int64_t m = mp < 10 ? mp + 3 : mp - 9;
    const int64_t y = yoe + era * 400 + (m <= 2);
    char buf[96];
    std::snprintf(buf, sizeof buf, "%s%04lld-%02lld-%02lld", y < 0 ? "-" : "", static_cast<long long>(y < 0 ? -y : y),
                  static_cast<long long>(m), static_cast<long long>(d));
    return buf;
}

int64_t units_per_second(TimeUnit u) {
    switch (u) {
        case TimeUnit::Second: return 1;
        case TimeUnit::Millisecond: return 1000;
        case TimeUnit::Microsecond: return 1000000;
        case TimeUnit::Nanosecond: return 1000000000;
    }
    return 1;
}

const char* unit_suffix(TimeUnit u) {
    switch (u) {
        case TimeUnit::Second: return "s";
        case TimeUnit::Millisecond: return "ms";
        case TimeUnit::Microsecond: return "us";
        case TimeUnit::Nanosecond: return "ns";
    }
    return "";
}

// "HH:MM:SS" plus a fraction with as many digits as the unit has, for `value` units into a day.
std::string time_of_day_text(int64_t value, TimeUnit unit) {
    const int64_t per_second = units_per_second(unit);
    const int64_t seconds = floor_div(value, per_second);
    const int64_t fraction = value - seconds * per_second;
    char buf[96];
    int n = std::snprintf(buf, sizeof buf, "%02lld:%02lld:%02lld", static_cast<long long>(seconds / 3600),
                          static_cast<long long>(seconds / 60 % 60), static_cast<long long>(seconds % 60));
    if (per_second > 1) {
        const int digits = unit == TimeUnit::Millisecond ? 3 : unit == TimeUnit::Microsecond ? 6 : 9;
        std::snprintf(buf + n, sizeof buf - static_cast<size_t>(n), ".%0*lld", digits,
                      static_cast<long long>(fraction));
    }
    return buf;
}

std::string timestamp_text(int64_t value, TimeUnit unit) {
    // Split with care so that INT64_MIN nanoseconds cannot overflow.
    const int64_t per_day = units_per_second(unit) * 86400;
    const int64_t days = floor_div(value, per_day);
    // Not value - days * per_day: for the earliest values, days * per_day is below INT64_MIN.
    const int64_t rest = value % per_day + (value % per_day < 0 ? per_day : 0);
    return date_text(days) + "T" + time_of_day_text(rest, unit);
}

class Formatter {
public:
    explicit Formatter(int64_t max_items) : max_items_(max_items) {}
    std::string value(const Array& a, int64_t i) const;

private:
    std::string list(const Array& child, int64_t begin, int64_t end) const;
    std::string map(const Array& entries, int64_t begin, int64_t end) const;
    int64_t max_items_;
};

std::string Formatter::list(const Array& child, int64_t begin, int64_t end) const {
    std::string s = "[";
    const int64_t n = end - begin;
    const int64_t shown = max_items_ < 0 ? n : std::min(n, max_items_);
    for (int64_t k = 0; k < shown; ++k) {
        if (k) s += ", ";
        s += value(child, begin + k);
    }
    if (shown < n) s += (shown ? ", ... " : "... ") + std::to_string(n - shown) + " more";
    return s + "]";
}

std::string Formatter::map(const Array& entries, int64_t begin, int64_t end) const {
    std::string s = "{";
    const int64_t n = end - begin;
    const int64_t shown = max_items_ < 0 ? n : std::min(n, max_items_);
    const Array& keys = *entries.children[0];
    const Array& values = *entries.children[1];
    for (int64_t k = 0; k < shown; ++k) {
        if (k) s += ", ";
        const int64_t j = entries.offset + begin + k;
        s += value(keys, j) + ": " + value(values, j);
    }
    if (shown < n) s += (shown ? ", ... " : "... ") + std::to_string(n - shown) + " more";
    return s + "}";
}

std::string Formatter::value(const Array& a, int64_t i) const {
    if (a.type.id == TypeId::Null || a.is_null(i)) return "null";
    if (a.dictionary) return value(*a.dictionary, detail::dictionary_index(a, i));
    const DataType& t = a.type;
    switch (t.id) {
        case TypeId::Null: return "null";
        case TypeId::Bool: return a.bool_value(i) ? "true" : "false";
        case TypeId::Int:
            switch (t.bit_width) {
                case 8: return t.is_signed ? std::to_string(load<int8_t>(a, i)) : std::to_string(load<uint8_t>(a, i));
                case 16:
                    return t.is_signed ? std::to_string(load<int16_t>(a, i)) : std::to_string(load<uint16_t>(a, i));
                case 32:
                    return t.is_signed ? std::to_string(load<int32_t>(a, i)) : std::to_string(load<uint32_t>(a, i));
                case 64:
                    return t.is_signed ? std::to_string(load<int64_t>(a, i)) : std::to_string(load<uint64_t>(a, i));
                default: {
                    // 128-bit integers (Julia Int128/UInt128).
                    const uint8_t* p = a.buffers[1].data() + (a.offset + i) * 16;
                    if (t.is_signed || !(p[15] & 0x80)) return big_int_text(p, 16);
                    uint8_t widened[20] = {};
                    std::memcpy(widened, p, 16);
                    return big_int_text(widened, 20);
                }
            }
        case TypeId::FloatingPoint:
            switch (t.precision) {
                case Precision::Half: return float_text(common::half_to_float(load<uint16_t>(a, i)));
                case Precision::Single: return float_text(load<float>(a, i));
                case Precision::Double: return float_text(load<double>(a, i));
            }
            return "?";
        case TypeId::Decimal: return decimal_text(a, i);
        case TypeId::Date:
            if (t.date_unit == DateUnit::Day)
                return date_text(load<int32_t>(a, i));
            else {
                const int64_t ms = load<int64_t>(a, i);
                const int64_t days = floor_div(ms, 86400000);
                const int64_t rest = ms - days * 86400000;
                return rest == 0 ? date_text(days)
                                 : date_text(days) + "T" + time_of_day_text(rest, TimeUnit::Millisecond);
            }
        case TypeId::Time:
            return time_of_day_text(t.bit_width == 32 ? int64_t{load<int32_t>(a, i)} : load<int64_t>(a, i),
                                    t.time_unit);
        case TypeId::Timestamp:
            return timestamp_text(load<int64_t>(a, i), t.time_unit) + (t.timezone.empty() ? "" : "Z");
        case TypeId::Duration: return std::to_string(load<int64_t>(a, i)) + unit_suffix(t.time_unit);
        case TypeId::Interval: {
            const uint8_t* p = a.buffers[1].data() + (a.offset + i) * t.fixed_width_bytes();
            int32_t x, y;
            std::memcpy(&x, p, 4);
            if (t.interval_unit == IntervalUnit::YearMonth) return std::to_string(x) + "M";
            std::memcpy(&y, p + 4, 4);
            if (t.interval_unit == IntervalUnit::DayTime) return std::to_string(x) + "d " + std::to_string(y) + "ms";
            int64_t ns;
            std::memcpy(&ns, p + 8, 8);
            return std::to_string(x) + "M " + std::to_string(y) + "d " + std::to_string(ns) + "ns";
        }
        case TypeId::Utf8:
        case TypeId::LargeUtf8:
        case TypeId::Utf8View: return quoted(a.bytes_value(i));
        case TypeId::Binary:
        case TypeId::LargeBinary:
        case TypeId::BinaryView:
        case TypeId::FixedSizeBinary: return hex_text(a.bytes_value(i));
        case TypeId::List:
        case TypeId::LargeList:
        case TypeId::FixedSizeList:
        case TypeId::ListView:
        case TypeId::LargeListView: {
            const auto [begin, end] = a.list_range(i);
            return list(*a.children[0], begin, end);
        }
        case TypeId::Map: {
            const auto [begin, end] = a.list_range(i);
            return map(*a.children[0], begin, end);
        }
        case TypeId::Struct: {
            std::string s = "{";
            for (size_t k = 0; k < a.children.size(); ++k) {
                if (k) s += ", ";
                const std::string& name = t.children[k].name;
                if (!name.empty()) s += name + ": ";
                s += value(*a.children[k], a.offset + i);
            }
            return s + "}";
        }
        case TypeId::Union: {
            const auto slot = detail::union_slot(a, i);
            return value(*a.children[slot.child], slot.child_slot);
        }
        case TypeId::RunEndEncoded: return value(*a.children[1], detail::run_index(a, i));
    }
    return "?";
}

// Display width of UTF-8 text: continuation bytes take no column.
size_t display_width(const std::string& s) {
    size_t n = 0;
    for (char c : s) n += (static_cast<unsigned char>(c) & 0xc0) != 0x80;
    return n;
}

void append_row(std::string& out, const std::vector<std::string>& cells, const std::vector<size_t>& widths) {
    std::string line;
    for (size_t c = 0; c < cells.size(); ++c) {
        if (c) line += " | ";
        line += cells[c];
        if (c + 1 < cells.size()) line.append(widths[c] - display_width(cells[c]), ' ');
    }
    out += line + "\n";
}

}  // namespace

std::string format_value(const Array& array, int64_t i) { return Formatter(kDefaultListItems).value(array, i); }

std::string format_value(const Array& array, int64_t i, int64_t max_list_items) {
    return Formatter(max_list_items).value(array, i);
}

std::string pretty_print(const Table& table, int64_t max_rows_per_batch) {
    std::string out = table.schema ? to_string(*table.schema) : std::string("(no schema)\n");
    if (table.batches.empty()) return out + "\n(no record batches)\n";
    const Formatter fmt(kDefaultListItems);
    for (size_t b = 0; b < table.batches.size(); ++b) {
        const RecordBatch& batch = table.batches[b];
        out += "\nrecord batch " + std::to_string(b) + ": " + std::to_string(batch.length) +
               (batch.length == 1 ? " row\n" : " rows\n");
        if (batch.columns.empty()) continue;
        const int64_t shown = max_rows_per_batch < 0 ? batch.length : std::min(batch.length, max_rows_per_batch);
        std::vector<std::vector<std::string>> rows(static_cast<size_t>(shown) + 1);
        std::vector<size_t> widths(batch.columns.size());
        for (size_t c = 0; c < batch.columns.size(); ++c) {
            std::string name = batch.schema && c < batch.schema->fields.size() ? batch.schema->fields[c].name
                                                                               : "column " + std::to_string(c);
            rows[0].push_back(std::move(name));
            for (int64_t r = 0; r < shown; ++r)
                rows[static_cast<size_t>(r) + 1].push_back(fmt.value(*batch.columns[c], r));
            for (const auto& row : rows) widths[c] = std::max(widths[c], display_width(row[c]));
        }
        size_t total = 3 * (widths.size() - 1);
        for (size_t w : widths) total += w;
        if (total > kMaxTableWidth) {
            // Too wide to align (nested values such as model weights): one "name: value" line each.
            for (size_t r = 1; r < rows.size(); ++r) {
                out += "row " + std::to_string(r - 1) + "\n";
                for (size_t c = 0; c < rows[r].size(); ++c) out += "  " + rows[0][c] + ": " + rows[r][c] + "\n";
            }
        } else {
            append_row(out, rows[0], widths);
            std::string rule;
            for (size_t c = 0; c < widths.size(); ++c) {
                if (c) rule += "-+-";
                rule.append(widths[c], '-');
            }
            out += rule + "\n";
            for (size_t r = 1; r < rows.size(); ++r) append_row(out, rows[r], widths);
        }
        if (shown < batch.length) {
            const int64_t more = batch.length - shown;
            out += "... " + std::to_string(more) + (more == 1 ? " more row\n" : " more rows\n");
        }
    }
    return out;
}

}  // namespace legolasflux::arrow
