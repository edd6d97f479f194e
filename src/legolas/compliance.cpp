#include "legolasflux/legolas/compliance.hpp"

namespace legolasflux::legolas {

std::string Violation::to_string() const {
    if (!found) return "Could not find declared field: `" + field + "`";
    return "Incorrect type: `" + field + "` expected `<:" + expected + "`, found `" + *found + "`";
}

std::vector<Violation> find_violations(const arrow::Schema& schema, const SchemaVersion& sv, const Registry& registry) {
    std::vector<Violation> out;
    for (const auto& declared : registry.declared_fields(sv)) {
        const arrow::Field* column = nullptr;
        for (const auto& f : schema.fields)
            if (f.name == declared.name) {
                column = &f;
                break;
            }
        const auto& c = declared.constraint;
        if (!column) {
            if (!c.optional && c.kind != FieldConstraint::Kind::Anything)
                out.push_back(Violation{declared.name, describe(c), std::nullopt});
        } else if (auto found = violation(*column, c)) {
            out.push_back(Violation{declared.name, describe(c), std::move(found)});
        }
    }
    return out;
}

std::optional<Violation> find_violation(const arrow::Schema& schema, const SchemaVersion& sv,
                                        const Registry& registry) {
    auto all = find_violations(schema, sv, registry);
    if (all.empty()) return std::nullopt;
    return std::move(all.front());
}

bool complies_with(const arrow::Schema& schema, const SchemaVersion& sv, const Registry& registry) {
    return find_violations(schema, sv, registry).empty();
}

void validate(const arrow::Schema& schema, const SchemaVersion& sv, const Registry& registry) {
    const auto violations = find_violations(schema, sv, registry);
    if (violations.empty()) return;
    std::string msg = "Arrow schema violates Legolas schema `" + to_string(sv) + "`:";
    for (const auto& v : violations) msg += "\n - " + v.to_string();
    msg += "\nProvided Arrow schema:";
    for (const auto& f : schema.fields) msg += "\n " + arrow::to_string(f);
    throw SchemaError(msg);
}

}  // namespace legolasflux::legolas
