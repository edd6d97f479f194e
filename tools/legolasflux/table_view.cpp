#include "table_view.hpp"

#include <fmt/format.h>

#include <iostream>

#include "declarations.hpp"
#include "json_value.hpp"
#include "legolasflux/arrow/ipc.hpp"
#include "legolasflux/arrow/pretty_print.hpp"
#include "legolasflux/errors.hpp"
#include "legolasflux/legolas/constraint.hpp"
#include "legolasflux/legolas/declaration.hpp"
#include "legolasflux/legolas/schema_version.hpp"
#include "legolasflux/legolas/table_io.hpp"

namespace legolasflux::cli {
namespace {

using Json = nlohmann::ordered_json;

// Calls f(batch, slot) for every row of the table, in order.
template <class F>
void for_each_row(const arrow::Table& table, F f) {
    for (const auto& batch : table.batches)
        for (int64_t i = 0; i < batch.length; ++i) f(batch, i);
}

std::string chain_text(const std::string& qualified) {
    std::string s;
    for (const auto& sv : legolas::parse_identifier(qualified)) s += (s.empty() ? "" : " > ") + legolas::to_string(sv);
    return s;
}

}  // namespace

arrow::Table read_arrow_table(const std::filesystem::path& path) {
    return arrow::read_any(path);  // its errors name the file
}

std::string qualified_identifier_of(const arrow::Table& table, const std::string& path) {
    const auto qualified = arrow::find_metadata(table.schema->metadata, legolas::kSchemaQualifiedKey);
    if (!qualified)
        throw SchemaError(path + ": not a Legolas table: the schema metadata has no `" +
                          std::string(legolas::kSchemaQualifiedKey) + "`");
    legolas::parse_identifier(*qualified);  // a malformed identifier is an error here, with Legolas' words
    return std::string(*qualified);
}

bool note_if_undeclared(const std::string& qualified) {
    if (legolas::default_registry().most_derived_declared(qualified)) return false;
    std::cerr << "legolasflux: note: `" << qualified
              << "` is not declared in this program: the columns are shown as found, not checked against a "
                 "declaration\n";
    return true;
}

void print_json_document(const Json& document) {
    std::cout << document.dump(2, ' ', false, Json::error_handler_t::replace) << "\n";
}

void print_table_text(const std::string& path, const arrow::Table& table) {
    const auto& fields = table.schema->fields;
    const std::string qualified = qualified_identifier_of(table, path);
    const auto declared = legolas::default_registry().most_derived_declared(qualified);
    size_t width = 10;
    for (const auto& f : fields) width = std::max(width, f.name.size());
    fmt::print("{}\n", path);
    fmt::print("{:<{}}  {}\n", "schema", width, qualified);
    fmt::print("{:<{}}  {}\n", "chain", width, chain_text(qualified));
    const std::string declared_as = declared ? "as " + legolas::to_string(*declared) : "no (not checked)";
    fmt::print("{:<{}}  {}\n", "declared", width, declared_as);
    if (declared) fmt::print("{:<{}}  {}\n", "origin", width, origins_line(*declared));
    fmt::print("{:<{}}  {}\n", "rows", width, table.num_rows());
    fmt::print("\ncolumns: {}\n", fields.size());
    for (const auto& f : fields) fmt::print("  {:<{}}  {}\n", f.name, width, legolas::describe(f));
    int64_t n = 0;
    for_each_row(table, [&](const arrow::RecordBatch& batch, int64_t i) {
        fmt::print("\nrow {}\n", ++n);
        for (size_t k = 0; k < fields.size(); ++k)
            fmt::print("  {:<{}}  {}\n", fields[k].name, width, arrow::format_value(*batch.columns[k], i, 8));
    });
}

Json table_json(const std::string& path, const arrow::Table& table) {
    const auto& fields = table.schema->fields;
    const std::string qualified = qualified_identifier_of(table, path);
    const auto declared = legolas::default_registry().most_derived_declared(qualified);
    Json j;
    j["file"] = path;
    j["format"] = "arrow";
    j["schema"] = qualified;
    Json chain = Json::array();
    for (const auto& sv : legolas::parse_identifier(qualified)) chain.push_back(legolas::to_string(sv));
    j["schema_chain"] = chain;
    j["schema_version"] = declared ? Json(legolas::to_string(*declared)) : Json(nullptr);
    j["declarations"] = declared ? origins_json(*declared) : Json::array();
    Json columns = Json::array();
    for (const auto& f : fields)
        columns.push_back({{"name", f.name}, {"type", legolas::describe(f)}, {"nullable", f.nullable}});
    j["fields"] = columns;
    j["num_rows"] = table.num_rows();
    Json rows = Json::array();
    for_each_row(table, [&](const arrow::RecordBatch& batch, int64_t i) {
        Json row = Json::object();
        for (size_t k = 0; k < fields.size(); ++k) row[fields[k].name] = json_value(fields[k], *batch.columns[k], i);
        rows.push_back(std::move(row));
    });
    j["rows"] = rows;
    return j;
}

}  // namespace legolasflux::cli
