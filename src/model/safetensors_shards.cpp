// Hugging Face sharded safetensors checkpoints: the index and its shards read as one
// SafetensorsFile, and one written as shards and an index (include/legolasflux/safetensors_shards.hpp).
#include "legolasflux/safetensors_shards.hpp"

#include <algorithm>
#include <cstring>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <span>
#include <system_error>

#include "common/atomic_file.hpp"
#include "common/json_check.hpp"
#include "legolasflux/errors.hpp"

namespace legolasflux {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

constexpr std::string_view kMetadata = "metadata";
constexpr std::string_view kWeightMap = "weight_map";
constexpr std::string_view kTotalSize = "total_size";
// The shards' own "__metadata__" key: what wrote them (transformers' loader wants "pt").
constexpr std::string_view kFormatKey = "format";
constexpr std::string_view kFormat = "pt";

std::string in_quotes(std::string_view s) { return "'" + std::string(s) + "'"; }

// A few of `names`, for messages about many tensors.
std::string some_of(const std::vector<std::string>& names) {
    std::string s;
    for (size_t i = 0; i < names.size() && i < 3; ++i) s += (i ? ", " : "") + in_quotes(names[i]);
    if (names.size() > 3) s += " and " + std::to_string(names.size() - 3) + " more";
    return s;
}

// A weight_map value must stay inside the index's directory: relative, no "..", not empty.
void check_shard_path(const fs::path& index, const std::string& name, const std::string& file) {
    const fs::path p(file);
    bool ok = !file.empty() && !p.has_root_name() && !p.has_root_directory();
    for (const fs::path& part : p) ok = ok && part != ".." && !part.empty();
    if (!ok)
        throw FormatError(index.string() + ": the weight_map puts " + in_quotes(name) + " in the shard " +
                          json(file).dump() + ", which is not a file of the index's directory (a relative path " +
                          "without \"..\")");
}

struct Index {
    std::map<std::string, std::vector<std::string>> files;  // shard file → the names mapped to it
    std::map<std::string, std::string> weight_map;          // name → shard file
    std::map<std::string, std::string> metadata;            // but total_size; values as text
    std::optional<int64_t> total_size;
};

Index parse_index(const fs::path& path, const SafetensorsReadOptions& options) {
    const arrow::Buffer bytes = arrow::read_whole_file(path);
    const std::string where = path.string() + ": safetensors index";
    if (bytes.size() > options.max_header_size)
        throw FormatError(where + " has " + std::to_string(bytes.size()) + " bytes, more than the limit of " +
                          std::to_string(options.max_header_size));
    const std::string_view text(reinterpret_cast<const char*>(bytes.data()), static_cast<size_t>(bytes.size()));
    // nlohmann's lexer takes a NUL byte for the end of its input.
    if (text.find('\0') != std::string_view::npos)
        throw FormatError(where + " is not valid JSON: it contains a NUL byte at offset " +
                          std::to_string(text.find('\0')));
    json doc;
    try {
        common::check_json(text, where, where + " is not valid JSON: ", 16);
        doc = json::parse(text.begin(), text.end());
    } catch (const json::exception& e) {
        throw FormatError(where + " is not valid JSON: " + e.what());
    }
    if (!doc.is_object()) throw FormatError(where + " is not a JSON object");
    for (const auto& [key, _] : doc.items())
        if (key != kMetadata && key != kWeightMap)
            throw UnsupportedError(where + " has the entry " + in_quotes(key) +
                                   ", which this reader does not know (only metadata and weight_map)");
    if (!doc.contains(kWeightMap) || !doc[std::string(kWeightMap)].is_object())
        throw FormatError(where + " has no weight_map object");

    Index index;
    for (const auto& [name, file] : doc[std::string(kWeightMap)].items()) {
        if (!file.is_string())
            throw FormatError(where + ": the weight_map entry of " + in_quotes(name) + " is not a file name but " +
                              file.dump());
        check_shard_path(path, name, file.get<std::string>());
        index.weight_map.emplace(name, file.get<std::string>());
        index.files[file.get<std::string>()].push_back(name);
    }
    if (doc.contains(kMetadata)) {
        const json& md = doc[std::string(kMetadata)];
        if (!md.is_object()) throw FormatError(where + ": metadata is not an object but " + md.dump());
        for (const auto& [key, value] : md.items()) {
            if (key != kTotalSize) {
                index.metadata.emplace(key, value.is_string() ? value.get<std::string>() : value.dump());
                continue;
            }
            if (!value.is_number_unsigned() || value.get<uint64_t>() > uint64_t{INT64_MAX})
                throw FormatError(where + ": metadata.total_size must be a number of bytes, not " + value.dump());
            index.total_size = static_cast<int64_t>(value.get<uint64_t>());
        }
    }
    return index;
}

// One metadata value from one more place: a second value of a key is a FormatError naming both.
void merge(std::map<std::string, std::pair<std::string, std::string>>& into, const std::string& key,
           const std::string& value, const std::string& from) {
    const auto [it, added] = into.emplace(key, std::pair{value, from});
    if (!added && it->second.first != value)
        throw FormatError(from + ": the metadata key " + in_quotes(key) + " is " + json(value).dump() + " here but " +
                          json(it->second.first).dump() + " in " + it->second.second);
}

int64_t data_bytes(const SafeTensor& t) {
    int64_t bytes = dtype_size(t.dtype);
    for (int64_t d : t.shape)
        if (d < 0 || __builtin_mul_overflow(bytes, d, &bytes))
            throw InvalidArgument("safetensors shards: tensor " + in_quotes(t.name) +
                                  " has a negative or too large dimension");
    if (bytes != t.data.size())
        throw InvalidArgument("safetensors shards: tensor " + in_quotes(t.name) + " (" +
                              std::string(dtype_name(t.dtype)) + ") needs " + std::to_string(bytes) +
                              " bytes for its shape, has " + std::to_string(t.data.size()));
    return bytes;
}

std::string shard_name(const std::string& stem, size_t k, size_t n) {
    const auto padded = [](size_t v) {
        const std::string digits = std::to_string(v);
        return std::string(digits.size() < 5 ? 5 - digits.size() : 0, '0') + digits;
    };
    return stem + "-" + padded(k) + "-of-" + padded(n) + ".safetensors";
}

// The index's text: as transformers writes it (json.dumps(index, indent=2, sort_keys=True) + "\n";
// nlohmann's objects are sorted maps).
std::string index_text(const SafetensorsFile& file, const std::vector<SafetensorsShard>& shards, int64_t total) {
    json md = json::object();
    md[std::string(kTotalSize)] = total;
    for (const auto& [key, value] : file.metadata) {
        if (key == kTotalSize)
            throw InvalidArgument("safetensors shards: the metadata key total_size is the index's own");
        if (md.contains(key))
            throw InvalidArgument("safetensors shards: the metadata key " + in_quotes(key) + " appears twice");
        md[key] = value;
    }
    json map = json::object();
    for (const SafetensorsShard& s : shards)
        for (const std::string& name : s.tensors) map[name] = s.file;
    try {
        return json{{std::string(kMetadata), md}, {std::string(kWeightMap), map}}.dump(2) + "\n";
    } catch (const json::exception& e) {
        throw InvalidArgument(std::string("safetensors shards: a name or metadata entry is not valid UTF-8: ") +
                              e.what());
    }
}

// Whether `name` is "<stem>-<5 or more digits>-of-<5 or more digits>.safetensors".
bool is_shard_name(std::string_view name, std::string_view stem) {
    const auto digits = [&](size_t& at) {
        const size_t from = at;
        while (at < name.size() && name[at] >= '0' && name[at] <= '9') ++at;
        return at - from >= 5;
    };
    const auto literal = [&](size_t& at, std::string_view text) {
        if (name.substr(at, text.size()) != text) return false;
        at += text.size();
        return true;
    };
    size_t at = 0;
    return literal(at, stem) && literal(at, "-") && digits(at) && literal(at, "-of-") && digits(at) &&
           literal(at, ".safetensors") && at == name.size();
}

// Shards of an earlier write with this stem that `keep` does not hold.
std::vector<std::string> stale_shards(const fs::path& dir, const std::string& stem, const std::set<std::string>& keep) {
    std::vector<std::string> found;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
        const std::string name = entry.path().filename().string();
        if (!keep.count(name) && is_shard_name(name, stem) && entry.is_regular_file(ec)) found.push_back(name);
    }
    std::sort(found.begin(), found.end());
    return found;
}

