// `legolasflux convert` from .pt/.pth in a tool built with the torch adapter: runs the program
// `legolasflux-torch` that lies beside this executable (the build tree's tools/legolasflux/ or an
// installed bin/), so that no other command pays for loading LibTorch (torch_convert.hpp).
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "legolasflux/errors.hpp"
#include "torch_convert.hpp"

namespace legolasflux::cli {
namespace {

namespace fs = std::filesystem;

constexpr const char* kHelper = "legolasflux-torch";

// /proc/self/exe rather than argv[0]: it is the real file even when the tool was found on PATH or
// through a symbolic link, and the helper is installed beside that file.
fs::path own_directory() {
    std::vector<char> buffer(4096);
    for (;;) {
        const ssize_t n = ::readlink("/proc/self/exe", buffer.data(), buffer.size());
        if (n < 0) throw IoError("/proc/self/exe", std::strerror(errno));
        if (static_cast<size_t>(n) < buffer.size()) return fs::path(std::string(buffer.data(), n)).parent_path();
        buffer.resize(buffer.size() * 2);
    }
}

void write_all(int fd, const void* data, size_t size) {
    const char* p = static_cast<const char*>(data);
    while (size > 0) {
        const ssize_t n = ::write(fd, p, size);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;
        p += n;
        size -= static_cast<size_t>(n);
    }
}

}  // namespace

int convert_torch_file(const TorchConvertRequest& request) {
    const fs::path helper = own_directory() / kHelper;
    if (::access(helper.c_str(), X_OK) != 0) {
        const int e = errno;
        throw UnsupportedError(request.in + ": reading TorchScript and PyTorch files needs the program " + kHelper +
                               ", which is built and installed beside legolasflux when LibTorch is present; it is not "
                               "at " +
                               helper.string() + " (" + std::strerror(e) + ")");
    }

    // Options first and "--" before the paths, so that a path starting with '-' stays a path.
    std::vector<std::string> args{helper.string(), "--compression", request.compression, "--from",
                                  request.from,    "--bfloat16",    request.bfloat16,    "--",
                                  request.in,      request.out};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);

    // The helper writes to the same standard output and error: nothing of ours may be left in a
    // buffer to come out after its lines (or twice, from the child's copy of the buffer).
    std::cout.flush();
    std::cerr.flush();
    std::fflush(nullptr);

    // A close-on-exec pipe tells an exec failure (its errno) from the helper's own exit codes.
    int report[2];
    if (::pipe2(report, O_CLOEXEC) != 0) throw IoError("pipe", std::strerror(errno));
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid < 0) {
        const int e = errno;
        ::close(report[0]);
        ::close(report[1]);
        throw IoError(helper, std::string("fork: ") + std::strerror(e));
    }
    if (pid == 0) {
        // The helper must not outlive legolasflux (killed, say, by a job control or a test's
        // timeout): it then gets SIGTERM. getppid() covers a parent gone before prctl ran.
        ::prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (::getppid() != parent) ::_exit(127);
        ::close(report[0]);
        ::execv(argv[0], argv.data());
        const int e = errno;
        write_all(report[1], &e, sizeof e);
        ::_exit(127);
    }
    ::close(report[1]);
    int exec_errno = 0;
    ssize_t got;
    do got = ::read(report[0], &exec_errno, sizeof exec_errno);
    while (got < 0 && errno == EINTR);
    ::close(report[0]);

    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) throw IoError(helper, std::string("waitpid: ") + std::strerror(errno));
    }
    if (got == static_cast<ssize_t>(sizeof exec_errno))
        throw IoError(helper, std::string("cannot run it: ") + std::strerror(exec_errno));
    if (WIFSIGNALED(status))
        throw Error(request.in + ": " + kHelper + " (" + helper.string() + ") was killed by signal " +
                    std::to_string(WTERMSIG(status)) + " (" + ::strsignal(WTERMSIG(status)) + ")");
    return WEXITSTATUS(status);
}

}  // namespace legolasflux::cli
