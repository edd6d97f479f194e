#include "declarations.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include "legolasflux/errors.hpp"
#include "legolasflux/legolas/declaration_json.hpp"

namespace legolasflux::cli {
namespace {

using namespace legolasflux::legolas;

struct Origin {
    enum class Kind { File, DeclareFile } kind;
    std::string declare_file;  // DeclareFile
};

// What this run declared beyond the built-in schemas (main declares those before any command runs),
// and from where. A schema version absent here is built in.
std::map<SchemaVersion, Origin>& origins() {
    static std::map<SchemaVersion, Origin> map;
    return map;
}

std::string origin_text(const SchemaVersion& sv) {
    const auto it = origins().find(sv);
    if (it == origins().end()) return "built in";
    if (it->second.kind == Origin::Kind::File)
        return "declared in the file (" + std::string(kSchemaDeclarationsKey) + ")";
    return "from --declare " + it->second.declare_file;
}

// Declares `declarations` (read from `source`), first checking each against what is declared
// already, so that a contradiction names both sides' origins.
void declare_from(const std::vector<SchemaVersionDeclaration>& declarations, const std::string& source,
                  const Origin& origin) {
    Registry& registry = default_registry();
    const std::string theirs =
        origin.kind == Origin::Kind::File ? "the file's" : "--declare " + origin.declare_file + "'s";
    for (const auto& d : declarations) {
        const auto existing = registry.find(d.schema_version);
        if (existing && !(*existing == d))
            throw SchemaError(source + ": " + theirs + " declaration of `" + to_string(d.schema_version) +
                              "` contradicts the one " + origin_text(d.schema_version) + ": " +
                              difference(d, *existing) + " (" + theirs + " vs the other)");
    }
    std::vector<SchemaVersion> before = registry.schema_versions();
    declare_all(registry, declarations, source);
    for (const auto& sv : registry.schema_versions())
        if (!std::binary_search(before.begin(), before.end(), sv)) origins().emplace(sv, origin);
}

std::vector<SchemaVersion> chain_of(const SchemaVersion& sv) {
    std::vector<SchemaVersion> out;
    for (std::optional<SchemaVersion> p = sv; p; p = default_registry().parent_of(*p)) out.push_back(*p);
    return out;
}

}  // namespace

void add_declare_option(CLI::App& cmd, std::vector<std::string>& files) {
    cmd.add_option("--declare", files,
                   "Declare the schema versions of this JSON file (docs/cli.md, \"Schema declarations\") "
                   "before reading; repeatable")
        ->type_name("FILE");
}

void declare_for_table(const arrow::KeyValueMetadata& metadata, const std::string& path,
                       const std::vector<std::string>& declare_files) {
    for (const auto& file : declare_files) {
        std::ifstream in(file, std::ios::binary);
        if (!in) throw IoError(file, std::string("cannot read the --declare file: ") + std::strerror(errno));
        std::ostringstream text;
        text << in.rdbuf();
        if (in.bad()) throw IoError(file, "cannot read the --declare file");
        declare_from(declarations_from_json(text.str(), file), file, Origin{Origin::Kind::DeclareFile, file});
    }
    const std::string source = path + " (metadata key `" + std::string(kSchemaDeclarationsKey) + "`)";
    declare_from(declarations_in_metadata(metadata, path), source, Origin{Origin::Kind::File, {}});
}

std::string origin_of(const SchemaVersion& sv) { return origin_text(sv); }

nlohmann::ordered_json origins_json(const SchemaVersion& sv) {
    nlohmann::ordered_json out = nlohmann::ordered_json::array();
    for (const auto& v : chain_of(sv)) {
        const auto parent = default_registry().parent_of(v);
        nlohmann::ordered_json j{{"schema_version", to_string(v)},
                                 {"parent", parent ? nlohmann::ordered_json(to_string(*parent)) : nullptr}};
        const auto it = origins().find(v);
        if (it == origins().end()) {
            j["origin"] = "built_in";
        } else if (it->second.kind == Origin::Kind::File) {
            j["origin"] = "file";
        } else {
            j["origin"] = "declare_file";
            j["declare_file"] = it->second.declare_file;
        }
        out.push_back(std::move(j));
    }
    return out;
}

std::string origins_text(const SchemaVersion& sv) {
    std::string s;
    for (const auto& v : chain_of(sv)) s += "  " + to_string(v) + ": " + origin_text(v) + "\n";
    return s;
}

std::string origins_line(const SchemaVersion& sv) {
    std::string s, group, group_origin;
    const auto flush = [&] {
        if (!group.empty()) s += (s.empty() ? "" : "; ") + group + ": " + group_origin;
    };
    for (const auto& v : chain_of(sv)) {
        const std::string origin = origin_text(v);
        if (!group.empty() && origin == group_origin) {
            group += ", " + to_string(v);
            continue;
        }
        flush();
        group = to_string(v);
        group_origin = origin;
    }
    flush();
    return s;
}

bool all_built_in(const SchemaVersion& sv) {
    for (const auto& v : chain_of(sv))
        if (origins().count(v)) return false;
    return true;
}

}  // namespace legolasflux::cli
