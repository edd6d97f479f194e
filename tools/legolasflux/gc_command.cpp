// `legolasflux gc DIR [--dry-run] [--json]`: removes the temporaries that killed saves left in a
// directory (legolasflux/temporaries.hpp says which are certainly dead), and says what it kept.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "commands.hpp"
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

void print_text(const std::string& dir, const CollectedTemporaries& c, const TemporaryCollectOptions& options) {
    const char* verb = options.dry_run ? "would remove" : "removed";
    for (const auto& t : c.removed) fmt::print("{}  {}  {} bytes\n", verb, t.path.filename().string(), t.size);
    for (const auto& t : c.kept)
        fmt::print("kept  {}  {} bytes  ({})\n", t.path.filename().string(), t.size, why_kept(t, options));
    fmt::print("{}: {} {} temporar{} ({} bytes), kept {}\n", dir, verb, c.removed.size(),
               c.removed.size() == 1 ? "y" : "ies", total_bytes(c.removed), c.kept.size());
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

void print_json(const std::string& dir, const CollectedTemporaries& c, const TemporaryCollectOptions& options) {
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
    cmd->add_option("DIR", dir, "Directory to clean (not its subdirectories)")->required();
    cmd->add_flag("--dry-run", dry_run, "Say what would be removed, remove nothing");
    cmd->add_flag("--json", json, "Print JSON instead of text");
    cmd->callback([&exit_code] {
        TemporaryCollectOptions options;
        options.dry_run = dry_run;
        const CollectedTemporaries collected = collect_stale_temporaries(dir, options);  // IoError: exit 1
        if (json)
            print_json(dir, collected, options);
        else
            print_text(dir, collected, options);
        exit_code = kOk;
    });
}

}  // namespace legolasflux::cli
