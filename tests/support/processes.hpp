// Child processes for the tests of killed and concurrent saves: forked, told what to do through
// pipes, every wait bounded, and always reaped (a failed assertion never leaves one running).
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>

namespace lftest {

class Pipe {
public:
    Pipe() {
        int fds[2];
        if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
        read_fd_ = fds[0];
        write_fd_ = fds[1];
    }
    ~Pipe() {
        close_read();
        close_write();
    }
    Pipe(const Pipe&) = delete;
    Pipe& operator=(const Pipe&) = delete;

    // Each side closes the end it does not use, so that the other sees end-of-file when it dies.
    void close_read() {
        if (read_fd_ >= 0) ::close(read_fd_);
        read_fd_ = -1;
    }
    void close_write() {
        if (write_fd_ >= 0) ::close(write_fd_);
        write_fd_ = -1;
    }

    int write_fd() const { return write_fd_; }

    void send(std::string_view line) {
        std::string s(line);
        s += '\n';
        for (size_t done = 0; done < s.size();) {
            const ssize_t n = ::write(write_fd_, s.data() + done, s.size() - done);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) throw std::runtime_error("write to a pipe failed");
            done += static_cast<size_t>(n);
        }
    }

    // One line (without its '\n'), or nothing after `timeout` or at end-of-file.
    std::optional<std::string> receive(std::chrono::milliseconds timeout) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        std::string line;
        for (;;) {
            const auto left =
                std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0) return std::nullopt;
            pollfd p{read_fd_, POLLIN, 0};
            const int r = ::poll(&p, 1, static_cast<int>(left.count()));
            if (r < 0 && errno == EINTR) continue;
            if (r <= 0) return std::nullopt;
            char c;
            const ssize_t n = ::read(read_fd_, &c, 1);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return std::nullopt;
            if (c == '\n') return line;
            line += c;
        }
    }

private:
    int read_fd_ = -1;
    int write_fd_ = -1;
};

// A forked child running `body`; its exit status is what `body` returns (99 when it throws). The
// destructor kills and reaps a child still running.
class Child {
public:
    explicit Child(const std::function<int()>& body) {
        pid_ = ::fork();
        if (pid_ < 0) throw std::runtime_error("fork failed");
        if (pid_ == 0) {
            int rc = 99;
            try {
                rc = body();
            } catch (...) {}
            ::_exit(rc);  // never back into the test framework
        }
    }
    ~Child() {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            reap(std::chrono::seconds(30));
        }
    }
    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;

    pid_t pid() const { return pid_; }

    // SIGKILL, then reap: afterwards the pid is no process (until the system reuses it).
    int kill() {
        ::kill(pid_, SIGKILL);
        return wait(std::chrono::seconds(30));
    }

    // Whether the child stopped (SIGSTOP) within `timeout`.
    bool wait_stopped(std::chrono::milliseconds timeout) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            int status = 0;
            const pid_t r = ::waitpid(pid_, &status, WUNTRACED | WNOHANG);
            if (r == pid_) {
                if (WIFSTOPPED(status)) return true;
                pid_ = -1;  // it ended instead, and is reaped
                return false;
            }
            if ((r < 0 && errno != EINTR) || std::chrono::steady_clock::now() > deadline) return false;
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
    }

    // The exit code (128 + the signal for a child killed by one); -1 when the child did not end
    // within `timeout` (it is then killed).
    int wait(std::chrono::milliseconds timeout) {
        const int status = reap(timeout);
        if (status == kTimedOut) {
            ::kill(pid_, SIGKILL);
            reap(std::chrono::seconds(30));
            pid_ = -1;
            return -1;
        }
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }

private:
    static constexpr int kTimedOut = -1;
    pid_t pid_ = -1;

    int reap(std::chrono::milliseconds timeout) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            int status = 0;
            const pid_t r = ::waitpid(pid_, &status, WNOHANG);
            if (r == pid_) return status;
            if (r < 0 && errno != EINTR) return 0;  // not our child any more: nothing to reap
            if (std::chrono::steady_clock::now() > deadline) return kTimedOut;
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
    }
};

// For stall_writes_past's signal handler: where to say that the process stalled.
inline int stall_report_fd = -1;

inline void stall_here(int) {
    const char line[] = "stalled\n";
    [[maybe_unused]] const ssize_t n = ::write(stall_report_fd, line, sizeof line - 1);
    for (;;) ::pause();
}

// In a child: a write that would make a file larger than `bytes` stops the process right there, in
// the middle of the save that writes it (the write raises SIGXFSZ, whose handler sends "stalled" on
// `report_fd` and waits to be killed). False when the limit cannot be set.
inline bool stall_writes_past(rlim_t bytes, int report_fd) {
    stall_report_fd = report_fd;
    ::signal(SIGXFSZ, stall_here);
    const rlimit limit{bytes, bytes};
    return ::setrlimit(RLIMIT_FSIZE, &limit) == 0;
}

// The pid of a process that has ended and been reaped: no process has it (until the system reuses
// it, which takes a wrap-around of the pid counter).
inline pid_t dead_pid() {
    Child child([] { return 0; });
    const pid_t pid = child.pid();
    if (child.wait(std::chrono::seconds(30)) != 0) throw std::runtime_error("a child that only exits failed");
    if (::kill(pid, 0) == 0 || errno != ESRCH) throw std::runtime_error("a reaped child's pid is in use already");
    return pid;
}

}  // namespace lftest
