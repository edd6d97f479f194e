// Crash-safe saving: a model file is replaced all at once or not at all — when the writing process
// is killed at any moment, when the file system is full, and on ordinary errors — and normal
// failures leave no temporary file behind.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <random>
#include <thread>

#include "legolasflux/errors.hpp"
#include "legolasflux/model.hpp"

using namespace legolasflux;
namespace fs = std::filesystem;

namespace {

// A fresh directory of its own per test, removed afterwards.
class TempDir {
public:
    TempDir() {
        std::string pattern = (fs::temp_directory_path() / "legolasflux_atomic_XXXXXX").string();
        if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
        path_ = pattern;
    }
    ~TempDir() {
        std::error_code ec;
        fs::permissions(path_, fs::perms::owner_all, fs::perm_options::add, ec);
        fs::remove_all(path_, ec);
    }
    const fs::path& path() const { return path_; }

private:
    fs::path path_;
};

// Weights of `n` floats in two arrays, every value depending on `seed`.
Weights weights_of(int64_t n, float seed) {
    std::vector<float> a(static_cast<size_t>(n - 16)), b(16);
    for (size_t i = 0; i < a.size(); ++i) a[i] = seed + static_cast<float>(i % 1000) * 0.001f;
    for (size_t i = 0; i < b.size(); ++i) b[i] = -seed - static_cast<float>(i);
    return Weights({FlatArray::from_values<float>({n - 16}, a), FlatArray::from_values<float>({4, 4}, b)});
}

ModelV1 row_of(Weights w) { return ModelV1{std::move(w), 1}; }

// The names in `dir` other than `target`'s.
std::vector<std::string> others(const fs::path& dir, const fs::path& target) {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir))
        if (e.path().filename() != target.filename()) names.push_back(e.path().filename().string());
    return names;
}

bool is_temp_of(const std::string& name, const fs::path& target) {
    const std::string prefix = "." + target.filename().string() + ".tmp-";
    return name.size() > prefix.size() && name.compare(0, prefix.size(), prefix) == 0;
}

// Runs `f`, expecting an IoError that names `path` and contains `reason`.
template <class F>
void expect_io_error(F&& f, const fs::path& path, const std::string& reason) {
    try {
        f();
        ADD_FAILURE() << "no error writing " << path;
    } catch (const IoError& e) {
        EXPECT_EQ(e.path(), path);
        EXPECT_NE(std::string(e.what()).find(path.string()), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find(reason), std::string::npos) << e.what();
    }
}

}  // namespace

// A process killed while it overwrites a model file leaves the complete old or the complete new one.
TEST(AtomicSave, SigkillAtRandomMomentsLeavesTheOldOrTheNewFile) {
    TempDir dir;
    const fs::path path = dir.path() / "model.arrow";
    // A few MB each, so that a kill often lands in the middle of a write.
    const Weights contents[2] = {weights_of(1'000'000, 1.0f), weights_of(1'000'000, 2.0f)};
    write_model_row(path, row_of(contents[0]));

    // How long one save takes here, to spread the kills over a few saves.
    const auto start = std::chrono::steady_clock::now();
    write_model_row(path, row_of(contents[1]));
    const auto one_save = std::chrono::steady_clock::now() - start;
    const int64_t spread_us =
        std::max<int64_t>(1000, 3 * std::chrono::duration_cast<std::chrono::microseconds>(one_save).count());

    std::mt19937_64 rng(20240605);
    int current = 1;  // which content the file holds
    int kept_old = 0, got_new = 0, killed_mid_write = 0;
    for (int kill = 0; kill < 100; ++kill) {
        const pid_t child = ::fork();
        ASSERT_GE(child, 0) << std::strerror(errno);
        if (child == 0) {
            // Overwrite with the other content, then alternate, until killed.
            for (int next = 1 - current;; next = 1 - next) {
                try {
                    write_model_row(path, row_of(contents[next]));
                } catch (...) {
                    ::_exit(3);
                }
            }
        }
        const int64_t delay_us = std::uniform_int_distribution<int64_t>(0, spread_us)(rng);
        std::this_thread::sleep_for(std::chrono::microseconds(delay_us));
        ASSERT_EQ(::kill(child, SIGKILL), 0);
        int status = 0;
        ASSERT_EQ(::waitpid(child, &status, 0), child);
        ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "the writer failed, status " << status;

        // The path holds one of the two complete files (checksums verified by the read).
        const ModelV1 back = read_model_row<ModelV1>(path);
        ASSERT_TRUE(back.weights.has_value()) << "kill " << kill;
        const int now = *back.weights == contents[0] ? 0 : *back.weights == contents[1] ? 1 : -1;
        ASSERT_NE(now, -1) << "kill " << kill << " after " << delay_us << " us: the file holds neither content";
        (now == current ? kept_old : got_new) += 1;
        current = now;
        // Besides it, only the killed writer's temporary files.
        bool left_temp = false;
        for (const auto& name : others(dir.path(), path)) {
            ASSERT_TRUE(is_temp_of(name, path)) << "unexpected file " << name;
            left_temp = true;
            fs::remove(dir.path() / name);
        }
        killed_mid_write += left_temp;
    }
    std::printf("100 kills: %d kept the old file, %d found a new one, %d interrupted a write (save ~%lld us)\n",
                kept_old, got_new, killed_mid_write, static_cast<long long>(spread_us / 3));
    // The kills must have hit both sides of the rename and the writes themselves, or nothing was tested.
    EXPECT_GT(kept_old, 0);
    EXPECT_GT(got_new, 0);
    EXPECT_GT(killed_mid_write, 0);
}

