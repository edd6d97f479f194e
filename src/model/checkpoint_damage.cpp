// Damaged steps of a run directory: how a step is checked, verified and set aside
// (checkpoints.hpp, "Damaged steps"; checkpoints_internal.hpp).
#include <fcntl.h>
#include <stdio.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>

#include "checkpoints_internal.hpp"
#include "integrity.hpp"
#include "legolasflux/sharded.hpp"
#include "model_read.hpp"

namespace legolasflux::detail {

ModelRow read_step_file(const std::filesystem::path& path, const std::optional<legolas::SchemaVersion>& wanted,
                        const ModelReadOptions& options) {
    const std::string source = path.string();
    const arrow::Buffer bytes = arrow::read_whole_file(path, options.ipc.file_access);
    // read_model_row trusts the file checksum only where the values lie where its holes say (a file
    // rewritten by another writer keeps a stale one); a step file is never rewritten, so the
    // checksum is checked as recorded: a damaged offset that moves the values is found here, not
    // later by the values' checksums.
    verify_unread_file_checksum(source, bytes);
    ModelRow row = read_model_from(bytes, source, true, wanted, options);
    const auto value = arrow::find_metadata(row.table.schema->metadata, kChecksumsMetadataKey);
    if (!value || !parse_file_checksum(*value))
        throw CorruptionError(source + ": records no file checksum (schema metadata " +
                              std::string(kChecksumsMetadataKey) +
                              "), as every step file a CheckpointManager writes does: damaged, or not written by one");
    return row;
}

void check_sharded_step(const std::filesystem::path& step_dir, bool verify_values, int threads) {
    const ShardIndex index(step_dir);  // its checksum, every chunk inside its file
    std::set<std::string> files;
    for (const ShardIndexV1& chunk : index.chunks()) files.insert(chunk.file);
    legolas::ensure_declared<ShardV1>();
    ModelReadOptions options;
    options.verify_checksums = verify_values;
    options.threads = threads;
    for (const std::string& file : files)
        (void)read_step_file(step_dir / file, legolas::schema_version_of<ShardV1>(), options);
}

std::string set_aside_step(const std::filesystem::path& dir, const std::string& file, int64_t step) {
    const std::filesystem::path from = dir / file;
    for (int n = 1; n <= 1000; ++n) {
        const std::string name = file + std::string(kDamagedSuffix) + (n == 1 ? "" : "-" + std::to_string(n));
        const std::filesystem::path to = dir / name;
        // RENAME_NOREPLACE: an earlier damaged file of this step, set aside before, is kept too.
        int rc = ::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE);
        if (rc != 0 && errno == EINVAL) {  // no NOREPLACE on this file system: the lock keeps others out
            std::error_code ec;
            if (std::filesystem::exists(std::filesystem::symlink_status(to, ec))) continue;
            rc = ::rename(from.c_str(), to.c_str());
        }
        if (rc == 0) return name;
        const int error = errno;
        if (error == EEXIST || error == ENOTEMPTY) continue;
        throw IoError(from, "cannot set the damaged step " + std::to_string(step) + " aside as " + name + ": " +
                                std::strerror(error));
    }
    throw IoError(from, "cannot set the damaged step " + std::to_string(step) + " aside: " + file +
                            std::string(kDamagedSuffix) + " and 999 more names are taken");
}

}  // namespace legolasflux::detail

namespace legolasflux {

namespace {

// "step-….damaged" or "step-….damaged-<n>" (set_aside_step's names).
bool is_set_aside_name(std::string_view name) {
    if (!name.starts_with("step-")) return false;
    if (name.ends_with(kDamagedSuffix)) return true;
    const size_t at = name.rfind(std::string(kDamagedSuffix) + "-");
    if (at == std::string_view::npos) return false;
    const std::string_view digits = name.substr(at + kDamagedSuffix.size() + 1);
    return !digits.empty() && std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

void verify_checkpoint(const std::filesystem::path& path, int threads) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {
        detail::check_sharded_step(path, /*verify_values=*/true, threads);
        return;
    }
    ModelReadOptions options;
    options.threads = threads;
    (void)detail::read_step_file(path, std::nullopt, options);
}

std::vector<std::string> set_aside_checkpoints(const std::filesystem::path& dir) {
    std::vector<std::string> out = detail::run_directory_names(dir);
    std::erase_if(out, [](const std::string& name) { return !is_set_aside_name(name); });
    return out;
}

}  // namespace legolasflux