// Whether the index at `path` puts a tensor in one of `files` (an index that cannot be read might).
bool names_any(const fs::path& path, const std::set<std::string>& files) {
    try {
        const Index old = parse_index(path, {});
        return std::any_of(old.files.begin(), old.files.end(), [&](const auto& f) { return files.count(f.first) > 0; });
    } catch (const Error&) {
        return true;
    }
}

}  // namespace

bool is_safetensors_index(const fs::path& path) {
    const std::string name = path.filename().string();
    return name.size() > kSafetensorsIndexSuffix.size() && name.ends_with(kSafetensorsIndexSuffix);
}

SafetensorsShards read_safetensors_shards(const fs::path& path, const SafetensorsReadOptions& options) {
    const Index index = parse_index(path, options);
    const fs::path dir = path.parent_path();
    SafetensorsShards out;
    std::map<std::string, std::pair<std::string, std::string>> metadata;  // key → (value, where from)
    for (const auto& [key, value] : index.metadata) merge(metadata, key, value, path.string());
    std::map<std::string, std::string> found_in;  // tensor name → the shard holding it
    for (const auto& [file, names] : index.files) {
        const fs::path shard_path = dir / file;
        std::error_code ec;
        if (!fs::exists(shard_path, ec))
            throw IoError(shard_path, "the shard is missing (the index " + path.string() + " puts " +
                                          std::to_string(names.size()) + (names.size() == 1 ? " tensor" : " tensors") +
                                          " in it: " + some_of(names) + ")");
        SafetensorsFile shard = read_safetensors(shard_path, options);
        SafetensorsShard summary{file, {}, 0};
        for (SafeTensor& t : shard.tensors) {
            const auto mapped = index.weight_map.find(t.name);
            if (mapped == index.weight_map.end())
                throw FormatError(shard_path.string() + ": tensor " + in_quotes(t.name) +
                                  " is not in the weight_map of " + path.string());
            const auto [before, first] = found_in.emplace(t.name, file);
            if (!first)
                throw FormatError(shard_path.string() + ": tensor " + in_quotes(t.name) + " is in two shards, " +
                                  before->second + " and " + file + " (the index puts it in " + mapped->second + ")");
            if (mapped->second != file)
                throw FormatError(shard_path.string() + ": tensor " + in_quotes(t.name) + " is in this shard, but " +
                                  path.string() + " puts it in " + mapped->second);
            summary.tensors.push_back(t.name);
            summary.bytes += t.data.size();
            out.file.tensors.push_back(std::move(t));
        }
        for (const std::string& name : names)
            if (!found_in.count(name))
                throw FormatError(shard_path.string() + ": has no tensor " + in_quotes(name) + ", which " +
                                  path.string() + " puts in it");
        for (const auto& [key, value] : shard.metadata)
            if (key != kFormatKey) merge(metadata, key, value, shard_path.string());
        out.total_size += summary.bytes;
        out.shards.push_back(std::move(summary));
    }
    if (index.total_size && *index.total_size != out.total_size)
        throw FormatError(path.string() + ": metadata.total_size is " + std::to_string(*index.total_size) +
                          " but the shards' tensors hold " + std::to_string(out.total_size) +
                          " bytes (total_size counts the tensors' data, not the files' headers)");
    for (const auto& [key, value] : metadata) out.file.metadata.emplace_back(key, value.first);
    return out;
}

