// The example program `sharded` (examples/sharded) as the README shows it: saved by some number of
// ranks, loaded by others, consolidated by `legolasflux consolidate`, every time the same `global`
// line; a rank killed mid-write changes nothing on disk.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "legolasflux/sharded.hpp"
#include "support/processes.hpp"
#include "support/scratch.hpp"

#if defined(LEGOLASFLUX_SHARDED) && defined(LEGOLASFLUX_CLI)

namespace fs = std::filesystem;

namespace {

struct Outcome {
    int code = -1;
    std::string out;
};

// A program with arguments, its standard output captured; at most 3 minutes.
Outcome run(const std::string& program, std::vector<std::string> args) {
    const fs::path out = lftest::scratch_root() / "sharded_example.out";
    fs::create_directories(out.parent_path());
    // Built before the fork: between fork and exec the child only makes async-signal-safe calls.
    std::vector<char*> argv{const_cast<char*>(program.c_str())};
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    lftest::Child child([&] {
        const int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0 || ::dup2(fd, 1) < 0) return 97;
        ::execv(program.c_str(), argv.data());
        return 98;
    });
    Outcome r;
    r.code = child.wait(std::chrono::minutes(3));
    std::ifstream in(out);
    std::stringstream s;
    s << in.rdbuf();
    r.out = s.str();
    return r;
}

Outcome sharded(std::vector<std::string> args) { return run(LEGOLASFLUX_SHARDED, std::move(args)); }

}  // namespace

TEST(ShardedExample, EveryWorldSizeGivesTheSameGlobalModel) {
    const fs::path dir = lftest::scratch_dir("sharded_example");
    const Outcome saved = sharded({"save", "--dir", dir, "--world-size", "3", "--step", "10"});
    ASSERT_EQ(saved.code, 0);
    ASSERT_EQ(saved.out.rfind("global ", 0), 0u) << saved.out;
    ASSERT_EQ(saved.out.size(), 7u + 16u + 1u) << saved.out;
    for (const char* m : {"1", "2", "4"}) {
        const Outcome loaded = sharded({"load", "--dir", dir, "--world-size", m});
        EXPECT_EQ(loaded.code, 0);
        EXPECT_EQ(loaded.out, saved.out) << "loaded by " << m;
    }
    // Another world size saves the same model at the same step: the line does not depend on W.
    const fs::path other = lftest::scratch_dir("sharded_example_w2");
    EXPECT_EQ(sharded({"save", "--dir", other, "--world-size", "2", "--step", "10"}).out, saved.out);
    EXPECT_NE(sharded({"save", "--dir", other, "--world-size", "2", "--step", "11"}).out, saved.out);
    // Consolidated into one row, then hashed by `sharded digest`.
    const fs::path whole = dir / "whole.arrow";
    ASSERT_EQ(run(LEGOLASFLUX_CLI, {"consolidate", dir / legolasflux::sharded_step_name(10), whole}).code, 0);
    EXPECT_EQ(sharded({"digest", whole}).out, saved.out);
    // A rank dying mid-write: exit status 1, the committed steps unchanged and still loadable.
    const Outcome failed = sharded({"save", "--dir", dir, "--world-size", "4", "--step", "20", "--fail-rank", "2"});
    EXPECT_EQ(failed.code, 1);
    EXPECT_EQ(failed.out, "");
    EXPECT_EQ(legolasflux::sharded_steps(dir), std::vector<int64_t>{10});
    for (const auto& e : fs::directory_iterator(dir))
        EXPECT_EQ(e.path().filename().string().find(".pending"), std::string::npos) << e.path();
    EXPECT_EQ(sharded({"load", "--dir", dir, "--world-size", "3"}).out, saved.out);
}

#endif
