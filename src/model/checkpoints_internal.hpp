// The pieces of CheckpointManager (checkpoints.hpp) that need no manager: file names, describing a
// step file, the index table, retention (private to the library).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "legolasflux/checkpoints.hpp"

namespace legolasflux::detail {

// A step file's name split: "step-0000000042.digits.model.arrow" -> {42, "digits.model"}.
struct CheckpointFileName {
    int64_t step = 0;
    std::string schema_name;
};
std::optional<CheckpointFileName> parse_checkpoint_file_name(std::string_view name);

// "step-<10 digits>.sharded", a sharded step's directory (schema_name "sharded").
std::optional<CheckpointFileName> parse_sharded_step_name(std::string_view name);
// A step file's size, or the sum of the sizes of a sharded step directory's files.
uint64_t step_bytes(const std::filesystem::path& path);
// Removes a step: its file, or a sharded step's directory.
void remove_step(const std::filesystem::path& path, std::error_code& ec);

// The step files directly in `dir`, by step (a second file of one step is an error in `damaged`).
std::map<int64_t, std::string> list_step_files(const std::filesystem::path& dir,
                                               std::vector<DamagedCheckpoint>& damaged);

// The row's scalar columns (row 0) that hold a value, but for the weights.
std::vector<Metric> metrics_of(const arrow::Table& table);

// What the index says of a committed step file, read from the file (mapped; its metadata checksum
// verified, the weights' not): FormatError/IoError when it cannot be read. committed_at is the
// file's modification time.
CheckpointInfo describe_step_file(const std::filesystem::path& dir, const std::string& file, int64_t step);

// The index table of these steps (ascending) and back. index_infos throws SchemaError/FormatError
// when the table is not an index.
arrow::Table index_table(const std::vector<CheckpointInfo>& infos);
std::vector<CheckpointInfo> index_infos(const arrow::Table& table);
void write_index(const std::filesystem::path& dir, const std::vector<CheckpointInfo>& infos, bool durable);
// The index's entries when its file exists and reads; nullopt when it is missing; the error in
// `problem` when it is damaged.
std::optional<std::vector<CheckpointInfo>> read_index(const std::filesystem::path& dir, std::string& problem);

// The committed steps: the index's entries whose files are there with the size it records, plus a
// description of every other step file. Files that cannot be read go to `damaged`. `rebuilt` says
// whether the index disagreed with the files (or was missing or damaged); `notes` says how.
std::vector<CheckpointInfo> reconcile(const std::filesystem::path& dir, std::vector<DamagedCheckpoint>& damaged,
                                      bool& rebuilt, std::vector<std::string>& notes);

// Why each step is kept (an empty list: delete it). `infos` ascending by step.
std::map<int64_t, std::vector<std::string>> retain(const std::vector<CheckpointInfo>& infos,
                                                   const CheckpointOptions& options, const std::set<int64_t>& pinned);
// The steps that have the best metric, best first (ties: the later step first), all of them.
std::vector<int64_t> rank_best(const std::vector<CheckpointInfo>& infos, const KeepBest& best);
// The metric of a row as a number for ranking; nullopt when it is missing (or NaN). InvalidArgument
// when the column holds strings.
std::optional<double> ranking_value(const CheckpointInfo& info, const std::string& column);

}  // namespace legolasflux::detail
