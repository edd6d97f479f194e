// `legolasflux diff A B`: what changed between two model files (two checkpoints of one model,
// usually). Exit codes follow diff(1): 0 the same, 1 different, 2 trouble (unreadable input or a
// wrong command line), so scripts can use it as a test.
#include <fmt/format.h>

#include <cmath>
#include <iostream>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "json_value.hpp"
#include "legolasflux/arrow/pretty_print.hpp"
#include "legolasflux/errors.hpp"
#include "legolasflux/legolas/constraint.hpp"
#include "legolasflux/model.hpp"
#include "progress.hpp"

namespace legolasflux::cli {
namespace {

using Json = nlohmann::ordered_json;

struct Tolerance {
    double atol = 0;
    double rtol = 0;
};

// One array of A against the same index of B.
struct ArrayDiff {
    size_t index = 0;
    std::string name_a, name_b;
    std::string status;  // equal, changed, shape, dtype, only-in-a, only-in-b
    std::string dtype_a, dtype_b;
    std::vector<int64_t> size_a, size_b;
    double max_abs = 0, max_rel = 0;
    int64_t changed_values = 0;
};

// Values compared as doubles: NaN equals NaN at the same place (a checkpoint that kept a NaN has
// not changed it), infinities equal themselves.
void compare_values(const FlatArray& a, const FlatArray& b, const Tolerance& tol, ArrayDiff& d) {
    const std::vector<double> x = a.to_doubles(), y = b.to_doubles();
    for (size_t i = 0; i < x.size(); ++i) {
        if (x[i] == y[i] || (std::isnan(x[i]) && std::isnan(y[i]))) continue;
        const double abs = std::fabs(x[i] - y[i]);
        const double scale = std::max(std::fabs(x[i]), std::fabs(y[i]));
        const double rel = std::isfinite(abs) && scale > 0 ? abs / scale : INFINITY;
        d.max_abs = std::isnan(abs) ? INFINITY : std::max(d.max_abs, abs);
        d.max_rel = std::max(d.max_rel, rel);
        if (!(abs <= tol.atol + tol.rtol * std::fabs(y[i]))) ++d.changed_values;
    }
}

std::vector<ArrayDiff> diff_weights(const ModelRow& a, const ModelRow& b, const Tolerance& tol) {
    std::vector<ArrayDiff> out;
    const size_t na = a.weights ? a.weights->size() : 0, nb = b.weights ? b.weights->size() : 0;
    Progress progress("comparing", a.weights ? a.weights->element_count() : 0);
    for (size_t i = 0; i < std::max(na, nb); ++i) {
        ArrayDiff d;
        d.index = i;
        if (a.weight_names && i < a.weight_names->size()) d.name_a = (*a.weight_names)[i];
        if (b.weight_names && i < b.weight_names->size()) d.name_b = (*b.weight_names)[i];
        if (i < na) {
            d.dtype_a = element_type_name((*a.weights)[i].element_type);
            d.size_a = (*a.weights)[i].size;
        }
        if (i < nb) {
            d.dtype_b = element_type_name((*b.weights)[i].element_type);
            d.size_b = (*b.weights)[i].size;
        }
        if (i >= nb)
            d.status = "only-in-a";
        else if (i >= na)
            d.status = "only-in-b";
        else if (d.size_a != d.size_b)
            d.status = "shape";
        else {
            compare_values((*a.weights)[i], (*b.weights)[i], tol, d);
            progress.advance((*a.weights)[i].element_count());
            if (d.dtype_a != d.dtype_b)
                d.status = "dtype";
            else
                d.status = d.changed_values == 0 ? "equal" : "changed";
        }
        out.push_back(std::move(d));
    }
    return out;
}

struct ColumnDiff {
    std::string name;
    std::string status;  // equal, changed, type, only-in-a, only-in-b
    std::string type_a, type_b, value_a, value_b;
    Json json_a, json_b;  // the values typed, for --json
};

// Every column but the weights, by name.
std::vector<ColumnDiff> diff_columns(const ModelRow& a, const ModelRow& b) {
    struct Column {
        const arrow::Field* field;
        std::string text;
        Json json;
    };
    auto columns = [](const ModelRow& row) {
        std::vector<Column> out;
        const auto& fields = row.table.schema->fields;
        for (size_t k = 0; k < fields.size(); ++k) {
            if (fields[k].name == kWeightsColumn) continue;
            const arrow::Array& column = *row.table.batches.at(0).columns[k];
            out.push_back({&fields[k], arrow::format_value(column, 0, 16), json_value(fields[k], column, 0)});
        }
        return out;
    };
    const auto ca = columns(a), cb = columns(b);
    std::vector<ColumnDiff> out;
    for (const auto& c : ca) {
        ColumnDiff d{c.field->name, "only-in-a", legolas::describe(*c.field), "", c.text, "", c.json, nullptr};
        for (const auto& other : cb)
            if (other.field->name == c.field->name) {
                d.type_b = legolas::describe(*other.field);
                d.value_b = other.text;
                d.json_b = other.json;
                d.status = d.type_a != d.type_b ? "type" : c.text != other.text ? "changed" : "equal";
            }
        out.push_back(std::move(d));
    }
    for (const auto& c : cb) {
        bool seen = false;
        for (const auto& other : ca) seen |= other.field->name == c.field->name;
        if (!seen)
            out.push_back({c.field->name, "only-in-b", "", legolas::describe(*c.field), "", c.text, nullptr, c.json});
    }
    return out;
}

std::string label(const ArrayDiff& d) {
    if (d.name_a == d.name_b) return d.name_a;
    return (d.name_a.empty() ? "-" : d.name_a) + " / " + (d.name_b.empty() ? "-" : d.name_b);
}

void print_text(const ModelRow& a, const ModelRow& b, const std::vector<ColumnDiff>& columns,
                const std::vector<ArrayDiff>& arrays, bool differ) {
    if (a.qualified_identifier == b.qualified_identifier)
        fmt::print("schema   same: {}\n", a.qualified_identifier);
    else
        fmt::print("schema   changed: {} -> {}\n", a.qualified_identifier, b.qualified_identifier);
    for (const auto& c : columns) {
        if (c.status == "equal") continue;
        if (c.status == "only-in-a")
            fmt::print("column   - {} ({}) only in A\n", c.name, c.type_a);
        else if (c.status == "only-in-b")
            fmt::print("column   + {} ({}) only in B\n", c.name, c.type_b);
        else if (c.status == "type")
            fmt::print("column   ~ {}: type {} -> {}\n", c.name, c.type_a, c.type_b);
        else
            fmt::print("column   ~ {}: {} -> {}\n", c.name, c.value_a, c.value_b);
    }
    const size_t na = a.weights ? a.weights->size() : 0, nb = b.weights ? b.weights->size() : 0;
    fmt::print("weights  {} arrays in A, {} in B\n", na, nb);
    struct Line {
        std::string name, dtype, size, max_abs, max_rel;
    };
    std::vector<Line> lines;
    size_t w_name = 4, w_dtype = 5, w_size = 10;
    size_t changed = 0;
    for (const auto& d : arrays) {
        if (d.status != "equal") ++changed;
        Line l;
        l.name = label(d);
        l.dtype = d.dtype_a == d.dtype_b ? d.dtype_a
                  : d.dtype_a.empty()    ? d.dtype_b
                  : d.dtype_b.empty()    ? d.dtype_a
                                         : d.dtype_a + " -> " + d.dtype_b;
        l.size = d.status == "only-in-b" ? format_julia_size(d.size_b)
                 : d.size_a == d.size_b || d.status == "only-in-a"
                     ? format_julia_size(d.size_a)
                     : format_julia_size(d.size_a) + " -> " + format_julia_size(d.size_b);
        const bool measured = d.status == "changed" || d.status == "dtype" || d.status == "equal";
        l.max_abs = measured ? fmt::format("{:.3g}", d.max_abs) : "-";
        l.max_rel = measured ? fmt::format("{:.3g}", d.max_rel) : "-";
        w_name = std::max(w_name, l.name.size());
        w_dtype = std::max(w_dtype, l.dtype.size());
        w_size = std::max(w_size, l.size.size());
        lines.push_back(std::move(l));
    }
    fmt::print("{:>5}  {:<{}}  {:<9}  {:<{}}  {:<{}}  {:>10}  {:>10}\n", "index", "name", w_name, "status", "dtype",
               w_dtype, "julia size", w_size, "max abs", "max rel");
    for (size_t i = 0; i < arrays.size(); ++i)
        fmt::print("{:>5}  {:<{}}  {:<9}  {:<{}}  {:<{}}  {:>10}  {:>10}\n", arrays[i].index, lines[i].name, w_name,
                   arrays[i].status, lines[i].dtype, w_dtype, lines[i].size, w_size, lines[i].max_abs,
                   lines[i].max_rel);
    fmt::print("{}: {} of {} arrays differ\n", differ ? "files differ" : "same", changed, arrays.size());
}

void print_json(const ModelRow& a, const ModelRow& b, const std::vector<ColumnDiff>& columns,
                const std::vector<ArrayDiff>& arrays, bool differ) {
    Json j;
    j["differ"] = differ;
    j["schema"] = {{"a", a.qualified_identifier},
                   {"b", b.qualified_identifier},
                   {"equal", a.qualified_identifier == b.qualified_identifier}};
    Json cols = Json::array();
    for (const auto& c : columns)
        cols.push_back({{"name", c.name},
                        {"status", c.status},
                        {"type_a", c.type_a},
                        {"type_b", c.type_b},
                        {"value_a", c.json_a},
                        {"value_b", c.json_b}});
    j["columns"] = cols;
    Json ws = Json::array();
    for (const auto& d : arrays) {
        Json w = {{"index", d.index},         {"status", d.status},      {"name_a", d.name_a},
                  {"name_b", d.name_b},       {"dtype_a", d.dtype_a},    {"dtype_b", d.dtype_b},
                  {"julia_size_a", d.size_a}, {"julia_size_b", d.size_b}};
        if (d.status == "changed" || d.status == "dtype" || d.status == "equal") {
            // JSON has no infinity: a NaN against a number is reported as null.
            w["max_abs"] = std::isfinite(d.max_abs) ? Json(d.max_abs) : Json(nullptr);
            w["max_rel"] = std::isfinite(d.max_rel) ? Json(d.max_rel) : Json(nullptr);
            w["changed_values"] = d.changed_values;
        }
        ws.push_back(w);
    }
    j["weights"] = ws;
    std::cout << j.dump(2, ' ', false, Json::error_handler_t::replace) << "\n";
}

}  // namespace

void add_diff_command(CLI::App& app, int& exit_code) {
    auto* cmd = app.add_subcommand(
        "diff",
        "Compare two model files: schema, columns, and per weight shape, dtype and largest differences; "
        "exit 0 when they are the same, 1 when they differ, 2 on trouble");
    static std::string a_path, b_path;
    static bool json = false;
    static Tolerance tol;
    cmd->add_option("A", a_path, "First model file (.arrow)")->required();
    cmd->add_option("B", b_path, "Second model file (.arrow)")->required();
    cmd->add_flag("--json", json, "Print JSON instead of text");
    // (CLI::NonNegativeNumber would print its bound, DBL_MAX, in full: 300 digits.)
    const CLI::Validator non_negative(
        [](std::string& v) -> std::string {
            try {
                size_t end = 0;
                const double x = std::stod(v, &end);
                if (end == v.size() && x >= 0) return "";
            } catch (const std::exception&) {}
            return "'" + v + "' is not a tolerance: give a number, 0 or more";
        },
        "NUMBER >= 0");
    cmd->add_option("--atol", tol.atol, "Values within atol + rtol * |b| of each other count as equal")
        ->check(non_negative);
    cmd->add_option("--rtol", tol.rtol, "See --atol")->check(non_negative);
    cmd->callback([&exit_code] {
        try {
            const ModelRow a = read_model_row(a_path);
            const ModelRow b = read_model_row(b_path);
            const auto columns = diff_columns(a, b);
            const auto arrays = diff_weights(a, b, tol);
            bool differ =
                a.qualified_identifier != b.qualified_identifier || a.weights.has_value() != b.weights.has_value();
            for (const auto& c : columns) differ |= c.status != "equal";
            for (const auto& d : arrays) differ |= d.status != "equal";
            if (json)
                print_json(a, b, columns, arrays, differ);
            else
                print_text(a, b, columns, arrays, differ);
            exit_code = differ ? 1 : 0;
        } catch (const std::exception& e) {
            std::cerr << "legolasflux: error: " << e.what() << "\n";
            exit_code = 2;
        }
    });
}

}  // namespace legolasflux::cli
