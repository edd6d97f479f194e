#include "json_value.hpp"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "common/float16.hpp"
#include "legolasflux/arrow/pretty_print.hpp"
#include "legolasflux/legolas/constraint.hpp"

namespace legolasflux::cli {
namespace {

using Json = nlohmann::ordered_json;
using arrow::TypeId;

// Integers a double holds exactly: beyond them, JavaScript and most JSON readers would round.
constexpr int64_t kMaxExactInteger = int64_t{1} << 53;

// A little-endian integer of `width` bytes at `p` (dictionary indices, union offsets, run ends).
int64_t load_integer(const uint8_t* p, int width, bool is_signed) {
    uint64_t bits = 0;
    std::memcpy(&bits, p, static_cast<size_t>(width));
    if (is_signed && width < 8 && (bits >> (8 * width - 1)) & 1) bits |= ~uint64_t{0} << (8 * width);
    return static_cast<int64_t>(bits);
}

Json integer(const arrow::Array& a, int64_t i) {
    const int width = a.type.bit_width / 8;
    const uint8_t* p = a.buffers[1].data() + (a.offset + i) * width;
    if (width > 8) return arrow::format_value(a, i);  // Julia's Int128/UInt128: only text holds them
    if (!a.type.is_signed && width == 8) {
        uint64_t u;
        std::memcpy(&u, p, 8);
        return json_unsigned(u);
    }
    return json_integer(load_integer(p, width, a.type.is_signed));
}

Json floating(double v, bool narrow) { return json_floating(v, narrow); }

std::string base64(std::string_view bytes) {
    static constexpr char kDigits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    for (size_t k = 0; k < bytes.size(); k += 3) {
        uint32_t group = static_cast<uint8_t>(bytes[k]) << 16;
        if (k + 1 < bytes.size()) group |= static_cast<uint8_t>(bytes[k + 1]) << 8;
        if (k + 2 < bytes.size()) group |= static_cast<uint8_t>(bytes[k + 2]);
        for (size_t d = 0; d < 4; ++d) out += d <= bytes.size() - k ? kDigits[(group >> (18 - 6 * d)) & 63] : '=';
    }
    return out;
}

Json union_value(const arrow::Array& a, int64_t i) {
    const int64_t j = a.offset + i;
    const auto id = static_cast<int8_t>(a.buffers[0].data()[j]);
    size_t child = static_cast<size_t>(id);
    for (size_t k = 0; k < a.type.type_ids.size(); ++k)
        if (a.type.type_ids[k] == id) child = k;
    const bool dense = a.type.union_mode == arrow::UnionMode::Dense;
    const int64_t slot = dense ? load_integer(a.buffers[1].data() + 4 * j, 4, true) : j;
    return json_value(a.type.children[child], *a.children[child], slot);
}

// The value of a run-end encoded slot is that of the first run ending after it.
Json run_value(const arrow::Array& a, int64_t i) {
    const arrow::Array& ends = *a.children[0];
    const int width = ends.type.bit_width / 8;
    const uint8_t* first = ends.buffers[1].data() + ends.offset * width;
    int64_t lo = 0, hi = ends.length;
    while (lo < hi) {
        const int64_t mid = lo + (hi - lo) / 2;
        if (load_integer(first + mid * width, width, true) > a.offset + i)
            hi = mid;
        else
            lo = mid + 1;
    }
    return json_value(a.type.children[1], *a.children[1], lo);
}

}  // namespace

Json json_value(const arrow::Field& field, const arrow::Array& a, int64_t i) {
    if (a.type.id == TypeId::Null || a.is_null(i)) return nullptr;
    if (a.dictionary) {
        const int width = a.type.bit_width / 8;
        const int64_t index = load_integer(a.buffers[1].data() + (a.offset + i) * width, width, a.type.is_signed);
        return json_value(field, *a.dictionary, index);
    }
    switch (a.type.id) {
        case TypeId::Null: return nullptr;
        case TypeId::Bool: return a.bool_value(i);
        case TypeId::Int: return integer(a, i);
        case TypeId::FloatingPoint: {
            const uint8_t* p = a.buffers[1].data();
            if (a.type.precision == arrow::Precision::Double) {
                double v;
                std::memcpy(&v, p + (a.offset + i) * 8, 8);
                return floating(v, false);
            }
            if (a.type.precision == arrow::Precision::Single) {
                float v;
                std::memcpy(&v, p + (a.offset + i) * 4, 4);
                return floating(v, true);
            }
            uint16_t h;
            std::memcpy(&h, p + (a.offset + i) * 2, 2);
            return floating(common::half_to_float(h), true);
        }
        case TypeId::Utf8:
        case TypeId::LargeUtf8:
        case TypeId::Utf8View: return std::string(a.bytes_value(i));
        case TypeId::Binary:
        case TypeId::LargeBinary:
        case TypeId::BinaryView:
        case TypeId::FixedSizeBinary: return base64(a.bytes_value(i));
        // No JSON type fits these: their text, as `inspect` prints it, is unambiguous.
        case TypeId::Decimal:
        case TypeId::Date:
        case TypeId::Time:
        case TypeId::Timestamp:
        case TypeId::Duration:
        case TypeId::Interval: return arrow::format_value(a, i);
        case TypeId::List:
        case TypeId::LargeList:
        case TypeId::FixedSizeList:
        case TypeId::ListView:
        case TypeId::LargeListView:
        case TypeId::Map: {  // a map is a list of {key, value} entries
            Json items = Json::array();
            const auto [begin, end] = a.list_range(i);
            for (int64_t k = begin; k < end; ++k) items.push_back(json_value(a.type.children[0], *a.children[0], k));
            return items;
        }
        case TypeId::Struct: {
            // A Legolas v0.4 nested row {"1": name, "2": version, "3": fields} is given as its fields,
            // as Legolas v0.5 writes the same row.
            if (const auto payload = legolas::legacy_row_payload(field))
                return json_value(a.type.children[*payload], *a.children[*payload], a.offset + i);
            Json object = Json::object();
            for (size_t k = 0; k < a.children.size(); ++k)
                object[a.type.children[k].name] = json_value(a.type.children[k], *a.children[k], a.offset + i);
            return object;
        }
        case TypeId::Union: return union_value(a, i);
        case TypeId::RunEndEncoded: return run_value(a, i);
    }
    return arrow::format_value(a, i);
}

Json json_integer(int64_t v) {
    if (v > kMaxExactInteger || v < -kMaxExactInteger) return std::to_string(v);
    return v;
}

Json json_unsigned(uint64_t v) {
    return v > static_cast<uint64_t>(kMaxExactInteger) ? Json(std::to_string(v)) : Json(v);
}

// A float is given as the double nearest to its shortest decimal form, so that Float32 0.06 is
// printed 0.06 and not 0.05999999865889549 (the same float either way).
Json json_floating(double v, bool narrow) {
    if (std::isnan(v)) return "NaN";
    if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
    if (!narrow) return v;
    char text[32];
    const auto end = std::to_chars(text, text + sizeof text - 1, static_cast<float>(v)).ptr;
    *end = '\0';
    return std::strtod(text, nullptr);
}

}  // namespace legolasflux::cli
