#include "load_plan.hpp"

#include <algorithm>
#include <map>
#include <optional>

#include "legolasflux/errors.hpp"

namespace legolasflux::torch {
namespace detail {
namespace {

// The module name a stored name loads into.
std::string renamed(const std::string& stored, const LoadOptions& o) {
    if (const auto it = o.rename.find(stored); it != o.rename.end()) return it->second;
    for (const auto& [from, to] : o.rename_prefixes)
        if (stored.starts_with(from)) return to + stored.substr(from.size());
    return stored;
}

bool selected(const std::string& name, const LoadOptions& o) {
    if (o.only.empty() && o.prefixes.empty()) return true;
    if (std::find(o.only.begin(), o.only.end(), name) != o.only.end()) return true;
    return std::any_of(o.prefixes.begin(), o.prefixes.end(), [&](const std::string& p) { return name.starts_with(p); });
}

// Why the array cannot go into the tensor, as far as shapes tell.
std::optional<std::string> misfit(const NamedTensor& t, const StoredArray& a) {
    const std::vector<int64_t> expected = reversed(t.tensor.sizes());
    if (a.size == expected) return std::nullopt;
    return "the model expects torch shape " + torch_shape(t.tensor.sizes()) + " (Julia size " +
           format_julia_size(expected) + "), got Julia size " + format_julia_size(a.size) + " (torch shape " +
           torch_shape(reversed(a.size)) + ")";
}

LoadDifference missing(const NamedTensor& t) { return {.name = t.name, .model_shape = t.tensor.sizes().vec()}; }

LoadDifference unexpected(size_t i, const StoredArray& a, const std::vector<std::string>* names) {
    return {.name = names ? (*names)[i] : std::string(), .array = i, .stored_size = a.size};
}

std::string quoted(const std::string& s) { return "'" + s + "'"; }

std::string stored_label(const LoadDifference& d) {
    std::string s = "array " + std::to_string(*d.array);
    if (!d.stored_name.empty() && d.stored_name != d.name) return s + " (stored as " + quoted(d.stored_name) + ")";
    return s;
}

}  // namespace

std::string torch_shape(at::IntArrayRef sizes) {
    std::string s = "[";
    for (size_t i = 0; i < sizes.size(); ++i) s += (i ? ", " : "") + std::to_string(sizes[i]);
    return s + "]";
}

std::vector<int64_t> reversed(at::IntArrayRef sizes) { return {sizes.rbegin(), sizes.rend()}; }

LoadPlan plan_load(const std::vector<NamedTensor>& tensors, const std::vector<StoredArray>& arrays,
                   const LoadOptions& o) {
    const std::vector<std::string>* names = o.names;
    if (names && names->size() != arrays.size())
        throw ShapeError("the weights have " + std::to_string(arrays.size()) + " arrays but " +
                         std::to_string(names->size()) + " names");
    const bool subset = !o.only.empty() || !o.prefixes.empty() || !o.rename.empty() || !o.rename_prefixes.empty();
    Match match = o.by_name ? Match::ByName : o.match;
    if (match == Match::Auto) match = names ? Match::ByName : Match::ByPosition;
    if (match == Match::ByName && !names)
        throw InvalidArgument(
            "loading by name needs the stored names (LoadOptions::names, or a file's weight_names column), and these "
            "weights have none: load them by position (Match::ByPosition), or save them with names (save_weights)");
    if (subset && match != Match::ByName)
        throw InvalidArgument(
            "a subset or renamed load (only, prefixes, rename) matches by name: " +
            std::string(names ? "set match to Match::ByName or Auto" : "these weights have no stored names"));

    LoadPlan plan;
    plan.report.matched_by = match;
    auto pair = [&](size_t t, size_t a) {
        if (auto why = misfit(tensors[t], arrays[a])) {
            LoadDifference d{.name = tensors[t].name,
                             .array = a,
                             .stored_name = names ? (*names)[a] : std::string(),
                             .model_shape = tensors[t].tensor.sizes().vec(),
                             .stored_size = arrays[a].size,
                             .why = *why};
            plan.report.mismatched.push_back(std::move(d));
        } else {
            plan.targets.push_back(t);
            plan.sources.push_back(a);
        }
    };
    if (match == Match::ByPosition) {
        const size_t common = std::min(tensors.size(), arrays.size());
        for (size_t i = 0; i < common; ++i) pair(i, i);
        for (size_t t = common; t < tensors.size(); ++t) plan.report.missing.push_back(missing(tensors[t]));
        for (size_t a = common; a < arrays.size(); ++a)
            plan.report.unexpected.push_back(unexpected(a, arrays[a], names));
        return plan;
    }
    std::map<std::string, size_t> index_of;  // module name -> stored array
    for (size_t a = 0; a < names->size(); ++a) {
        const std::string to = renamed((*names)[a], o);
        if (!index_of.emplace(to, a).second)
            throw ShapeError("the name '" + to + "' is stored for more than one array (arrays " +
                             std::to_string(index_of[to]) + " and " + std::to_string(a) + ")");
    }
    std::vector<bool> taken(arrays.size());
    for (size_t t = 0; t < tensors.size(); ++t) {
        if (!selected(tensors[t].name, o)) continue;
        const auto it = index_of.find(tensors[t].name);
        if (it == index_of.end()) {
            plan.report.missing.push_back(missing(tensors[t]));
            continue;
        }
        taken[it->second] = true;
        pair(t, it->second);
    }
    for (size_t a = 0; a < arrays.size(); ++a)
        if (!taken[a] && selected(renamed((*names)[a], o), o))
            plan.report.unexpected.push_back(unexpected(a, arrays[a], names));
    return plan;
}

void reject(LoadPlan& plan, size_t k, const std::vector<NamedTensor>& tensors, const StoredArray& array,
            std::string why) {
    const NamedTensor& t = tensors[plan.targets[k]];
    plan.report.mismatched.push_back({.name = t.name,
                                      .array = plan.sources[k],
                                      .model_shape = t.tensor.sizes().vec(),
                                      .stored_size = array.size,
                                      .why = std::move(why)});
    plan.targets.erase(plan.targets.begin() + static_cast<std::ptrdiff_t>(k));
    plan.sources.erase(plan.sources.begin() + static_cast<std::ptrdiff_t>(k));
}

void finish(LoadPlan& plan, const std::vector<NamedTensor>& tensors, bool strict) {
    plan.report.loaded.clear();
    for (size_t t : plan.targets) plan.report.loaded.push_back(tensors[t].name);
    if (strict && !plan.report.complete())
        throw LoadError("the weights do not fit the model (nothing was loaded): " + plan.report.describe(),
                        plan.report);
}

}  // namespace detail

std::string LoadReport::describe() const {
    using detail::quoted;
    std::string s = std::string("matched by ") + (matched_by == Match::ByName ? "name" : "position") + ": " +
                    std::to_string(loaded.size()) + " loaded, " + std::to_string(missing.size()) + " missing, " +
                    std::to_string(unexpected.size()) + " unexpected, " + std::to_string(mismatched.size()) +
                    " mismatched";
    for (const LoadDifference& d : missing)
        s += "\n  missing: the model's " + quoted(d.name) + " (torch shape " + detail::torch_shape(d.model_shape) +
             ") has no stored array";
    for (const LoadDifference& d : unexpected)
        s += "\n  unexpected: array " + std::to_string(*d.array) + (d.name.empty() ? "" : " " + quoted(d.name)) +
             " (Julia size " + format_julia_size(d.stored_size) + ", torch shape " +
             detail::torch_shape(detail::reversed(d.stored_size)) + ") goes into no tensor of the model";
    for (const LoadDifference& d : mismatched)
        s += "\n  mismatched: " + detail::stored_label(d) + " for " + quoted(d.name) + ": " + d.why;
    return s;
}

}  // namespace legolasflux::torch
