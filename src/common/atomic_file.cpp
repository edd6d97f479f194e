#include "common/atomic_file.hpp"

#include <fcntl.h>
#include <limits.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "common/temporary_files.hpp"
#include "legolasflux/errors.hpp"

namespace legolasflux::common {

namespace {

std::string random_suffix() {
    static constexpr char hex[] = "0123456789abcdef";
    std::random_device device;
    std::string s;
    for (int i = 0; i < 3; ++i) {
        uint32_t r = device();
        for (int k = 0; k < 4; ++k, r >>= 4) s += hex[r & 15];
    }
    return s;
}

// The directory to create the temporary file in, and to sync after the rename.
std::filesystem::path directory_of(const std::filesystem::path& target) {
    const auto parent = target.parent_path();
    return parent.empty() ? std::filesystem::path(".") : parent;
}

// Saves killed before their rename leave their temporaries behind: each save of a path removes the
// dead ones of that path first (before its own bytes need the space). Only a convenience: whatever
// goes wrong here is the next collection's business, never this save's.
void remove_dead_temporaries(const std::filesystem::path& dir, const std::string& target_name) noexcept {
    try {
        CollectOptions options;
        options.target = target_name;
        collect_temporaries(dir, options);
    } catch (...) {}
}

// The lock that tells collectors the temporary is in use (temporary_files.hpp). Only a collector
// examining the new file can hold it, for a moment: wait for it a little, then go on without the
// lock rather than fail the save (the pid in the name still protects the file), as on a file system
// without flock.
void lock_temporary(int fd) {
    for (int attempt = 0; attempt < 2000; ++attempt) {
        if (::flock(fd, LOCK_EX | LOCK_NB) == 0) return;
        if (errno != EWOULDBLOCK && errno != EINTR) return;
        ::usleep(1000);
    }
}

}  // namespace

AtomicFile::AtomicFile(std::filesystem::path target, bool durable) : target_(std::move(target)), durable_(durable) {
    if (!target_.has_filename()) throw IoError(target_, "cannot write: the path names no file");
    // A directory at the target would only be refused by the final rename, after all the writing.
    struct stat existing;
    const bool exists = ::stat(target_.c_str(), &existing) == 0;
    if (exists && S_ISDIR(existing.st_mode))
        throw IoError(target_, "cannot write: " + std::string(std::strerror(EISDIR)));

    const std::string name = target_.filename().string();
    const auto dir = directory_of(target_);
    remove_dead_temporaries(dir, name);
    // O_EXCL: a name collision (with a concurrent writer, or a leftover) only means another draw.
    for (int attempt = 0; fd_ < 0; ++attempt) {
        temp_ = dir / temporary_name(name, ::getpid(), random_suffix());
        fd_ = ::open(temp_.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd_ < 0 && (errno != EEXIST || attempt == 16)) {
            const int error = errno;
            throw IoError(target_, "cannot create a temporary file in " + dir.string() + ": " + std::strerror(error));
        }
    }
    lock_temporary(fd_);
    // Replacing a file keeps its permission bits (the umask applies only to new files).
    if (exists && ::fchmod(fd_, existing.st_mode & 07777) != 0) fail("cannot set the permissions of", errno);
}

AtomicFile::~AtomicFile() { discard(); }

void AtomicFile::discard() noexcept {
    if (fd_ >= 0) {
        ::unlink(temp_.c_str());  // before the close, which drops the lock
        ::close(fd_);
        fd_ = -1;
    }
}

void AtomicFile::fail(const std::string& what, int error) {
    discard();
    throw IoError(target_, what + " the temporary file " + temp_.filename().string() + ": " + std::strerror(error));
}

void AtomicFile::write(std::span<const uint8_t> bytes) {
    const std::span<const uint8_t> one[1] = {bytes};
    write(std::span<const std::span<const uint8_t>>(one));
}

void AtomicFile::write(std::span<const std::span<const uint8_t>> chunks) {
    if (fd_ < 0) throw IoError(target_, "write after the file was committed or discarded");
    // A durable file goes out in write-back windows (see start_write_back): no call writes more
    // than one, so that the disk can start on each as soon as it is written.
    const size_t most = durable_ ? kWriteBackWindow : SIZE_MAX;
    std::vector<iovec> pending;
    pending.reserve(chunks.size());
    for (const auto& c : chunks)
        for (size_t at = 0; at < c.size(); at += most)
            pending.push_back({const_cast<uint8_t*>(c.data() + at), std::min(most, c.size() - at)});
    size_t first = 0;
    while (first < pending.size()) {
        int count = 0;
        for (size_t bytes = 0; first + count < pending.size() && count < IOV_MAX; ++count) {
            bytes += pending[first + count].iov_len;
            if (bytes > most && count > 0) break;
        }
        const ssize_t n = ::writev(fd_, pending.data() + first, count);
        if (n < 0) {
            if (errno == EINTR) continue;
            fail("cannot write", errno);
        }
        if (n == 0) fail("cannot write", EIO);  // writev never returns 0 for a regular file; do not spin
        written_ += n;
        if (durable_) start_write_back();
        // A short write: skip what went out, then go on from the middle of a chunk if need be.
        size_t done = static_cast<size_t>(n);
        while (first < pending.size() && done >= pending[first].iov_len) done -= pending[first++].iov_len;
        if (done > 0) {
            pending[first].iov_base = static_cast<uint8_t*>(pending[first].iov_base) + done;
            pending[first].iov_len -= done;
        }
    }
}

// Without this, a durable save writes the whole file into the page cache and only then, in
// commit()'s fsync, waits for the disk to take all of it: write time plus disk time. Starting the
// write-back of each window as soon as it is written overlaps the two, and waiting for the window
// before it keeps the dirty pages of this file to about two windows, so that a large save neither
// fills the page cache with dirty pages nor gets throttled by the kernel for them. Errors are left
// to fsync, which reports them; sync_file_range is only a head start.
void AtomicFile::start_write_back() noexcept {
    constexpr auto window = static_cast<int64_t>(kWriteBackWindow);
    while (written_ - started_ >= window) {
        ::sync_file_range(fd_, started_, window, SYNC_FILE_RANGE_WRITE);
        if (started_ >= window)
            ::sync_file_range(fd_, started_ - window, window,
                              SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER);
        started_ += window;
    }
}

void AtomicFile::read_at(int64_t offset, std::span<uint8_t> out) {
    if (fd_ < 0) throw IoError(target_, "read after the file was committed or discarded");
    for (size_t done = 0; done < out.size();) {
        const ssize_t n = ::pread(fd_, out.data() + done, out.size() - done, offset + static_cast<int64_t>(done));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) fail("cannot read back", errno);
        if (n == 0) fail("cannot read back", EIO);  // past the end: nothing was written there
        done += static_cast<size_t>(n);
    }
}

