// stream_copy: the same bytes as memcpy for every length and every alignment of both ends, and
// nothing written outside the destination.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "common/stream_copy.hpp"  // white-box: a private helper

TEST(StreamCopy, CopiesExactlyTheBytesAtEveryAlignment) {
    std::vector<uint8_t> source(512 + 64);
    for (size_t i = 0; i < source.size(); ++i) source[i] = static_cast<uint8_t>(i * 37 + 11);
    for (size_t from = 0; from < 20; ++from)
        for (size_t to = 0; to < 20; ++to)
            for (size_t n = 0; n <= 300; n += (n < 140 ? 1 : 7)) {
                std::vector<uint8_t> target(512 + 64, 0xEE);
                legolasflux::common::stream_copy(target.data() + to, source.data() + from, n);
                for (size_t i = 0; i < target.size(); ++i) {
                    const uint8_t expected = i >= to && i < to + n ? source[from + i - to] : 0xEE;
                    ASSERT_EQ(target[i], expected) << "from " << from << " to " << to << " n " << n << " byte " << i;
                }
            }
}
