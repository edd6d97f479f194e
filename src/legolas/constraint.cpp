#include "legolasflux/legolas/constraint.hpp"

#include <algorithm>

namespace legolasflux::legolas {
namespace {

using arrow::TypeId;
using Kind = FieldConstraint::Kind;

FieldConstraint of(Kind kind) {
    FieldConstraint c;
    c.kind = kind;
    return c;
}

bool is_list(TypeId id) { return id == TypeId::List || id == TypeId::LargeList; }

// Exact type equality as Julia would see it: the same Arrow type, children with the same types and
// nullability; list item names do not matter (Arrow.jl writes "", others "item"), struct child
// names do. Metadata of children (extension names) must match too, as they change the Julia type.
bool same_type(const arrow::DataType& a, const arrow::DataType& b);

bool same_child(const arrow::Field& a, const arrow::Field& b, bool compare_names) {
    if (compare_names && a.name != b.name) return false;
    return a.nullable == b.nullable && a.extension_name() == b.extension_name() && same_type(a.type, b.type);
}

bool same_type(const arrow::DataType& a, const arrow::DataType& b) {
    if (a.children.size() != b.children.size()) return false;
    arrow::DataType a_leaf = a, b_leaf = b;
    a_leaf.children.clear();
    b_leaf.children.clear();
    if (!(a_leaf == b_leaf)) return false;
    const bool compare_names = a.id == TypeId::Struct || a.id == TypeId::Union || a.id == TypeId::Map;
    for (size_t i = 0; i < a.children.size(); ++i)
        if (!same_child(a.children[i], b.children[i], compare_names)) return false;
    return true;
}

const DeclaredField* find_declared(const std::vector<DeclaredField>& fields, const std::string& name) {
    for (const auto& f : fields)
        if (f.name == name) return &f;
    return nullptr;
}

// Whether the (non-null) type of `field` is of the kind `c` asks for; nullability of `field`
// itself is the caller's business.
bool type_complies(const arrow::Field& field, const FieldConstraint& c) {
    const arrow::DataType& t = field.type;
    switch (c.kind) {
        case Kind::Anything: return true;
        case Kind::Exact: return same_type(t, c.exact);
        case Kind::SignedInt: return t.id == TypeId::Int && t.is_signed;
        case Kind::Integer: return t.id == TypeId::Int || t.id == TypeId::Bool;
        case Kind::Real: return t.id == TypeId::Int || t.id == TypeId::Bool || t.id == TypeId::FloatingPoint;
        case Kind::Float: return t.id == TypeId::FloatingPoint;
        case Kind::String: return t.id == TypeId::Utf8 || t.id == TypeId::LargeUtf8;
        case Kind::Binary: return t.id == TypeId::Binary || t.id == TypeId::LargeBinary;
        case Kind::ListOf:
            return is_list(t.id) && t.children.size() == 1 && !c.children.empty() &&
                   !violation(t.children[0], c.children[0].constraint);
        case Kind::StructOf: {
            const arrow::Field* s = &field;
            if (const auto payload = legacy_row_payload(field)) s = &field.type.children[*payload];
            if (s->type.id != TypeId::Struct) return false;
            for (const auto& child : s->type.children)
                if (!find_declared(c.children, child.name)) return false;
            for (const auto& declared : c.children) {
                const auto it = std::find_if(s->type.children.begin(), s->type.children.end(),
                                             [&](const arrow::Field& f) { return f.name == declared.name; });
                if (it == s->type.children.end()) {
                    if (!declared.constraint.optional && declared.constraint.kind != Kind::Anything) return false;
                } else if (violation(*it, declared.constraint)) {
                    return false;
                }
            }
            return true;
        }
        case Kind::Extension:
            return field.extension_name() == std::optional<std::string_view>(c.extension_name) && !c.children.empty() &&
                   type_complies(field, c.children[0].constraint);
    }
    return false;
}

std::string join_children(const std::vector<DeclaredField>& fields) {
    std::string s;
    for (size_t i = 0; i < fields.size(); ++i) {
        if (i) s += ", ";
        s += fields[i].name + ": " + describe(fields[i].constraint);
    }
    return s;
}

}  // namespace

bool operator==(const FieldConstraint& a, const FieldConstraint& b) {
    return a.kind == b.kind && a.optional == b.optional && a.exact == b.exact && a.extension_name == b.extension_name &&
           a.children == b.children;
}

bool operator==(const DeclaredField& a, const DeclaredField& b) {
    return a.name == b.name && a.constraint == b.constraint;
}

FieldConstraint any_type() { return of(Kind::Anything); }
FieldConstraint exact(arrow::DataType type) {
    FieldConstraint c = of(Kind::Exact);
    c.exact = std::move(type);
    return c;
}
FieldConstraint any_signed_int() { return of(Kind::SignedInt); }
FieldConstraint any_integer() { return of(Kind::Integer); }
FieldConstraint any_real() { return of(Kind::Real); }
FieldConstraint any_float() { return of(Kind::Float); }
FieldConstraint any_string() { return of(Kind::String); }
FieldConstraint any_binary() { return of(Kind::Binary); }
FieldConstraint list_of(FieldConstraint item) {
    FieldConstraint c = of(Kind::ListOf);
    c.children.push_back(DeclaredField{"", std::move(item)});
    return c;
}
FieldConstraint struct_of(std::vector<DeclaredField> children) {
    FieldConstraint c = of(Kind::StructOf);
    c.children = std::move(children);
    return c;
}
FieldConstraint extension(std::string name, FieldConstraint storage) {
    FieldConstraint c = of(Kind::Extension);
    c.extension_name = std::move(name);
    storage.optional = false;
    c.children.push_back(DeclaredField{"", std::move(storage)});
    return c;
}
FieldConstraint optional(FieldConstraint c) {
    c.optional = c.kind != Kind::Anything;  // Any already includes Missing
    return c;
}
FieldConstraint required(FieldConstraint c) {
    c.optional = false;
    return c;
}

std::string describe(const FieldConstraint& c) {
    std::string s = c.optional ? "optional " : "";
    switch (c.kind) {
        case Kind::Anything: return "anything";
        case Kind::Exact: return s + arrow::to_string(c.exact);
        case Kind::SignedInt: return s + "any signed integer";
        case Kind::Integer: return s + "any integer";
        case Kind::Real: return s + "any real number";
        case Kind::Float: return s + "any float";
        case Kind::String: return s + "string";
        case Kind::Binary: return s + "binary";
        case Kind::ListOf: return s + "list of " + (c.children.empty() ? "?" : describe(c.children[0].constraint));
        case Kind::StructOf: return s + "struct {" + join_children(c.children) + "}";
        case Kind::Extension: return s + "extension " + c.extension_name;
    }
    return s + "?";
}

std::string describe(const arrow::Field& field) {
    std::string s = arrow::to_string(field.type);
    if (field.nullable && field.type.id != TypeId::Null) s += " (nullable)";
    if (const auto ext = field.extension_name()) s += " (extension " + std::string(*ext) + ")";
    return s;
}

std::optional<std::string> violation(const arrow::Field& field, const FieldConstraint& c) {
    if (c.kind == Kind::Anything) return std::nullopt;
    if (field.type.id == TypeId::Null) {
        if (c.optional) return std::nullopt;
        return describe(field);
    }
    if (field.nullable && !c.optional) return describe(field);
    if (!type_complies(field, c)) return describe(field);
    return std::nullopt;
}

bool is_narrower_or_equal(const FieldConstraint& child, const FieldConstraint& parent) {
    if (parent.kind == Kind::Anything) return true;
    if (child.kind == Kind::Anything) return false;
    if (child.optional && !parent.optional) return false;
    // A child of an exact type is narrower exactly when a column of that type complies.
    if (child.kind == Kind::Exact) {
        arrow::Field probe = arrow::field("", child.exact, child.optional);
        return !violation(probe, parent);
    }
    switch (parent.kind) {
        case Kind::Anything: return true;
        case Kind::Exact: return false;
        case Kind::SignedInt: return child.kind == Kind::SignedInt;
        case Kind::Integer: return child.kind == Kind::SignedInt || child.kind == Kind::Integer;
        case Kind::Real:
            return child.kind == Kind::SignedInt || child.kind == Kind::Integer || child.kind == Kind::Real ||
                   child.kind == Kind::Float;
        case Kind::Float: return child.kind == Kind::Float;
        case Kind::String: return child.kind == Kind::String;
        case Kind::Binary: return child.kind == Kind::Binary;
        case Kind::ListOf:
            return child.kind == Kind::ListOf && !child.children.empty() && !parent.children.empty() &&
                   is_narrower_or_equal(child.children[0].constraint, parent.children[0].constraint);
        case Kind::StructOf: {
            if (child.kind != Kind::StructOf) return false;
            for (const auto& c : child.children) {
                const DeclaredField* p = find_declared(parent.children, c.name);
                if (!p || !is_narrower_or_equal(c.constraint, p->constraint)) return false;
            }
            for (const auto& p : parent.children)
                if (!find_declared(child.children, p.name) && !p.constraint.optional &&
                    p.constraint.kind != Kind::Anything)
                    return false;
            return true;
        }
        case Kind::Extension:
            return child.kind == Kind::Extension && child.extension_name == parent.extension_name &&
                   !child.children.empty() && !parent.children.empty() &&
                   is_narrower_or_equal(child.children[0].constraint, parent.children[0].constraint);
    }
    return false;
}

std::optional<std::size_t> legacy_row_payload(const arrow::Field& field) {
    const auto& t = field.type;
    if (t.id != TypeId::Struct || t.children.size() != 3) return std::nullopt;
    const auto ext = field.extension_name();
    if (!ext || !ext->starts_with("JuliaLang.")) return std::nullopt;
    if (ext->find('@') == std::string_view::npos && *ext != "JuliaLang.Legolas.Row") return std::nullopt;
    const auto& c = t.children;
    if (c[0].name != "1" || c[1].name != "2" || c[2].name != "3") return std::nullopt;
    if (c[0].type.id != TypeId::Utf8 && c[0].type.id != TypeId::LargeUtf8) return std::nullopt;
    if (c[1].type.id != TypeId::Int || c[2].type.id != TypeId::Struct) return std::nullopt;
    return std::size_t{2};
}

}  // namespace legolasflux::legolas
