// Model rows ↔ safetensors: weights ↔ tensors, scalar columns ↔ "__metadata__" strings, with the
// keys that let the round trip restore the row exactly (include/legolasflux/safetensors_model.hpp).
#include "legolasflux/safetensors_model.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "legolasflux/arrow/builder.hpp"
#include "legolasflux/arrow/json.hpp"
#include "legolasflux/errors.hpp"
#include "legolasflux/legolas/compliance.hpp"

namespace legolasflux {
namespace {

using json = nlohmann::ordered_json;
namespace la = legolasflux::arrow;

constexpr std::string_view kOrderKey = "legolasflux.weight_order";
constexpr std::string_view kNamesKey = "legolasflux.weight_names";
constexpr std::string_view kColumnsKey = "legolasflux.columns";
constexpr std::string_view kSchemaMetadataKey = "legolasflux.schema_metadata";
constexpr std::string_view kOurPrefix = "legolasflux.";
constexpr std::string_view kDefaultSchema = "legolas-flux.model@1";
// The legolasflux.columns type of a column whose value is an integration-JSON document.
constexpr std::string_view kArrowJsonType = "arrow_json";

// Text of our JSON-valued keys; names that are not UTF-8 cannot be written into a header.
std::string dump(const json& j) {
    try {
        return j.dump();
    } catch (const json::exception&) {
        throw InvalidArgument("safetensors: a weight or column name is not valid UTF-8");
    }
}

// The value of one of our JSON-valued keys (FormatError naming the key when it is not JSON).
json parse_metadata_json(std::string_view key, const std::string& value) {
    try {
        return json::parse(value);
    } catch (const json::exception&) {
        throw FormatError("safetensors metadata: " + std::string(key) + " is not JSON");
    }
}

std::vector<int64_t> reversed(const std::vector<int64_t>& v) { return {v.rbegin(), v.rend()}; }

// --- scalar columns as text ------------------------------------------------------------------

// Our name for a type whose one value fits a metadata string; nullopt for the others.
std::optional<std::string> scalar_type_name(const la::Field& f) {
    if (f.dictionary) return std::nullopt;
    const la::DataType& t = f.type;
    switch (t.id) {
        case la::TypeId::Null: return "null";
        case la::TypeId::Bool: return "bool";
        case la::TypeId::Int: return (t.is_signed ? "int" : "uint") + std::to_string(t.bit_width);
        case la::TypeId::FloatingPoint:
            return t.precision == la::Precision::Half     ? "float16"
                   : t.precision == la::Precision::Single ? "float32"
                                                          : "float64";
        case la::TypeId::Utf8: return "utf8";
        case la::TypeId::LargeUtf8: return "large_utf8";
        default: return std::nullopt;
    }
}

std::optional<la::DataType> scalar_type(const std::string& name) {
    static const std::map<std::string, la::DataType> types{
        {"null", la::null()},       {"bool", la::boolean()},    {"int8", la::int8()},
        {"int16", la::int16()},     {"int32", la::int32()},     {"int64", la::int64()},
        {"uint8", la::uint8()},     {"uint16", la::uint16()},   {"uint32", la::uint32()},
        {"uint64", la::uint64()},   {"float16", la::float16()}, {"float32", la::float32()},
        {"float64", la::float64()}, {"utf8", la::utf8()},       {"large_utf8", la::large_utf8()}};
    auto it = types.find(name);
    if (it == types.end()) return std::nullopt;
    return it->second;
}

// Shortest text that reads back to the same value (std::to_chars' guarantee).
template <class T>
std::string number_text(T v) {
    char buf[64];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    return std::string(buf, r.ptr);
}

template <class T>
std::string integer_text(const la::Array& a) {
    return number_text(a.values<T>()[0]);
}

std::string value_text(const la::Array& a) {
    const la::DataType& t = a.type;
    switch (t.id) {
        case la::TypeId::Bool: return a.bool_value(0) ? "true" : "false";
        case la::TypeId::Int:
            switch (t.bit_width) {
                case 8: return t.is_signed ? integer_text<int8_t>(a) : integer_text<uint8_t>(a);
                case 16: return t.is_signed ? integer_text<int16_t>(a) : integer_text<uint16_t>(a);
                case 32: return t.is_signed ? integer_text<int32_t>(a) : integer_text<uint32_t>(a);
                default: return t.is_signed ? integer_text<int64_t>(a) : integer_text<uint64_t>(a);
            }
        case la::TypeId::FloatingPoint:
            if (t.precision == la::Precision::Half) return number_text(half_to_float(a.values<uint16_t>()[0]));
            if (t.precision == la::Precision::Single) return number_text(a.values<float>()[0]);
            return number_text(a.values<double>()[0]);
        default: return std::string(a.bytes_value(0));
    }
}

template <class T>
T parse_number(const std::string& text, const std::string& key) {
    T v{};
    const char* end = text.data() + text.size();
    auto r = std::from_chars(text.data(), end, v);
    if (r.ec != std::errc() || r.ptr != end)
        throw FormatError("safetensors metadata: the value of " + key + ", \"" + text +
                          "\", is not a valid number of its column's type");
    return v;
}

template <class T>
la::ArrayPtr one_number(const la::DataType& type, const std::string& text, const std::string& key) {
    return la::make_primitive<T>(type, std::vector<T>{parse_number<T>(text, key)});
}

la::ArrayPtr parse_value(const la::DataType& t, const std::string& text, const std::string& key) {
    switch (t.id) {
        case la::TypeId::Null:
            throw FormatError("safetensors metadata: " + key + " has a value but its column type is null");
        case la::TypeId::Bool:
            if (text != "true" && text != "false")
                throw FormatError("safetensors metadata: the value of " + key + ", \"" + text +
                                  "\", is not true or false");
            return la::make_bool({text == "true"});
        case la::TypeId::Int:
            switch (t.bit_width) {
                case 8: return t.is_signed ? one_number<int8_t>(t, text, key) : one_number<uint8_t>(t, text, key);
                case 16: return t.is_signed ? one_number<int16_t>(t, text, key) : one_number<uint16_t>(t, text, key);
                case 32: return t.is_signed ? one_number<int32_t>(t, text, key) : one_number<uint32_t>(t, text, key);
                default: return t.is_signed ? one_number<int64_t>(t, text, key) : one_number<uint64_t>(t, text, key);
            }
        case la::TypeId::FloatingPoint:
            if (t.precision == la::Precision::Half)
                return la::make_primitive<uint16_t>(
                    t, std::vector<uint16_t>{float_to_half(parse_number<float>(text, key))});
            if (t.precision == la::Precision::Single) return one_number<float>(t, text, key);
            return one_number<double>(t, text, key);
        default: return la::make_binary_like(t, {text});
    }
}

void set_schema(la::Table& table, std::shared_ptr<la::Schema> schema, std::vector<la::ArrayPtr> columns) {
    table.batches = {la::make_batch(schema, std::move(columns))};
    table.schema = std::move(schema);
}

// --- other columns as integration JSON ------------------------------------------------------

// A one-row, one-column table in Arrow's integration JSON is an exact, typed encoding of any value
// a row can hold (64-bit integers as decimal strings, floats in their shortest round-trip form with
// NaN and ±Infinity as strings, binary as hex), so no second Arrow-to-JSON codec is needed. The
// document is stored compact: write_json pretty-prints it.
std::string arrow_json_text(const la::Field& f, const la::ArrayPtr& value) {
    la::Table one;
    auto schema = std::make_shared<la::Schema>();
    schema->fields = {f};
    set_schema(one, schema, {value});
    return dump(json::parse(la::write_json(one)));
}

// The column `name` back from its document: one field of that name and one row.
std::pair<la::Field, la::ArrayPtr> arrow_json_value(const std::string& name, const std::string& text) {
    const std::string where = "safetensors metadata: the value of '" + name + "'";
    la::Table one;
    try {
        one = la::read_json(text);
    } catch (const FormatError& e) {
        throw FormatError(where + " is not an integration-JSON table: " + e.what());
    }
    const auto& fields = one.schema->fields;
    if (fields.size() != 1 || fields[0].name != name || !one.schema->metadata.empty())
        throw FormatError(where + " must describe one field named '" + name + "', without schema metadata");
    if (one.batches.size() != 1 || one.batches[0].length != 1)
        throw FormatError(where + " must hold one batch of one row");
    return {fields[0], one.batches[0].columns.at(0)};
}

la::ArrayPtr null_of(const la::DataType& t) {
    if (t.id == la::TypeId::Null) return la::make_null(1);
    if (t.id == la::TypeId::Utf8 || t.id == la::TypeId::LargeUtf8) return la::make_binary_like(t, {""}, {false});
    if (t.id == la::TypeId::Bool) return la::make_bool({false}, {false});
    const int w = t.fixed_width_bytes();
    const std::vector<uint8_t> zeros(static_cast<size_t>(w), 0);
    return la::make_fixed_width(t, zeros.data(), 1, {false});
}

// --- tensors ↔ arrays ------------------------------------------------------------------------

FlatArray to_flat_array(const SafeTensor& t, BFloat16Storage bfloat16) {
    const std::vector<int64_t> size = reversed(t.shape);
    if (t.dtype == SafetensorsDtype::BF16 &&
        bfloat16 == BFloat16Storage::Float32) {  // bfloat16 is the upper half of a float32: exact
        const int64_t n = t.data.size() / 2;
        la::Buffer out = la::Buffer::allocate(n * 4);
        for (int64_t i = 0; i < n; ++i) {
            const uint32_t bits = uint32_t{t.data.data()[2 * i]} << 16 | uint32_t{t.data.data()[2 * i + 1]} << 24;
            std::memcpy(out.mutable_data() + 4 * i, &bits, 4);
        }
        return FlatArray(ElementType::Float32, size, out);
    }
    la::Buffer values = t.data;
    // A foreign file's header need not be padded: typed access wants aligned values.
    if (reinterpret_cast<uintptr_t>(values.data()) % static_cast<uintptr_t>(dtype_size(t.dtype)) != 0)
        values = la::Buffer::copy_of(values.data(), values.size());
    return FlatArray(element_type_for(t.dtype), size, values);
}

std::vector<size_t> model_order(const SafetensorsFile& file, const std::map<std::string, std::string>& md) {
    std::vector<size_t> order;
    auto it = md.find(std::string(kOrderKey));
    if (it == md.end()) {
        for (size_t i = 0; i < file.tensors.size(); ++i) order.push_back(i);
        return order;
    }
    std::map<std::string_view, size_t> index;
    for (size_t i = 0; i < file.tensors.size(); ++i) index.emplace(file.tensors[i].name, i);
    const json names = parse_metadata_json(kOrderKey, it->second);
    if (!names.is_array() || names.size() != file.tensors.size())
        throw FormatError("safetensors metadata: " + std::string(kOrderKey) + " must list each of the " +
                          std::to_string(file.tensors.size()) + " tensors once");
    std::set<size_t> seen;
    for (const auto& n : names) {
        auto found = n.is_string() ? index.find(n.get_ref<const std::string&>()) : index.end();
        if (found == index.end())
            throw FormatError("safetensors metadata: " + std::string(kOrderKey) + " names " + n.dump() +
                              ", which is not a tensor of the file");
        if (!seen.insert(found->second).second)
            throw FormatError("safetensors metadata: " + std::string(kOrderKey) + " lists " + n.dump() + " twice");
        order.push_back(found->second);
    }
    return order;
}

// `a` (of the row's element type) as `type`, the dtype its values came from: a FormatError naming the
// weight when a value is not one of `type` (the row was changed since).
FlatArray restored(const FlatArray& a, ElementType type, const std::string& name) {
    if (a.element_type == type) return a;
    const auto inexact = [&](const std::string& why) {
        return FormatError("weight '" + name + "': " + std::string(kWeightDtypesColumn) + " says " +
                           std::string(dtype_name(dtype_for(type))) + " but " + why);
    };
    FlatArray out;
    try {
        out = a.converted_to(type);
    } catch (const InvalidArgument& e) {
        throw inexact(e.what());
    }
    const FlatArray back = out.converted_to(a.element_type);
    if (la::same_bytes(back.values, a.values)) return out;
    const std::vector<double> before = a.to_doubles(), after = back.to_doubles();
    for (size_t i = 0; i < before.size(); ++i)
        if (before[i] != after[i] && !(std::isnan(before[i]) && std::isnan(after[i])))
            throw inexact("value " + number_text(before[i]) + " at index " + std::to_string(i) + " is not one of its");
    return out;
}

}  // namespace

std::string generated_weight_name(size_t index, size_t count) {
    const size_t width = std::max<size_t>(4, std::to_string(count).size());
    const std::string digits = std::to_string(index + 1);
    return "weight_" + std::string(width - digits.size(), '0') + digits;
}

std::vector<SafeTensor> row_tensors(const ModelRow& row) {
    const size_t n = row.weights ? row.weights->size() : 0;
    std::vector<std::string> names;
    if (row.weight_names) {
        names = *row.weight_names;
        if (names.size() != n)
            throw FormatError("the row has " + std::to_string(n) + " weights but " + std::to_string(names.size()) +
                              " weight_names");
    } else {
        for (size_t i = 0; i < n; ++i) names.push_back(generated_weight_name(i, n));
    }
    if (row.weight_dtypes && row.weight_dtypes->size() != n)
        throw FormatError("the row has " + std::to_string(n) + " weights but " +
                          std::to_string(row.weight_dtypes->size()) + " " + std::string(kWeightDtypesColumn));
    std::vector<SafeTensor> tensors;
    for (size_t i = 0; i < n; ++i) {
        FlatArray a = (*row.weights)[i];
        if (row.weight_dtypes) a = restored(a, (*row.weight_dtypes)[i], names[i]);
        tensors.push_back({names[i], dtype_for(a.element_type), reversed(a.size), a.values});
    }
    return tensors;
}

SafetensorsFile to_safetensors(const ModelRow& row) {
    SafetensorsFile file;
    file.tensors = row_tensors(row);
    std::vector<std::string> names;
    for (const SafeTensor& t : file.tensors) names.push_back(t.name);

    auto& md = file.metadata;
    md.emplace_back(legolas::kSchemaQualifiedKey, row.qualified_identifier);
    md.emplace_back(kOrderKey, dump(json(names)));
    md.emplace_back(kNamesKey, row.weight_names ? "stored" : "generated");
    json columns = json::array();
    std::vector<std::pair<std::string, std::string>> values;
    const auto& fields = row.table.schema->fields;
    const auto& batch = row.table.batches.at(0);
    for (size_t k = 0; k < fields.size(); ++k) {
        const la::Field& f = fields[k];
        if (f.name == kWeightNamesColumn || f.name == kWeightDtypesColumn) continue;  // the tensors say them
        if (f.name == kWeightsColumn) {
            columns.push_back({{"name", f.name}, {"type", "weights"}});
            continue;
        }
        if (f.name == legolas::kSchemaQualifiedKey || f.name.starts_with(kOurPrefix))
            throw UnsupportedError("the column '" + f.name + "' has the name of a metadata key LegolasFlux reserves");
        const la::ArrayPtr& column = batch.columns[k];
        const auto type = scalar_type_name(f);
        if (!type) {
            // The document carries the type, the field metadata and a missing value too.
            columns.push_back({{"name", f.name}, {"type", kArrowJsonType}, {"nullable", f.nullable}});
            values.emplace_back(f.name, arrow_json_text(f, la::slice(column, 0, 1)));
            continue;
        }
        json c = {{"name", f.name}, {"type", *type}, {"nullable", f.nullable}};
        if (!f.metadata.empty()) {
            json m = json::array();
            for (const auto& [key, value] : f.metadata) m.push_back({key, value});
            c["metadata"] = m;
        }
        columns.push_back(c);
        if (f.type.id != la::TypeId::Null && column->is_valid(0)) values.emplace_back(f.name, value_text(*column));
    }
    md.emplace_back(kColumnsKey, dump(columns));
    // The table's own metadata, when it holds more than the schema tag, in order. Not the Arrow
    // file's checksums: they describe bytes this file does not have, and a row written from it
    // gets its own.
    const auto& schema_md = row.table.schema->metadata;
    json pairs = json::array();
    for (const auto& [key, value] : schema_md)
        if (key != kChecksumsMetadataKey) pairs.push_back({key, value});
    if (std::any_of(pairs.begin(), pairs.end(),
                    [](const json& kv) { return kv[0].get<std::string>() != legolas::kSchemaQualifiedKey; }))
        md.emplace_back(kSchemaMetadataKey, dump(pairs));
    md.insert(md.end(), values.begin(), values.end());
    return file;
}

ModelRow from_safetensors(const SafetensorsFile& file, BFloat16Storage bfloat16) {
    std::map<std::string, std::string> md;
    for (const auto& [k, v] : file.metadata)
        if (!md.emplace(k, v).second) throw FormatError("safetensors metadata: the key '" + k + "' appears twice");
    std::set<std::string> consumed;

    // The weights, in the row's order.
    const std::vector<size_t> order = model_order(file, md);
    std::vector<FlatArray> arrays;
    std::vector<std::string> names;
    std::vector<ElementType> dtypes;
    for (size_t i : order) {
        arrays.push_back(to_flat_array(file.tensors[i], bfloat16));
        names.push_back(file.tensors[i].name);
        dtypes.push_back(element_type_for(file.tensors[i].dtype));
    }
    // Tensors of several dtypes share the row's one element type: each one's own is recorded, so
    // that the way out gives it back.
    const bool mixed = std::adjacent_find(dtypes.begin(), dtypes.end(), std::not_equal_to<>()) != dtypes.end();
    std::optional<Weights> weights;
    // One element type, as Julia's Weights (never rounding a value into bfloat16).
    if (!arrays.empty()) weights = Weights::promoted_exactly(std::move(arrays));
    const auto names_kind = md.find(std::string(kNamesKey));
    const bool stored_names = !names.empty() && (names_kind == md.end() || names_kind->second != "generated");
    if (names_kind != md.end() && names_kind->second != "generated" && names_kind->second != "stored")
        throw FormatError("safetensors metadata: " + std::string(kNamesKey) +
                          " must be \"stored\" or \"generated\", not \"" + names_kind->second + "\"");

    auto schema = std::make_shared<la::Schema>();
    std::vector<la::ArrayPtr> columns;
    auto add_weights = [&] {
        if (weights) {
            schema->fields.push_back(weights_field(std::string(kWeightsColumn), weights->element_type, false));
            const Weights* rows[] = {&*weights};
            columns.push_back(weights_to_arrow(rows, BFloat16Storage::Native));  // as the row's weights
        } else {
            schema->fields.push_back(la::field(std::string(kWeightsColumn), la::null()));
            columns.push_back(la::make_null(1));
        }
    };
    std::set<std::string> column_names;
    auto claim = [&](const std::string& name) {
        if (name == kWeightsColumn || name == kWeightNamesColumn || name == kWeightDtypesColumn)
            throw FormatError("safetensors metadata: the key '" + name + "' names a column filled from the tensors");
        if (!column_names.insert(name).second)
            throw FormatError("safetensors metadata: the column '" + name + "' is described twice");
    };

    if (auto it = md.find(std::string(kColumnsKey)); it != md.end()) {
        const json described = parse_metadata_json(kColumnsKey, it->second);
        if (!described.is_array())
            throw FormatError("safetensors metadata: " + std::string(kColumnsKey) + " is not an array");
        bool have_weights = false;
        for (const auto& c : described) {
            const bool ok = c.is_object() && c.contains("name") && c["name"].is_string() && c.contains("type") &&
                            c["type"].is_string() && (!c.contains("nullable") || c["nullable"].is_boolean());
            if (!ok)
                throw FormatError("safetensors metadata: a malformed entry in " + std::string(kColumnsKey) + ": " +
                                  c.dump());
            const std::string name = c["name"], type_name = c["type"];
            if (type_name == "weights") {
                if (name != kWeightsColumn || have_weights)
                    throw FormatError("safetensors metadata: " + std::string(kColumnsKey) + " has a bad weights entry");
                have_weights = true;
                add_weights();
                continue;
            }
            claim(name);
            if (type_name == kArrowJsonType) {
                const auto value = md.find(name);
                if (value == md.end())
                    throw FormatError("safetensors metadata: the column '" + name + "' has no value (its " +
                                      std::string(kArrowJsonType) + " document)");
                auto [f, array] = arrow_json_value(name, value->second);
                if (c.contains("nullable") && c["nullable"].get<bool>() != f.nullable)
                    throw FormatError("safetensors metadata: " + std::string(kColumnsKey) + " and the value of '" +
                                      name + "' disagree on whether the column is nullable");
                if (c.contains("metadata"))
                    throw FormatError("safetensors metadata: the field metadata of '" + name +
                                      "' belongs in its value, not in " + std::string(kColumnsKey));
                columns.push_back(std::move(array));
                consumed.insert(name);
                schema->fields.push_back(std::move(f));
                continue;
            }
            const auto type = scalar_type(type_name);
            if (!type)
                throw FormatError("safetensors metadata: the column '" + name + "' has the unknown type " + type_name);
            la::Field f = la::field(name, *type, c.value("nullable", true));
            if (c.contains("metadata")) {
                const json& m = c["metadata"];
                if (!m.is_array())
                    throw FormatError("safetensors metadata: bad field metadata for the column '" + name + "'");
                for (const auto& kv : m) {
                    if (!kv.is_array() || kv.size() != 2 || !kv[0].is_string() || !kv[1].is_string())
                        throw FormatError("safetensors metadata: bad field metadata for the column '" + name + "'");
                    f.metadata.emplace_back(kv[0].get<std::string>(), kv[1].get<std::string>());
                }
            }
            auto value = md.find(name);
            if (value == md.end() && !f.nullable)
                throw FormatError("safetensors metadata: the column '" + name + "' cannot be missing but has no value");
            columns.push_back(value == md.end() ? null_of(f.type)
                                                : parse_value(f.type, value->second, "'" + name + "'"));
            consumed.insert(name);
            schema->fields.push_back(std::move(f));
        }
        if (!have_weights)
            throw FormatError("safetensors metadata: " + std::string(kColumnsKey) + " has no weights entry");
    } else {
        add_weights();
    }
    // Keys no column description claims (another tool's, or a foreign file's): string columns.
    for (const auto& [key, value] : file.metadata) {
        if (consumed.count(key) || key == legolas::kSchemaQualifiedKey || std::string_view(key).starts_with(kOurPrefix))
            continue;
        claim(key);
        schema->fields.push_back(la::field(key, la::utf8()));
        columns.push_back(la::make_strings({value}));
    }
    if (stored_names) {
        const la::DataType type = la::list(la::field("", la::utf8(), false));
        schema->fields.push_back(la::field(std::string(kWeightNamesColumn), type, false));
        columns.push_back(la::make_list(type, {static_cast<int64_t>(names.size())}, la::make_strings(names)));
    }
    if (mixed) {
        std::vector<std::string> codes;
        for (ElementType t : dtypes) codes.emplace_back(dtype_name(dtype_for(t)));
        const la::DataType type = la::list(la::field("", la::utf8(), false));
        schema->fields.push_back(la::field(std::string(kWeightDtypesColumn), type, false));
        columns.push_back(la::make_list(type, {static_cast<int64_t>(codes.size())}, la::make_strings(codes)));
    }

    ModelRow row;
    auto schema_it = md.find(std::string(legolas::kSchemaQualifiedKey));
    row.qualified_identifier = schema_it == md.end() ? std::string(kDefaultSchema) : schema_it->second;
    if (auto it = md.find(std::string(kSchemaMetadataKey)); it != md.end()) {
        const json pairs = parse_metadata_json(kSchemaMetadataKey, it->second);
        if (!pairs.is_array())
            throw FormatError("safetensors metadata: " + std::string(kSchemaMetadataKey) +
                              " must be an array of [key, value] strings");
        for (const auto& kv : pairs) {
            if (!kv.is_array() || kv.size() != 2 || !kv[0].is_string() || !kv[1].is_string())
                throw FormatError("safetensors metadata: " + std::string(kSchemaMetadataKey) +
                                  " must be an array of [key, value] strings");
            // Files written before the checksums were left out carry the source's, stale.
            if (kv[0] == kChecksumsMetadataKey) continue;
            schema->metadata.emplace_back(kv[0].get<std::string>(), kv[1].get<std::string>());
        }
    }
    la::set_metadata(schema->metadata, std::string(legolas::kSchemaQualifiedKey), row.qualified_identifier);
    set_schema(row.table, schema, std::move(columns));

    const std::optional<legolas::SchemaVersion> known =
        legolas::default_registry().most_derived_declared(row.qualified_identifier);
    if (!known) (void)legolas::check_table(row.table);  // throws UnknownSchemaVersionError, naming it
    row.schema_version = *known;
    legolas::validate(*row.table.schema, *known);
    const ModelV1 base = legolas::from_row<ModelV1>(row.table, 0);
    row.weights = base.weights;
    row.architecture_version = base.architecture_version;
    if (stored_names) row.weight_names = names;
    if (mixed) row.weight_dtypes = dtypes;
    return row;
}

}  // namespace legolasflux
