// Schema version declarations as JSON: what files we write record about their own schema, so that
// a program that never declared a team's schema (the `legolasflux` CLI, a colleague's tool) can
// still check and show it. docs/format.md ("Schema declarations") describes the form:
//
//   {"declarations": [
//     {"schema_version": "team.run@1", "parent": "team.base@1",
//      "fields": [{"name": "step", "kind": "exact", "type": {"name": "int", "bitWidth": 64, "isSigned": true}},
//                 {"name": "note", "kind": "string", "optional": true}]},
//     {"schema_version": "team.base@1", "parent": "legolas-flux.model@1", "fields": [...]},
//     ...]}
//
// A field is a constraint object plus its "name". A constraint object has a "kind" (anything,
// exact, signed_int, integer, real, float, string, binary, list_of, struct_of, extension), an
// "optional" flag (default false) and what its kind needs: exact a "type" (and "children", when
// nested) as Arrow's integration JSON spells them (arrow/json.hpp: write_field_json); list_of an
// "item" constraint; struct_of its "fields"; extension an "extension_name" and a "storage"
// constraint. Reading back what declarations_to_json wrote gives equal declarations.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "legolasflux/arrow/type.hpp"
#include "legolasflux/legolas/declaration.hpp"

namespace legolasflux::legolas {

// The schema-level Arrow metadata key under which write() records the declarations of the table's
// schema version and of its parents. Julia (Legolas.jl, Arrow.jl) ignores it, as any key it does
// not know.
inline constexpr std::string_view kSchemaDeclarationsKey = "legolasflux.schema_declarations";

// Compact JSON, in the order given (write() gives the most derived first).
std::string declarations_to_json(const std::vector<SchemaVersionDeclaration>& declarations);

// SchemaError naming `source` (a file path and key, a file name) and saying what is wrong and
// where: not JSON, a member missing or of the wrong type, an unknown member or kind, an invalid
// schema version or Arrow type, nesting deeper than 64.
std::vector<SchemaVersionDeclaration> declarations_from_json(std::string_view json, const std::string& source);

// `sv`'s declaration and its ancestors', most derived first. UnknownSchemaVersionError when `sv`
// is not declared in `registry`.
std::vector<SchemaVersionDeclaration> declaration_chain(const Registry& registry, const SchemaVersion& sv);

// How `d` differs from `other` (one schema version's two declarations), in words:
// "parent `a@1` vs `b@1`; `step`: int64 vs int32; `note` is not in the other"; empty when equal.
std::string difference(const SchemaVersionDeclaration& d, const SchemaVersionDeclaration& other);

// The declarations a schema's metadata records under kSchemaDeclarationsKey (none when the key is
// absent); errors as declarations_from_json, `source` naming the file.
std::vector<SchemaVersionDeclaration> declarations_in_metadata(const arrow::KeyValueMetadata& metadata,
                                                               const std::string& source);

// Declares every one of `declarations` in `registry`, parents before children (their order in the
// list does not matter). SchemaError naming `source` when a parent is neither in the list nor
// declared, when parents form a cycle, when the list holds two different declarations of one
// schema version, or when Registry::declare refuses one — for instance because `registry` already
// holds a different declaration of the same schema version (a built-in one, say). Declarations
// made before an error stay made.
void declare_all(Registry& registry, const std::vector<SchemaVersionDeclaration>& declarations,
                 const std::string& source);

}  // namespace legolasflux::legolas
