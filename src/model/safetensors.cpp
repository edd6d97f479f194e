// The safetensors format: a hardened reader and a writer that orders and pads as the reference
// writer does (include/legolasflux/safetensors.hpp).
#include "legolasflux/safetensors.hpp"

#include <algorithm>
#include <iterator>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <tuple>
#include <vector>

#include "common/atomic_file.hpp"
#include "common/json_check.hpp"
#include "legolasflux/errors.hpp"

namespace legolasflux {
namespace {

// Reading parses into std::map-backed objects (no quadratic insertion for a hostile header with
// millions of keys); writing keeps the order it was given.
using json = nlohmann::json;
using ordered_json = nlohmann::ordered_json;

constexpr std::string_view kMetadataKey = "__metadata__";

// dtypes the format defines that we do not read (the 8-, 6- and 4-bit floats, complex numbers).
bool is_foreign_dtype(std::string_view name) {
    static const std::set<std::string_view> names{"F8_E5M2", "F8_E4M3", "F8_E8M0", "F6_E2M3", "F6_E3M2",
                                                  "F4",      "E8M0",    "C64",     "C128"};
    return names.count(name) > 0;
}

std::string in_quotes(std::string_view name) { return "'" + std::string(name) + "'"; }

uint64_t load_u64_le(const uint8_t* p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
    return v;
}

int64_t checked_nonnegative(const json& v, const std::string& what) {
    if (!v.is_number_unsigned()) throw FormatError(what + " must be a non-negative integer, found " + v.dump());
    const uint64_t u = v.get<uint64_t>();
    if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
        throw FormatError(what + " is too large: " + v.dump());
    return static_cast<int64_t>(u);
}

struct Entry {
    SafeTensor tensor;
    int64_t begin = 0, end = 0;
};

Entry parse_entry(const std::string& name, const json& value) {
    const std::string where = "safetensors header: tensor " + in_quotes(name);
    if (!value.is_object()) throw FormatError(where + " must be an object, found " + std::string(value.type_name()));
    for (const auto& [key, _] : value.items())
        if (key != "dtype" && key != "shape" && key != "data_offsets")
            throw UnsupportedError(where + " has the field " + in_quotes(key) + ", which this reader does not know");
    for (const char* key : {"dtype", "shape", "data_offsets"})
        if (!value.contains(key)) throw FormatError(where + " has no " + key);

    Entry e;
    e.tensor.name = name;
    const json& dtype = value["dtype"];
    if (!dtype.is_string()) throw FormatError(where + ": dtype must be a string, found " + dtype.dump());
    const std::string& dtype_text = dtype.get_ref<const std::string&>();
    if (auto d = parse_dtype(dtype_text))
        e.tensor.dtype = *d;
    else if (is_foreign_dtype(dtype_text))
        throw UnsupportedError(where + " has dtype " + dtype_text + ", which LegolasFlux does not read");
    else
        throw FormatError(where + " has the unknown dtype " + dtype.dump());

    const json& shape = value["shape"];
    if (!shape.is_array()) throw FormatError(where + ": shape must be an array, found " + shape.dump());
    int64_t count = 1;
    for (size_t i = 0; i < shape.size(); ++i) {
        const int64_t d = checked_nonnegative(shape[i], where + ": shape[" + std::to_string(i) + "]");
        e.tensor.shape.push_back(d);
        if (__builtin_mul_overflow(count, d, &count))
            throw FormatError(where + ": the shape " + shape.dump() + " has more elements than can be addressed");
    }
    int64_t bytes = 0;
    if (__builtin_mul_overflow(count, static_cast<int64_t>(dtype_size(e.tensor.dtype)), &bytes))
        throw FormatError(where + ": the shape " + shape.dump() + " has more bytes than can be addressed");

    const json& offsets = value["data_offsets"];
    if (!offsets.is_array() || offsets.size() != 2)
        throw FormatError(where + ": data_offsets must be an array [begin, end], found " + offsets.dump());
    e.begin = checked_nonnegative(offsets[0], where + ": data_offsets[0]");
    e.end = checked_nonnegative(offsets[1], where + ": data_offsets[1]");
    if (e.end < e.begin) throw FormatError(where + ": data_offsets " + offsets.dump() + " end before they begin");
    if (e.end - e.begin != bytes)
        throw FormatError(where + ": dtype " + dtype_text + " and shape " + shape.dump() + " make " +
                          std::to_string(bytes) + " bytes, but data_offsets " + offsets.dump() + " span " +
                          std::to_string(e.end - e.begin));
    return e;
}

arrow::KeyValueMetadata parse_metadata(const json& value) {
    if (!value.is_object())
        throw FormatError("safetensors header: __metadata__ must be an object, found " +
                          std::string(value.type_name()));
    arrow::KeyValueMetadata out;
    for (const auto& [key, v] : value.items()) {
        if (!v.is_string())
            throw FormatError("safetensors header: __metadata__ value of " + in_quotes(key) +
                              " must be a string, found " + v.dump());
        out.emplace_back(key, v.get<std::string>());
    }
    return out;
}

SafetensorsFile parse(const arrow::Buffer& bytes, const SafetensorsReadOptions& options) {
    if (options.max_header_size < 0) throw InvalidArgument("safetensors: max_header_size must not be negative");
    const int64_t size = bytes.size();
    if (size < 8)
        throw FormatError("safetensors: the file has " + std::to_string(size) +
                          " bytes, fewer than the 8 of the header size");
    const uint64_t n = load_u64_le(bytes.data());
    if (n > static_cast<uint64_t>(options.max_header_size))
        throw FormatError("safetensors: the header size " + std::to_string(n) + " exceeds the limit of " +
                          std::to_string(options.max_header_size) + " bytes");
    if (n > static_cast<uint64_t>(size - 8))
        throw FormatError("safetensors: the header size " + std::to_string(n) + " runs past the end of the file (" +
                          std::to_string(size) + " bytes): truncated");
    const auto header_size = static_cast<int64_t>(n);
    const std::string_view text(reinterpret_cast<const char*>(bytes.data()) + 8, static_cast<size_t>(header_size));
    if (text.empty() || text.front() != '{') throw FormatError("safetensors: the header does not start with '{'");
    // nlohmann's lexer takes a NUL byte for the end of its input and would ignore what follows; a
    // raw NUL is never part of JSON text.
    if (text.find('\0') != std::string_view::npos)
        throw FormatError("safetensors: the header is not valid JSON: it contains a NUL byte at offset " +
                          std::to_string(8 + text.find('\0')));

    json header;
    try {
        // It nests at most three deep ({name: {"shape": [..]}}).
        common::check_json(text, "safetensors header", "safetensors: the header is not valid JSON: ", 3);
        header = json::parse(text.begin(), text.end());
    } catch (const json::exception& e) {
        throw FormatError(std::string("safetensors: the header is not valid JSON: ") + e.what());
    }
    if (!header.is_object()) throw FormatError("safetensors: the header is not a JSON object");

    SafetensorsFile file;
    std::vector<Entry> entries;
    for (const auto& [key, value] : header.items()) {
        if (key == kMetadataKey)
            file.metadata = parse_metadata(value);
        else
            entries.push_back(parse_entry(key, value));
    }

    // The tensors must tile the data section exactly, whatever order the header lists them in.
    std::stable_sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
        return std::tie(a.begin, a.end) < std::tie(b.begin, b.end);
    });
    const int64_t data_start = 8 + header_size;
    const int64_t data_size = size - data_start;
    int64_t covered = 0;
    const Entry* previous = nullptr;
    for (const Entry& e : entries) {
        const std::string who = "safetensors: tensor " + in_quotes(e.tensor.name);
        if (e.begin < covered)
            throw FormatError(who + " (bytes " + std::to_string(e.begin) + ".." + std::to_string(e.end) +
                              ") overlaps tensor " + in_quotes(previous->tensor.name) + " (bytes " +
                              std::to_string(previous->begin) + ".." + std::to_string(previous->end) + ")");
        if (e.begin > covered)
            throw FormatError("safetensors: bytes " + std::to_string(covered) + ".." + std::to_string(e.begin) +
                              " of the data section belong to no tensor (a gap before tensor " +
                              in_quotes(e.tensor.name) + ")");
        if (e.end > data_size)
            throw FormatError(who + " ends at byte " + std::to_string(e.end) + " of the data section, which has " +
                              std::to_string(data_size) + " bytes: truncated");
        covered = e.end;
        previous = &e;
    }
    if (covered != data_size)
        throw FormatError("safetensors: the data section has " + std::to_string(data_size - covered) +
                          " bytes after the last tensor (it must end where the last tensor ends)");

