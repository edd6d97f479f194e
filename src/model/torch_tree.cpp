// Finding things in the value tree of a torch.save file (torch_load.hpp): values by key path,
// state dicts, and what to say when a value is not the state dict asked for.
#include <algorithm>
#include <set>
#include <tuple>

#include "legolasflux/errors.hpp"
#include "legolasflux/torch_load.hpp"

namespace legolasflux {
namespace {

using Kind = TorchValue::Kind;

constexpr size_t kKeysShown = 12;

bool is_state_dict(const TorchValue& v) {
    if (v.kind != Kind::Dict || v.items.empty()) return false;
    for (const auto& item : v.items)
        if (item.value.kind != Kind::Tensor) return false;
    return true;
}

// An nn.Module pickled whole: its attributes are those of Module.__init__.
bool is_module(const TorchValue& v) {
    return std::any_of(v.items.begin(), v.items.end(), [](const TorchItem& i) { return i.key == "_parameters"; });
}

std::string in_quotes(std::string_view key) { return "'" + std::string(key) + "'"; }

// "'a', 'b', … (12 more)"
std::string key_list(const TorchValue& v) {
    std::string s;
    for (size_t i = 0; i < v.items.size() && i < kKeysShown; ++i) s += (i ? ", " : "") + in_quotes(v.items[i].key);
    if (v.items.size() > kKeysShown) s += ", … (" + std::to_string(v.items.size() - kKeysShown) + " more)";
    return s.empty() ? "none" : s;
}

using Found = std::vector<std::pair<std::string, const TorchValue*>>;

void find_state_dicts(const TorchValue& v, const std::string& path, Found& out) {
    if (is_state_dict(v)) {
        out.emplace_back(path, &v);
        return;
    }
    if (v.kind == Kind::Object) return;
    for (const auto& item : v.items) find_state_dicts(item.value, path.empty() ? item.key : path + "." + item.key, out);
}

struct Search {
    const TorchValue* found = nullptr;
    // The deepest level where a part was not found: the value there and its path.
    const TorchValue* stuck = nullptr;
    std::string stuck_path;
    size_t stuck_part = 0;
};

// Parts [i, n) of `parts` below `v`, whose path so far is `path`: the longest run of parts that is
// a key first.
void search(const TorchValue& v, const std::vector<std::string_view>& parts, size_t i, const std::string& path,
            Search& s) {
    if (i == parts.size()) {
        s.found = &v;
        return;
    }
    if (!s.stuck || i >= s.stuck_part) s.stuck = &v, s.stuck_path = path, s.stuck_part = i;
    for (size_t j = parts.size(); j > i && !s.found; --j) {
        std::string key(parts[i]);
        for (size_t k = i + 1; k < j; ++k) key += "." + std::string(parts[k]);
        for (const auto& item : v.items) {
            if (item.key != key) continue;
            search(item.value, parts, j, path.empty() ? key : path + "." + key, s);
            break;
        }
    }
}

std::string at_text(std::string_view key) { return key.empty() ? "the top level" : in_quotes(key); }

// What a value that is not a state dict is, and what to do about it.
std::string not_a_state_dict(const TorchValue& v, std::string_view key) {
    const std::string at = at_text(key);
    if (v.kind == Kind::Object && is_module(v))
        return at + " is a pickled Python object of class " + v.text +
               ", not a state dict: torch.save(model) pickles the whole module, which only Python can rebuild by "
               "importing and running its code, and pickled code is not run here. Save the weights with "
               "torch.save(model.state_dict(), path) instead";
    if (v.kind == Kind::Object)
        return at + " is a pickled Python object of class " + v.text +
               ", not a state dict (a dict of tensors); pickled code is not run here";
    if (v.kind != Kind::Dict) return at + " is " + describe(v) + ", not a state dict (a dict of tensors)";
    if (v.items.empty()) return at + " is an empty dict, not a state dict";
    std::string s = at + " is a dict, not a state dict (a dict of tensors): its keys are " + key_list(v);
    std::string others;
    size_t n = 0;
    for (const auto& item : v.items) {
        if (item.value.kind == Kind::Tensor) continue;
        if (n++ < kKeysShown)
            others += (others.empty() ? "" : ", ") + in_quotes(item.key) + " (" + describe(item.value) + ")";
    }
    if (n > kKeysShown) others += ", …";
    s += "; not tensors: " + others;
    Found found;
    find_state_dicts(v, std::string(key), found);
    if (found.empty()) {
        s += "; no state dict is in it";
    } else {
        s += "; state dicts in it: ";
        for (size_t i = 0; i < found.size() && i < kKeysShown; ++i)
            s += (i ? ", " : "") + in_quotes(found[i].first) + " (" + std::to_string(found[i].second->items.size()) +
                 " tensors)";
        if (found.size() > kKeysShown) s += ", … (" + std::to_string(found.size() - kKeysShown) + " more)";
    }
    for (const auto& item : v.items)
        if (item.value.kind == Kind::Object && is_module(item.value))
            return s + "; " + in_quotes(item.key) + " is a pickled " + item.value.text +
                   " object: save model.state_dict() instead";
    return s;
}

}  // namespace

const TorchValue& torch_value_at(const TorchValue& root, std::string_view key, std::string_view where) {
    if (key.empty()) return root;
    std::vector<std::string_view> parts;
    for (size_t start = 0;;) {
        const size_t dot = key.find('.', start);
        parts.push_back(key.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start));
        if (dot == std::string_view::npos) break;
        start = dot + 1;
    }
    Search s;
    search(root, parts, 0, "", s);
    if (s.found) return *s.found;
    const std::string prefix = where.empty() ? "" : std::string(where) + ": ";
    const TorchValue& v = *s.stuck;
    if (!v.is_container() || v.items.empty())
        throw InvalidArgument(prefix + "no key " + in_quotes(key) + ": " + at_text(s.stuck_path) + " is " +
                              describe(v) + ", which holds no keys");
    throw InvalidArgument(prefix + "no key " + in_quotes(key) + ": " + at_text(s.stuck_path) + " has no key " +
                          in_quotes(parts[s.stuck_part]) + " (its keys: " + key_list(v) + ")");
}

