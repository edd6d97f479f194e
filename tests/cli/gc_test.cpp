// `legolasflux gc DIR` through the real binary: it removes a killed save's temporary, keeps a live
// save's (a child process stuck mid-write, holding its lock) and everything that is not a dead
// writer's temporary, and refuses a missing directory.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "cli/cli_support.hpp"
#include "legolasflux/model.hpp"
#include "support/processes.hpp"

using namespace lftest;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

std::vector<std::string> names_in(const fs::path& dir) {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
}

legolasflux::ModelV1 row_of(int64_t n) {
    return {legolasflux::Weights(
                {legolasflux::FlatArray::from_values<float>({n}, std::vector<float>(static_cast<size_t>(n), 1.0f))}),
            1};
}

const nlohmann::json* entry(const nlohmann::json& list, const std::string& name) {
    for (const auto& e : list)
        if (e["name"] == name) return &e;
    return nullptr;
}

}  // namespace

TEST(CliGc, RemovesADeadWritersTemporaryAndKeepsALiveOnes) {
    const auto dir = cli_scratch_dir("gc");
    const fs::path target = dir / "model.arrow";
    legolasflux::write_model_row(target, row_of(4));
    std::ofstream(dir / "notes.txt") << "not a temporary";
    // An old-format leftover, modified just now: kept (its age is all that could tell).
    const std::string old_format = ".model.arrow.tmp-0123456789ab";
    std::ofstream(dir / old_format) << "partial";

    // A live writer: stuck in the middle of its save of the same file, holding its lock.
    Pipe live_pipe;
    Child live_writer([&] {
        live_pipe.close_read();
        if (!stall_writes_past(1 << 20, live_pipe.write_fd())) return 4;
        legolasflux::write_model_row(target, row_of(1 << 20));
        return 5;
    });
    live_pipe.close_write();
    ASSERT_EQ(live_pipe.receive(60s), "stalled");

    // A dead writer: a save of the same file SIGKILLed mid-write (its own start left the live
    // writer's temporary alone).
    Pipe dead_pipe;
    Child dead_writer([&] {
        dead_pipe.close_read();
        if (!stall_writes_past(1 << 20, dead_pipe.write_fd())) return 4;
        legolasflux::write_model_row(target, row_of(1 << 20));
        return 5;
    });
    dead_pipe.close_write();
    ASSERT_EQ(dead_pipe.receive(60s), "stalled");
    const pid_t dead_pid = dead_writer.pid();
    EXPECT_EQ(dead_writer.kill(), 128 + SIGKILL);

    std::string dead_temp, live_temp;
    for (const auto& name : names_in(dir)) {
        if (name.rfind(".model.arrow.tmp-" + std::to_string(dead_pid) + "-", 0) == 0) dead_temp = name;
        if (name.rfind(".model.arrow.tmp-" + std::to_string(live_writer.pid()) + "-", 0) == 0) live_temp = name;
    }
    ASSERT_FALSE(dead_temp.empty());
    ASSERT_FALSE(live_temp.empty());
    const auto dead_size = fs::file_size(dir / dead_temp);
    const auto before = names_in(dir);

    auto r = run_cli({"gc", dir.string(), "--dry-run"});
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_TRUE(contains(r.out, "would remove  " + dead_temp + "  " + std::to_string(dead_size) + " bytes")) << r.out;
    EXPECT_TRUE(contains(r.out, "kept  " + live_temp)) << r.out;
    EXPECT_TRUE(contains(r.out, "a save in progress holds its lock")) << r.out;
    EXPECT_TRUE(contains(r.out, "kept  " + old_format)) << r.out;
    EXPECT_TRUE(
        contains(r.out, dir.string() + ": would remove 1 temporary (" + std::to_string(dead_size) + " bytes), kept 2"))
        << r.out;
    EXPECT_EQ(names_in(dir), before) << "a dry run removes nothing";

    r = run_cli({"gc", dir.string(), "--json", "--dry-run"});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["directory"], dir.string());
    EXPECT_EQ(j["dry_run"], true);
    ASSERT_EQ(j["removed"].size(), 1u) << r.out;
    EXPECT_EQ(j["removed"][0]["name"], dead_temp);
    EXPECT_EQ(j["removed"][0]["target"], "model.arrow");
    EXPECT_EQ(j["removed"][0]["writer_pid"], dead_pid);
    EXPECT_EQ(j["removed"][0]["bytes"], dead_size);
    ASSERT_TRUE(entry(j["kept"], live_temp)) << r.out;
    EXPECT_EQ((*entry(j["kept"], live_temp))["reason"], "locked");
    ASSERT_TRUE(entry(j["kept"], old_format)) << r.out;
    EXPECT_EQ((*entry(j["kept"], old_format))["reason"], "too_recent");
    EXPECT_TRUE((*entry(j["kept"], old_format))["writer_pid"].is_null());
    EXPECT_EQ(j["removed_count"], 1);
    EXPECT_EQ(j["removed_bytes"], dead_size);
    EXPECT_EQ(j["kept_count"], 2);

    r = run_cli({"gc", dir.string()});
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_TRUE(contains(r.out, "removed  " + dead_temp + "  " + std::to_string(dead_size) + " bytes")) << r.out;
    EXPECT_TRUE(contains(r.out, ": removed 1 temporary (")) << r.out;
    EXPECT_FALSE(fs::exists(dir / dead_temp));
    EXPECT_TRUE(fs::exists(dir / live_temp));
    EXPECT_TRUE(fs::exists(dir / old_format));
    EXPECT_TRUE(fs::exists(dir / "notes.txt"));
    EXPECT_TRUE(fs::exists(target));

    // The live writer killed too: now its temporary goes.
    const pid_t live_pid = live_writer.pid();
    EXPECT_EQ(live_writer.kill(), 128 + SIGKILL);
    r = run_cli({"gc", dir.string(), "--json"});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    const auto after = nlohmann::json::parse(r.out);
    ASSERT_EQ(after["removed"].size(), 1u) << r.out;
    EXPECT_EQ(after["removed"][0]["name"], live_temp);
    EXPECT_EQ(after["removed"][0]["writer_pid"], live_pid);
    EXPECT_EQ(names_in(dir), (std::vector<std::string>{old_format, "model.arrow", "notes.txt"}));
    EXPECT_EQ(legolasflux::read_model_row<legolasflux::ModelV1>(target).weights, row_of(4).weights);
}

TEST(CliGc, AMissingDirectoryIsAnError) {
    const auto dir = cli_scratch_dir("gc_missing");
    auto r = run_cli({"gc", (dir / "nope").string()});
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    EXPECT_TRUE(contains(r.err, "legolasflux: error: " + (dir / "nope").string())) << r.err;
    EXPECT_TRUE(contains(r.err, "No such file or directory")) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;

    std::ofstream(dir / "file") << "x";
    r = run_cli({"gc", (dir / "file").string()});
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    EXPECT_TRUE(contains(r.err, "Not a directory")) << r.err;

    r = run_cli({"gc"});
    EXPECT_EQ(r.exit_code, 2) << describe(r);

    r = run_cli({"gc", dir.string()});
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_TRUE(contains(r.out, dir.string() + ": removed 0 temporaries (0 bytes), kept 0")) << r.out;
}