    for (Entry& e : entries) {
        e.tensor.data = bytes.slice(data_start + e.begin, e.end - e.begin);
        if (e.tensor.dtype == SafetensorsDtype::BOOL && options.validation == arrow::ValidationLevel::Full)
            for (int64_t i = 0; i < e.tensor.data.size(); ++i)
                if (e.tensor.data.data()[i] > 1)
                    throw FormatError("safetensors: tensor " + in_quotes(e.tensor.name) + " is BOOL but element " +
                                      std::to_string(i) + " is " + std::to_string(e.tensor.data.data()[i]) +
                                      " (must be 0 or 1)");
        file.tensors.push_back(std::move(e.tensor));
    }
    return file;
}

// The reference writer's order: larger alignment first, then names in byte order.
std::vector<const SafeTensor*> write_order(const SafetensorsFile& file) {
    std::vector<const SafeTensor*> order;
    for (const auto& t : file.tensors) order.push_back(&t);
    std::stable_sort(order.begin(), order.end(), [](const SafeTensor* a, const SafeTensor* b) {
        if (a->dtype != b->dtype) return a->dtype > b->dtype;
        return a->name < b->name;
    });
    return order;
}

// The 8-byte size and the padded header; tensors are then written in `order`. The JSON text is
// assembled piece by piece (each piece dumped by nlohmann for its escaping): an ordered_json object
// would look every key up linearly, quadratic in the number of tensors.
std::vector<uint8_t> header_bytes(const SafetensorsFile& file, const std::vector<const SafeTensor*>& order) {
    std::string text = "{";
    try {
        if (!file.metadata.empty()) {
            text += ordered_json(kMetadataKey).dump() + ":{";
            std::set<std::string_view> keys;
            for (const auto& [k, v] : file.metadata) {
                if (!keys.insert(k).second)
                    throw InvalidArgument("safetensors: the metadata key " + in_quotes(k) + " appears twice");
                if (keys.size() > 1) text += ',';
                text += ordered_json(k).dump() + ":" + ordered_json(v).dump();
            }
            text += '}';
        }
        std::set<std::string_view> names;
        int64_t offset = 0;
        for (const SafeTensor* t : order) {
            const std::string who = "safetensors: tensor " + in_quotes(t->name);
            if (t->name == kMetadataKey) throw InvalidArgument("safetensors: a tensor cannot be named __metadata__");
            if (!names.insert(t->name).second)
                throw InvalidArgument("safetensors: two tensors are named " + in_quotes(t->name));
            int64_t bytes = dtype_size(t->dtype);
            for (int64_t d : t->shape)
                if (d < 0 || __builtin_mul_overflow(bytes, d, &bytes))
                    throw InvalidArgument(who + " has a negative or too large dimension");
            if (bytes != t->data.size())
                throw InvalidArgument(who + " (" + std::string(dtype_name(t->dtype)) + ") needs " +
                                      std::to_string(bytes) + " bytes for its shape, has " +
                                      std::to_string(t->data.size()));
            const ordered_json entry = {
                {"dtype", dtype_name(t->dtype)}, {"shape", t->shape}, {"data_offsets", {offset, offset + bytes}}};
            if (text.size() > 1) text += ',';
            text += ordered_json(t->name).dump() + ":" + entry.dump();
            offset += bytes;
        }
    } catch (const ordered_json::exception& e) {
        throw InvalidArgument(std::string("safetensors: a name or metadata entry is not valid UTF-8: ") + e.what());
    }
    text += '}';
    text.append((8 - text.size() % 8) % 8, ' ');
    std::vector<uint8_t> out(8);
    for (int i = 0; i < 8; ++i) out[static_cast<size_t>(i)] = static_cast<uint8_t>(uint64_t{text.size()} >> (8 * i));
    out.insert(out.end(), text.begin(), text.end());
    return out;
}

}  // namespace

