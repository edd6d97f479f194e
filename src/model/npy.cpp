#include "legolasflux/npy.hpp"

#include <cstring>
#include <optional>
#include <vector>

#include "common/atomic_file.hpp"
#include "legolasflux/arrow/ipc.hpp"
#include "legolasflux/errors.hpp"

namespace legolasflux {
namespace {

struct Descr {
    const char* text;  // without the byte-order character
    ElementType type;
};
constexpr Descr kDescrs[] = {
    {"b1", ElementType::Bool},  {"i1", ElementType::Int8},   {"u1", ElementType::UInt8},
    {"i2", ElementType::Int16}, {"u2", ElementType::UInt16}, {"f2", ElementType::Float16},
    {"i4", ElementType::Int32}, {"u4", ElementType::UInt32}, {"f4", ElementType::Float32},
    {"i8", ElementType::Int64}, {"u8", ElementType::UInt64}, {"f8", ElementType::Float64},
};

std::string descr_of(ElementType type) {
    for (const Descr& d : kDescrs)
        if (d.type == type) return std::string(element_size(type) == 1 ? "|" : "<") + d.text;
    throw UnsupportedError("NumPy has no element type for " + std::string(element_type_name(type)));
}

// The header dictionary, a Python literal such as
//   {'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }
// read by a small scanner: keys in any order, spaces anywhere.
class HeaderScanner {
public:
    HeaderScanner(std::string_view text, std::string_view where) : s_(text), where_(where) {}

    [[noreturn]] void fail(const std::string& what) const {
        throw FormatError(std::string(where_) + ": malformed .npy header (" + what + "): " + std::string(s_));
    }
    void skip_spaces() {
        while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) ++i_;
    }
    bool take(char c) {
        skip_spaces();
        if (i_ < s_.size() && s_[i_] == c) return ++i_, true;
        return false;
    }
    void expect(char c) {
        if (!take(c)) fail(std::string("expected '") + c + "' at byte " + std::to_string(i_));
    }
    std::string string() {
        skip_spaces();
        if (i_ >= s_.size() || (s_[i_] != '\'' && s_[i_] != '"'))
            fail("expected a string at byte " + std::to_string(i_));
        const char quote = s_[i_++];
        const size_t end = s_.find(quote, i_);
        if (end == std::string_view::npos) fail("unterminated string");
        std::string out(s_.substr(i_, end - i_));
        i_ = end + 1;
        return out;
    }
    bool boolean() {
        skip_spaces();
        for (const auto& [word, value] : {std::pair{"True", true}, std::pair{"False", false}})
            if (s_.substr(i_, std::strlen(word)) == word) return i_ += std::strlen(word), value;
        fail("expected True or False at byte " + std::to_string(i_));
    }
    std::vector<int64_t> shape() {
        expect('(');
        std::vector<int64_t> dims;
        while (!take(')')) {
            skip_spaces();
            int64_t v = 0;
            size_t digits = 0;
            while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') {
                if (v > (INT64_MAX - 9) / 10) fail("a dimension is too large");
                v = v * 10 + (s_[i_++] - '0');
                ++digits;
            }
            if (i_ < s_.size() && s_[i_] == 'L') ++i_;  // Python 2's long literals
            if (digits == 0) fail("expected a dimension at byte " + std::to_string(i_));
            dims.push_back(v);
            if (!take(',')) {
                expect(')');
                break;
            }
        }
        return dims;
    }

private:
    std::string_view s_;
    std::string_view where_;
    size_t i_ = 0;
};

uint32_t little(const uint8_t* p, int bytes) {
    uint32_t v = 0;
    for (int b = bytes - 1; b >= 0; --b) v = (v << 8) | p[b];
    return v;
}

}  // namespace

