// The temporary files of AtomicFile (atomic_file.hpp), and telling a dead writer's from a live one's
// (private to the library; the public face, whose types these use, is legolasflux/temporaries.hpp).
//
// A writer names its temporary ".<name>.tmp-<pid>-<12 hex digits>" in the target's directory and
// holds an exclusive flock(2) on it from just after creating it until after its rename. flock locks
// belong to the open file, so they die with the process, however it dies (SIGKILL included). A
// temporary is judged dead, and may be removed, only when both hold:
//   - its lock can be taken (LOCK_NB): no process holds the file open with the lock;
//   - the pid in its name is no process (kill(pid, 0) fails with ESRCH).
// Either alone would not do: a writer creates its file a moment before it locks it (a collector
// then finds the lock free but the pid alive), and a dead writer's pid may be reused by an unrelated
// process (then the lock is free but the pid alive: kept, conservatively, until that process ends).
// A writer's child that inherited its descriptor keeps the lock, so its temporary is kept too. The
// pid rule assumes the collector shares the writer's pid namespace, as the processes of one machine
// usually do; a collector in another one (a container sharing the directory) relies on the lock
// alone, which leaves the microseconds between a writer's open and flock unprotected. A temporary
// removed by mistake would make its writer's rename fail (an IoError): the target keeps its
// previous content; nothing is ever corrupted.
//
// Temporaries of earlier versions, ".<name>.tmp-<12 hex digits>", carry no pid and their writers
// held no lock, so nothing tells a live one from a dead one but its age: such a file is removed
// only when its lock can be taken and it was last modified at least `old_format_min_age` ago (a
// day by default; a save writes its temporary in one go, so a day without a write means a writer
// that has died or hangs).
//
// Collection never follows a symbolic link and removes only regular files of the effective user
// whose names have exactly one of the two forms: anything else is reported as kept, never touched.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "legolasflux/temporaries.hpp"

namespace legolasflux::common {

// What a temporary's name says: the file name of the target it was written for, and the pid of its
// writer (missing in the old format).
struct TemporaryName {
    std::string target;
    std::optional<int64_t> pid;
};

// ".<target>.tmp-<pid>-<random>"; `random` is 12 lowercase hex digits.
std::string temporary_name(std::string_view target, int64_t pid, std::string_view random);
// The parts of a temporary's name, or nothing for any other name.
std::optional<TemporaryName> parse_temporary_name(std::string_view file_name);

// A temporary found in a directory, and the verdict on it.
struct JudgedTemporary {
    std::string name;  // the file name, in the collected directory
    TemporaryName parts;
    uint64_t size = 0;
    std::optional<TemporaryKept> kept;  // missing: removed (or, in a dry run, would be)
    std::string error;                  // for TemporaryKept::Failed
};

// The public options (dry run, the old format's age), and for a save's own collection:
struct CollectOptions : TemporaryCollectOptions {
    // Only the temporaries of this target (a file name in the directory); all of them when missing.
    std::optional<std::string> target;
};

// Judges every temporary of `dir` (not its subdirectories) and removes the dead ones, in name order.
// IoError when the directory cannot be opened or listed; a temporary that cannot be examined or
// removed is reported (TemporaryKept::Failed), not thrown.
std::vector<JudgedTemporary> collect_temporaries(const std::filesystem::path& dir, const CollectOptions& options);

}  // namespace legolasflux::common
