// `legolasflux checkpoints DIR [--verify] [--json]`: the committed checkpoints of a run directory
// (legolasflux/checkpoints.hpp): step, file, bytes, commit time, the policies that keep each, and
// the rows' metric columns; damaged step files on standard error, and exit status 1 when there are
// any; the damaged files set aside. --verify also reads every step whole, verifying every checksum.
#include <fmt/format.h>

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string_view>

#include "commands.hpp"
#include "json_value.hpp"
#include "legolasflux/checkpoints.hpp"
#include "table_view.hpp"

namespace legolasflux::cli {
namespace {

using Json = nlohmann::ordered_json;

// "2026-12-04T15:20:00.123456789Z"
std::string utc_text(std::chrono::sys_time<std::chrono::nanoseconds> t) {
    const auto ns = t.time_since_epoch().count();
    const std::time_t seconds = static_cast<std::time_t>(ns >= 0 ? ns / 1000000000 : (ns - 999999999) / 1000000000);
    const int64_t fraction = ns - static_cast<int64_t>(seconds) * 1000000000;
    std::tm tm{};
    ::gmtime_r(&seconds, &tm);
    char date[32];
    std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
    return fmt::format("{}.{:09}Z", date, fraction);
}

bool narrow_float(const arrow::DataType& type) {
    return type.id == arrow::TypeId::FloatingPoint && type.precision != arrow::Precision::Double;
}

Json metric_json(const Metric& m) {
    return std::visit(
        [&](const auto& v) -> Json {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, std::monostate>)
                return nullptr;
            else if constexpr (std::is_same_v<T, int64_t>)
                return json_integer(v);
            else if constexpr (std::is_same_v<T, uint64_t>)
                return json_unsigned(v);
            else if constexpr (std::is_same_v<T, double>)
                return json_floating(v, narrow_float(m.type));
            else
                return v;
        },
        m.value);
}

std::string metric_text(const Metric& m) {
    const Json j = metric_json(m);
    return j.is_string() ? j.get<std::string>() : j.dump();
}

std::string joined(const std::vector<std::string>& parts, std::string_view separator) {
    std::string out;
    for (size_t i = 0; i < parts.size(); ++i) out += (i ? std::string(separator) : "") + parts[i];
    return out;
}

void print_text(const std::string& dir, const std::vector<CheckpointInfo>& infos,
                const std::vector<std::string>& set_aside, bool verified) {
    for (const CheckpointInfo& info : infos) {
        std::vector<std::string> metrics;
        for (const Metric& m : info.metrics) metrics.push_back(m.name + "=" + metric_text(m));
        fmt::print("{:>10}  {}  {} bytes  {}  kept by: {}{}{}\n", info.step, info.file, info.bytes,
                   utc_text(info.committed_at),
                   info.kept_by.empty() ? "(nothing: deleted at the next save)" : joined(info.kept_by, ", "),
                   metrics.empty() ? "" : "  ", joined(metrics, " "));
    }
    for (const std::string& name : set_aside) fmt::print("set aside  {}  (damaged, not a checkpoint)\n", name);
    const std::string how = verified ? " (every checksum verified)" : "";
    if (infos.empty())
        fmt::print("{}: no committed checkpoints{}\n", dir, how);
    else
        fmt::print("{}: {} checkpoint{}, latest step {}{}\n", dir, infos.size(), infos.size() == 1 ? "" : "s",
                   infos.back().step, how);
}

void print_json(const std::string& dir, const std::vector<CheckpointInfo>& infos,
                const std::vector<DamagedCheckpoint>& damaged, const std::vector<std::string>& set_aside,
                bool verified) {
    Json j;
    j["directory"] = dir;
    j["verified"] = verified;
    j["latest"] = infos.empty() ? Json(nullptr) : Json(infos.back().step);
    j["checkpoints"] = Json::array();
    for (const CheckpointInfo& info : infos) {
        Json c;
        c["step"] = info.step;
        c["file"] = info.file;
        c["schema"] = info.schema;
        c["committed_at"] = utc_text(info.committed_at);
        c["bytes"] = info.bytes;
        c["checksum"] = info.checksum.empty() ? Json(nullptr) : Json(info.checksum);
        c["kept_by"] = info.kept_by;
        c["metrics"] = Json::object();
        for (const Metric& m : info.metrics) c["metrics"][m.name] = metric_json(m);
        j["checkpoints"].push_back(std::move(c));
    }
    j["damaged"] = Json::array();
    for (const DamagedCheckpoint& d : damaged)
        j["damaged"].push_back({{"step", d.step}, {"file", d.file}, {"error", d.error}});
    j["set_aside"] = set_aside;
    print_json_document(j);
}

}  // namespace

void add_checkpoints_command(CLI::App& app, int& exit_code) {
    auto* cmd = app.add_subcommand("checkpoints",
                                   "List the committed checkpoints of a run directory (CheckpointManager): step, "
                                   "file, bytes, commit time, the policies that keep each, metric columns; damaged "
                                   "steps (exit 1) and those set aside");
    static std::string dir;
    static bool json = false;
    static bool verify = false;
    cmd->add_option("DIR", dir, "The run directory")->required();
    cmd->add_flag("--verify", verify,
                  "Also read every step whole and verify every checksum, the weight values' included (exit 1 on "
                  "any damage)");
    cmd->add_flag("--json", json, "Print typed JSON instead of text");
    cmd->callback([&exit_code] {
        std::vector<DamagedCheckpoint> damaged;
        std::vector<CheckpointInfo> infos = list_checkpoints(dir, &damaged);  // IoError: exit 1
        if (verify) {
            // Opening checks everything but the weight values: those are read here, step by step.
            std::vector<CheckpointInfo> good;
            for (CheckpointInfo& info : infos) {
                try {
                    verify_checkpoint(std::filesystem::path(dir) / info.file);
                    good.push_back(std::move(info));
                } catch (const Error& e) {
                    damaged.push_back({info.step, info.file, e.what()});
                }
            }
            infos = std::move(good);
            std::sort(damaged.begin(), damaged.end(),
                      [](const DamagedCheckpoint& a, const DamagedCheckpoint& b) { return a.step < b.step; });
        }
        const std::vector<std::string> set_aside = set_aside_checkpoints(dir);
        if (json)
            print_json(dir, infos, damaged, set_aside, verify);
        else
            print_text(dir, infos, set_aside, verify);
        for (const DamagedCheckpoint& d : damaged) {
            // The file once: the readers' errors start with its path.
            std::string_view why = d.error;
            const std::string path = (std::filesystem::path(dir) / d.file).string() + ": ";
            if (why.rfind(path, 0) == 0) why.remove_prefix(path.size());
            std::cerr << "legolasflux: damaged checkpoint: " << d.file << ": " << why << "\n";
        }
        exit_code = damaged.empty() ? kOk : kInvalidInput;
    });
}

}  // namespace legolasflux::cli
