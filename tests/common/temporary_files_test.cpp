// AtomicFile's temporaries: their names, their lock, and the rule that tells a dead writer's from a
// live one's (temporary_files.hpp), in one process. killed_save_test.cpp has the writers of other
// processes, killed or alive.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>
#include <string>
#include <vector>

#include "common/atomic_file.hpp"  // white-box: private helpers
#include "common/temporary_files.hpp"
#include "legolasflux/errors.hpp"
#include "support/processes.hpp"
#include "support/scratch.hpp"

namespace fs = std::filesystem;
using legolasflux::IoError;
using legolasflux::TemporaryKept;
using legolasflux::common::AtomicFile;
using legolasflux::common::collect_temporaries;
using legolasflux::common::CollectOptions;
using legolasflux::common::JudgedTemporary;
using legolasflux::common::parse_temporary_name;
using legolasflux::common::temporary_name;

namespace {

fs::path scratch(const std::string& name) { return lftest::scratch_dir("tmpfiles/" + name); }

void put(const fs::path& path, const std::string& content) { std::ofstream(path, std::ios::binary) << content; }

std::string contents(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

std::span<const uint8_t> bytes_of(const std::string& s) {
    return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

std::vector<std::string> names_in(const fs::path& dir) {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
}

const JudgedTemporary* find(const std::vector<JudgedTemporary>& all, const std::string& name) {
    for (const auto& t : all)
        if (t.name == name) return &t;
    return nullptr;
}

// A file descriptor holding the lock of a file, as a live writer does.
struct Locker {
    int fd;
    explicit Locker(const fs::path& path) : fd(::open(path.c_str(), O_RDWR | O_CLOEXEC)) {
        if (fd < 0 || ::flock(fd, LOCK_EX | LOCK_NB) != 0) throw std::runtime_error("cannot lock " + path.string());
    }
    ~Locker() { ::close(fd); }
};

}  // namespace

TEST(TemporaryNames, CarryTheTargetAndTheWritersPid) {
    EXPECT_EQ(temporary_name("model.arrow", 4242, "0123456789ab"), ".model.arrow.tmp-4242-0123456789ab");
    const auto parts = parse_temporary_name(".model.arrow.tmp-4242-0123456789ab");
    ASSERT_TRUE(parts);
    EXPECT_EQ(parts->target, "model.arrow");
    EXPECT_EQ(parts->pid, 4242);

    // Earlier versions' names: no pid.
    const auto old = parse_temporary_name(".model.arrow.tmp-0123456789ab");
    ASSERT_TRUE(old);
    EXPECT_EQ(old->target, "model.arrow");
    EXPECT_FALSE(old->pid);

    // A target whose own name holds the marker: the last marker is the writer's.
    const auto nested = parse_temporary_name(".a.tmp-1.tmp-7-abcdefabcdef");
    ASSERT_TRUE(nested);
    EXPECT_EQ(nested->target, "a.tmp-1");
    EXPECT_EQ(nested->pid, 7);
}

TEST(TemporaryNames, AnythingElseIsNoTemporary) {
    for (const char* name :
         {"model.arrow", "model.arrow.tmp-4242-0123456789ab", ".model.arrow", ".model.arrow.tmp-",
          ".model.arrow.tmp-4242-", ".model.arrow.tmp-4242-0123456789a", ".model.arrow.tmp-4242-0123456789abc",
          ".model.arrow.tmp-4242-0123456789AB", ".model.arrow.tmp-4242_0123456789ab", ".model.arrow.tmp-0-0123456789ab",
          ".model.arrow.tmp-042-0123456789ab", ".model.arrow.tmp--1-0123456789ab",
          ".model.arrow.tmp-99999999999-0123456789ab", ".model.arrow.tmp-12x-0123456789ab", ".tmp-12-0123456789ab",
          "..tmp-12-0123456789ab", "...tmp-12-0123456789ab", ".model.arrow.tmp-0123456789ab.bak"})
        EXPECT_FALSE(parse_temporary_name(name)) << name;
}

TEST(AtomicFileTemporary, IsNamedWithThePidAndLockedUntilTheRename) {
    const auto dir = scratch("naming");
    const fs::path target = dir / "model.arrow";
    AtomicFile file(target, false);
    const std::string name = file.temp_path().filename().string();
    EXPECT_TRUE(
        std::regex_match(name, std::regex(R"(\.model\.arrow\.tmp-)" + std::to_string(::getpid()) + R"(-[0-9a-f]{12})")))
        << name;
    EXPECT_EQ(file.temp_path().parent_path(), dir);

    // Another open file description of the temporary cannot take its lock: the writer holds it.
    const int other = ::open(file.temp_path().c_str(), O_RDONLY | O_CLOEXEC);
    ASSERT_GE(other, 0);
    EXPECT_NE(::flock(other, LOCK_EX | LOCK_NB), 0);
    EXPECT_EQ(errno, EWOULDBLOCK);

    file.write(bytes_of("weights"));
    file.commit();
    EXPECT_FALSE(fs::exists(file.temp_path()));
    // Committed: the writer let the lock go (the file lives on as the target, which nobody locks).
    EXPECT_EQ(::flock(other, LOCK_EX | LOCK_NB), 0);
    ::close(other);
    EXPECT_EQ(contents(target), "weights");
}

TEST(CollectTemporaries, RemovesOnlyTheCertainlyDead) {
    const auto dir = scratch("rule");
    const auto dead = lftest::dead_pid();
    const std::string dead_one = temporary_name("m.arrow", dead, "00000000000a");
    const std::string dead_but_locked = temporary_name("m.arrow", dead, "00000000000b");
    const std::string pid_alive = temporary_name("m.arrow", ::getpid(), "00000000000c");
    const std::string old_recent = ".m.arrow.tmp-00000000000d";
    const std::string old_stale = ".m.arrow.tmp-00000000000e";
    const std::string old_stale_locked = ".m.arrow.tmp-00000000000f";
    for (const auto& n : {dead_one, dead_but_locked, pid_alive, old_recent, old_stale, old_stale_locked})
        put(dir / n, "partial " + n);
    put(dir / "m.arrow", "the target");
    put(dir / "notes.txt", "not a temporary");
    const auto two_days_ago = fs::file_time_type::clock::now() - std::chrono::hours(48);
    fs::last_write_time(dir / old_stale, two_days_ago);
    fs::last_write_time(dir / old_stale_locked, two_days_ago);
    const Locker lock1(dir / dead_but_locked), lock2(dir / old_stale_locked);

    CollectOptions dry;
    dry.dry_run = true;
    const auto judged = collect_temporaries(dir, dry);
    ASSERT_EQ(judged.size(), 6u);
    EXPECT_EQ(names_in(dir).size(), 8u) << "a dry run removes nothing";

    const auto all = collect_temporaries(dir, {});
    ASSERT_EQ(all.size(), 6u);
    for (const auto& t : all) {
        const auto* d = find(judged, t.name);
        ASSERT_TRUE(d);
        EXPECT_EQ(d->kept, t.kept) << "the dry run said what the collection did: " << t.name;
        EXPECT_EQ(t.size, ("partial " + t.name).size());
        EXPECT_EQ(t.parts.target, "m.arrow");
    }
    EXPECT_FALSE(find(all, dead_one)->kept);
    EXPECT_EQ(find(all, dead_one)->parts.pid, dead);
    EXPECT_EQ(find(all, dead_but_locked)->kept, TemporaryKept::Locked);
    EXPECT_EQ(find(all, pid_alive)->kept, TemporaryKept::WriterRunning);
    EXPECT_EQ(find(all, old_recent)->kept, TemporaryKept::TooRecent);
    EXPECT_FALSE(find(all, old_stale)->kept);
    EXPECT_EQ(find(all, old_stale_locked)->kept, TemporaryKept::Locked);
    std::vector<std::string> left{old_recent, dead_but_locked, pid_alive, old_stale_locked, "m.arrow", "notes.txt"};
    std::sort(left.begin(), left.end());
    EXPECT_EQ(names_in(dir), left);
    EXPECT_EQ(contents(dir / "m.arrow"), "the target");

    // The age of old-format temporaries is an option.
    CollectOptions young;
    young.old_format_min_age = std::chrono::seconds(0);
    const auto again = collect_temporaries(dir, young);
    EXPECT_FALSE(find(again, old_recent)->kept);
    EXPECT_FALSE(fs::exists(dir / old_recent));
}

TEST(CollectTemporaries, NeverFollowsLinksNorTouchesWhatIsNotARegularFile) {
    const auto dir = scratch("links");
    const auto elsewhere = scratch("links_elsewhere");
    const auto dead = lftest::dead_pid();
    put(elsewhere / "precious", "keep me");
    const std::string link = temporary_name("m.arrow", dead, "00000000000a");
    const std::string subdir = temporary_name("m.arrow", dead, "00000000000b");
    const std::string dangling = ".m.arrow.tmp-00000000000c";
    fs::create_symlink(elsewhere / "precious", dir / link);
    fs::create_directory(dir / subdir);
    put(dir / subdir / "inside", "x");
    fs::create_symlink(elsewhere / "nothing", dir / dangling);

    CollectOptions options;
    options.old_format_min_age = std::chrono::seconds(0);
    const auto all = collect_temporaries(dir, options);
    ASSERT_EQ(all.size(), 3u);
    for (const auto& t : all) EXPECT_EQ(t.kept, TemporaryKept::NotRegularFile) << t.name;
    EXPECT_TRUE(fs::is_symlink(dir / link));
    EXPECT_TRUE(fs::is_symlink(dir / dangling));
    EXPECT_TRUE(fs::exists(dir / subdir / "inside"));
    EXPECT_EQ(contents(elsewhere / "precious"), "keep me");
}

TEST(CollectTemporaries, OneTargetOnlyWhenAsked) {
    const auto dir = scratch("one_target");
    const auto dead = lftest::dead_pid();
    const std::string mine = temporary_name("a.arrow", dead, "00000000000a");
    const std::string other = temporary_name("b.arrow", dead, "00000000000b");
    const std::string prefix_of_mine = temporary_name("a.arrow.tmp-1", dead, "00000000000c");
    for (const auto& n : {mine, other, prefix_of_mine}) put(dir / n, "x");
    CollectOptions options;
    options.target = "a.arrow";
    const auto all = collect_temporaries(dir, options);
    ASSERT_EQ(all.size(), 1u);
    EXPECT_EQ(all[0].name, mine);
    EXPECT_EQ(names_in(dir), (std::vector<std::string>{prefix_of_mine, other}));
}

TEST(CollectTemporaries, AMissingDirectoryIsAnIoError) {
    const auto dir = scratch("missing") / "nope";
    EXPECT_THROW(collect_temporaries(dir, {}), IoError);
    put(dir.parent_path() / "file", "x");
    EXPECT_THROW(collect_temporaries(dir.parent_path() / "file", {}), IoError);
}

TEST(AtomicFileTemporary, TheNextSaveRemovesTheDeadOnesOfItsTargetOnly) {
    const auto dir = scratch("next_save");
    const auto dead = lftest::dead_pid();
    const std::string dead_mine = temporary_name("m.arrow", dead, "00000000000a");
    const std::string dead_other = temporary_name("n.arrow", dead, "00000000000b");
    const std::string alive_mine = temporary_name("m.arrow", ::getpid(), "00000000000c");
    for (const auto& n : {dead_mine, dead_other, alive_mine}) put(dir / n, "partial");
    {
        AtomicFile file(dir / "m.arrow", false);
        EXPECT_FALSE(fs::exists(dir / dead_mine));
        file.write(bytes_of("new"));
        file.commit();
    }
    EXPECT_EQ(contents(dir / "m.arrow"), "new");
    EXPECT_EQ(names_in(dir), (std::vector<std::string>{alive_mine, dead_other, "m.arrow"}));

    // Two saves of one path in one process: neither removes the other's temporary.
    AtomicFile first(dir / "m.arrow", false);
    AtomicFile second(dir / "m.arrow", false);
    EXPECT_TRUE(fs::exists(first.temp_path()));
    first.write(bytes_of("first"));
    first.commit();
    second.write(bytes_of("second"));
    second.commit();
    EXPECT_EQ(contents(dir / "m.arrow"), "second");
}

TEST(AtomicFileTemporary, CleanupTroubleNeverFailsTheSave) {
    const auto dir = scratch("trouble");
    const auto dead = lftest::dead_pid();
    // A dead writer's name on a directory: not removed, and no reason to fail the save.
    fs::create_directory(dir / temporary_name("m.arrow", dead, "00000000000a"));
    AtomicFile file(dir / "m.arrow", false);
    file.write(bytes_of("saved"));
    file.commit();
    EXPECT_EQ(contents(dir / "m.arrow"), "saved");
    EXPECT_TRUE(fs::is_directory(dir / temporary_name("m.arrow", dead, "00000000000a")));
}

TEST(CollectTemporaries, KeepsOtherUsersFiles) {
    // Only root can give a file away: elsewhere there is nothing to test.
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to chown a file";
    const auto dir = scratch("owner");
    const std::string name = temporary_name("m.arrow", lftest::dead_pid(), "00000000000a");
    put(dir / name, "x");
    ASSERT_EQ(::chown((dir / name).c_str(), 65534, 65534), 0);
    const auto all = collect_temporaries(dir, {});
    ASSERT_EQ(all.size(), 1u);
    EXPECT_EQ(all[0].kept, TemporaryKept::OtherOwner);
    EXPECT_TRUE(fs::exists(dir / name));
}