SafetensorsShards write_safetensors_shards(const fs::path& path, const SafetensorsFile& file, int64_t shard_size) {
    if (shard_size < 1)
        throw InvalidArgument("safetensors shards: the shard size must be at least 1 byte, not " +
                              std::to_string(shard_size));
    if (!is_safetensors_index(path))
        throw InvalidArgument("safetensors shards: " + path.string() +
                              " does not name an index file (its name must end in " +
                              std::string(kSafetensorsIndexSuffix) + ")");
    const std::string name = path.filename().string();
    const std::string stem = name.substr(0, name.size() - kSafetensorsIndexSuffix.size());

    // The split, in order; a tensor larger than a shard closes the one before and fills its own.
    SafetensorsShards out;
    std::vector<std::vector<const SafeTensor*>> groups;
    std::set<std::string_view> names;
    int64_t filled = 0;
    for (const SafeTensor& t : file.tensors) {
        if (!names.insert(t.name).second)
            throw InvalidArgument("safetensors shards: two tensors are named " + in_quotes(t.name));
        const int64_t bytes = data_bytes(t);
        if (groups.empty() || bytes > shard_size - filled) {
            groups.emplace_back();
            out.shards.emplace_back();
            filled = 0;
        }
        groups.back().push_back(&t);
        out.shards.back().tensors.push_back(t.name);
        out.shards.back().bytes += bytes;
        filled += bytes;
        out.total_size += bytes;
    }
    std::set<std::string> files;
    for (size_t k = 0; k < out.shards.size(); ++k)
        files.insert(out.shards[k].file = shard_name(stem, k + 1, out.shards.size()));
    const std::string text = index_text(file, out.shards, out.total_size);

    const fs::path dir = path.parent_path().empty() ? fs::path(".") : path.parent_path();
    std::error_code ec;
    if (fs::exists(path, ec) && names_any(path, files)) {
        if (!fs::remove(path, ec) && ec)
            throw IoError(path, "cannot remove the index before replacing its shards: " + ec.message());
        if (const int error = common::sync_directory(dir); error != 0)
            throw IoError(dir, std::string("cannot sync the directory: ") + std::strerror(error));
    }
    for (size_t k = 0; k < groups.size(); ++k) {
        SafetensorsFile shard;
        shard.metadata = {{std::string(kFormatKey), std::string(kFormat)}};
        for (const SafeTensor* t : groups[k]) shard.tensors.push_back(*t);  // the data is shared, not copied
        write_safetensors(dir / out.shards[k].file, shard);
    }
    common::AtomicFile index(path, /*durable=*/true);
    index.write(std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
    index.commit();

    // What an earlier write left that nothing names any more; one that cannot be removed stays.
    for (const std::string& stale : stale_shards(dir, stem, files))
        if (fs::remove(dir / stale, ec)) out.removed.push_back(stale);
    return out;
}

}  // namespace legolasflux
