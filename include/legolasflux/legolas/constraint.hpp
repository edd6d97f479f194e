// Type constraints of declared fields, over Arrow types.
//
// Legolas.jl declares fields with Julia types (`x::Int8`, `y::String`, `w::Union{Missing,Weights}`)
// and checks a column by asking whether the element type Arrow.jl reads for it is a subtype. A
// FieldConstraint is the same question asked of the Arrow field directly:
//
//   kind        complies when the column is                   Julia analogue
//   Anything    anything at all (also absent or all-null)      Any
//   Exact       exactly this Arrow type (nested children        Int64, Float32, Vector{Int64}…
//               compared with their nullability; list item
//               names are ignored)
//   SignedInt   a signed integer of any width                  Signed
//   Integer     an integer of any width or signedness, or bool Integer (Bool <: Integer in Julia)
//   Real        an integer, bool or float                      Real
//   Float       a float of any precision                       AbstractFloat
//   String      utf8 or large_utf8                             AbstractString
//   Binary      binary or large_binary                         Vector{UInt8}
//   ListOf      a list or large list whose item complies       AbstractVector{<:T}
//   StructOf    a struct whose children are the declared ones, a NamedTuple / nested record
//               matched by name (order free; optional children
//               may be absent; no other children)
//   Extension   a field carrying ARROW:extension:name = name,  a type with an `arrowname`
//               whose storage complies with the storage
//               constraint
//
// `optional` is Julia's Union{Missing,…}: the column may be absent, nullable, or of Arrow type Null.
// A non-optional field requires a non-nullable column, because Arrow.jl reads a nullable column as
// Union{Missing,T}, which is not a subtype of T. Widths are exact: int32 does not comply with int64.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "legolasflux/arrow/type.hpp"

namespace legolasflux::legolas {

struct DeclaredField;

struct FieldConstraint {
    enum class Kind { Anything, Exact, SignedInt, Integer, Real, Float, String, Binary, ListOf, StructOf, Extension };

    Kind kind = Kind::Anything;
    bool optional = false;
    arrow::DataType exact;       // Exact
    std::string extension_name;  // Extension
    // ListOf: one child (the item, name ignored); Extension: one child (the storage, name ignored);
    // StructOf: the declared children.
    std::vector<DeclaredField> children;
};

struct DeclaredField {
    std::string name;
    FieldConstraint constraint;
};

bool operator==(const FieldConstraint& a, const FieldConstraint& b);
bool operator==(const DeclaredField& a, const DeclaredField& b);

// Constructors.
FieldConstraint any_type();
FieldConstraint exact(arrow::DataType type);
FieldConstraint any_signed_int();
FieldConstraint any_integer();
FieldConstraint any_real();
FieldConstraint any_float();
FieldConstraint any_string();
FieldConstraint any_binary();
FieldConstraint list_of(FieldConstraint item);
FieldConstraint struct_of(std::vector<DeclaredField> children);
FieldConstraint extension(std::string name, FieldConstraint storage);
// The same constraint, made optional (Union{Missing,…}).
FieldConstraint optional(FieldConstraint c);
// The same constraint, made required.
FieldConstraint required(FieldConstraint c);

// In words: "int64", "any signed integer", "list of float32", "optional int64",
// "struct {seed: int64, dropout_rate: float32}", "extension JuliaLang.LegolasFlux.Weights".
std::string describe(const FieldConstraint& c);
// What a column is, in the words `describe` uses for constraints: "int64", "utf8 (nullable)",
// "struct<…> (extension JuliaLang.LegolasFlux.Weights)".
std::string describe(const arrow::Field& field);

// Why `field` does not comply with `c`, or nullopt when it does. The text says what was found
// (describe(field)) — callers add the expected side.
std::optional<std::string> violation(const arrow::Field& field, const FieldConstraint& c);
inline bool complies(const arrow::Field& field, const FieldConstraint& c) { return !violation(field, c); }

// Legolas' rule for a child re-declaring a parent's field: every column that complies with
// `child` must comply with `parent` (Julia: child type <: parent type).
bool is_narrower_or_equal(const FieldConstraint& child, const FieldConstraint& parent);

// Legolas v0.4 wrote nested rows as a struct {"1": name (utf8), "2": version (int64), "3": the
// fields (struct)} with extension name `JuliaLang.<name>@<version>`. For such a field, the index
// of child "3" in field.type.children; nullopt for any other field.
std::optional<std::size_t> legacy_row_payload(const arrow::Field& field);

}  // namespace legolasflux::legolas
