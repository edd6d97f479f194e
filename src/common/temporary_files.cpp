#include "common/temporary_files.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>

#include "legolasflux/errors.hpp"

namespace legolasflux::common {

namespace {

constexpr std::string_view kMarker = ".tmp-";
constexpr size_t kRandomDigits = 12;
constexpr int64_t kMaxPid = 2147483647;  // pid_t is 32 bits; Linux's pid_max is far below

bool is_random_part(std::string_view s) {
    return s.size() == kRandomDigits &&
           std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// A pid as a writer prints it: decimal, no sign, no leading zero, positive.
std::optional<int64_t> parse_pid(std::string_view s) {
    if (s.empty() || s.size() > 10 || s[0] == '0') return std::nullopt;
    int64_t pid = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return std::nullopt;
        pid = pid * 10 + (c - '0');
    }
    if (pid > kMaxPid) return std::nullopt;
    return pid;
}

class Fd {
public:
    explicit Fd(int fd) : fd_(fd) {}
    ~Fd() {
        if (fd_ >= 0) ::close(fd_);
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    int get() const { return fd_; }

private:
    int fd_;
};

std::string system_message(int error) { return std::strerror(error); }

bool same_file(const struct stat& a, const struct stat& b) { return a.st_dev == b.st_dev && a.st_ino == b.st_ino; }

// The verdict on one temporary, or nothing when it vanished meanwhile (its writer renamed it, or
// another collector removed it): then there is nothing to report.
std::optional<JudgedTemporary> judge(int dir_fd, const std::string& name, TemporaryName parts,
                                     const CollectOptions& options) {
    JudgedTemporary t;
    t.name = name;
    t.parts = std::move(parts);
    auto kept = [&t](TemporaryKept why, std::string error = {}) {
        t.kept = why;
        t.error = std::move(error);
        return t;
    };
    struct stat listed;
    if (::fstatat(dir_fd, name.c_str(), &listed, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT) return std::nullopt;
        return kept(TemporaryKept::Failed, "cannot examine it: " + system_message(errno));
    }
    if (!S_ISREG(listed.st_mode)) return kept(TemporaryKept::NotRegularFile);
    t.size = static_cast<uint64_t>(listed.st_size);
    if (listed.st_uid != ::geteuid()) return kept(TemporaryKept::OtherOwner);

    // O_NOFOLLOW and O_NONBLOCK: should the name have become a link or a FIFO since it was listed,
    // the open fails or returns at once instead of following it or waiting for a writer. Opened for
    // writing when permitted, because file systems that emulate flock with POSIX locks (NFS) grant
    // an exclusive lock only on a file open for writing.
    const int flags = O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;
    int raw = ::openat(dir_fd, name.c_str(), O_RDWR | flags);
    if (raw < 0 && (errno == EACCES || errno == EROFS)) raw = ::openat(dir_fd, name.c_str(), O_RDONLY | flags);
    if (raw < 0) {
        if (errno == ENOENT) return std::nullopt;
        if (errno == ELOOP) return kept(TemporaryKept::NotRegularFile);
        return kept(TemporaryKept::Failed, "cannot open it: " + system_message(errno));
    }
    const Fd fd(raw);
    struct stat held;
    if (::fstat(fd.get(), &held) != 0)
        return kept(TemporaryKept::Failed, "cannot examine it: " + system_message(errno));
    if (!S_ISREG(held.st_mode) || !same_file(held, listed))
        return kept(TemporaryKept::Failed, "it was replaced while being examined");
    t.size = static_cast<uint64_t>(held.st_size);

    if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK) return kept(TemporaryKept::Locked);
        return kept(TemporaryKept::Failed, "cannot lock it: " + system_message(errno));
    }
    if (t.parts.pid) {
        // EPERM means a process of another user: alive all the same. Only ESRCH says "no process".
        if (::kill(static_cast<pid_t>(*t.parts.pid), 0) == 0 || errno != ESRCH)
            return kept(TemporaryKept::WriterRunning);
    } else {
        timespec now{};
        ::clock_gettime(CLOCK_REALTIME, &now);
        const int64_t age = static_cast<int64_t>(now.tv_sec) - static_cast<int64_t>(held.st_mtim.tv_sec);
        if (age < options.old_format_min_age.count()) return kept(TemporaryKept::TooRecent);
    }