FlatArray parse_npy(std::span<const uint8_t> bytes, std::string_view where) {
    const std::string w(where);
    if (bytes.size() < 10 || std::memcmp(bytes.data(), "\x93NUMPY", 6) != 0)
        throw FormatError(w + ": not a NumPy .npy file (no \\x93NUMPY magic)");
    const int major = bytes[6];
    if (major < 1 || major > 3)
        throw UnsupportedError(w + ": .npy format version " + std::to_string(major) + "." + std::to_string(bytes[7]) +
                               " (1.0, 2.0 and 3.0 are read)");
    const size_t prefix = major == 1 ? 10 : 12;
    if (bytes.size() < prefix) throw FormatError(w + ": truncated .npy header");
    const size_t header_len = little(bytes.data() + 8, major == 1 ? 2 : 4);
    if (header_len > bytes.size() - prefix)
        throw FormatError(w + ": the .npy header claims " + std::to_string(header_len) + " bytes; the file has " +
                          std::to_string(bytes.size() - prefix) + " after the prefix");
    const std::string_view header(reinterpret_cast<const char*>(bytes.data() + prefix), header_len);

    HeaderScanner scan(header, where);
    std::optional<std::string> descr;
    std::optional<bool> fortran;
    std::optional<std::vector<int64_t>> shape;
    scan.expect('{');
    while (!scan.take('}')) {
        const std::string key = scan.string();
        scan.expect(':');
        if (key == "descr")
            descr = scan.string();
        else if (key == "fortran_order")
            fortran = scan.boolean();
        else if (key == "shape")
            shape = scan.shape();
        else
            scan.fail("unknown key '" + key + "'");
        if (!scan.take(',')) {
            scan.expect('}');
            break;
        }
    }
    if (!descr || !fortran || !shape) scan.fail("it needs 'descr', 'fortran_order' and 'shape'");

    std::optional<ElementType> type;
    const char order = descr->empty() ? '?' : (*descr)[0];
    const std::string code = (order == '<' || order == '>' || order == '|' || order == '=') ? descr->substr(1) : *descr;
    for (const Descr& d : kDescrs)
        if (code == d.text) type = d.type;
    if (!type) throw UnsupportedError(w + ": .npy element type '" + *descr + "' (numeric types only)");
    if (order == '>' && element_size(*type) > 1)
        throw UnsupportedError(w + ": big-endian .npy data ('" + *descr + "'); save it little-endian");

    int64_t count = 1;
    for (int64_t d : *shape) {
        if (d != 0 && count > INT64_MAX / element_size(*type) / d)
            throw FormatError(w + ": the .npy shape's element count overflows");
        count *= d;
    }
    const size_t data_at = prefix + header_len;
    const int64_t have = static_cast<int64_t>(bytes.size() - data_at);
    const int64_t need = count * element_size(*type);
    if (have != need)
        throw FormatError(w + ": the .npy shape needs " + std::to_string(need) + " bytes of data; the file has " +
                          std::to_string(have));
    // C order (d1, …, dn) is Julia's (dn, …, d1); Fortran order (s1, …, sn) is Julia's (s1, …, sn).
    std::vector<int64_t> size = *shape;
    if (!*fortran) size.assign(shape->rbegin(), shape->rend());
    return FlatArray(*type, std::move(size), arrow::Buffer::copy_of(bytes.data() + data_at, need));
}

FlatArray read_npy(const std::filesystem::path& path) {
    const arrow::Buffer file = arrow::read_whole_file(path);
    return parse_npy(file.span(), path.string());
}

std::string npy_bytes(const FlatArray& array) {
    const FlatArray& a = array.element_type == ElementType::BFloat16 ? array.converted_to(ElementType::Float32) : array;
    // The torch shape: the Julia size reversed.
    std::string shape = "(";
    for (size_t i = a.size.size(); i-- > 0;) {
        shape += std::to_string(a.size[i]);
        if (i > 0) shape += ", ";
    }
    if (a.size.size() == 1) shape += ",";
    shape += ")";
    std::string dict =
        "{'descr': '" + descr_of(a.element_type) + "', 'fortran_order': False, 'shape': " + shape + ", }";
    // Padded with spaces and a newline so that the data starts at a multiple of 64.
    const bool v1 = dict.size() + 1 + 10 + 64 <= 65535;
    const size_t prefix = v1 ? 10 : 12;
    dict.append((64 - (prefix + dict.size() + 1) % 64) % 64, ' ');
    dict += '\n';
    std::string out("\x93NUMPY", 6);
    out += static_cast<char>(v1 ? 1 : 2);
    out += '\0';
    for (size_t b = 0; b < prefix - 8; ++b) out += static_cast<char>((dict.size() >> (8 * b)) & 0xff);
    out += dict;
    out.append(reinterpret_cast<const char*>(a.values.data()), static_cast<size_t>(a.byte_count()));
    return out;
}

void write_npy(const std::filesystem::path& path, const FlatArray& array) {
    const std::string bytes = npy_bytes(array);
    common::AtomicFile file(path, /*durable=*/false);
    file.write(std::span(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
    file.commit();
}

}  // namespace legolasflux