void AtomicFile::write_at(int64_t offset, std::span<const uint8_t> bytes) {
    if (fd_ < 0) throw IoError(target_, "write after the file was committed or discarded");
    for (size_t done = 0; done < bytes.size();) {
        const ssize_t n = ::pwrite(fd_, bytes.data() + done, bytes.size() - done, offset + static_cast<int64_t>(done));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) fail("cannot write", n < 0 ? errno : EIO);
        done += static_cast<size_t>(n);
    }
}

void AtomicFile::commit() {
    if (fd_ < 0) throw IoError(target_, "commit after the file was committed or discarded");
    if (durable_) {
        int r;
        do r = ::fsync(fd_);
        while (r != 0 && errno == EINTR);
        if (r != 0) fail("cannot sync", errno);
    }
    // close() reports deferred write errors on some file systems (NFS): the file is not done before.
    // The lock lasts while any descriptor of the open file does: a duplicate keeps it until the
    // temporary's name is gone (where flock is emulated with POSIX locks, the close drops it anyway,
    // and the pid in the name protects the file alone).
    const int fd = fd_;
    fd_ = -1;
    const int lock_fd = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
    auto release = [lock_fd] {
        if (lock_fd >= 0) ::close(lock_fd);
    };
    if (::close(fd) != 0 && errno != EINTR) {
        const int error = errno;
        ::unlink(temp_.c_str());
        release();
        throw IoError(target_,
                      "cannot close the temporary file " + temp_.filename().string() + ": " + std::strerror(error));
    }
    if (::rename(temp_.c_str(), target_.c_str()) != 0) {
        const int error = errno;
        ::unlink(temp_.c_str());
        release();
        throw IoError(target_, "cannot replace the file: " + std::string(std::strerror(error)));
    }
    release();
    if (!durable_) return;
    // The rename lives in the directory: sync it too, or a system crash may forget it.
    const auto dir = directory_of(target_);
    if (const int error = sync_directory(dir); error != 0)
        throw IoError(target_, "the file was replaced, but syncing its directory " + dir.string() +
                                   " failed, so the change may not survive a system crash: " + std::strerror(error));
}

int sync_directory(const std::filesystem::path& dir) noexcept {
    const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) return errno;
    int r;
    do r = ::fsync(dfd);
    while (r != 0 && errno == EINTR);
    const int error = r != 0 ? errno : 0;
    ::close(dfd);
    return error;
}

}  // namespace legolasflux::common
