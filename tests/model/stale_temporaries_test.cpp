// collect_stale_temporaries (legolasflux/temporaries.hpp) with real saves of another process: a
// write_model_row caught mid-write — alive, then SIGKILLed — and old-format leftovers.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "legolasflux/errors.hpp"
#include "legolasflux/model.hpp"
#include "legolasflux/temporaries.hpp"
#include "support/processes.hpp"
#include "support/scratch.hpp"

using namespace legolasflux;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

fs::path scratch(const std::string& name) { return lftest::scratch_dir("stale/" + name); }

ModelV1 row_of(int64_t n, float value) {
    return ModelV1{Weights({FlatArray::from_values<float>({n}, std::vector<float>(static_cast<size_t>(n), value))}), 1};
}

std::vector<std::string> names_in(const fs::path& dir) {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
}

// A child saving 16 MiB of weights to `target` that gets stuck after 4 MiB, mid-write, and stays
// alive (holding its temporary's lock) until killed.
std::unique_ptr<lftest::Child> stuck_save(const fs::path& target, lftest::Pipe& to_parent) {
    auto child = std::make_unique<lftest::Child>([&] {
        to_parent.close_read();
        if (!lftest::stall_writes_past(4 << 20, to_parent.write_fd())) return 4;
        write_model_row(target, row_of(4 << 20, 1.0f));
        return 5;  // the save was not stopped
    });
    to_parent.close_write();
    return child;
}

}  // namespace

TEST(StaleTemporaries, AStuckSaveIsKeptAndAKilledOneRemoved) {
    const auto dir = scratch("stuck");
    const fs::path target = dir / "big.model.arrow";
    write_model_row(target, row_of(16, 0.5f));

    lftest::Pipe to_parent;
    auto child = stuck_save(target, to_parent);
    ASSERT_EQ(to_parent.receive(60s), "stalled");
    const auto names = names_in(dir);
    ASSERT_EQ(names.size(), 2u);
    const std::string temp = names[0];  // ".big.model.arrow.tmp-<pid>-…" sorts before "big.model.arrow"
    const auto size = fs::file_size(dir / temp);
    EXPECT_GT(size, 0u);
    EXPECT_EQ(temp.rfind(".big.model.arrow.tmp-" + std::to_string(child->pid()) + "-", 0), 0u) << temp;

    // Alive: kept by a collection, and by a save of the same path.
    const auto alive = collect_stale_temporaries(dir);
    EXPECT_TRUE(alive.removed.empty());
    ASSERT_EQ(alive.kept.size(), 1u);
    EXPECT_EQ(alive.kept[0].path, dir / temp);
    EXPECT_EQ(alive.kept[0].kept, TemporaryKept::Locked);
    EXPECT_EQ(alive.kept[0].writer_pid, child->pid());
    EXPECT_EQ(alive.kept[0].target, "big.model.arrow");
    write_model_row(target, row_of(16, 0.25f));
    EXPECT_TRUE(fs::exists(dir / temp));

    // Killed: the dry run says it would go, the collection removes it.
    EXPECT_EQ(child->kill(), 128 + SIGKILL);
    TemporaryCollectOptions dry;
    dry.dry_run = true;
    const auto would = collect_stale_temporaries(dir, dry);
    ASSERT_EQ(would.removed.size(), 1u);
    EXPECT_EQ(would.removed[0].size, size);
    EXPECT_TRUE(fs::exists(dir / temp));
    const auto dead = collect_stale_temporaries(dir);
    ASSERT_EQ(dead.removed.size(), 1u);
    EXPECT_TRUE(dead.kept.empty());
    EXPECT_EQ(dead.removed[0].path, dir / temp);
    EXPECT_EQ(dead.removed[0].size, size);
    EXPECT_FALSE(dead.removed[0].kept);
    EXPECT_EQ(names_in(dir), std::vector<std::string>{"big.model.arrow"});
    EXPECT_EQ(*read_model_row<ModelV1>(target).weights, *row_of(16, 0.25f).weights);
}

TEST(StaleTemporaries, TheNextSaveRemovesAKilledSavesTemporary) {
    const auto dir = scratch("next_save");
    const fs::path target = dir / "model.arrow";
    lftest::Pipe to_parent;
    auto child = stuck_save(target, to_parent);
    ASSERT_EQ(to_parent.receive(60s), "stalled");
    EXPECT_EQ(child->kill(), 128 + SIGKILL);
    ASSERT_EQ(names_in(dir).size(), 1u);  // the temporary; no target yet

    write_model_row(target, row_of(8, 2.0f));
    EXPECT_EQ(names_in(dir), std::vector<std::string>{"model.arrow"});
}

TEST(StaleTemporaries, OldFormatOnlyWhenOldEnough) {
    const auto dir = scratch("old_format");
    const fs::path recent = dir / ".model.arrow.tmp-0123456789ab";
    const fs::path old = dir / ".model.arrow.tmp-ba9876543210";
    std::ofstream(recent) << "partial";
    std::ofstream(old) << "partial";
    fs::last_write_time(old, fs::file_time_type::clock::now() - std::chrono::hours(25));
    const auto c = collect_stale_temporaries(dir);
    ASSERT_EQ(c.removed.size(), 1u);
    EXPECT_EQ(c.removed[0].path, old);
    EXPECT_FALSE(c.removed[0].writer_pid);
    ASSERT_EQ(c.kept.size(), 1u);
    EXPECT_EQ(c.kept[0].kept, TemporaryKept::TooRecent);
    EXPECT_EQ(to_string(TemporaryKept::TooRecent), "too_recent");
    EXPECT_TRUE(fs::exists(recent));
}

TEST(StaleTemporaries, AMissingDirectoryIsAnIoError) {
    EXPECT_THROW(collect_stale_temporaries(scratch("missing") / "nope"), IoError);
}
