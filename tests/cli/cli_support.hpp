// Runs the real `legolasflux` binary (its path comes from CMake as LEGOLASFLUX_CLI) and captures
// what a user would see: the exit code, standard output and standard error.
#pragma once

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

namespace lftest {

struct CliResult {
    int exit_code = -1;
    std::string out;
    std::string err;
};

// A fresh directory under the build tree for one test's files, removed and re-created.
inline std::filesystem::path cli_scratch_dir(const std::string& name) {
    auto dir = std::filesystem::path(LEGOLASFLUX_BINARY_DIR) / "tests" / "cli_scratch" / name;
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    return dir;
}

inline std::string slurp(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Runs `legolasflux args...` with stdout and stderr sent to files (no pipes, so a large output
// cannot dead-lock the test) and returns what it printed. `env` holds extra NAME=VALUE variables.
inline CliResult run_cli(const std::vector<std::string>& args, const std::vector<std::string>& env = {}) {
    static int counter = 0;
    const auto dir = std::filesystem::path(LEGOLASFLUX_BINARY_DIR) / "tests" / "cli_scratch" / "_io";
    std::filesystem::create_directories(dir);
    const auto base = dir / (std::to_string(::getpid()) + "_" + std::to_string(counter++));
    const std::string out_path = base.string() + ".out", err_path = base.string() + ".err";

    std::vector<std::string> argv_strings{LEGOLASFLUX_CLI};
    argv_strings.insert(argv_strings.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& s : argv_strings) argv.push_back(s.data());
    argv.push_back(nullptr);

    const pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
        const int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        const int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (out < 0 || err < 0) ::_exit(127);
        ::dup2(out, 1);
        ::dup2(err, 2);
        for (const auto& e : env) {
            const size_t eq = e.find('=');
            ::setenv(e.substr(0, eq).c_str(), e.substr(eq + 1).c_str(), 1);
        }
        ::execv(argv[0], argv.data());
        ::_exit(127);
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {}
    CliResult r;
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    r.out = slurp(out_path);
    r.err = slurp(err_path);
    std::filesystem::remove(out_path);
    std::filesystem::remove(err_path);
    return r;
}

// For failure messages: the whole interaction.
inline std::string describe(const CliResult& r) {
    return "exit " + std::to_string(r.exit_code) + "\n--- stdout\n" + r.out + "--- stderr\n" + r.err;
}

}  // namespace lftest
