// Only `convert` of .pt/.pth needs LibTorch, and only the helper program legolasflux-torch links it:
// every other command starts without loading LibTorch's ~280 shared libraries (about a second).
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "cli/cli_support.hpp"

using namespace lftest;

namespace {

// What `ldd` says about a program: one line per shared library it loads.
std::string ldd(const std::string& program) {
    std::string out;
    FILE* pipe = ::popen(("ldd '" + program + "' 2>&1").c_str(), "r");
    if (!pipe) return out;
    char buffer[4096];
    for (size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) out.append(buffer, n);
    ::pclose(pipe);
    return out;
}

size_t count_lines(const std::string& text) {
    std::istringstream in(text);
    size_t n = 0;
    for (std::string line; std::getline(in, line);) n += !line.empty();
    return n;
}

}  // namespace

TEST(CliTorchFree, TheToolLoadsNoTorchLibrary) {
    const std::string libraries = ldd(LEGOLASFLUX_CLI);
    ASSERT_NE(libraries.find("libc.so"), std::string::npos) << "ldd did not run: " << libraries;
    for (const char* name : {"torch", "c10", "caffe2"})
        EXPECT_EQ(libraries.find(name), std::string::npos) << name << " in ldd " << LEGOLASFLUX_CLI << ":\n"
                                                           << libraries;
    // What LibTorch pulls in besides its own libraries (protobuf, MPI, BLAS, …) is most of its ~280;
    // the tool itself needs a handful (the C++ runtime, fmt, the compression libraries).
    EXPECT_LT(count_lines(libraries), 30u) << libraries;
}

#ifdef LEGOLASFLUX_CLI_WITH_TORCH
TEST(CliTorchFree, TheHelperIsWhereLibTorchIs) {
    // Guards the test above against an ldd that lists nothing useful.
    EXPECT_NE(ldd(LEGOLASFLUX_CLI_TORCH).find("libtorch"), std::string::npos);
    EXPECT_EQ(std::filesystem::path(LEGOLASFLUX_CLI_TORCH).parent_path(),
              std::filesystem::path(LEGOLASFLUX_CLI).parent_path())
        << "convert looks for legolasflux-torch beside legolasflux";
}

TEST(CliTorchFree, AMissingHelperIsAClearError) {
    const auto dir = cli_scratch_dir("torch_free");
    const auto alone = dir / "legolasflux";
    std::filesystem::copy_file(LEGOLASFLUX_CLI, alone);
    // A state dict is read in process: TorchScript (forced here, the file need not exist) is what needs the helper.
    const std::string command = "'" + alone.string() + "' convert --from torchscript '" + (dir / "model.pt").string() +
                                "' '" + (dir / "out.arrow").string() + "' >'" + (dir / "out").string() + "' 2>'" +
                                (dir / "err").string() + "'";
    const int status = std::system(command.c_str());
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 1);
    const std::string err = slurp(dir / "err");
    EXPECT_NE(err.find("legolasflux: error:"), std::string::npos) << err;
    EXPECT_NE(err.find("legolasflux-torch"), std::string::npos) << err;
    EXPECT_NE(err.find((dir / "legolasflux-torch").string()), std::string::npos) << "says where it looked: " << err;
    EXPECT_EQ(slurp(dir / "out"), "");
    EXPECT_FALSE(std::filesystem::exists(dir / "out.arrow"));
}
#endif
