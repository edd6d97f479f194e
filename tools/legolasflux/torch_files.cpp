// `convert` and `inspect` of torch.save files (torch_files.hpp).
#include "torch_files.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <charconv>
#include <iostream>
#include <nlohmann/json.hpp>

#include "json_value.hpp"
#include "legolasflux/errors.hpp"
#include "legolasflux/safetensors_model.hpp"
#include "legolasflux/torch_load.hpp"
#include "table_view.hpp"

namespace legolasflux::cli {
namespace {

using Kind = TorchValue::Kind;
using Json = nlohmann::ordered_json;

constexpr size_t kInlineItems = 8;     // scalars of a list shown on its line
constexpr size_t kExpandedItems = 20;  // containers of a list shown below it
constexpr size_t kStringChars = 80;

int64_t element_count(const SafeTensor& t) {
    int64_t n = 1;
    for (int64_t d : t.shape) n *= d;
    return n;
}

std::string shape_text(const std::vector<int64_t>& shape) { return fmt::format("[{}]", fmt::join(shape, ", ")); }

std::string float_text(double v) {
    char buf[32];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    std::string s(buf, r.ptr);
    if (s.find_first_of(".eni") == std::string::npos) s += ".0";  // as Python prints a float
    return s;
}

// A Python-like literal, shortened.
std::string string_text(const std::string& s) {
    std::string out = "'";
    for (size_t i = 0; i < s.size() && i < kStringChars; ++i) {
        const char c = s[i];
        if (c == '\'' || c == '\\') out += '\\';
        if (c == '\n')
            out += "\\n";
        else
            out += c;
    }
    return out + (s.size() > kStringChars ? "'… (" + std::to_string(s.size()) + " characters)" : "'");
}

bool is_scalar(const TorchValue& v) { return !v.is_container() && v.kind != Kind::Tensor; }

std::string value_text(const TorchValue& v);

// Lists, tuples and sets of scalars on one line, shortened; others by their size.
std::string sequence_text(const TorchValue& v) {
    const bool all_scalars =
        std::all_of(v.items.begin(), v.items.end(), [](const auto& i) { return is_scalar(i.value); });
    const char* open = v.kind == Kind::Tuple ? "(" : v.kind == Kind::Set ? "{" : "[";
    const char* close = v.kind == Kind::Tuple ? ")" : v.kind == Kind::Set ? "}" : "]";
    if (v.items.empty() && v.kind == Kind::Set) return "set()";
    if (!all_scalars) {
        const char* kind = v.kind == Kind::Tuple ? "tuple" : v.kind == Kind::Set ? "set" : "list";
        return fmt::format("{} ({} {})", kind, v.items.size(), v.items.size() == 1 ? "item" : "items");
    }
    std::string s = open;
    for (size_t i = 0; i < v.items.size() && i < kInlineItems; ++i) s += (i ? ", " : "") + value_text(v.items[i].value);
    if (v.items.size() > kInlineItems) s += ", … (" + std::to_string(v.items.size()) + " items)";
    if (v.kind == Kind::Tuple && v.items.size() == 1) s += ",";
    return s + close;
}

// The arguments of a call: ('cuda', 0), ('cpu').
std::string call_text(const TorchValue& args) {
    std::string s = "(";
    for (size_t i = 0; i < args.items.size() && i < kInlineItems; ++i)
        s += (i ? ", " : "") + value_text(args.items[i].value);
    return s + (args.items.size() > kInlineItems ? ", …)" : ")");
}

std::string value_text(const TorchValue& v) {
    switch (v.kind) {
        case Kind::None: return "None";
        case Kind::Bool: return v.boolean ? "True" : "False";
        case Kind::Int: return std::to_string(v.integer);
        case Kind::BigInt: return v.text;
        case Kind::Float: return float_text(v.number);
        case Kind::String: return string_text(v.text);
        case Kind::Bytes: return "bytes (" + std::to_string(v.text.size()) + ")";
        case Kind::Tensor: return fmt::format("tensor {} {}", dtype_name(v.tensor.dtype), shape_text(v.tensor.shape));
        case Kind::Dict:
            return "dict (" + std::to_string(v.items.size()) + (v.items.size() == 1 ? " item)" : " items)");
        case Kind::Object:  // made from plain values: say them on its line, torch.device('cuda', 0)
            if (v.items.size() == 1 && v.items[0].key == "args" && v.items[0].value.kind == Kind::Tuple &&
                std::all_of(v.items[0].value.items.begin(), v.items[0].value.items.end(),
                            [](const auto& i) { return is_scalar(i.value); }))
                return "object " + v.text + call_text(v.items[0].value);
            return "object " + v.text;
        default: return sequence_text(v);
    }
}

struct Summary {
    size_t tensors = 0;
    int64_t values = 0, bytes = 0;
};
Summary summarize(const TorchValue& dict) {
    Summary s;
    for (const auto& item : dict.items) {
        ++s.tensors;
        s.values += element_count(item.value.tensor);
        s.bytes += item.value.tensor.data.size();
    }
    return s;
}

bool is_state_dict(const TorchValue& v) {
    return v.kind == Kind::Dict && !v.items.empty() &&
           std::all_of(v.items.begin(), v.items.end(), [](const auto& i) { return i.value.kind == Kind::Tensor; });
}

void print_tree(const TorchValue& v, int depth) {
    const bool expand_sequence =
        (v.kind == Kind::List || v.kind == Kind::Tuple || v.kind == Kind::Set) &&
        !std::all_of(v.items.begin(), v.items.end(), [](const auto& i) { return is_scalar(i.value); });
    if (v.kind != Kind::Dict && v.kind != Kind::Object && !expand_sequence) return;
    if (v.kind == Kind::Object && value_text(v) != "object " + v.text) return;  // shown on its line
    const size_t limit = v.kind == Kind::Dict || v.kind == Kind::Object ? v.items.size() : kExpandedItems;
    const std::string indent(static_cast<size_t>(depth) * 2, ' ');
    for (size_t i = 0; i < v.items.size() && i < limit; ++i) {
        const auto& [key, child] = v.items[i];
        std::string line = indent + key + ": " + value_text(child);
        if (is_state_dict(child)) {
            const Summary s = summarize(child);
            line += fmt::format("  (state dict: {} tensors, {} values)", s.tensors, s.values);
        }
        fmt::print("{}\n", line);
        print_tree(child, depth + 1);
    }
    if (v.items.size() > limit) fmt::print("{}… ({} more items)\n", indent, v.items.size() - limit);
}

Json json_tree(const TorchValue& v) {
    switch (v.kind) {
        case Kind::None: return nullptr;
        case Kind::Bool: return v.boolean;
        case Kind::Int: return json_integer(v.integer);
        case Kind::BigInt: return v.text;
        case Kind::Float: return json_floating(v.number, false);
        case Kind::String: return v.text;
        case Kind::Bytes: return {{"type", "bytes"}, {"size", v.text.size()}};
        case Kind::Tensor:
            return {{"type", "tensor"},
                    {"dtype", std::string(dtype_name(v.tensor.dtype))},
                    {"shape", v.tensor.shape},
                    {"count", element_count(v.tensor)},
                    {"bytes", v.tensor.data.size()}};
        default: break;
    }
    static const char* names[] = {"", "", "", "", "", "", "", "", "list", "tuple", "set", "dict", "object"};
    Json j = {{"type", names[static_cast<int>(v.kind)]}};
    if (v.kind == Kind::Object) j["class"] = v.text;
    Json items = Json::array();
    for (const auto& [key, child] : v.items) {
        if (v.kind == Kind::Dict || v.kind == Kind::Object)
            items.push_back({{"key", key}, {"value", json_tree(child)}});
        else
            items.push_back(json_tree(child));
    }
    j["items"] = std::move(items);
    return j;
}

std::string format_text(const std::string& format) {
    return format == "zip" ? "torch.save zip archive" : "torch.save legacy format (not a zip archive)";
}

}  // namespace

ModelRow torch_state_dict_row(const std::string& path, const std::string& key, BFloat16Storage bfloat16) {
    const TorchFile file = read_torch_file(path);
    SafetensorsFile tensors;
    try {
        tensors.tensors = state_dict(file.root, key, path);
    } catch (const FormatError& e) {
        const auto found = state_dict_keys(file.root);
        if (!key.empty() || found.empty() || found.front().empty()) throw;
        throw FormatError(std::string(e.what()) + "; choose one with --key " + found.front());
    }
    return from_safetensors(tensors, bfloat16);
}

void inspect_torch_file(const std::string& path, const std::string& key, bool json) {
    const TorchFile file = read_torch_file(path);
    const TorchValue& value = torch_value_at(file.root, key, path);
    std::vector<std::pair<std::string, Summary>> dicts;
    for (const auto& k : state_dict_keys(value)) dicts.emplace_back(k, summarize(torch_value_at(value, k, path)));
    if (json) {
        Json j;
        j["file"] = path;
        j["format"] = file.format == "zip" ? "torch.save" : "torch.save legacy";
        if (!key.empty()) j["key"] = key;
        j["value"] = json_tree(value);
        Json list = Json::array();
        for (const auto& [k, s] : dicts)
            list.push_back({{"key", key.empty() ? k
                                    : k.empty() ? key
                                                : key + "." + k},
                            {"tensors", s.tensors},
                            {"values", s.values},
                            {"bytes", s.bytes}});
        j["state_dicts"] = std::move(list);
        print_json_document(j);
        return;
    }
    fmt::print("{}\n", path);
    fmt::print("format: {}\n", format_text(file.format));
    if (!key.empty()) fmt::print("key: {}\n", key);
    std::string top = value_text(value);
    if (is_state_dict(value))
        top += fmt::format("  (state dict: {} tensors, {} values)", summarize(value).tensors, summarize(value).values);
    fmt::print("\n{}: {}\n", key.empty() ? "(top level)" : key, top);
    print_tree(value, 1);
    fmt::print("\n");
    if (dicts.empty()) fmt::print("state dicts: none\n");
    for (const auto& [k, s] : dicts) {
        const std::string full = key.empty() ? k : k.empty() ? key : key + "." + k;
        fmt::print("state dict {}: {} tensors, {} values, {} bytes\n", full.empty() ? "(top level)" : full, s.tensors,
                   s.values, s.bytes);
    }
}

}  // namespace legolasflux::cli
