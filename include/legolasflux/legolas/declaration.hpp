// Declared schema versions and the registry that holds them (Legolas' `@version`).
//
// A declaration names a schema version, optionally one parent (single inheritance, as in Legolas
// 0.5), and its own fields. Its *declared fields* are the parent's declared fields in the parent's
// order, where a field the child re-declares keeps the parent's position but takes the child's
// (narrower) constraint, followed by the child's new fields in declaration order. That is also the
// column order Legolas.jl writes.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "legolasflux/errors.hpp"
#include "legolasflux/legolas/constraint.hpp"
#include "legolasflux/legolas/schema_version.hpp"

namespace legolasflux::legolas {

struct SchemaVersionDeclaration {
    SchemaVersion schema_version;
    std::optional<SchemaVersion> parent;
    std::vector<DeclaredField> fields;  // this version's own fields (new or re-declared)

    friend bool operator==(const SchemaVersionDeclaration&, const SchemaVersionDeclaration&) = default;
};

// A declared field together with the schema version whose declaration gave it its constraint.
struct ResolvedField {
    std::string name;
    FieldConstraint constraint;
    SchemaVersion declared_by;
};

// A schema version that is not declared in this process. Julia's files may name the package that
// declared it (`legolas_julia_schema_provider_name` / `_version`); the message then names it too.
class UnknownSchemaVersionError : public SchemaError {
public:
    explicit UnknownSchemaVersionError(SchemaVersion sv, std::optional<std::string> provider_name = {},
                                       std::optional<std::string> provider_version = {});
    const SchemaVersion& schema_version() const noexcept { return schema_version_; }
    const std::optional<std::string>& provider_name() const noexcept { return provider_name_; }
    const std::optional<std::string>& provider_version() const noexcept { return provider_version_; }

private:
    SchemaVersion schema_version_;
    std::optional<std::string> provider_name_;
    std::optional<std::string> provider_version_;
};

// Thread-safe. Declarations are immutable once made; find() hands out shared ownership.
class Registry {
public:
    // Checks, in this order, and throws SchemaError naming the schema version:
    //  - the name is valid and the version non-negative;
    //  - field names are non-empty, do not start with '_', and are unique;
    //  - a schema version already declared is re-declared identically (then this is a no-op);
    //  - the parent is declared and is not another version of the same schema;
    //  - re-declared parent fields are narrower or equal ("declared field types violate parent's
    //    field types: …").
    void declare(SchemaVersionDeclaration declaration);

    std::shared_ptr<const SchemaVersionDeclaration> find(const SchemaVersion& sv) const;
    bool is_declared(const SchemaVersion& sv) const;
    // Every declared schema version, sorted.
    std::vector<SchemaVersion> schema_versions() const;

    // The following throw UnknownSchemaVersionError when `sv` is not declared.
    std::optional<SchemaVersion> parent_of(const SchemaVersion& sv) const;
    // Parent-first merged fields (see the top of this header).
    std::vector<DeclaredField> declared_fields(const SchemaVersion& sv) const;
    std::vector<ResolvedField> resolved_fields(const SchemaVersion& sv) const;
    // "child@1>parent@1>…".
    std::string qualified_identifier(const SchemaVersion& sv) const;
    // True when `ancestor` is `sv` itself or one of its ancestors.
    bool descends_from(const SchemaVersion& sv, const SchemaVersion& ancestor) const;
    // The most derived schema version of a qualified identifier's chain ("child@1>parent@1>…") that
    // is declared here: the first declared one, reading from the left; nullopt when none is. A
    // malformed identifier throws what parse_identifier throws.
    std::optional<SchemaVersion> most_derived_declared(std::string_view qualified_identifier) const;

private:
    std::vector<ResolvedField> resolved_fields_locked(const SchemaVersion& sv) const;
    const SchemaVersionDeclaration& get_locked(const SchemaVersion& sv) const;

    mutable std::mutex mutex_;
    std::map<SchemaVersion, std::shared_ptr<const SchemaVersionDeclaration>> declarations_;
};

// The process-wide registry that record types (record.hpp) register themselves in, and that
// read/write/validate use unless given another.
Registry& default_registry();

}  // namespace legolasflux::legolas
