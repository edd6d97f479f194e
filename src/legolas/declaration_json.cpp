#include "legolasflux/legolas/declaration_json.hpp"

#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "common/json_check.hpp"
#include "legolasflux/arrow/json.hpp"

namespace legolasflux::legolas {
namespace {

// Ordered, so that what we write reads in the order of the declaration ("name" first).
using Json = nlohmann::ordered_json;
using Kind = FieldConstraint::Kind;

// Deeper constraints are refused rather than recursed into: the JSON comes from files.
constexpr int kMaxDepth = 64;
// Deeper JSON is refused before parsing (common/json_check.hpp); declarations within kMaxDepth
// nest far less deeply than this.
constexpr int kMaxJsonNesting = 512;

const std::pair<Kind, const char*> kKindNames[] = {
    {Kind::Anything, "anything"},  {Kind::Exact, "exact"},         {Kind::SignedInt, "signed_int"},
    {Kind::Integer, "integer"},    {Kind::Real, "real"},           {Kind::Float, "float"},
    {Kind::String, "string"},      {Kind::Binary, "binary"},       {Kind::ListOf, "list_of"},
    {Kind::StructOf, "struct_of"}, {Kind::Extension, "extension"},
};

const char* kind_name(Kind kind) {
    for (const auto& [k, name] : kKindNames)
        if (k == kind) return name;
    return "?";
}

Json constraint_to_json(const FieldConstraint& c);

Json field_to_json(const DeclaredField& f) {
    Json j = Json::object();
    j["name"] = f.name;
    const Json constraint = constraint_to_json(f.constraint);
    for (const auto& [key, value] : constraint.items()) j[key] = value;
    return j;
}

Json constraint_to_json(const FieldConstraint& c) {
    Json j = Json::object();
    j["kind"] = kind_name(c.kind);
    if (c.optional) j["optional"] = true;
    switch (c.kind) {
        case Kind::Exact: {
            // Arrow's field form without the field's own name and nullability, which are the
            // declared field's business.
            const Json arrow_field = Json::parse(arrow::write_field_json(arrow::field("", c.exact, false)));
            j["type"] = arrow_field.at("type");
            if (!c.exact.children.empty()) j["children"] = arrow_field.at("children");
            break;
        }
        case Kind::ListOf:
            if (!c.children.empty()) j["item"] = constraint_to_json(c.children[0].constraint);
            break;
        case Kind::StructOf: {
            Json fields = Json::array();
            for (const auto& f : c.children) fields.push_back(field_to_json(f));
            j["fields"] = std::move(fields);
            break;
        }
        case Kind::Extension:
            j["extension_name"] = c.extension_name;
            if (!c.children.empty()) j["storage"] = constraint_to_json(c.children[0].constraint);
            break;
        default: break;
    }
    return j;
}

// Reading: every failure says where in the document, "declarations[1].fields[2] (`step`)".
struct Reader {
    const std::string& source;

    [[noreturn]] void fail(const std::string& where, const std::string& what) const {
        throw SchemaError(source + ": schema declarations: " + (where.empty() ? "" : where + ": ") + what);
    }

    const Json& member(const Json& obj, const char* key, const std::string& where) const {
        const auto it = obj.find(key);
        if (it == obj.end()) fail(where, std::string("missing \"") + key + "\"");
        return *it;
    }

    std::string string_member(const Json& obj, const char* key, const std::string& where) const {
        const Json& v = member(obj, key, where);
        if (!v.is_string()) fail(where, std::string("\"") + key + "\" must be a string, found " + v.dump());
        return v.get<std::string>();
    }

    void only_members(const Json& obj, std::initializer_list<const char*> allowed, const std::string& where) const {
        for (const auto& [key, value] : obj.items()) {
            bool known = false;
            for (const char* a : allowed) known |= key == a;
            if (!known) fail(where, "unknown member \"" + key + "\"");
        }
    }

    SchemaVersion schema_version(const Json& obj, const char* key, const std::string& where) const {
        const std::string text = string_member(obj, key, where);
        try {
            const auto chain = parse_identifier(text);
            if (chain.size() != 1)
                fail(where, "\"" + std::string(key) + "\" must name one schema version, found \"" + text + "\"");
            return chain.front();
        } catch (const InvalidArgument& e) {
            fail(where, std::string("\"") + key + "\": " + e.what());
        }
    }

    DeclaredField field(const Json& j, const std::string& where, int depth) const {
        if (!j.is_object()) fail(where, "a field must be an object, found " + j.dump());
        DeclaredField f;
        f.name = string_member(j, "name", where);
        const std::string at = where + " (`" + f.name + "`)";
        f.constraint = constraint(j, at, depth, true);
        return f;
    }

