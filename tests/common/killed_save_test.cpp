// Saves in other processes: a writer SIGKILLed mid-write leaves its temporary, which the next save
// of the same path (or a collection) removes; a live writer's temporary survives both, and its save
// then completes. The children are forked, synchronised through pipes (never by sleeping), and
// always reaped (support/processes.hpp).
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "common/atomic_file.hpp"  // white-box: private helpers
#include "common/temporary_files.hpp"
#include "support/processes.hpp"
#include "support/scratch.hpp"

namespace fs = std::filesystem;
using legolasflux::TemporaryKept;
using legolasflux::common::AtomicFile;
using legolasflux::common::collect_temporaries;
using legolasflux::common::CollectOptions;
using legolasflux::common::parse_temporary_name;
using namespace std::chrono_literals;

namespace {

fs::path scratch(const std::string& name) { return lftest::scratch_dir("killed/" + name); }

void put(const fs::path& path, const std::string& content) { std::ofstream(path, std::ios::binary) << content; }

std::string contents(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

std::span<const uint8_t> bytes_of(const std::string& s) {
    return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

std::vector<fs::path> temporaries_in(const fs::path& dir) {
    std::vector<fs::path> out;
    for (const auto& e : fs::directory_iterator(dir))
        if (parse_temporary_name(e.path().filename().string())) out.push_back(e.path());
    std::sort(out.begin(), out.end());
    return out;
}

// A child that starts saving a large file (64 MiB) to `target`, says where its temporary is once
// the first MiB is written, and goes on writing; it never commits. Returns the temporary's path
// after the child was SIGKILLed and reaped (empty when the child never said).
fs::path killed_save(const fs::path& target) {
    lftest::Pipe to_parent;
    lftest::Child child([&] {
        to_parent.close_read();
        AtomicFile file(target, /*durable=*/false);
        const std::vector<uint8_t> chunk(1 << 20, 0x5a);
        file.write(chunk);
        to_parent.send(file.temp_path().string());
        for (int i = 1; i < 64; ++i) file.write(chunk);
        ::sleep(60);  // killed long before
        return 3;
    });
    to_parent.close_write();
    const auto temp = to_parent.receive(30s);
    EXPECT_TRUE(temp) << "the writer never reported its temporary";
    EXPECT_EQ(child.kill(), 128 + SIGKILL);
    return temp ? fs::path(*temp) : fs::path();
}

}  // namespace

TEST(KilledSave, TheNextSaveOfThePathRemovesTheTemporary) {
    const auto dir = scratch("next_save");
    const fs::path target = dir / "big.model.arrow";
    put(target, "previous");
    fs::path last;
    for (int kill = 0; kill < 3; ++kill) {
        const fs::path temp = killed_save(target);
        ASSERT_FALSE(temp.empty());
        EXPECT_TRUE(fs::exists(temp)) << "a SIGKILLed writer leaves its temporary";
        EXPECT_GE(fs::file_size(temp), 1u << 20);
        EXPECT_EQ(contents(target), "previous") << "and the target as it was";
        // Each killed save had already removed the temporary of the one killed before it.
        EXPECT_EQ(temporaries_in(dir), std::vector<fs::path>{temp});
        last = temp;
    }
    AtomicFile file(target, /*durable=*/true);
    EXPECT_FALSE(fs::exists(last));
    file.write(bytes_of("new"));
    file.commit();
    EXPECT_EQ(contents(target), "new");
    EXPECT_TRUE(temporaries_in(dir).empty());
}

TEST(KilledSave, ACollectionRemovesTheTemporary) {
    const auto dir = scratch("collect");
    const fs::path target = dir / "big.model.arrow";
    put(target, "previous");
    const fs::path temp = killed_save(target);
    ASSERT_TRUE(fs::exists(temp));
    const auto size = fs::file_size(temp);

    const auto collected = collect_temporaries(dir, {});
    ASSERT_EQ(collected.size(), 1u);
    EXPECT_EQ(collected[0].name, temp.filename().string());
    EXPECT_FALSE(collected[0].kept);
    EXPECT_EQ(collected[0].size, size);
    EXPECT_EQ(collected[0].parts.target, "big.model.arrow");
    EXPECT_FALSE(fs::exists(temp));
    EXPECT_EQ(contents(target), "previous");
}

TEST(LiveSave, ItsTemporarySurvivesACollectionAndASaveOfTheSamePath) {
    const auto dir = scratch("live");
    const fs::path target = dir / "model.arrow";
    put(target, "previous");

    // The live writer: writes half, reports its temporary, waits for "go", finishes and commits.
    lftest::Pipe to_parent, to_child;
    lftest::Child live([&] {
        to_parent.close_read();
        to_child.close_write();
        AtomicFile file(target, /*durable=*/true);
        file.write(bytes_of("the live writer's first half, "));
        to_parent.send(file.temp_path().string());
        const auto go = to_child.receive(60s);
        if (!go || *go != "go") return 2;
        file.write(bytes_of("and its second"));
        file.commit();
        return 0;
    });
    to_parent.close_write();
    to_child.close_read();
    const auto reported = to_parent.receive(30s);
    ASSERT_TRUE(reported) << "the live writer never reported its temporary";
    const fs::path live_temp = *reported;
    ASSERT_TRUE(fs::exists(live_temp));

    // A dead writer's temporary of the same path beside it (its save left the live one alone).
    const fs::path dead_temp = killed_save(target);
    ASSERT_TRUE(fs::exists(dead_temp));
    ASSERT_TRUE(fs::exists(live_temp));

    CollectOptions dry;
    dry.dry_run = true;
    const auto judged = collect_temporaries(dir, dry);
    ASSERT_EQ(judged.size(), 2u);
    for (const auto& t : judged) {
        if (dir / t.name == live_temp)
            EXPECT_EQ(t.kept, TemporaryKept::Locked);
        else
            EXPECT_FALSE(t.kept) << t.name;
    }

    {
        // A save of the same path removes the dead temporary, never the live one.
        AtomicFile mine(target, /*durable=*/true);
        EXPECT_FALSE(fs::exists(dead_temp));
        EXPECT_TRUE(fs::exists(live_temp));
        mine.write(bytes_of("this process's save"));
        mine.commit();
    }
    EXPECT_EQ(contents(target), "this process's save");

    const auto collected = collect_temporaries(dir, {});
    ASSERT_EQ(collected.size(), 1u);
    EXPECT_EQ(dir / collected[0].name, live_temp);
    EXPECT_EQ(collected[0].kept, TemporaryKept::Locked);
    EXPECT_TRUE(fs::exists(live_temp));

    to_child.send("go");
    EXPECT_EQ(live.wait(30s), 0) << "the live writer's save completes";
    EXPECT_EQ(contents(target), "the live writer's first half, and its second");
    EXPECT_TRUE(temporaries_in(dir).empty());
}

TEST(LiveSave, AStoppedWritersTemporarySurvivesToo) {
    // A writer stopped by SIGSTOP (a debugger, a job control) holds its lock all the same.
    const auto dir = scratch("stopped");
    const fs::path target = dir / "model.arrow";
    lftest::Pipe to_parent;
    lftest::Child writer([&] {
        to_parent.close_read();
        AtomicFile file(target, false);
        file.write(bytes_of("stopped "));
        to_parent.send(file.temp_path().string());
        ::raise(SIGSTOP);
        file.write(bytes_of("and resumed"));
        file.commit();
        return 0;
    });
    to_parent.close_write();
    const auto reported = to_parent.receive(30s);
    ASSERT_TRUE(reported);
    ASSERT_TRUE(writer.wait_stopped(30s));
    {
        AtomicFile mine(target, false);
        mine.write(bytes_of("mine"));
        mine.commit();
    }
    EXPECT_TRUE(fs::exists(*reported));
    ::kill(writer.pid(), SIGCONT);
    EXPECT_EQ(writer.wait(30s), 0);
    EXPECT_EQ(contents(target), "stopped and resumed");
}
