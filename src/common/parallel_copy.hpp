// Copies of many buffers at once, cut into pieces that every core shares (private to the library):
// loading a model's arrays into tensors, into a caller's memory, into a checkpoint's staging copy.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "common/parallel.hpp"
#include "common/stream_copy.hpp"

namespace legolasflux::common {

// Small enough that two threads share even one large array evenly, large enough that taking the
// next piece costs nothing next to copying it.
inline constexpr size_t kCopyPiece = size_t{4} << 20;

struct CopyPiece {
    uint8_t* to;
    const uint8_t* from;
    size_t bytes;
};

// The copies to run: add() each buffer's, then run() them all.
class ParallelCopy {
public:
    void add(void* to, const void* from, size_t bytes) {
        auto* d = static_cast<uint8_t*>(to);
        const auto* s = static_cast<const uint8_t*>(from);
        for (size_t at = 0; at < bytes; at += kCopyPiece)
            pieces_.push_back({d + at, s + at, std::min(kCopyPiece, bytes - at)});
        bytes_ += bytes;
    }

    size_t bytes() const { return bytes_; }

    // Copies on thread_count(threads) threads when there are at least kParallelMinimum bytes (one
    // core cannot use the memory's bandwidth), else on this one. `streamed`: destinations that are
    // not read again soon (a model being loaded) are written around the caches when large.
    void run(int threads, bool streamed) const {
        const bool large = bytes_ >= kParallelMinimum;
        const bool stream = large && streamed;
        parallel_for(pieces_.size(), large ? thread_count(threads) : 1, [&](size_t i) {
            const CopyPiece& p = pieces_[i];
            if (stream)
                stream_copy(p.to, p.from, p.bytes);
            else
                std::memcpy(p.to, p.from, p.bytes);
        });
    }

private:
    std::vector<CopyPiece> pieces_;
    size_t bytes_ = 0;
};

}  // namespace legolasflux::common
