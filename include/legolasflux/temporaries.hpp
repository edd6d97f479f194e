// The temporary files of saves that were killed, and their collection.
//
// Every save (write_model_row, write_safetensors, the Arrow writers) writes a temporary file in the
// target's directory, ".<name>.tmp-<pid>-<random>", and renames it over the target when complete.
// A save killed before the rename (SIGKILL, a crash, a power cut) leaves its temporary behind. The
// next save of the same path removes the dead ones of that path by itself; collect_stale_temporaries
// removes those of every target in a directory (as `legolasflux gc DIR` does).
//
// A temporary is removed only when its writer is certainly dead: no process holds the lock every
// writer keeps on its temporary until the rename, and the pid in its name is no running process
// (a reused pid keeps the file until that process ends). Temporaries of versions before the pid
// was in the name (".<name>.tmp-<random>") are removed when unlocked and unmodified for
// `old_format_min_age`. Only regular files of the current user with exactly these names are ever
// removed; symbolic links are never followed.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace legolasflux {

// Why a temporary was kept.
enum class TemporaryKept {
    Locked,          // its writer holds its lock: a save in progress
    WriterRunning,   // unlocked, but the pid in its name is a running process (its writer, or a reuse)
    TooRecent,       // an old-format temporary modified less than old_format_min_age ago
    NotRegularFile,  // a symbolic link, a directory, … with a temporary's name: never touched
    OtherOwner,      // a file of another user
    Failed,          // it could not be examined or removed (`error` says why)
};

// "locked", "writer_running", "too_recent", "not_regular_file", "other_owner", "failed".
std::string_view to_string(TemporaryKept reason);

struct TemporaryFile {
    std::filesystem::path path;
    std::string target;                 // the file name the save was writing, in the same directory
    std::optional<int64_t> writer_pid;  // missing for old-format temporaries
    uint64_t size = 0;                  // bytes
    std::optional<TemporaryKept> kept;  // missing in `removed`
    std::string error;                  // for TemporaryKept::Failed
};

struct TemporaryCollectOptions {
    bool dry_run = false;  // report what would be removed, remove nothing
    std::chrono::seconds old_format_min_age = std::chrono::hours(24);
};

struct CollectedTemporaries {
    std::vector<TemporaryFile> removed;  // in a dry run: those that would be
    std::vector<TemporaryFile> kept;
};

// Judges every temporary of a save directly in `dir` (not in its subdirectories) and removes the
// dead ones. IoError when `dir` cannot be opened or listed (missing, not a directory); a temporary
// that cannot be examined or removed is reported in `kept` (TemporaryKept::Failed), not thrown.
CollectedTemporaries collect_stale_temporaries(const std::filesystem::path& dir,
                                               const TemporaryCollectOptions& options = {});

}  // namespace legolasflux
