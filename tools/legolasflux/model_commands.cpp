// `legolasflux inspect FILE [--json]`: for a model file, the schema, the other columns and a table
// of the weights; for a .safetensors file, its metadata and a table of its tensors.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string_view>

#include "commands.hpp"
#include "declarations.hpp"
#include "json_value.hpp"
#include "legolasflux/arrow/pretty_print.hpp"
#include "legolasflux/model.hpp"
#include "legolasflux/safetensors.hpp"
#include "legolasflux/safetensors_shards.hpp"
#include "shards_convert.hpp"
#include "table_view.hpp"
#include "torch_files.hpp"

namespace legolasflux::cli {
namespace {

std::string torch_shape(const std::vector<int64_t>& julia_size) {
    std::string s = "[";
    for (size_t i = julia_size.size(); i-- > 0;) {
        s += std::to_string(julia_size[i]);
        if (i) s += ", ";
    }
    return s + "]";
}

struct WeightRow {
    size_t index;
    std::string name;
    std::string dtype;
    std::vector<int64_t> size;
    int64_t count;
    int64_t bytes;
};

std::vector<WeightRow> weight_rows(const ModelRow& row) {
    std::vector<WeightRow> out;
    if (!row.weights) return out;
    for (size_t i = 0; i < row.weights->size(); ++i) {
        const FlatArray& a = (*row.weights)[i];
        std::string name;
        if (row.weight_names && i < row.weight_names->size()) name = (*row.weight_names)[i];
        out.push_back(
            {i, name, std::string(element_type_name(a.element_type)), a.size, a.element_count(), a.byte_count()});
    }
    return out;
}

// Every column but the weights (and their names): its field and its one value.
std::vector<std::pair<const arrow::Field*, const arrow::Array*>> other_columns(const ModelRow& row) {
    std::vector<std::pair<const arrow::Field*, const arrow::Array*>> out;
    const auto& fields = row.table.schema->fields;
    const auto& batch = row.table.batches.at(0);
    for (size_t k = 0; k < fields.size(); ++k) {
        if (fields[k].name == kWeightsColumn || fields[k].name == kWeightNamesColumn) continue;
        out.emplace_back(&fields[k], batch.columns[k].get());
    }
    return out;
}

void print_text(const std::string& path, const ModelRow& row) {
    fmt::print("{}\n", path);
    // One column of names as wide as the longest ("architecture_version" is 20 characters).
    const auto columns = other_columns(row);
    size_t width = std::string_view("weights").size();
    for (const auto& [field, column] : columns) width = std::max(width, field->name.size());
    fmt::print("{:<{}} {} (read as {})\n", "schema", width, row.qualified_identifier,
               legolas::to_string(row.schema_version));
    fmt::print("{:<{}} {}\n", "origin", width, origins_line(row.schema_version));
    for (const auto& [field, column] : columns)
        fmt::print("{:<{}} {}\n", field->name, width, arrow::format_value(*column, 0, 8));
    if (!row.weights) {
        fmt::print("{:<{}} missing\n", "weights", width);
        return;
    }
    const auto rows = weight_rows(row);
    size_t name_width = 4;
    for (const auto& r : rows) name_width = std::max(name_width, r.name.size());
    const bool names = row.weight_names.has_value();
    fmt::print("\nweights: {} arrays of {}\n", rows.size(), element_type_name(row.weights->element_type));
    if (names)
        fmt::print("{:>5}  {:<{}}  {:<8}  {:<18}  {:<18}  {:>10}  {:>12}\n", "index", "name", name_width, "dtype",
                   "julia size", "torch shape", "count", "bytes");
    else
        fmt::print("{:>5}  {:<8}  {:<18}  {:<18}  {:>10}  {:>12}\n", "index", "dtype", "julia size", "torch shape",
                   "count", "bytes");
    int64_t count = 0, bytes = 0;
    for (const auto& r : rows) {
        count += r.count;
        bytes += r.bytes;
        if (names)
            fmt::print("{:>5}  {:<{}}  {:<8}  {:<18}  {:<18}  {:>10}  {:>12}\n", r.index, r.name, name_width, r.dtype,
                       format_julia_size(r.size), torch_shape(r.size), r.count, r.bytes);
        else
            fmt::print("{:>5}  {:<8}  {:<18}  {:<18}  {:>10}  {:>12}\n", r.index, r.dtype, format_julia_size(r.size),
                       torch_shape(r.size), r.count, r.bytes);
    }
    fmt::print("total: {} arrays, {} values, {} bytes\n", rows.size(), count, bytes);
}

void print_json(const std::string& path, const ModelRow& row) {
    nlohmann::ordered_json j;
    j["file"] = path;
    j["format"] = "arrow";
    j["schema"] = row.qualified_identifier;
    j["schema_version"] = legolas::to_string(row.schema_version);
    j["declarations"] = origins_json(row.schema_version);
    nlohmann::ordered_json columns = nlohmann::ordered_json::object();
    for (const auto& [field, column] : other_columns(row)) columns[field->name] = json_value(*field, *column, 0);
    j["columns"] = columns;
    if (!row.weights) {
        j["weights"] = nullptr;
    } else {
        nlohmann::ordered_json arrays = nlohmann::ordered_json::array();
        int64_t count = 0, bytes = 0;
        for (const auto& r : weight_rows(row)) {
            nlohmann::ordered_json a;
            a["index"] = r.index;
            if (row.weight_names) a["name"] = r.name;
            a["dtype"] = r.dtype;
            a["julia_size"] = r.size;
            a["torch_shape"] = std::vector<int64_t>(r.size.rbegin(), r.size.rend());
            a["count"] = r.count;
            a["bytes"] = r.bytes;
            count += r.count;
            bytes += r.bytes;
            arrays.push_back(a);
        }
        j["weights"] = {{"element_type", std::string(element_type_name(row.weights->element_type))},
                        {"arrays", arrays},
                        {"total_arrays", row.weights->size()},
                        {"total_values", count},
                        {"total_bytes", bytes}};
    }
    print_json_document(j);
}

// --- .safetensors files ----------------------------------------------------------------------

struct TensorRow {
    size_t index;
    const SafeTensor* tensor;
    int64_t count;
    int64_t begin, end;  // data_offsets, relative to the data section
};

// The reader returns tensors in data-offset order and has checked that they cover the data
// section without gaps, so the offsets are running sums of the sizes, and the header is whatever
// precedes the data.
struct TensorSummary {
    std::vector<TensorRow> rows;
    int64_t values = 0, bytes = 0, header_bytes = 0;
};

TensorSummary summarize(const std::string& path, const SafetensorsFile& file) {
    TensorSummary s;
    for (size_t i = 0; i < file.tensors.size(); ++i) {
        const SafeTensor& t = file.tensors[i];
        int64_t count = 1;
        for (int64_t d : t.shape) count *= d;
        s.rows.push_back({i, &t, count, s.bytes, s.bytes + t.data.size()});
        s.values += count;
        s.bytes += t.data.size();
    }
    s.header_bytes = static_cast<int64_t>(std::filesystem::file_size(path)) - 8 - s.bytes;
    return s;
}

void print_safetensors_text(const std::string& path, const SafetensorsFile& file) {
    const TensorSummary s = summarize(path, file);
    fmt::print("{}\n", path);
    fmt::print("format      safetensors (header {} bytes)\n", s.header_bytes);
    if (file.metadata.empty()) fmt::print("metadata    none\n");
    for (size_t i = 0; i < file.metadata.size(); ++i)
        fmt::print("{:<11} {} = {}\n", i == 0 ? "metadata" : "", file.metadata[i].first, file.metadata[i].second);
    size_t name_width = 4;
    for (const auto& r : s.rows) name_width = std::max(name_width, r.tensor->name.size());
    fmt::print("\ntensors: {}\n", s.rows.size());
    fmt::print("{:>5}  {:<{}}  {:<5}  {:<18}  {:>10}  {:>12}\n", "index", "name", name_width, "dtype", "shape", "count",
               "bytes");
    for (const auto& r : s.rows)
        fmt::print("{:>5}  {:<{}}  {:<5}  {:<18}  {:>10}  {:>12}\n", r.index, r.tensor->name, name_width,
                   dtype_name(r.tensor->dtype), fmt::format("[{}]", fmt::join(r.tensor->shape, ", ")), r.count,
                   r.end - r.begin);
    fmt::print("total: {} tensors, {} values, {} bytes\n", s.rows.size(), s.values, s.bytes);
}

void print_safetensors_json(const std::string& path, const SafetensorsFile& file) {
    const TensorSummary s = summarize(path, file);
    nlohmann::ordered_json j;
    j["file"] = path;
    j["format"] = "safetensors";
    j["header_bytes"] = s.header_bytes;
    nlohmann::ordered_json metadata = nlohmann::ordered_json::object();
    for (const auto& [key, value] : file.metadata) metadata[key] = value;
    j["metadata"] = metadata;
    nlohmann::ordered_json tensors = nlohmann::ordered_json::array();
    for (const auto& r : s.rows)
        tensors.push_back({{"index", r.index},
                           {"name", r.tensor->name},
                           {"dtype", std::string(dtype_name(r.tensor->dtype))},
                           {"shape", r.tensor->shape},
                           {"count", r.count},
                           {"bytes", r.end - r.begin},
                           {"data_offsets", {r.begin, r.end}}});
    j["tensors"] = tensors;
    j["total_tensors"] = s.rows.size();
    j["total_values"] = s.values;
    j["total_bytes"] = s.bytes;
    std::cout << j.dump(2) << "\n";
}

}  // namespace

void add_model_commands(CLI::App& app, int& exit_code) {
    auto* cmd = app.add_subcommand("inspect",
                                   "Show a model file (its schema, its columns and a table of its weights), any "
                                   "other Legolas table (its schema, columns and rows), a .safetensors file "
                                   "(its metadata and a table of its tensors), a Hugging Face sharded checkpoint "
                                   "(X.safetensors.index.json: its shards and tensors), a PyTorch torch.save file "
                                   "(.pt/.pth: its tree of values, tensors with dtype and shape, and the state dicts "
                                   "in it), or a sharded checkpoint's step directory (its tensors and its index)");
    static std::string in, key;
    static bool json = false;
    static std::vector<std::string> declare_files;
    cmd->add_option("FILE", in,
                    "LegolasFlux model file or any Legolas table (.arrow), a .safetensors file, a "
                    "X.safetensors.index.json file, a .pt/.pth file saved by torch.save, or a sharded checkpoint's "
                    "step directory")
        ->required();
    cmd->add_flag("--json", json, "Print JSON instead of text");
    add_declare_option(*cmd, declare_files);
    cmd->add_option("--key", key,
                    ".pt/.pth files only: show the value at this key path (e.g. model or model.encoder) instead of the "
                    "whole tree");
    cmd->callback([&exit_code] {
        if (std::filesystem::is_directory(in)) {  // a sharded checkpoint's step directory
            inspect_sharded_step(in, json);
            exit_code = kOk;
            return;
        }
        if (is_safetensors_index(in)) {  // a Hugging Face sharded checkpoint
            inspect_safetensors_index(in, json);
            exit_code = kOk;
            return;
        }
        // By extension, as `convert` decides; every other file is read as a model file.
        const auto extension = std::filesystem::path(in).extension();
        if (!key.empty() && extension != ".pt" && extension != ".pth")
            throw CLI::ValidationError("--key", "it is for .pt/.pth files (torch.save's checkpoint dicts)");
        if (extension == ".pt" || extension == ".pth") {
            inspect_torch_file(in, key, json);
            exit_code = kOk;
            return;
        }
        if (extension == ".safetensors") {
            const SafetensorsFile file = read_safetensors(in);
            if (json)
                print_safetensors_json(in, file);
            else
                print_safetensors_text(in, file);
            exit_code = kOk;
            return;
        }
        // A model row gets its weights table; any other Legolas table (many rows, another schema, or a
        // schema this program does not declare) is shown as found.
        const arrow::Table table = read_arrow_table(in);
        declare_for_table(table.schema->metadata, in, declare_files);
        const std::string qualified = qualified_identifier_of(table, in);
        const auto declared = legolas::default_registry().most_derived_declared(qualified);
        const auto& registry = legolas::default_registry();
        const bool model_row = declared && table.num_rows() == 1 &&
                               registry.descends_from(*declared, legolas::schema_version_of<ModelV1>());
        if (model_row) {
            const ModelRow row = read_model_row(in);
            if (json)
                print_json(in, row);
            else
                print_text(in, row);
        } else {
            note_if_undeclared(qualified);
            if (json)
                print_json_document(table_json(in, table));
            else
                print_table_text(in, table);
        }
        exit_code = kOk;
    });
}

}  // namespace legolasflux::cli
