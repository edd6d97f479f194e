// Crash-safe replacement of the file at a path (private to the library).
//
// The bytes go to a new temporary file in the target's directory, named
// ".<name>.tmp-<pid>-<random>" and locked (flock) for as long as it exists; commit() then fsyncs it,
// renames it over the target and fsyncs the directory. rename(2) within one directory is atomic, so
// at every moment the path holds either the complete previous file or the complete new one,
// whatever happens to the writing process. When `durable` is false the fsyncs are skipped: still
// atomic against a crash of the process, but a crash of the system may then leave the new name with
// data that never reached the disk.
//
// Until commit() succeeds the target is untouched; an AtomicFile destroyed without a successful
// commit removes its temporary file. A process killed mid-write leaves its temporary file behind:
// such files start with "." and contain ".tmp-", so they are never mistaken for the target, and the
// next AtomicFile of the same target removes them once their writer is certainly dead (the name,
// the lock and the rule: temporary_files.hpp). A symbolic link at the target is replaced by the new
// file, not followed; an existing target's permission bits are kept.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

namespace legolasflux::common {

class AtomicFile {
public:
    // Creates the temporary file (IoError naming `target` when that is impossible, e.g. the
    // directory is missing or not writable, or `target` is a directory).
    AtomicFile(std::filesystem::path target, bool durable);
    ~AtomicFile();
    AtomicFile(const AtomicFile&) = delete;
    AtomicFile& operator=(const AtomicFile&) = delete;

    // Appends the bytes; short writes and EINTR are retried, anything else is an IoError.
    void write(std::span<const uint8_t> bytes);
    // Appends several chunks in order with as few system calls as possible (writev).
    void write(std::span<const std::span<const uint8_t>> chunks);
    // Reads back, or overwrites, bytes already written at `offset` (pread / pwrite; IoError when
    // they are not all there).
    void read_at(int64_t offset, std::span<uint8_t> out);
    void write_at(int64_t offset, std::span<const uint8_t> bytes);
    // Makes the written bytes the content of the target (see the top of this file). After an
    // IoError the target keeps its previous content and the temporary file is gone, except when
    // syncing the directory fails after the rename (the message says so).
    void commit();

    const std::filesystem::path& target() const noexcept { return target_; }
    const std::filesystem::path& temp_path() const noexcept { return temp_; }

private:
    std::filesystem::path target_;
    std::filesystem::path temp_;
    bool durable_;
    int fd_ = -1;

    // Durable files start the disk's write-back every kWriteBackWindow bytes (atomic_file.cpp).
    static constexpr size_t kWriteBackWindow = size_t{32} << 20;
    int64_t written_ = 0;  // bytes appended by write()
    int64_t started_ = 0;  // bytes whose write-back has been started

    [[noreturn]] void fail(const std::string& what, int error);
    void start_write_back() noexcept;
    void discard() noexcept;
};

// Appends to an AtomicFile the many small pieces a serializer writes (message prefixes, padding)
// together with the large ones (array buffers, never copied), in few writev calls. flush() before
// commit().
class GatheringAppender {
public:
    explicit GatheringAppender(AtomicFile& file) : file_(file) { pending_.reserve(kGather); }
    void write(std::span<const uint8_t> b) {
        written_ += static_cast<int64_t>(b.size());
        if (b.size() >= kDirect) {
            const std::span<const uint8_t> chunks[2] = {pending_, b};
            file_.write(std::span<const std::span<const uint8_t>>(chunks));
            pending_.clear();
            return;
        }
        if (pending_.size() + b.size() > kGather) flush();
        pending_.insert(pending_.end(), b.begin(), b.end());
    }
    void flush() {
        file_.write(std::span<const uint8_t>(pending_));
        pending_.clear();
    }
    int64_t written() const noexcept { return written_; }

private:
    static constexpr size_t kDirect = size_t{64} << 10;
    static constexpr size_t kGather = size_t{1} << 20;
    AtomicFile& file_;
    std::vector<uint8_t> pending_;
    int64_t written_ = 0;
};

// fsync of a directory, so that the names created, renamed or removed in it survive a system
// crash: 0, or the errno of the failure.
int sync_directory(const std::filesystem::path& dir) noexcept;

}  // namespace legolasflux::common