    FieldConstraint constraint(const Json& j, const std::string& where, int depth, bool named = false) const {
        if (depth > kMaxDepth) fail(where, "constraints nest deeper than " + std::to_string(kMaxDepth));
        if (!j.is_object()) fail(where, "a constraint must be an object, found " + j.dump());
        const std::string kind = string_member(j, "kind", where);
        FieldConstraint c;
        bool found = false;
        for (const auto& [k, name] : kKindNames)
            if (kind == name) {
                c.kind = k;
                found = true;
            }
        if (!found) fail(where, "unknown kind \"" + kind + "\"");
        if (const auto it = j.find("optional"); it != j.end()) {
            if (!it->is_boolean()) fail(where, "\"optional\" must be true or false, found " + it->dump());
            c.optional = it->get<bool>();
        }
        const auto allow = [&](std::initializer_list<const char*> extra) {
            std::vector<const char*> allowed{"kind", "optional"};
            if (named) allowed.push_back("name");
            allowed.insert(allowed.end(), extra.begin(), extra.end());
            for (const auto& [key, value] : j.items()) {
                bool known = false;
                for (const char* a : allowed) known |= key == a;
                if (!known) fail(where, "unknown member \"" + key + "\" for kind \"" + kind + "\"");
            }
        };
        switch (c.kind) {
            case Kind::Exact: {
                allow({"type", "children"});
                Json arrow_field = Json::object();
                arrow_field["name"] = "";
                arrow_field["nullable"] = false;
                arrow_field["type"] = member(j, "type", where);
                arrow_field["children"] = j.contains("children") ? j["children"] : Json::array();
                try {
                    c.exact = arrow::read_field_json(arrow_field.dump()).type;
                } catch (const FormatError& e) {
                    fail(where, std::string("not an Arrow type: ") + e.what());
                }
                break;
            }
            case Kind::ListOf:
                allow({"item"});
                c.children.push_back(
                    DeclaredField{"", constraint(member(j, "item", where), where + ".item", depth + 1)});
                break;
            case Kind::StructOf: {
                allow({"fields"});
                const Json& fields = member(j, "fields", where);
                if (!fields.is_array()) fail(where, "\"fields\" must be an array");
                for (size_t i = 0; i < fields.size(); ++i)
                    c.children.push_back(field(fields[i], where + ".fields[" + std::to_string(i) + "]", depth + 1));
                break;
            }
            case Kind::Extension: {
                allow({"extension_name", "storage"});
                c.extension_name = string_member(j, "extension_name", where);
                FieldConstraint storage = constraint(member(j, "storage", where), where + ".storage", depth + 1);
                c.children.push_back(DeclaredField{"", std::move(storage)});
                break;
            }
            default: allow({}); break;
        }
        return c;
    }