    // Remove by name only what was judged: the name must still lead to the file we hold.
    struct stat again;
    if (::fstatat(dir_fd, name.c_str(), &again, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT) return std::nullopt;
        return kept(TemporaryKept::Failed, "cannot examine it: " + system_message(errno));
    }
    if (!same_file(again, held)) return kept(TemporaryKept::Failed, "it was replaced while being examined");
    if (!options.dry_run && ::unlinkat(dir_fd, name.c_str(), 0) != 0) {
        if (errno == ENOENT) return std::nullopt;
        return kept(TemporaryKept::Failed, "cannot remove it: " + system_message(errno));
    }
    return t;
}

}  // namespace

std::string temporary_name(std::string_view target, int64_t pid, std::string_view random) {
    std::string name = ".";
    name += target;
    name += kMarker;
    name += std::to_string(pid);
    name += '-';
    name += random;
    return name;
}

std::optional<TemporaryName> parse_temporary_name(std::string_view file_name) {
    // The random part and the pid hold no '.', so the last marker is the one the writer appended,
    // whatever the target's own name holds (".a.tmp-1.tmp-7-…" is a temporary of "a.tmp-1").
    if (file_name.empty() || file_name[0] != '.') return std::nullopt;
    const size_t marker = file_name.rfind(kMarker);
    if (marker == std::string_view::npos || marker < 2) return std::nullopt;
    const std::string_view target = file_name.substr(1, marker - 1);
    if (target == "." || target == "..") return std::nullopt;
    const std::string_view rest = file_name.substr(marker + kMarker.size());
    if (is_random_part(rest)) return TemporaryName{std::string(target), std::nullopt};
    const size_t dash = rest.find('-');
    if (dash == std::string_view::npos || !is_random_part(rest.substr(dash + 1))) return std::nullopt;
    const auto pid = parse_pid(rest.substr(0, dash));
    if (!pid) return std::nullopt;
    return TemporaryName{std::string(target), pid};
}

std::vector<JudgedTemporary> collect_temporaries(const std::filesystem::path& dir, const CollectOptions& options) {
    const Fd dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dir_fd.get() < 0) throw IoError(dir, "cannot open the directory: " + system_message(errno));

    std::vector<std::pair<std::string, TemporaryName>> found;
    {
        // fdopendir owns the descriptor it is given: a duplicate, so dir_fd stays ours.
        const int list_fd = ::fcntl(dir_fd.get(), F_DUPFD_CLOEXEC, 0);
        DIR* listing = list_fd < 0 ? nullptr : ::fdopendir(list_fd);
        if (!listing) {
            const int error = errno;
            if (list_fd >= 0) ::close(list_fd);
            throw IoError(dir, "cannot list the directory: " + system_message(error));
        }
        for (;;) {
            errno = 0;
            const dirent* entry = ::readdir(listing);
            if (!entry) break;
            auto parts = parse_temporary_name(entry->d_name);
            if (!parts || (options.target && parts->target != *options.target)) continue;
            found.emplace_back(entry->d_name, std::move(*parts));
        }
        const int error = errno;
        ::closedir(listing);
        if (error != 0) throw IoError(dir, "cannot list the directory: " + system_message(error));
    }
    std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.first < b.first; });

    std::vector<JudgedTemporary> out;
    for (auto& [name, parts] : found)
        if (auto t = judge(dir_fd.get(), name, std::move(parts), options)) out.push_back(std::move(*t));
    return out;
}

}  // namespace legolasflux::common

namespace legolasflux {

std::string_view to_string(TemporaryKept reason) {
    switch (reason) {
        case TemporaryKept::Locked: return "locked";
        case TemporaryKept::WriterRunning: return "writer_running";
        case TemporaryKept::TooRecent: return "too_recent";
        case TemporaryKept::NotRegularFile: return "not_regular_file";
        case TemporaryKept::OtherOwner: return "other_owner";
        case TemporaryKept::Failed: return "failed";
    }
    return "failed";
}

CollectedTemporaries collect_stale_temporaries(const std::filesystem::path& dir,
                                               const TemporaryCollectOptions& options) {
    common::CollectOptions common_options;
    static_cast<TemporaryCollectOptions&>(common_options) = options;
    CollectedTemporaries out;
    for (auto& t : common::collect_temporaries(dir, common_options)) {
        TemporaryFile file{dir / t.name, std::move(t.parts.target), t.parts.pid, t.size, t.kept, std::move(t.error)};
        (t.kept ? out.kept : out.removed).push_back(std::move(file));
    }
    return out;
}

}  // namespace legolasflux
