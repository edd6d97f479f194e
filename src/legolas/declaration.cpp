#include "legolasflux/legolas/declaration.hpp"

#include <set>

namespace legolasflux::legolas {
namespace {

std::string backquoted(const SchemaVersion& sv) { return "`" + to_string(sv) + "`"; }

std::string unknown_message(const SchemaVersion& sv, const std::optional<std::string>& provider_name,
                            const std::optional<std::string>& provider_version) {
    std::string s = "unknown Legolas schema version " + backquoted(sv) + " (name=\"" + sv.name +
                    "\", version=" + std::to_string(sv.version) + "): it is not declared in this process";
    if (provider_name) {
        s += ". The table says it was declared by the Julia package " + *provider_name;
        if (provider_version) s += " (version " + *provider_version + ")";
        s += "; declare the same schema version in C++ to read it with its schema";
    } else {
        s += "; declare it (for a record type: link the code that declares it) before reading";
    }
    s += ". The table can still be read as plain Arrow.";
    return s;
}

}  // namespace

UnknownSchemaVersionError::UnknownSchemaVersionError(SchemaVersion sv, std::optional<std::string> provider_name,
                                                     std::optional<std::string> provider_version)
    : SchemaError(unknown_message(sv, provider_name, provider_version)),
      schema_version_(std::move(sv)),
      provider_name_(std::move(provider_name)),
      provider_version_(std::move(provider_version)) {}

void Registry::declare(SchemaVersionDeclaration d) {
    const std::string what = "invalid declaration of " + backquoted(d.schema_version) + ": ";
    if (!is_valid_schema_name(d.schema_version.name))
        throw SchemaError(what + "\"" + d.schema_version.name +
                          "\" is not a valid schema name (lowercase letters a-z, digits, '-' and '.')");
    if (d.schema_version.version < 0) throw SchemaError(what + "the version must be non-negative");
    std::set<std::string> names;
    for (const auto& f : d.fields) {
        if (f.name.empty()) throw SchemaError(what + "a field has an empty name");
        if (f.name.front() == '_')
            throw SchemaError(what + "field names may not start with an underscore: `" + f.name + "`");
        if (!names.insert(f.name).second) throw SchemaError(what + "duplicate field name `" + f.name + "`");
    }

    std::lock_guard lock(mutex_);
    if (const auto it = declarations_.find(d.schema_version); it != declarations_.end()) {
        if (*it->second == d) return;
        throw SchemaError(what +
                          "invalid redeclaration of existing schema version; all redeclarations must exactly "
                          "match previous declarations");
    }
    if (d.parent) {
        if (d.parent->name == d.schema_version.name)
            throw SchemaError(what + "cannot extend from another version of the same schema (" + backquoted(*d.parent) +
                              ")");
        if (!declarations_.count(*d.parent))
            throw SchemaError(
                what + "parent schema version cannot be used before it has been declared: " + backquoted(*d.parent));
        std::string bad;
        const auto parent_fields = resolved_fields_locked(*d.parent);
        for (const auto& f : d.fields)
            for (const auto& p : parent_fields)
                if (p.name == f.name && !is_narrower_or_equal(f.constraint, p.constraint)) {
                    if (!bad.empty()) bad += "; ";
                    bad += "`" + f.name + "` is declared as " + describe(f.constraint) + " but " +
                           backquoted(p.declared_by) + " declares it as " + describe(p.constraint);
                }
        if (!bad.empty()) throw SchemaError(what + "declared field types violate parent's field types: " + bad);
    }
    SchemaVersion key = d.schema_version;  // d is moved from below
    declarations_.emplace(std::move(key), std::make_shared<const SchemaVersionDeclaration>(std::move(d)));
}

std::shared_ptr<const SchemaVersionDeclaration> Registry::find(const SchemaVersion& sv) const {
    std::lock_guard lock(mutex_);
    const auto it = declarations_.find(sv);
    return it == declarations_.end() ? nullptr : it->second;
}

bool Registry::is_declared(const SchemaVersion& sv) const { return find(sv) != nullptr; }

std::vector<SchemaVersion> Registry::schema_versions() const {
    std::lock_guard lock(mutex_);
    std::vector<SchemaVersion> out;
    for (const auto& [sv, d] : declarations_) out.push_back(sv);
    return out;
}

const SchemaVersionDeclaration& Registry::get_locked(const SchemaVersion& sv) const {
    const auto it = declarations_.find(sv);
    if (it == declarations_.end()) throw UnknownSchemaVersionError(sv);
    return *it->second;
}

std::optional<SchemaVersion> Registry::parent_of(const SchemaVersion& sv) const {
    std::lock_guard lock(mutex_);
    return get_locked(sv).parent;
}

std::vector<ResolvedField> Registry::resolved_fields_locked(const SchemaVersion& sv) const {
    const auto& d = get_locked(sv);
    std::vector<ResolvedField> out;
    if (d.parent) out = resolved_fields_locked(*d.parent);
    for (const auto& f : d.fields) {
        bool replaced = false;
        for (auto& existing : out)
            if (existing.name == f.name) {
                existing.constraint = f.constraint;
                existing.declared_by = d.schema_version;
                replaced = true;
            }
        if (!replaced) out.push_back(ResolvedField{f.name, f.constraint, d.schema_version});
    }
    return out;
}

std::vector<ResolvedField> Registry::resolved_fields(const SchemaVersion& sv) const {
    std::lock_guard lock(mutex_);
    return resolved_fields_locked(sv);
}

std::vector<DeclaredField> Registry::declared_fields(const SchemaVersion& sv) const {
    std::vector<DeclaredField> out;
    for (auto& f : resolved_fields(sv)) out.push_back(DeclaredField{std::move(f.name), std::move(f.constraint)});
    return out;
}

std::string Registry::qualified_identifier(const SchemaVersion& sv) const {
    std::lock_guard lock(mutex_);
    std::string s = to_string(get_locked(sv).schema_version);
    for (auto p = get_locked(sv).parent; p; p = get_locked(*p).parent) s += ">" + to_string(*p);
    return s;
}

bool Registry::descends_from(const SchemaVersion& sv, const SchemaVersion& ancestor) const {
    std::lock_guard lock(mutex_);
    for (std::optional<SchemaVersion> p = get_locked(sv).schema_version; p; p = get_locked(*p).parent)
        if (*p == ancestor) return true;
    return false;
}

Registry& default_registry() {
    static Registry registry;
    return registry;
}

std::optional<SchemaVersion> Registry::most_derived_declared(std::string_view qualified_identifier) const {
    for (const SchemaVersion& sv : parse_identifier(qualified_identifier))
        if (is_declared(sv)) return sv;
    return std::nullopt;
}

}  // namespace legolasflux::legolas
