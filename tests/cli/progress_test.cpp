// The progress bar (tools/legolasflux/progress.hpp) through the real binary: drawn on standard
// error when it is a terminal (a pseudo-terminal here) and ended with a line break before the
// command's own output, never written when standard error is a file or a pipe.
//
// No timing: LEGOLASFLUX_PROGRESS_DELAY_MS=0 (the bar's hook for tests) makes the bar appear at the
// first step of the work instead of after a second, so a small `diff` shows it; the tests assert on
// what reaches the terminal, not on how long anything took.
#include <gtest/gtest.h>
#include <poll.h>
#include <pty.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "cli/cli_support.hpp"
#include "legolasflux/model.hpp"

using namespace lftest;

namespace {

const std::string kNoDelay = "LEGOLASFLUX_PROGRESS_DELAY_MS=0";

struct TerminalResult {
    int exit_code = -1;
    std::string terminal;  // everything written to the pseudo-terminal, "\r\n" turned into "\n"
    std::string piped;     // standard error, when it was sent to a pipe instead
};

// Runs `legolasflux args...` with standard output and error on a pseudo-terminal (or, with
// `stderr_to_pipe`, only standard output on it and standard error on a pipe).
TerminalResult run_cli_in_terminal(const std::vector<std::string>& args, const std::vector<std::string>& env,
                                   bool stderr_to_pipe = false) {
    int pipe_fds[2] = {-1, -1};
    if (stderr_to_pipe && ::pipe(pipe_fds) != 0) throw std::runtime_error("pipe failed");
    std::vector<std::string> argv_strings{LEGOLASFLUX_CLI};
    argv_strings.insert(argv_strings.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& s : argv_strings) argv.push_back(s.data());
    argv.push_back(nullptr);

    struct winsize size {};
    size.ws_row = 24;
    size.ws_col = 120;
    int master = -1;
    const pid_t pid = ::forkpty(&master, nullptr, nullptr, &size);
    if (pid < 0) throw std::runtime_error("forkpty failed");
    if (pid == 0) {
        if (stderr_to_pipe) {
            ::dup2(pipe_fds[1], 2);
            ::close(pipe_fds[0]);
            ::close(pipe_fds[1]);
        }
        for (const auto& e : env) {
            const size_t eq = e.find('=');
            ::setenv(e.substr(0, eq).c_str(), e.substr(eq + 1).c_str(), 1);
        }
        ::execv(argv[0], argv.data());
        ::_exit(127);
    }
    if (stderr_to_pipe) ::close(pipe_fds[1]);

    // Read both until each is closed: the terminal reports EIO once the child's side is gone.
    TerminalResult r;
    std::string raw;
    std::vector<pollfd> fds = {{master, POLLIN, 0}};
    if (stderr_to_pipe) fds.push_back({pipe_fds[0], POLLIN, 0});
    char buffer[4096];
    while (!fds.empty()) {
        if (::poll(fds.data(), fds.size(), -1) < 0) {
            if (errno == EINTR) continue;
            throw std::runtime_error("poll failed");
        }
        for (size_t i = fds.size(); i-- > 0;) {
            if (fds[i].revents == 0) continue;
            const ssize_t n = ::read(fds[i].fd, buffer, sizeof buffer);
            if (n > 0)
                (fds[i].fd == master ? raw : r.piped).append(buffer, static_cast<size_t>(n));
            else if (n == 0 || errno != EINTR)
                fds.erase(fds.begin() + static_cast<std::ptrdiff_t>(i));
        }
    }
    ::close(master);
    if (stderr_to_pipe) ::close(pipe_fds[0]);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {}
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    for (size_t i = 0; i < raw.size(); ++i) {
        if (raw[i] == '\r' && i + 1 < raw.size() && raw[i + 1] == '\n') continue;  // the terminal's ONLCR
        r.terminal += raw[i];
    }
    return r;
}

// Two checkpoints of a two-array model (6 and 3 values) that differ in one value.
std::pair<std::string, std::string> two_checkpoints(const std::filesystem::path& dir) {
    const auto write = [&](const std::string& name, float delta) {
        legolasflux::ModelV1 row;
        row.weights =
            legolasflux::Weights({legolasflux::FlatArray::from_values<float>({2, 3}, {0, 1, 2, 3, 4 + delta, 5}),
                                  legolasflux::FlatArray::from_values<float>({3}, {1, 1, 1})});
        legolasflux::write_model_row(dir / name, row);
        return (dir / name).string();
    };
    return {write("a.arrow", 0), write("b.arrow", 0.5f)};
}

constexpr const char* kFullBar = "\rcomparing [##############################] 100%";

}  // namespace

