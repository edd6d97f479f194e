// `legolasflux consolidate STEP_DIR OUT.arrow` and what `inspect STEP_DIR` shows of a sharded
// checkpoint (legolasflux/sharded.hpp).
#include <fmt/format.h>

#include <map>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "legolasflux/sharded.hpp"
#include "table_view.hpp"

namespace legolasflux::cli {
namespace {

using Json = nlohmann::ordered_json;

std::string shape_text(const std::vector<int64_t>& shape) { return fmt::format("[{}]", fmt::join(shape, ", ")); }

struct TensorSummary {
    const ShardIndexV1* first = nullptr;
    size_t chunks = 0;
    int64_t bytes = 0;
};

std::map<std::string, TensorSummary> summaries(const ShardIndex& index) {
    std::map<std::string, TensorSummary> out;
    for (const ShardIndexV1& row : index.chunks()) {
        TensorSummary& s = out[row.tensor];
        if (!s.first) s.first = &row;
        ++s.chunks;
        s.bytes += row.byte_length;
    }
    return out;
}

}  // namespace

void inspect_sharded_step(const std::filesystem::path& dir, bool json) {
    // Reading the index checks it: every tensor tiled by its chunks, every byte range in its file.
    const ShardIndex index(dir);
    const auto tensors = summaries(index);
    std::map<std::string, int64_t> files;
    for (const ShardIndexV1& row : index.chunks()) files[row.file] += row.byte_length;
    const std::filesystem::path index_path = dir / kShardIndexFile;
    if (json) {
        Json j;
        j["step_dir"] = dir.string();
        j["files"] = Json::array();
        for (const auto& [file, bytes] : files) j["files"].push_back({{"file", file}, {"value_bytes", bytes}});
        j["tensors"] = Json::array();
        for (const auto& [name, s] : tensors)
            j["tensors"].push_back({{"name", name},
                                    {"element_type", s.first->element_type},
                                    {"global_shape", s.first->global_shape},
                                    {"replicated", s.first->replicated},
                                    {"chunks", s.chunks},
                                    {"bytes", s.bytes}});
        j["index"] = table_json(index_path.string(), read_arrow_table(index_path));
        print_json_document(j);
        return;
    }
    fmt::print("{}: sharded checkpoint, {} tensors in {} chunks, {} shard files\n", dir.string(), tensors.size(),
               index.chunks().size(), files.size());
    fmt::print("\n{:<32} {:<9} {:<20} {:>6} {:>12}\n", "tensor", "type", "global shape", "chunks", "bytes");
    for (const auto& [name, s] : tensors)
        fmt::print("{:<32} {:<9} {:<20} {:>6} {:>12}{}\n", name, s.first->element_type,
                   shape_text(s.first->global_shape), s.chunks, s.bytes, s.first->replicated ? "  replicated" : "");
    fmt::print("\n");
    print_table_text(index_path.string(), read_arrow_table(index_path));
}

void add_sharded_commands(CLI::App& app, int& exit_code) {
    auto* cmd = app.add_subcommand("consolidate",
                                   "Write a sharded checkpoint (a step directory) as one ordinary model row: every "
                                   "tensor whole, in name order, named in weight_names (Julia reads it)");
    static std::string in, out;
    cmd->add_option("STEP_DIR", in, "A sharded step directory (it holds index.arrow)")->required();
    cmd->add_option("OUT", out, "The model file to write (.arrow)")->required();
    cmd->callback([&exit_code] {
        consolidate_sharded(in, out);
        fmt::print("{}: {}\n", out, "consolidated");
        exit_code = kOk;
    });
}

}  // namespace legolasflux::cli
