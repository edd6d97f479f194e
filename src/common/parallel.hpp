// Work spread over a few threads (private to the library): hashing, copying and compressing large
// buffers, where one core cannot keep up with memory.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <exception>
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

namespace legolasflux::common {

// Below this many bytes a job runs on the calling thread: starting threads would cost more than
// they save.
inline constexpr size_t kParallelMinimum = size_t{8} << 20;

// The number of threads a user's option asks for: itself when positive, else one per core.
inline unsigned thread_count(int requested) {
    return requested > 0 ? static_cast<unsigned>(requested) : std::max(1u, std::thread::hardware_concurrency());
}

// Calls work(i) for every i in [0, count), on up to `threads` threads (the caller is one of them),
// each taking the next index when it is done with one; returns when all are done. The first
// exception thrown is rethrown then (the other threads stop taking indices).
template <class F>
void parallel_for(size_t count, unsigned threads, F&& work) {
    if (threads <= 1 || count <= 1) {
        for (size_t i = 0; i < count; ++i) work(i);
        return;
    }
    std::atomic<size_t> next{0};
    std::exception_ptr failure;
    std::mutex failure_mutex;
    const auto run = [&] {
        try {
            for (size_t i; (i = next.fetch_add(1)) < count;) work(i);
        } catch (...) {
            next.store(count);
            const std::lock_guard lock(failure_mutex);
            if (!failure) failure = std::current_exception();
        }
    };
    {
        std::vector<std::jthread> pool;
        try {
            for (unsigned t = 1; t < threads && t < count; ++t) pool.emplace_back(run);
        } catch (const std::system_error&) {
            // No more threads to be had: the ones started and this one do the work.
        }
        run();
    }
    if (failure) std::rethrow_exception(failure);
}

}  // namespace legolasflux::common