std::vector<std::string> state_dict_keys(const TorchValue& root) {
    Found found;
    find_state_dicts(root, "", found);
    std::vector<std::string> out;
    for (auto& [path, value] : found) out.push_back(std::move(path));
    return out;
}

std::vector<SafeTensor> state_dict(const TorchValue& root, std::string_view key, std::string_view where) {
    const TorchValue& v = torch_value_at(root, key, where);
    if (!is_state_dict(v)) throw FormatError(std::string(where) + ": " + not_a_state_dict(v, key));
    std::vector<SafeTensor> out;
    // Tied weights: one storage region, the same shape (and so the same bytes at the same address).
    std::set<std::tuple<const uint8_t*, std::vector<int64_t>, SafetensorsDtype>> seen;
    for (const auto& item : v.items) {
        const SafeTensor& t = item.value.tensor;
        if (t.data.size() > 0 && !seen.insert({t.data.data(), t.shape, t.dtype}).second) continue;
        out.push_back({item.key, t.dtype, t.shape, t.data});
    }
    return out;
}

std::string describe(const TorchValue& v) {
    const std::string n = std::to_string(v.items.size());
    switch (v.kind) {
        case Kind::None: return "None";
        case Kind::Bool: return "a bool";
        case Kind::Int:
        case Kind::BigInt: return "an int";
        case Kind::Float: return "a float";
        case Kind::String: return "a string";
        case Kind::Bytes: return "bytes";
        case Kind::Tensor: return "a tensor";
        case Kind::List: return "a list of " + n + " items";
        case Kind::Tuple: return "a tuple of " + n + " items";
        case Kind::Set: return "a set of " + n + " items";
        case Kind::Dict: return "a dict of " + n + " items";
        case Kind::Object: return "a " + v.text + " object";
    }
    return "a value";
}

}  // namespace legolasflux
