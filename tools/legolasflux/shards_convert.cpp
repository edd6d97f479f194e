// Hugging Face sharded checkpoints in `convert` (--shard-size) and `inspect` (shards_convert.hpp).
#include "shards_convert.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <CLI/CLI.hpp>
#include <array>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <utility>

#include "legolasflux/errors.hpp"
#include "legolasflux/safetensors_shards.hpp"

namespace legolasflux::cli {
namespace {

// Units as huggingface_hub and transformers read max_shard_size: KB/MB/GB/TB decimal, KiB/… binary.
constexpr std::array<std::pair<std::string_view, int64_t>, 10> kUnits{{{"B", 1},
                                                                       {"KB", 1'000},
                                                                       {"MB", 1'000'000},
                                                                       {"GB", 1'000'000'000},
                                                                       {"TB", 1'000'000'000'000},
                                                                       {"KiB", int64_t{1} << 10},
                                                                       {"MiB", int64_t{1} << 20},
                                                                       {"GiB", int64_t{1} << 30},
                                                                       {"TiB", int64_t{1} << 40},
                                                                       {"kB", 1'000}}};

CLI::ValidationError bad_size(const std::string& text, const std::string& why) {
    return CLI::ValidationError("--shard-size",
                                "'" + text + "' " + why +
                                    " (a whole number of bytes, or a number with a unit: B, KB, MB, GB, "
                                    "TB (powers of 1000) or KiB, MiB, GiB, TiB (powers of 1024), "
                                    "e.g. 5GB or 500MiB)");
}

int64_t tensor_count(const SafeTensor& t) {
    int64_t n = 1;
    for (int64_t d : t.shape) n *= d;
    return n;
}

}  // namespace

int64_t parse_shard_size(const std::string& text) {
    size_t end = 0;
    while (end < text.size() && ((text[end] >= '0' && text[end] <= '9') || text[end] == '.')) ++end;
    const std::string number = text.substr(0, end), unit_text = text.substr(end);
    if (number.empty() || number.front() == '.') throw bad_size(text, "is not a size");
    int64_t unit = 0;
    for (const auto& [name, bytes] : kUnits)
        if (unit_text == name) unit = bytes;
    if (unit_text.empty()) unit = 1;
    if (unit == 0) throw bad_size(text, "has an unknown unit");
    const size_t dot = number.find('.');
    const std::string whole = number.substr(0, dot), fraction = dot == std::string::npos ? "" : number.substr(dot + 1);
    if (fraction.find('.') != std::string::npos || (dot != std::string::npos && fraction.empty()))
        throw bad_size(text, "is not a size");
    // whole.fraction × unit, exactly: (digits × unit) / 10^decimals must be whole.
    __int128 digits = 0, scale = 1;
    for (char c : whole + fraction) {
        digits = digits * 10 + (c - '0');
        if (digits > INT64_MAX) throw bad_size(text, "is too large");
    }
    for (size_t i = 0; i < fraction.size(); ++i) scale *= 10;
    const __int128 bytes = digits * unit;
    if (bytes % scale != 0) throw bad_size(text, "is not a whole number of bytes");
    if (bytes / scale > INT64_MAX) throw bad_size(text, "is too large");
    if (bytes == 0) throw bad_size(text, "is zero: a shard holds at least one byte");
    return static_cast<int64_t>(bytes / scale);
}

std::string write_shards(const std::string& index, const SafetensorsFile& file, int64_t shard_size) {
    SafetensorsShards written;
    // A checkpoint of many files goes into a directory of its own, made as save_pretrained makes it.
    const std::filesystem::path dir = std::filesystem::path(index).parent_path();
    std::error_code ec;
    if (!dir.empty() && !std::filesystem::is_directory(dir, ec)) {
        std::filesystem::create_directories(dir, ec);
        if (ec) throw IoError(dir, "cannot create the checkpoint's directory: " + ec.message());
    }
    try {
        written = write_safetensors_shards(index, file, shard_size);
    } catch (const InvalidArgument& e) {
        throw InvalidArgument(index + ": " + e.what());
    }
    const auto& shards = written.shards;
    std::string text =
        fmt::format(", {} shard{} of at most {} bytes", shards.size(), shards.size() == 1 ? "" : "s", shard_size);
    if (!shards.empty())
        text += " (" + shards.front().file + (shards.size() > 1 ? " … " + shards.back().file : "") + ")";
    if (!written.removed.empty())
        text += fmt::format("; removed {} stale shard{} of an earlier write: {}", written.removed.size(),
                            written.removed.size() == 1 ? "" : "s", fmt::join(written.removed, ", "));
    return text;
}

void inspect_safetensors_index(const std::string& path, bool as_json) {
    const SafetensorsShards s = read_safetensors_shards(path);
    // The shard of each tensor, in the order read (the shards' order, each in data-offset order).
    std::vector<const SafetensorsShard*> shard_of;
    for (const SafetensorsShard& shard : s.shards)
        for (size_t i = 0; i < shard.tensors.size(); ++i) shard_of.push_back(&shard);
    int64_t values = 0;
    for (const SafeTensor& t : s.file.tensors) values += tensor_count(t);

    if (as_json) {
        nlohmann::ordered_json j;
        j["file"] = path;
        j["format"] = "safetensors-index";
        nlohmann::ordered_json metadata = nlohmann::ordered_json::object();
        for (const auto& [key, value] : s.file.metadata) metadata[key] = value;
        j["metadata"] = metadata;
        nlohmann::ordered_json shards = nlohmann::ordered_json::array();
        for (const SafetensorsShard& shard : s.shards)
            shards.push_back({{"file", shard.file}, {"tensors", shard.tensors.size()}, {"bytes", shard.bytes}});
        j["shards"] = shards;
        nlohmann::ordered_json tensors = nlohmann::ordered_json::array();
        for (size_t i = 0; i < s.file.tensors.size(); ++i) {
            const SafeTensor& t = s.file.tensors[i];
            tensors.push_back({{"index", i},
                               {"name", t.name},
                               {"dtype", std::string(dtype_name(t.dtype))},
                               {"shape", t.shape},
                               {"count", tensor_count(t)},
                               {"bytes", t.data.size()},
                               {"shard", shard_of[i]->file}});
        }
        j["tensors"] = tensors;
        j["total_tensors"] = s.file.tensors.size();
        j["total_values"] = values;
        j["total_bytes"] = s.total_size;
        std::cout << j.dump(2) << "\n";
        return;
    }
    fmt::print("{}\n", path);
    fmt::print("format      safetensors index (a sharded checkpoint: {} shard{})\n", s.shards.size(),
               s.shards.size() == 1 ? "" : "s");
    if (s.file.metadata.empty()) fmt::print("metadata    none\n");
    for (size_t i = 0; i < s.file.metadata.size(); ++i)
        fmt::print("{:<11} {} = {}\n", i == 0 ? "metadata" : "", s.file.metadata[i].first, s.file.metadata[i].second);
    size_t file_width = 4;
    for (const SafetensorsShard& shard : s.shards) file_width = std::max(file_width, shard.file.size());
    for (size_t i = 0; i < s.shards.size(); ++i)
        fmt::print("{:<11} {:<{}}  {:>6} tensor{}  {:>12} bytes\n", i == 0 ? "shards" : "", s.shards[i].file,
                   file_width, s.shards[i].tensors.size(), s.shards[i].tensors.size() == 1 ? " " : "s",
                   s.shards[i].bytes);
    size_t name_width = 4;
    for (const SafeTensor& t : s.file.tensors) name_width = std::max(name_width, t.name.size());
    fmt::print("\ntensors: {}\n", s.file.tensors.size());
    fmt::print("{:>5}  {:<{}}  {:<5}  {:<18}  {:>10}  {:>12}  {}\n", "index", "name", name_width, "dtype", "shape",
               "count", "bytes", "shard");
    for (size_t i = 0; i < s.file.tensors.size(); ++i) {
        const SafeTensor& t = s.file.tensors[i];
        fmt::print("{:>5}  {:<{}}  {:<5}  {:<18}  {:>10}  {:>12}  {}\n", i, t.name, name_width, dtype_name(t.dtype),
                   fmt::format("[{}]", fmt::join(t.shape, ", ")), tensor_count(t), t.data.size(), shard_of[i]->file);
    }
    fmt::print("total: {} tensors, {} values, {} bytes in {} shard{}\n", s.file.tensors.size(), values, s.total_size,
               s.shards.size(), s.shards.size() == 1 ? "" : "s");
}

}  // namespace legolasflux::cli
