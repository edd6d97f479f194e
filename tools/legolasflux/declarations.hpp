// The schema declarations `validate`, `schema` and `inspect` check and show a Legolas table with:
// those built into this program, those the file records about itself
// (`legolasflux.schema_declarations`, docs/format.md) and those of `--declare FILE` (the same JSON,
// docs/cli.md) — and, for each schema version, which of the three it came from.
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "legolasflux/arrow/type.hpp"
#include "legolasflux/legolas/schema_version.hpp"

namespace legolasflux::cli {

// Adds the repeatable `--declare FILE` option to `cmd`.
void add_declare_option(CLI::App& cmd, std::vector<std::string>& files);

// Declares, in the default registry, for this run of the program: the declarations of each
// `--declare` file, then those the table at `path` records in its schema metadata. SchemaError
// naming the file (and the metadata key) when one is malformed, or contradicts a declaration made
// before — a built-in one, or another source's (a file's own declaration and a `--declare` file that
// disagree) — saying how they differ; IoError when a `--declare` file cannot be read.
void declare_for_table(const arrow::KeyValueMetadata& metadata, const std::string& path,
                       const std::vector<std::string>& declare_files);

// Where `sv`'s declaration came from: "built in", "declared in the file
// (legolasflux.schema_declarations)" or "from --declare team.json".
std::string origin_of(const legolas::SchemaVersion& sv);
// The same for JSON: {"schema_version", "parent", "origin": "built_in" | "file" | "declare_file",
// "declare_file" (only then)}, one per version of `sv`'s chain, most derived first.
nlohmann::ordered_json origins_json(const legolas::SchemaVersion& sv);
// One line per version of `sv`'s chain, most derived first: "  team.run@1: declared in the file …".
std::string origins_text(const legolas::SchemaVersion& sv);
// The same on one line, consecutive versions of one origin together: "team.run@1, team.base@1:
// declared in the file (legolasflux.schema_declarations); legolas-flux.model@1: built in".
std::string origins_line(const legolas::SchemaVersion& sv);
// Whether every version of `sv`'s chain is built in (then `validate` has nothing to add).
bool all_built_in(const legolas::SchemaVersion& sv);

}  // namespace legolasflux::cli
