// `legolasflux gc DIR [--damaged] [--dry-run] [--json]`: removes the temporaries that killed saves
// left in a directory (legolasflux/temporaries.hpp says which are certainly dead), and says what it
// kept; with --damaged, also the damaged checkpoints a run directory's manager set aside
// ("step-….damaged": legolasflux/checkpoints.hpp), which nothing else ever deletes.
#include <fmt/format.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>

#include "commands.hpp"
#include "legolasflux/checkpoints.hpp"
#include "legolasflux/temporaries.hpp"
#include "table_view.hpp"

namespace legolasflux::cli {
namespace {

using Json = nlohmann::ordered_json;

std::string why_kept(const TemporaryFile& t, const TemporaryCollectOptions& options) {
    switch (*t.kept) {
        case TemporaryKept::Locked: return "a save in progress holds its lock";
        case TemporaryKept::WriterRunning: return fmt::format("process {} is running", *t.writer_pid);
        case TemporaryKept::TooRecent: {
            const auto age = options.old_format_min_age.count();
            return fmt::format("an old-format temporary modified less than {} ago",
                               age % 3600 == 0 ? fmt::format("{} hours", age / 3600) : fmt::format("{} s", age));
        }
        case TemporaryKept::NotRegularFile: return "not a regular file";
        case TemporaryKept::OtherOwner: return "owned by another user";
        case TemporaryKept::Failed: return t.error;
    }
    return t.error;
}

uint64_t total_bytes(const std::vector<TemporaryFile>& files) {
    uint64_t bytes = 0;
    for (const auto& t : files) bytes += t.size;
    return bytes;
}

// A damaged checkpoint set aside: a file, or a sharded step's directory.
struct SetAside {
    std::string name;
    uint64_t bytes = 0;
};

uint64_t bytes_under(const std::filesystem::path& path) {
    std::error_code ec;
    if (!std::filesystem::is_directory(std::filesystem::symlink_status(path, ec))) {
        const auto size = std::filesystem::file_size(path, ec);
        return ec ? 0 : size;
    }
    uint64_t total = 0;
    for (const auto& e : std::filesystem::recursive_directory_iterator(path, ec))
        if (e.is_regular_file(ec)) total += e.file_size(ec);
    return total;
}

// Removes (unless `dry_run`) the damaged checkpoints set aside in `dir`; IoError when one cannot be.
std::vector<SetAside> remove_set_aside(const std::filesystem::path& dir, bool dry_run) {
    std::vector<SetAside> out;
    for (const std::string& name : set_aside_checkpoints(dir)) {
        const std::filesystem::path path = dir / name;
        out.push_back({name, bytes_under(path)});
        if (dry_run) continue;
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
        if (ec) throw IoError(path, "cannot remove the damaged checkpoint set aside: " + ec.message());
    }
    return out;
}

void print_text(const std::string& dir, const CollectedTemporaries& c, const TemporaryCollectOptions& options,
                const std::vector<SetAside>& damaged) {
    const char* verb = options.dry_run ? "would remove" : "removed";
    for (const auto& t : c.removed) fmt::print("{}  {}  {} bytes\n", verb, t.path.filename().string(), t.size);
    for (const auto& d : damaged)
        fmt::print("{}  {}  {} bytes  (a damaged checkpoint set aside)\n", verb, d.name, d.bytes);
    for (const auto& t : c.kept)
        fmt::print("kept  {}  {} bytes  ({})\n", t.path.filename().string(), t.size, why_kept(t, options));
    fmt::print("{}: {} {} temporar{} ({} bytes), kept {}\n", dir, verb, c.removed.size(),
               c.removed.size() == 1 ? "y" : "ies", total_bytes(c.removed), c.kept.size());
    if (!damaged.empty())
        fmt::print("{}: {} {} damaged checkpoint{} set aside\n", dir, verb, damaged.size(),
                   damaged.size() == 1 ? "" : "s");
}

Json file_json(const TemporaryFile& t) {
    Json j;
    j["name"] = t.path.filename().string();
    j["target"] = t.target;
    j["writer_pid"] = t.writer_pid ? Json(*t.writer_pid) : Json(nullptr);
    j["bytes"] = t.size;
    if (t.kept) j["reason"] = std::string(to_string(*t.kept));
    if (t.kept == TemporaryKept::Failed) j["error"] = t.error;
    return j;
}

void print_json(const std::string& dir, const CollectedTemporaries& c, const TemporaryCollectOptions& options,
                const std::optional<std::vector<SetAside>>& damaged) {
    Json j;
    j["directory"] = dir;
    j["dry_run"] = options.dry_run;
    j["removed"] = Json::array();
    for (const auto& t : c.removed) j["removed"].push_back(file_json(t));
    j["kept"] = Json::array();
    for (const auto& t : c.kept) j["kept"].push_back(file_json(t));
    j["removed_count"] = c.removed.size();
    j["removed_bytes"] = total_bytes(c.removed);
    j["kept_count"] = c.kept.size();
    if (damaged) {
        j["damaged_removed"] = Json::array();
        for (const auto& d : *damaged) j["damaged_removed"].push_back({{"name", d.name}, {"bytes", d.bytes}});
    }
    print_json_document(j);  // file names need not be UTF-8
}

}  // namespace

void add_gc_command(CLI::App& app, int& exit_code) {
    auto* cmd = app.add_subcommand("gc",
                                   "Remove the temporary files that killed saves left in a directory (only those "
                                   "whose writer is certainly dead)");
    static std::string dir;
    static bool dry_run = false;
    static bool json = false;
    static bool damaged = false;
    cmd->add_option("DIR", dir, "Directory to clean (not its subdirectories)")->required();
    cmd->add_flag("--damaged", damaged,
                  "Also remove the damaged checkpoints a run directory set aside (step-….damaged)");
    cmd->add_flag("--dry-run", dry_run, "Say what would be removed, remove nothing");
    cmd->add_flag("--json", json, "Print JSON instead of text");
    cmd->callback([&exit_code] {
        TemporaryCollectOptions options;
        options.dry_run = dry_run;
        const CollectedTemporaries collected = collect_stale_temporaries(dir, options);  // IoError: exit 1
        std::optional<std::vector<SetAside>> removed;
        if (damaged) removed = remove_set_aside(dir, dry_run);  // IoError: exit 1
        if (json)
            print_json(dir, collected, options, removed);
        else
            print_text(dir, collected, options, removed.value_or(std::vector<SetAside>{}));
        exit_code = kOk;
    });
}

}  // namespace legolasflux::cli
