// Files that cannot be mapped (pipes, character devices, empty files) are read.
#include "common/file_bytes.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <new>
#include <string>
#include <vector>

#include "legolasflux/errors.hpp"

namespace legolasflux::common {

namespace {

std::string system_error() { return std::strerror(errno); }

struct Fd {
    int fd = -1;
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
};

constexpr size_t kAlignment = 64;

// `size` bytes aligned to 64, the padding up to the next multiple of 64 zeroed.
FileBytes allocate(int64_t size) {
    const size_t padded = (static_cast<size_t>(size) + kAlignment - 1) / kAlignment * kAlignment;
    auto* p = static_cast<uint8_t*>(::operator new (std::max(padded, kAlignment), std::align_val_t{kAlignment}));
    std::shared_ptr<const void> owner(
        p, [](const void* q) { ::operator delete (const_cast<void*>(q), std::align_val_t{kAlignment}); });
    std::memset(p + size, 0, std::max(padded, kAlignment) - static_cast<size_t>(size));
    return {std::move(owner), p, size};
}

// Reads until end of file; `expected` (from fstat, 0 when unknown) sizes the first allocation.
FileBytes read_all(const std::filesystem::path& path, int fd, int64_t expected) {
    if (expected > 0) {
        FileBytes out = allocate(expected);
        auto* to = const_cast<uint8_t*>(out.data);
        int64_t done = 0;
        while (done < expected) {
            const ssize_t n =
                ::read(fd, to + done, static_cast<size_t>(std::min<int64_t>(expected - done, int64_t{1} << 30)));
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) throw IoError(path, "read failed: " + system_error());
            if (n == 0) throw IoError(path, "read failed: the file got shorter while it was read");
            done += n;
        }
        return out;
    }
    std::vector<uint8_t> bytes;
    uint8_t chunk[1 << 16];
    for (;;) {
        const ssize_t n = ::read(fd, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw IoError(path, "read failed: " + system_error());
        if (n == 0) break;
        bytes.insert(bytes.end(), chunk, chunk + n);
    }
    FileBytes out = allocate(static_cast<int64_t>(bytes.size()));
    if (!bytes.empty()) std::memcpy(const_cast<uint8_t*>(out.data), bytes.data(), bytes.size());
    return out;
}

}  // namespace

FileBytes read_file_bytes(const std::filesystem::path& path, bool map) {
    Fd f;
    do f.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    while (f.fd < 0 && errno == EINTR);
    if (f.fd < 0) throw IoError(path, "cannot open: " + system_error());
    struct stat st {};
    if (::fstat(f.fd, &st) != 0) throw IoError(path, "cannot stat: " + system_error());
    if (S_ISDIR(st.st_mode)) throw IoError(path, "cannot read: " + std::string(std::strerror(EISDIR)));
    const bool regular = S_ISREG(st.st_mode);
    const int64_t size = regular ? static_cast<int64_t>(st.st_size) : 0;
    if (map && regular && size > 0) {
        void* addr = ::mmap(nullptr, static_cast<size_t>(size), PROT_READ, MAP_SHARED, f.fd, 0);
        if (addr != MAP_FAILED) {
            const auto length = static_cast<size_t>(size);
            std::shared_ptr<const void> owner(addr,
                                              [length](const void* p) { ::munmap(const_cast<void*>(p), length); });
            return {std::move(owner), static_cast<const uint8_t*>(addr), size};
        }
        // Some file systems cannot map; reading still works there.
    }
    return read_all(path, f.fd, size);
}

}  // namespace legolasflux::common
