// Any Legolas table as found: its schema chain, its columns with their Arrow types and every row's
// values. `inspect` shows tables that are not model rows this way and `schema` tables whose schema
// this program does not declare, which it cannot resolve to declared fields.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "legolasflux/arrow/array.hpp"

namespace legolasflux::cli {

// The file as an Arrow table (file or stream); errors name the file.
arrow::Table read_arrow_table(const std::filesystem::path& path);

// The table's `legolas_schema_qualified` value. SchemaError when it has none: then it is a plain
// Arrow file, not a Legolas table.
std::string qualified_identifier_of(const arrow::Table& table, const std::string& path);

// When no schema version of the table's chain is declared here, says so on standard error (the
// table is shown unchecked) and returns true.
bool note_if_undeclared(const std::string& qualified);

// One JSON document on standard output. String columns need not hold UTF-8: bytes that are not
// become U+FFFD rather than an error.
void print_json_document(const nlohmann::ordered_json& document);

void print_table_text(const std::string& path, const arrow::Table& table);
nlohmann::ordered_json table_json(const std::string& path, const arrow::Table& table);

}  // namespace legolasflux::cli