TEST(CliProgress, OnATerminalTheBarIsDrawnCompletedAndEndedBeforeTheReport) {
    const auto [a, b] = two_checkpoints(cli_scratch_dir("progress_tty"));
    const auto r = run_cli_in_terminal({"diff", a, b}, {kNoDelay});
    ASSERT_EQ(r.exit_code, 1) << r.terminal;  // the files differ
    // The first step (6 of 9 values) draws the bar two thirds full...
    EXPECT_NE(r.terminal.find("\rcomparing [####################..........]  66%"), std::string::npos) << r.terminal;
    // ...and the end completes it and breaks the line, so the report starts on a line of its own
    // and nothing of the bar follows.
    const size_t full = r.terminal.rfind(kFullBar);
    ASSERT_NE(full, std::string::npos) << r.terminal;
    const std::string after = r.terminal.substr(full + std::string(kFullBar).size());
    EXPECT_EQ(after.rfind("\nschema   same: legolas-flux.model@1\n", 0), 0u) << r.terminal;
    EXPECT_EQ(after.find('\r'), std::string::npos) << r.terminal;
    EXPECT_EQ(after.find("comparing"), std::string::npos) << r.terminal;
    EXPECT_NE(after.find("files differ: 1 of 2 arrays differ\n"), std::string::npos) << r.terminal;
}

TEST(CliProgress, NoBarWhenStandardErrorIsAPipeOrAFileEvenWithStandardOutputOnATerminal) {
    const auto [a, b] = two_checkpoints(cli_scratch_dir("progress_pipe"));
    const auto piped = run_cli_in_terminal({"diff", a, b}, {kNoDelay}, /*stderr_to_pipe=*/true);
    EXPECT_EQ(piped.exit_code, 1) << piped.terminal;
    EXPECT_EQ(piped.piped, "");
    EXPECT_EQ(piped.terminal.find("comparing"), std::string::npos) << piped.terminal;
    EXPECT_EQ(piped.terminal.find('\r'), std::string::npos) << piped.terminal;
    EXPECT_EQ(piped.terminal.rfind("schema   same: legolas-flux.model@1\n", 0), 0u) << piped.terminal;

    const auto to_files = run_cli({"diff", a, b}, {kNoDelay});
    EXPECT_EQ(to_files.exit_code, 1) << describe(to_files);
    EXPECT_EQ(to_files.err, "");
    // The same report the terminal got.
    EXPECT_EQ(to_files.out, piped.terminal);
}

TEST(CliProgress, NoBarBeforeTheDelayHasPassed) {
    // With the bar's delay at an hour, work that ends sooner shows nothing on the terminal.
    const auto [a, b] = two_checkpoints(cli_scratch_dir("progress_delay"));
    const auto r = run_cli_in_terminal({"diff", a, b}, {"LEGOLASFLUX_PROGRESS_DELAY_MS=3600000"});
    EXPECT_EQ(r.exit_code, 1) << r.terminal;
    EXPECT_EQ(r.terminal.find("comparing"), std::string::npos) << r.terminal;
    EXPECT_EQ(r.terminal.rfind("schema   same: legolas-flux.model@1\n", 0), 0u) << r.terminal;
}
