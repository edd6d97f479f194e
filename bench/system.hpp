// What the benchmark needs from the system: a clock, medians, raw file I/O (the physical limits
// the library is compared with) and the process's resident memory.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <vector>

namespace legolasflux::bench {

// Milliseconds taken by `f()`.
template <class F>
double time_ms(F&& f) {
    const auto start = std::chrono::steady_clock::now();
    f();
    const auto stop = std::chrono::steady_clock::now();
    return std::chrono::duration<double, std::milli>(stop - start).count();
}

// The median (mean of the two middle values for an even count); 0 for none.
double median(std::vector<double> values);

// --- files ------------------------------------------------------------------------------------
// Writes `size` bytes from `data` to a new (truncated) file, as few write() calls as the kernel
// allows; with `fsync_after`, fsyncs it before closing and then its directory. Throws IoError.
void write_bytes(const std::filesystem::path& path, const std::byte* data, int64_t size, bool fsync_after);
// Opens an existing file and fsyncs it (how torch::save is made durable: it has no option).
void fsync_file(const std::filesystem::path& path);
// Fsyncs the directory that holds `path`, so that a new name in it survives a system crash.
void fsync_directory_of(const std::filesystem::path& path);
int64_t bytes_in_file(const std::filesystem::path& path);
// Reads `size` bytes from the start of the file into `out` (read() until done).
void read_into(const std::filesystem::path& path, std::byte* out, int64_t size);
// Reads the file at `offset`, `size` bytes, into `out` (pread()).
void pread_into(int fd, std::byte* out, int64_t size, int64_t offset, const std::filesystem::path& path);
// Reads the whole file once and drops the bytes: afterwards it is in the page cache.
void warm_page_cache(const std::filesystem::path& path);
// Writes every dirty page of the system back to disk, so that the next timed write starts from a
// clean page cache and is not throttled by writeback of earlier ones.
void sync_all();
// A fresh directory under `parent`; removed by remove_all when the benchmark ends.
std::filesystem::path make_work_dir(const std::filesystem::path& parent);

// --- memory -----------------------------------------------------------------------------------
struct MemoryStatus {
    int64_t rss_kib = 0;  // VmRSS: resident now (anonymous, file-backed and shared pages)
    int64_t hwm_kib = 0;  // VmHWM: the peak of VmRSS since the last reset
};
MemoryStatus memory_status();
// Resets VmHWM to the current RSS (writes "5" to /proc/self/clear_refs, Linux >= 4.0). False when
// the kernel refuses; peaks are then not reported.
bool reset_peak();
// Returns memory glibc holds on free lists to the system, so that RSS before an operation does not
// hide memory the operation then reuses.
void release_free_memory();

// The peak RSS an operation adds above the RSS just before it, in MiB; nullopt when the peak
// cannot be reset. `f` runs once.
template <class F>
std::optional<double> peak_added_mib(F&& f) {
    release_free_memory();
    if (!reset_peak()) return std::nullopt;
    const MemoryStatus before = memory_status();
    f();
    const MemoryStatus after = memory_status();
    return static_cast<double>(after.hwm_kib - before.rss_kib) / 1024.0;
}

}  // namespace legolasflux::bench
