// AtomicFile's reads and overwrites of bytes already written (used to fill in a model's checksums
// once they are computed): in place before commit, and errors for bytes that were never written.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "common/atomic_file.hpp"  // white-box: a private helper
#include "legolasflux/errors.hpp"

namespace fs = std::filesystem;
using legolasflux::IoError;
using legolasflux::common::AtomicFile;

namespace {
std::span<const uint8_t> bytes_of(const std::string& s) {
    return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}
}  // namespace

TEST(AtomicFile, BytesWrittenCanBeReadBackAndOverwrittenBeforeCommit) {
    const fs::path path = fs::temp_directory_path() / ("legolasflux_atomic_" + std::to_string(::getpid()) + ".bin");
    {
        std::ofstream(path) << "previous";
        AtomicFile file(path, false);
        file.write(bytes_of("hello, world: 0000"));
        std::vector<uint8_t> got(4);
        file.read_at(14, got);
        EXPECT_EQ(std::string(got.begin(), got.end()), "0000");
        file.write_at(14, bytes_of("1234"));
        file.read_at(0, got);
        EXPECT_EQ(std::string(got.begin(), got.end()), "hell");
        std::vector<uint8_t> past(5);
        EXPECT_THROW(file.read_at(16, past), IoError);  // 2 bytes there, not 5
    }
    // The failed read discarded the file: the target keeps its content.
    std::ifstream in(path);
    EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), "previous");
    {
        AtomicFile file(path, true);
        file.write(bytes_of("hello, world: 0000"));
        file.write_at(14, bytes_of("1234"));
        file.commit();
        EXPECT_THROW(file.write_at(0, bytes_of("x")), IoError);
    }
    std::ifstream again(path);
    EXPECT_EQ(std::string(std::istreambuf_iterator<char>(again), {}), "hello, world: 1234");
    fs::remove(path);
}