namespace {

// Each dtype's name, size and element type, in the enum's order.
struct DtypeInfo {
    std::string_view name;
    int size;
    ElementType element_type;
};
constexpr DtypeInfo kDtypes[] = {
    {"BOOL", 1, ElementType::Bool},     {"U8", 1, ElementType::UInt8},    {"I8", 1, ElementType::Int8},
    {"I16", 2, ElementType::Int16},     {"U16", 2, ElementType::UInt16},  {"F16", 2, ElementType::Float16},
    {"BF16", 2, ElementType::BFloat16}, {"I32", 4, ElementType::Int32},   {"U32", 4, ElementType::UInt32},
    {"F32", 4, ElementType::Float32},   {"F64", 8, ElementType::Float64}, {"I64", 8, ElementType::Int64},
    {"U64", 8, ElementType::UInt64},
};
static_assert(std::size(kDtypes) == static_cast<size_t>(SafetensorsDtype::U64) + 1);

// A value outside the enum (a cast) gets what the switch statements this replaces gave it.
const DtypeInfo& info(SafetensorsDtype dtype) noexcept {
    static constexpr DtypeInfo kOutside{"?", 0, ElementType::Float32};
    const auto i = static_cast<size_t>(dtype);
    return i < std::size(kDtypes) ? kDtypes[i] : kOutside;
}

}  // namespace

