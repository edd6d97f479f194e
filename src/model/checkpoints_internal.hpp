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

// A step file read as a checkpoint: its file checksum checked as its bytes record it (with the
// holes they record, so that no byte but the weight values escapes it, whatever the parser would
// make of a damaged offset), then read as read_model_row reads (values verified when
// options.verify_checksums). CorruptionError when the file records no file checksum: every step
// file a manager writes does.
ModelRow read_step_file(const std::filesystem::path& path, const std::optional<legolas::SchemaVersion>& wanted,
                        const ModelReadOptions& options);
// A sharded step checked the same way: its index (checksum, chunks in their files), then every shard
// file the index names (read_step_file; their values too when `verify_values`).
void check_sharded_step(const std::filesystem::path& step_dir, bool verify_values, int threads);

// Renames the damaged step `file` (a file or a sharded step's directory) of `dir` to
// "<file>.damaged" ("<file>.damaged-2"… when that is taken; never over anything) and returns the
// new name. IoError naming the file and the step when it cannot.
std::string set_aside_step(const std::filesystem::path& dir, const std::string& file, int64_t step);

// The names of the entries of the run directory `dir`, sorted (IoError when it cannot be listed).
std::vector<std::string> run_directory_names(const std::filesystem::path& dir);

// The step files directly in `dir`, by step (a second file of one step is an error in `damaged`).
std::map<int64_t, std::string> list_step_files(const std::filesystem::path& dir,
                                               std::vector<DamagedCheckpoint>& damaged);

// The row's scalar columns (row 0) that hold a value, but for the weights.
std::vector<Metric> metrics_of(const arrow::Table& table);

// What the index says of a committed step file, read from the file (read_step_file: its file
// checksum verified, the weights' not; a sharded step: check_sharded_step): FormatError (a
// CorruptionError for damage the checksums find) or IoError when it cannot be read. committed_at
// is the file's modification time.
CheckpointInfo describe_step_file(const std::filesystem::path& dir, const std::string& file, int64_t step);

// The index table of these steps (ascending) and back. index_infos throws SchemaError/FormatError
// when the table is not an index.
arrow::Table index_table(const std::vector<CheckpointInfo>& infos);
std::vector<CheckpointInfo> index_infos(const arrow::Table& table);
void write_index(const std::filesystem::path& dir, const std::vector<CheckpointInfo>& infos, bool durable);
// The index's entries when its file exists, reads and passes its checksum; nullopt when it is
// missing; the error in `problem` when it is damaged.
std::optional<std::vector<CheckpointInfo>> read_index(const std::filesystem::path& dir, std::string& problem);

// The committed steps: every step file described and checked (describe_step_file), the index's entry
// taken where it agrees (same file, size and checksum: its commit time, pins and metrics). Files that cannot be read go
// to `damaged`. `rebuilt` says whether the index disagreed with the files (or was missing or damaged); `notes` says
// how.
std::vector<CheckpointInfo> reconcile(const std::filesystem::path& dir, std::vector<DamagedCheckpoint>& damaged,
                                      bool& rebuilt, std::vector<std::string>& notes);

// Why each step is kept (an empty list: delete it). `infos` ascending by step.
std::map<int64_t, std::vector<std::string>> retain(const std::vector<CheckpointInfo>& infos,
                                                   const CheckpointOptions& options, const std::set<int64_t>& pinned);
// The steps of damaged files that retention has reached: those no policy would keep were they, all
// of them, good steps without metrics (ranked worst). A damaged step beside a committed step
// of the same number (a second file) is left alone. Ascending.
std::vector<int64_t> damaged_reached(const std::vector<CheckpointInfo>& infos,
                                     const std::vector<DamagedCheckpoint>& damaged, const CheckpointOptions& options,
                                     const std::set<int64_t>& pinned);
// The steps that have the best metric, best first (ties: the later step first), all of them.
std::vector<int64_t> rank_best(const std::vector<CheckpointInfo>& infos, const KeepBest& best);
// The metric of a row as a number for ranking; nullopt when it is missing (or NaN). InvalidArgument
// when the column holds strings.
std::optional<double> ranking_value(const CheckpointInfo& info, const std::string& column);

}  // namespace legolasflux::detail
