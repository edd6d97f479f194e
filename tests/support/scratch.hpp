// Scratch directories for tests that write files: one root per test process under the system's
// temporary directory, removed when the tests end (a gtest global environment, registered once per
// program by this header).
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

namespace lftest {

inline std::filesystem::path scratch_root() {
    return std::filesystem::temp_directory_path() / ("legolasflux_tests_" + std::to_string(::getpid()));
}

struct RemoveScratchRoot : ::testing::Environment {
    void TearDown() override { std::filesystem::remove_all(scratch_root()); }
};
[[maybe_unused]] inline auto* const remove_scratch_root = ::testing::AddGlobalTestEnvironment(new RemoveScratchRoot);

// `name` under the root (a relative path, e.g. "checkpoints/basic"), emptied: it does not exist.
inline std::filesystem::path scratch_path(const std::string& name) {
    const auto path = scratch_root() / name;
    std::filesystem::remove_all(path);
    return path;
}

// The same, created empty.
inline std::filesystem::path scratch_dir(const std::string& name) {
    const auto dir = scratch_path(name);
    std::filesystem::create_directories(dir);
    return dir;
}

}  // namespace lftest
