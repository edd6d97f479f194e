// `legolasflux validate` and `legolasflux schema`: the Legolas schema version of a schema-tagged
// Arrow file, and its compliance. Schemas known here are those registered in the default registry
// by the libraries linked into the tool, those the file records about itself and those of
// `--declare` files (declarations.hpp).
#include <iostream>

#include "commands.hpp"
#include "declarations.hpp"
#include "legolasflux/arrow/ipc.hpp"
#include "legolasflux/errors.hpp"
#include "legolasflux/legolas/compliance.hpp"
#include "legolasflux/legolas/table_io.hpp"
#include "table_view.hpp"

namespace legolasflux::cli {
namespace {

namespace fs = std::filesystem;
using namespace legolasflux::legolas;

// The schema version to check a file against: its own when declared here, otherwise the nearest
// ancestor its qualified identifier names that is declared here (a file written by a team's
// extension is still a valid `legolas-flux.model@1` table). `note` says when an ancestor stands in.
// UnknownSchemaVersionError (naming any provider) when nothing of the chain is declared.
SchemaVersion checkable_schema_version(const arrow::Table& table, std::string& note) {
    const auto qualified = arrow::find_metadata(table.schema->metadata, kSchemaQualifiedKey);
    if (qualified) {
        const auto chain = parse_identifier(*qualified);
        for (size_t i = 0; i < chain.size(); ++i)
            if (default_registry().is_declared(chain[i])) {
                if (i > 0)
                    note = "`" + to_string(chain.front()) +
                           "` is not declared in this program; checked as its ancestor `" + to_string(chain[i]) + "`";
                return chain[i];
            }
    }
    ReadOptions options;
    options.check_compliance = false;
    return check_table(table, options);
}

}  // namespace

void add_legolas_commands(CLI::App& app, int& exit_code) {
    {
        auto* cmd = app.add_subcommand(
            "validate",
            "Check a Legolas table's compliance with its schema version (or --schema): its columns and their "
            "types, not the file's integrity (checksums, damaged bytes: see `verify`); exit 1 listing every violation");
        static std::string in, schema_id;
        static std::vector<std::string> declare_files;
        cmd->add_option("FILE", in, "Arrow file or stream")->required();
        cmd->add_option("--schema", schema_id,
                        "Check against this schema version (name@version: built in, declared in the file or by "
                        "--declare) instead");
        add_declare_option(*cmd, declare_files);
        cmd->callback([&exit_code] {
            const arrow::Table table = read_arrow_table(in);
            declare_for_table(table.schema->metadata, in, declare_files);
            SchemaVersion sv;
            std::string note;
            if (schema_id.empty()) {
                // Without a declaration there is nothing to check against: that is a failure of
                // `validate`, whereas `schema` and `inspect` show such a table as found.
                try {
                    sv = checkable_schema_version(table, note);
                } catch (const UnknownSchemaVersionError& e) {
                    throw SchemaError(
                        in + ": cannot validate: " + e.what() +
                        " (`legolasflux inspect` shows it as found; `--declare FILE` gives a declaration)");
                }
            } else {
                sv = parse_schema_version(schema_id);
                if (!default_registry().is_declared(sv))
                    throw SchemaError("unknown Legolas schema version `" + to_string(sv) +
                                      "`: not built in, not declared in " + in + ", nor by a --declare file");
            }
            const auto violations = find_violations(*table.schema, sv);
            const std::string qualified = default_registry().qualified_identifier(sv);
            if (!note.empty()) std::cerr << "legolasflux: note: " << note << "\n";
            // Where the declarations checked against came from, when not all from this program.
            const std::string origins = all_built_in(sv) ? "" : "declarations:\n" + origins_text(sv);
            if (violations.empty()) {
                std::cout << in << ": valid `" << qualified << "` table (" << table.num_rows()
                          << (table.num_rows() == 1 ? " row)\n" : " rows)\n") << origins;
                exit_code = kOk;
                return;
            }
            std::cout << in << ": violates Legolas schema `" << qualified << "`:\n";
            for (const auto& v : violations) std::cout << " - " << v.to_string() << "\n";
            std::cout << origins;
            exit_code = kInvalidInput;
        });
    }
    {
        auto* cmd = app.add_subcommand(
            "schema",
            "Print a Legolas table's schema version and the declared fields it resolves to (for a schema "
            "not declared here: its chain, columns and rows as found)");
        static std::string in;
        static bool json = false;
        static std::vector<std::string> declare_files;
        cmd->add_option("FILE", in, "Arrow file or stream")->required();
        cmd->add_flag("--json", json, "Print JSON instead of text");
        add_declare_option(*cmd, declare_files);
        cmd->callback([&exit_code] {
            const arrow::Table table = read_arrow_table(in);
            declare_for_table(table.schema->metadata, in, declare_files);
            const auto qualified = arrow::find_metadata(table.schema->metadata, kSchemaQualifiedKey);
            // Nothing declared to resolve the fields to: the table as found is what can be said.
            if (qualified && note_if_undeclared(std::string(*qualified))) {
                if (json)
                    print_json_document(table_json(in, table));
                else
                    print_table_text(in, table);
                exit_code = kOk;
                return;
            }
            std::string note;
            const SchemaVersion sv = checkable_schema_version(table, note);
            const std::string identifier = qualified ? std::string(*qualified) : to_string(sv);
            if (json) {
                nlohmann::ordered_json j{{"file", in}, {"schema", identifier}, {"schema_version", to_string(sv)}};
                nlohmann::ordered_json fields = nlohmann::ordered_json::array();
                for (const auto& f : default_registry().resolved_fields(sv))
                    fields.push_back({{"name", f.name},
                                      {"constraint", describe(f.constraint)},
                                      {"declared_by", to_string(f.declared_by)}});
                j["fields"] = fields;
                j["declarations"] = origins_json(sv);
                print_json_document(j);
                exit_code = kOk;
                return;
            }
            std::cout << identifier << "\n";
            if (!note.empty()) std::cout << "  (" << note << ")\n";
            std::cout << "declarations:\n" << origins_text(sv) << "fields:\n";
            for (const auto& f : default_registry().resolved_fields(sv))
                std::cout << "  " << f.name << ": " << describe(f.constraint) << "  (declared by "
                          << to_string(f.declared_by) << ")\n";
            exit_code = kOk;
        });
    }
}

}  // namespace legolasflux::cli
