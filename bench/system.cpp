#include "system.hpp"

#include <fcntl.h>
#include <malloc.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>

#include "legolasflux/errors.hpp"

namespace legolasflux::bench {

namespace {

[[noreturn]] void fail(const std::filesystem::path& path, const std::string& what) {
    throw IoError(path, what + ": " + std::strerror(errno));
}

// Closes the descriptor on every path out.
struct Fd {
    int fd = -1;
    Fd(const std::filesystem::path& path, int flags, mode_t mode = 0644)
        : fd(::open(path.c_str(), flags | O_CLOEXEC, mode)) {
        if (fd < 0) fail(path, "cannot open");
    }
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
};

}  // namespace

double median(std::vector<double> values) {
    if (values.empty()) return 0;
    std::sort(values.begin(), values.end());
    const size_t n = values.size();
    return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

void write_bytes(const std::filesystem::path& path, const std::byte* data, int64_t size, bool fsync_after) {
    Fd f(path, O_WRONLY | O_CREAT | O_TRUNC);
    int64_t done = 0;
    while (done < size) {
        // One call per 2 GiB at most: Linux writes at most 0x7ffff000 bytes per call anyway.
        const size_t chunk = static_cast<size_t>(std::min<int64_t>(size - done, int64_t{1} << 30));
        const ssize_t n = ::write(f.fd, data + done, chunk);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) fail(path, "write failed");
        done += n;
    }
    if (fsync_after && ::fsync(f.fd) != 0) fail(path, "fsync failed");
    if (::close(f.fd) != 0) {
        f.fd = -1;
        fail(path, "close failed");
    }
    f.fd = -1;
    if (fsync_after) fsync_directory_of(path);
}

void fsync_file(const std::filesystem::path& path) {
    Fd f(path, O_RDONLY);
    if (::fsync(f.fd) != 0) fail(path, "fsync failed");
}

void fsync_directory_of(const std::filesystem::path& path) {
    const std::filesystem::path dir = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
    Fd d(dir, O_RDONLY | O_DIRECTORY);
    if (::fsync(d.fd) != 0) fail(dir, "fsync failed");
}

int64_t bytes_in_file(const std::filesystem::path& path) {
    return static_cast<int64_t>(std::filesystem::file_size(path));
}

void read_into(const std::filesystem::path& path, std::byte* out, int64_t size) {
    Fd f(path, O_RDONLY);
    int64_t done = 0;
    while (done < size) {
        const size_t chunk = static_cast<size_t>(std::min<int64_t>(size - done, int64_t{1} << 30));
        const ssize_t n = ::read(f.fd, out + done, chunk);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) fail(path, "read failed");
        if (n == 0) throw IoError(path, "file shorter than expected");
        done += n;
    }
}

void pread_into(int fd, std::byte* out, int64_t size, int64_t offset, const std::filesystem::path& path) {
    int64_t done = 0;
    while (done < size) {
        const size_t chunk = static_cast<size_t>(std::min<int64_t>(size - done, int64_t{1} << 30));
        const ssize_t n = ::pread(fd, out + done, chunk, offset + done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) fail(path, "pread failed");
        if (n == 0) throw IoError(path, "file shorter than expected");
        done += n;
    }
}

void warm_page_cache(const std::filesystem::path& path) {
    Fd f(path, O_RDONLY);
    constexpr size_t kChunk = size_t{8} << 20;
    const auto buffer = std::make_unique<std::byte[]>(kChunk);
    for (;;) {
        const ssize_t n = ::read(f.fd, buffer.get(), kChunk);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) fail(path, "read failed");
        if (n == 0) break;
    }
}

void sync_all() { ::sync(); }

std::filesystem::path make_work_dir(const std::filesystem::path& parent) {
    std::string pattern = (parent / "legolasflux-bench-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) fail(parent, "cannot create a directory in");
    return pattern;
}

MemoryStatus memory_status() {
    MemoryStatus status;
    std::ifstream in("/proc/self/status");
    std::string line;
    // Lines such as "VmHWM:\t 1234 kB"; strtoll skips the blanks.
    const auto kib = [&](std::string_view key) { return std::strtoll(line.c_str() + key.size(), nullptr, 10); };
    while (std::getline(in, line)) {
        if (line.starts_with("VmRSS:")) status.rss_kib = kib("VmRSS:");
        if (line.starts_with("VmHWM:")) status.hwm_kib = kib("VmHWM:");
    }
    return status;
}

bool reset_peak() {
    std::ofstream out("/proc/self/clear_refs");
    out << "5";
    out.flush();
    return static_cast<bool>(out);
}

void release_free_memory() { ::malloc_trim(0); }

}  // namespace legolasflux::bench