    SchemaVersionDeclaration declaration(const Json& j, const std::string& where) const {
        if (!j.is_object()) fail(where, "a declaration must be an object, found " + j.dump());
        only_members(j, {"schema_version", "parent", "fields"}, where);
        SchemaVersionDeclaration d;
        d.schema_version = schema_version(j, "schema_version", where);
        const std::string at = where + " (`" + to_string(d.schema_version) + "`)";
        if (const auto it = j.find("parent"); it != j.end() && !it->is_null())
            d.parent = schema_version(j, "parent", at);
        const Json& fields = member(j, "fields", at);
        if (!fields.is_array()) fail(at, "\"fields\" must be an array");
        for (size_t i = 0; i < fields.size(); ++i)
            d.fields.push_back(field(fields[i], at + ".fields[" + std::to_string(i) + "]", 1));
        return d;
    }
};

}  // namespace

std::string declarations_to_json(const std::vector<SchemaVersionDeclaration>& declarations) {
    Json list = Json::array();
    for (const auto& d : declarations) {
        Json j = Json::object();
        j["schema_version"] = to_string(d.schema_version);
        if (d.parent) j["parent"] = to_string(*d.parent);
        Json fields = Json::array();
        for (const auto& f : d.fields) fields.push_back(field_to_json(f));
        j["fields"] = std::move(fields);
        list.push_back(std::move(j));
    }
    Json doc = Json::object();
    doc["declarations"] = std::move(list);
    return doc.dump();
}

std::vector<SchemaVersionDeclaration> declarations_from_json(std::string_view json, const std::string& source) {
    const Reader reader{source};
    if (common::json_nesting(json) > kMaxJsonNesting)
        reader.fail("", "arrays and objects nest deeper than " + std::to_string(kMaxJsonNesting));
    Json doc;
    try {
        doc = Json::parse(json.begin(), json.end());
    } catch (const Json::exception& e) {
        reader.fail("", std::string("not valid JSON: ") + e.what());
    }
    if (!doc.is_object()) reader.fail("", "the document must be an object {\"declarations\": [...]}");
    reader.only_members(doc, {"declarations"}, "");
    const Json& list = reader.member(doc, "declarations", "");
    if (!list.is_array()) reader.fail("", "\"declarations\" must be an array");
    std::vector<SchemaVersionDeclaration> out;
    for (size_t i = 0; i < list.size(); ++i)
        out.push_back(reader.declaration(list[i], "declarations[" + std::to_string(i) + "]"));
    return out;
}

std::string difference(const SchemaVersionDeclaration& d, const SchemaVersionDeclaration& other) {
    std::string s;
    const auto add = [&](const std::string& part) { s += (s.empty() ? "" : "; ") + part; };
    const auto parent = [](const std::optional<SchemaVersion>& p) { return p ? "`" + to_string(*p) + "`" : "none"; };
    if (d.parent != other.parent) add("parent " + parent(d.parent) + " vs " + parent(other.parent));
    for (const auto& f : d.fields) {
        const DeclaredField* o = nullptr;
        for (const auto& g : other.fields)
            if (g.name == f.name) o = &g;
        if (!o)
            add("`" + f.name + "` is not in the other");
        else if (!(o->constraint == f.constraint))
            add("`" + f.name + "`: " + describe(f.constraint) + " vs " + describe(o->constraint));
    }
    for (const auto& g : other.fields) {
        bool found = false;
        for (const auto& f : d.fields) found |= f.name == g.name;
        if (!found) add("`" + g.name + "` is only in the other");
    }
    // Same fields, another order: the declared column order differs.
    if (s.empty() && !(d == other)) add("the same fields in another order");
    return s;
}

std::vector<SchemaVersionDeclaration> declaration_chain(const Registry& registry, const SchemaVersion& sv) {
    std::vector<SchemaVersionDeclaration> out;
    for (std::optional<SchemaVersion> p = sv; p;) {
        const auto d = registry.find(*p);
        if (!d) throw UnknownSchemaVersionError(*p);
        out.push_back(*d);
        p = d->parent;
    }
    return out;
}

std::vector<SchemaVersionDeclaration> declarations_in_metadata(const arrow::KeyValueMetadata& metadata,
                                                               const std::string& source) {
    const auto value = arrow::find_metadata(metadata, kSchemaDeclarationsKey);
    if (!value) return {};
    return declarations_from_json(*value, source + " (metadata key `" + std::string(kSchemaDeclarationsKey) + "`)");
}

void declare_all(Registry& registry, const std::vector<SchemaVersionDeclaration>& declarations,
                 const std::string& source) {
    std::map<SchemaVersion, const SchemaVersionDeclaration*> by_version;
    for (const auto& d : declarations) {
        const auto [it, inserted] = by_version.emplace(d.schema_version, &d);
        if (!inserted && !(*it->second == d))
            throw SchemaError(source + ": two different declarations of `" + to_string(d.schema_version) + "`");
    }
    std::set<SchemaVersion> done;
    // Each declaration after its parent's: walk up to the first ancestor that is declared already
    // (or has no parent), then declare on the way back down.
    for (const auto& d : declarations) {
        std::vector<const SchemaVersionDeclaration*> path;
        std::set<SchemaVersion> on_path;
        for (const SchemaVersionDeclaration* at = &d; at && !done.count(at->schema_version);) {
            if (!on_path.insert(at->schema_version).second) {
                std::string cycle;
                for (const auto* p : path) cycle += to_string(p->schema_version) + " > ";
                throw SchemaError(source + ": the parents of `" + to_string(d.schema_version) +
                                  "` form a cycle: " + cycle + to_string(at->schema_version));
            }
            path.push_back(at);
            if (!at->parent) break;
            const auto next = by_version.find(*at->parent);
            if (next != by_version.end()) {
                at = next->second;
            } else {
                if (!registry.is_declared(*at->parent))
                    throw SchemaError(source + ": `" + to_string(at->schema_version) + "` extends `" +
                                      to_string(*at->parent) + "`, which is neither declared there nor known here");
                break;
            }
        }
        for (auto it = path.rbegin(); it != path.rend(); ++it) {
            try {
                registry.declare(**it);
            } catch (const SchemaError& e) {
                const auto existing = registry.find((*it)->schema_version);
                if (existing && !(*existing == **it))
                    throw SchemaError(source + ": its declaration of `" + to_string((*it)->schema_version) +
                                      "` contradicts the one already declared: " + difference(**it, *existing) +
                                      " (this one vs the one already declared)");
                throw SchemaError(source + ": " + e.what());
            }
            done.insert((*it)->schema_version);
        }
    }
}

}  // namespace legolasflux::legolas