std::string_view dtype_name(SafetensorsDtype dtype) noexcept { return info(dtype).name; }

int dtype_size(SafetensorsDtype dtype) noexcept { return info(dtype).size; }

std::optional<SafetensorsDtype> parse_dtype(std::string_view name) noexcept {
    for (size_t i = 0; i < std::size(kDtypes); ++i)
        if (kDtypes[i].name == name) return static_cast<SafetensorsDtype>(i);
    return std::nullopt;
}

SafetensorsDtype dtype_for(ElementType type) noexcept {
    for (size_t i = 0; i < std::size(kDtypes); ++i) {
        if (kDtypes[i].element_type == type) return static_cast<SafetensorsDtype>(i);
    }
    return SafetensorsDtype::F32;
}

ElementType element_type_for(SafetensorsDtype dtype) noexcept { return info(dtype).element_type; }

SafetensorsFile read_safetensors(const arrow::Buffer& bytes, const SafetensorsReadOptions& options) {
    return parse(bytes, options);
}

SafetensorsFile read_safetensors(const std::filesystem::path& path, const SafetensorsReadOptions& options) {
    const arrow::Buffer bytes = arrow::read_whole_file(path);
    try {
        return parse(bytes, options);
    } catch (const UnsupportedError& e) {
        throw UnsupportedError(path.string() + ": " + e.what());
    } catch (const FormatError& e) {
        throw FormatError(path.string() + ": " + e.what());
    }
}

std::vector<uint8_t> write_safetensors(const SafetensorsFile& file) {
    const auto order = write_order(file);
    std::vector<uint8_t> out = header_bytes(file, order);
    for (const SafeTensor* t : order) out.insert(out.end(), t->data.data(), t->data.data() + t->data.size());
    return out;
}

void write_safetensors(const std::filesystem::path& path, const SafetensorsFile& file) {
    const auto order = write_order(file);
    const std::vector<uint8_t> header = header_bytes(file, order);  // checks everything before touching the disk
    // As the Arrow writer does: a temporary file renamed over the target, so that the path never
    // holds a partial file (src/arrow/atomic_file.hpp).
    common::AtomicFile out(path, /*durable=*/true);
    out.write(header);
    for (const SafeTensor* t : order) out.write(t->data.span());
    out.commit();
}

}  // namespace legolasflux