// A save that does not fit on the file system fails cleanly and keeps the previous file.
TEST(AtomicSave, FullFileSystemKeepsThePreviousFile) {
    if (::geteuid() != 0) GTEST_SKIP() << "mounting a small tmpfs needs root";
    TempDir dir;
    const fs::path mnt = dir.path() / "small";
    fs::create_directory(mnt);
    if (::mount("tmpfs", mnt.c_str(), "tmpfs", 0, "size=1m") != 0)
        GTEST_SKIP() << "cannot mount a 1 MiB tmpfs at " << mnt << ": " << std::strerror(errno);
    struct Unmount {
        const fs::path& at;
        ~Unmount() { ::umount2(at.c_str(), MNT_DETACH); }
    } unmount{mnt};

    const fs::path path = mnt / "model.arrow";
    const Weights small = weights_of(1000, 1.0f);
    write_model_row(path, row_of(small));
    expect_io_error([&] { write_model_row(path, row_of(weights_of(500'000, 2.0f))); }, path, std::strerror(ENOSPC));
    EXPECT_EQ(*read_model_row<ModelV1>(path).weights, small);
    EXPECT_EQ(others(mnt, path), std::vector<std::string>{});
    // The space is free again: a save that fits still works.
    const Weights other = weights_of(2000, 3.0f);
    write_model_row(path, row_of(other));
    EXPECT_EQ(*read_model_row<ModelV1>(path).weights, other);
    EXPECT_EQ(others(mnt, path), std::vector<std::string>{});
}

TEST(AtomicSave, MissingDirectoryIsAnIoError) {
    TempDir dir;
    const fs::path path = dir.path() / "missing" / "model.arrow";
    expect_io_error([&] { write_model_row(path, row_of(weights_of(100, 1.0f))); }, path, std::strerror(ENOENT));
    EXPECT_EQ(others(dir.path(), path), std::vector<std::string>{});
}

TEST(AtomicSave, UnwritableDirectoryIsAnIoError) {
    if (::geteuid() == 0) GTEST_SKIP() << "root writes into read-only directories";
    TempDir dir;
    const fs::path path = dir.path() / "model.arrow";
    const Weights before = weights_of(100, 1.0f);
    write_model_row(path, row_of(before));
    fs::permissions(dir.path(), fs::perms::owner_read | fs::perms::owner_exec);
    expect_io_error([&] { write_model_row(path, row_of(weights_of(100, 2.0f))); }, path, std::strerror(EACCES));
    fs::permissions(dir.path(), fs::perms::owner_all);
    EXPECT_EQ(*read_model_row<ModelV1>(path).weights, before);
    EXPECT_EQ(others(dir.path(), path), std::vector<std::string>{});
}

TEST(AtomicSave, TargetThatIsADirectoryIsAnIoError) {
    TempDir dir;
    const fs::path path = dir.path() / "model.arrow";
    fs::create_directory(path);
    expect_io_error([&] { write_model_row(path, row_of(weights_of(100, 1.0f))); }, path, std::strerror(EISDIR));
    EXPECT_TRUE(fs::is_directory(path));
    EXPECT_EQ(others(dir.path(), path), std::vector<std::string>{});
}

// An error of the writer itself, after the temporary file exists, removes it too.
TEST(AtomicSave, WriterErrorRemovesTheTemporaryFile) {
    TempDir dir;
    const fs::path path = dir.path() / "model.arrow";
    const Weights before = weights_of(100, 1.0f);
    write_model_row(path, row_of(before));
    ModelWriteOptions bad;
    bad.ipc.alignment = 12;
    EXPECT_THROW(write_model_row(path, row_of(weights_of(100, 2.0f)), bad), InvalidArgument);
    EXPECT_EQ(*read_model_row<ModelV1>(path).weights, before);
    EXPECT_EQ(others(dir.path(), path), std::vector<std::string>{});
}

TEST(AtomicSave, ReplacingKeepsThePermissionsAndWorksWithoutSyncs) {
    TempDir dir;
    const fs::path path = dir.path() / "model.arrow";
    write_model_row(path, row_of(weights_of(100, 1.0f)));
    fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write);
    ModelWriteOptions fast;
    fast.ipc.durable = false;
    const Weights after = weights_of(200, 2.0f);
    write_model_row(path, row_of(after), fast);
    EXPECT_EQ(*read_model_row<ModelV1>(path).weights, after);
    EXPECT_EQ(fs::status(path).permissions() & fs::perms::all, fs::perms::owner_read | fs::perms::owner_write);
    EXPECT_EQ(others(dir.path(), path), std::vector<std::string>{});
}
