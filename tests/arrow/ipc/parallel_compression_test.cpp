// Large buffers compressed by several threads — LZ4 as one frame of independent blocks, Zstandard as
// a sequence of independent frames — read back equal by the decoders every reader uses (liblz4's
// LZ4F, libzstd) and by our parallel ones, at every level kind.
#include <gtest/gtest.h>
#include <xxhash.h>
#include <zstd.h>

#include <cstdint>
#include <lz4.h>
#include <vector>

#include "arrow/ipc/compression.hpp"  // white-box: frames without a file around them
#include "legolasflux/arrow/builder.hpp"
#include "legolasflux/arrow/compare.hpp"
#include "legolasflux/arrow/ipc.hpp"
#include "legolasflux/errors.hpp"

namespace {

using namespace legolasflux::arrow;
using legolasflux::FormatError;

// 12 MiB of float32 that compress somewhat (few distinct mantissas), plus an incompressible tail
// so that some LZ4 blocks are stored as they are.
Table big_table() {
    const int64_t n = int64_t{3} << 20;
    std::vector<float> values(static_cast<size_t>(n));
    uint64_t x = 42;
    for (int64_t i = 0; i < n; ++i) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        const bool noisy = i > n - (int64_t{5} << 18);
        values[static_cast<size_t>(i)] =
            noisy ? static_cast<float>(x >> 11) : static_cast<float>((x >> 60) % 7) * 0.25f;
    }
    auto schema = std::make_shared<Schema>();
    schema->fields = {field("w", float32(), false)};
    RecordBatch batch;
    batch.schema = schema;
    batch.length = n;
    batch.columns = {make_primitive(float32(), values)};
    return Table{schema, {batch}};
}

TEST(ParallelCompression, EveryCodecLevelAndThreadCountReadsBackEqual) {
    const Table t = big_table();
    const int64_t plain = static_cast<int64_t>(write_file(t).size());
    struct Case {
        Compression codec;
        int level;
        int threads;
    };
    for (const Case c :
         {Case{Compression::Lz4Frame, 0, 1}, Case{Compression::Lz4Frame, 0, 2}, Case{Compression::Lz4Frame, 0, 0},
          Case{Compression::Lz4Frame, -5, 3}, Case{Compression::Lz4Frame, 9, 2}, Case{Compression::Zstd, 0, 1},
          Case{Compression::Zstd, 0, 2}, Case{Compression::Zstd, 3, 0}}) {
        const int threads = c.threads;
        {
            WriteOptions o;
            o.compression = c.codec;
            o.compression_level = c.level;
            o.compression_threads = threads;
            const std::vector<uint8_t> bytes = write_file(t, o);
            SCOPED_TRACE(testing::Message()
                         << "codec " << static_cast<int>(c.codec) << " level " << c.level << " threads " << threads);
            EXPECT_LT(static_cast<int64_t>(bytes.size()), plain);
            EXPECT_TRUE(table_equals(read_file(Buffer::copy_of(bytes.data(), static_cast<int64_t>(bytes.size()))), t));
        }
    }
}

// The frame's pieces, one after the other.
std::vector<uint8_t> joined(const std::vector<Buffer>& pieces) {
    std::vector<uint8_t> out;
    for (const Buffer& p : pieces) out.insert(out.end(), p.data(), p.data() + p.size());
    return out;
}

// Compressible bytes with an incompressible stretch in the middle.
std::vector<uint8_t> sample(size_t n) {
    std::vector<uint8_t> out(n);
    uint64_t x = 7;
    for (size_t i = 0; i < n; ++i) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        out[i] = (i > n / 3 && i < n / 3 + (size_t{3} << 20)) ? static_cast<uint8_t>(x >> 56)
                                                              : static_cast<uint8_t>((x >> 61) * 3);
    }
    return out;
}

void put32(std::vector<uint8_t>& out, uint32_t v) {
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

// An LZ4 frame of independent blocks of the given sizes (4 MiB maximum), with the content size and,
// when asked, the content checksum.
std::vector<uint8_t> frame_of_blocks(const std::vector<uint8_t>& data, const std::vector<size_t>& sizes,
                                     bool checksum) {
    std::vector<uint8_t> out = {0x04, 0x22, 0x4D, 0x18, static_cast<uint8_t>(checksum ? 0x6C : 0x68), 0x70};
    for (int i = 0; i < 8; ++i) out.push_back(static_cast<uint8_t>(static_cast<uint64_t>(data.size()) >> (8 * i)));
    out.push_back(static_cast<uint8_t>((XXH32(out.data() + 4, 10, 0) >> 8) & 0xFF));
    size_t at = 0;
    for (const size_t n : sizes) {
        std::vector<char> block(static_cast<size_t>(LZ4_compressBound(static_cast<int>(n))));
        const int c = LZ4_compress_default(reinterpret_cast<const char*>(data.data() + at), block.data(),
                                           static_cast<int>(n), static_cast<int>(block.size()));
        put32(out, static_cast<uint32_t>(c));
        out.insert(out.end(), block.begin(), block.begin() + c);
        at += n;
    }
    put32(out, 0);
    if (checksum) put32(out, XXH32(data.data(), data.size(), 0));
    return out;
}

Buffer decoded(const std::vector<uint8_t>& frame, size_t expected) {
    return detail::decompress(Compression::Lz4Frame, frame, static_cast<int64_t>(expected), 2);
}

// Whether the block-by-block decoder takes the frame (else the streaming decoder reads it).
bool by_blocks(const std::vector<uint8_t>& frame, size_t expected) {
    return detail::lz4_decompress_independent(frame, static_cast<int64_t>(expected), 2).has_value();
}

bool equals(const Buffer& b, const std::vector<uint8_t>& data) {
    return b.size() == static_cast<int64_t>(data.size()) && std::equal(data.begin(), data.end(), b.data());
}

// Large LZ4 frames of independent full blocks are decoded block by block on several threads; any
// other frame, and any damage, goes to the streaming decoder, which reads what is valid and
// refuses the rest. Gathered input gives the same frame as contiguous input.
TEST(ParallelCompression, Lz4FramesDecodeTheSameByBlocksOrByTheStreamingDecoder) {
    const size_t n = (size_t{13} << 20) + 123;
    const std::vector<uint8_t> data = sample(n);
    const Buffer whole = Buffer::copy_of(data.data(), static_cast<int64_t>(n));
    const std::vector<uint8_t> frame =
        joined(detail::compress(Compression::Lz4Frame, std::span(&whole, 1), static_cast<int64_t>(n), 0, 2));
    EXPECT_LT(frame.size(), n);
    EXPECT_TRUE(equals(decoded(frame, n), data));
    ASSERT_TRUE(by_blocks(frame, n));
    EXPECT_TRUE(equals(*detail::lz4_decompress_independent(frame, static_cast<int64_t>(n), 3), data));
    const std::vector<Buffer> parts = {whole.slice(0, 1000003), whole.slice(1000003, (int64_t{5} << 20) - 1000003),
                                       whole.slice(int64_t{5} << 20, static_cast<int64_t>(n) - (int64_t{5} << 20))};
    EXPECT_EQ(joined(detail::compress(Compression::Lz4Frame, parts, static_cast<int64_t>(n), 0, 2)), frame);
    EXPECT_EQ(joined(detail::compress(Compression::Lz4Frame, parts, static_cast<int64_t>(n), 0, 3)), frame);

    // Valid frames the blocks cannot be placed for in advance: a short block in the middle; and
    // frames with a content checksum.
    const size_t mib = size_t{1} << 20;
    const std::vector<size_t> short_middle = {4 * mib, mib, 4 * mib, 4 * mib, n - 13 * mib};
    EXPECT_TRUE(equals(decoded(frame_of_blocks(data, short_middle, false), n), data));
    EXPECT_FALSE(by_blocks(frame_of_blocks(data, short_middle, false), n));
    const std::vector<size_t> full = {4 * mib, 4 * mib, 4 * mib, n - 12 * mib};
    EXPECT_TRUE(equals(decoded(frame_of_blocks(data, full, true), n), data));
    std::vector<uint8_t> bad_sum = frame_of_blocks(data, full, true);
    bad_sum.back() ^= 1;
    EXPECT_THROW(decoded(bad_sum, n), FormatError);

    // Damage: a changed byte in the header, a block size, a block's data, the end mark; a
    // truncated frame; a wrong expected size. Each a FormatError (or, for data bytes LZ4 cannot
    // tell from others, different bytes — never a crash).
    for (const size_t at : {size_t{5}, size_t{9}, size_t{14}, size_t{15}, size_t{17}, size_t{40}, frame.size() / 2,
                            frame.size() - 4, frame.size() - 1}) {
        std::vector<uint8_t> bad = frame;
        bad[at] ^= 0x5A;
        try {
            EXPECT_FALSE(equals(decoded(bad, n), data)) << "byte " << at;
        } catch (const FormatError&) {}
    }
    EXPECT_THROW(decoded(std::vector<uint8_t>(frame.begin(), frame.end() - 1), n), FormatError);
    EXPECT_THROW(
        decoded(std::vector<uint8_t>(frame.begin(), frame.begin() + static_cast<std::ptrdiff_t>(frame.size() / 2)), n),
        FormatError);
    EXPECT_THROW(decoded(frame, n - 1), FormatError);
    EXPECT_THROW(decoded(frame, n + 1), FormatError);
}

// Frames that claim far more output than their blocks can hold are refused before anything is
// allocated for them: stored blocks of 0 bytes, too many blocks, compressed blocks too small for
// their output. (A 16 GiB claim would otherwise be allocated and zero-filled.)
TEST(ParallelCompression, Lz4FramesClaimingMoreThanTheyHoldAreRefusedBeforeAllocating) {
    const uint64_t claim = uint64_t{16} << 30;
    const auto header = [&](uint64_t content) {
        std::vector<uint8_t> out = {0x04, 0x22, 0x4D, 0x18, 0x68, 0x70};
        for (int i = 0; i < 8; ++i) out.push_back(static_cast<uint8_t>(content >> (8 * i)));
        out.push_back(static_cast<uint8_t>((XXH32(out.data() + 4, 10, 0) >> 8) & 0xFF));
        return out;
    };
    std::vector<uint8_t> empty_blocks = header(claim);
    for (int i = 0; i < 4096; ++i) put32(empty_blocks, 0x80000000u);  // stored, 0 bytes
    put32(empty_blocks, 0);
    EXPECT_FALSE(by_blocks(empty_blocks, claim));
    EXPECT_THROW(decoded(empty_blocks, claim), FormatError);

    // 4096 compressed blocks of 1 byte each, each claiming 4 MiB.
    std::vector<uint8_t> tiny_blocks = header(claim);
    for (int i = 0; i < 4096; ++i) {
        put32(tiny_blocks, 1);
        tiny_blocks.push_back(0x10);
    }
    put32(tiny_blocks, 0);
    EXPECT_FALSE(by_blocks(tiny_blocks, claim));
    EXPECT_THROW(decoded(tiny_blocks, claim), FormatError);

    // More blocks than the output needs, and fewer.
    const size_t n = size_t{9} << 20;
    const std::vector<uint8_t> data = sample(n);
    const size_t mib = size_t{1} << 20;
    const std::vector<uint8_t> good = frame_of_blocks(data, {4 * mib, 4 * mib, mib}, false);
    EXPECT_TRUE(by_blocks(good, n));
    EXPECT_FALSE(by_blocks(good, n - mib));
    EXPECT_THROW(decoded(good, n - mib), FormatError);
    EXPECT_FALSE(by_blocks(good, n + 4 * mib));
    EXPECT_THROW(decoded(good, n + 4 * mib), FormatError);
}

}  // namespace

namespace {

// Zstandard data as other writers make it: `frames` sizes of content, each its own frame, with or
// without the content size in its header.
std::vector<uint8_t> zstd_frames_of(const std::vector<uint8_t>& data, const std::vector<size_t>& sizes,
                                    bool declare_sizes) {
    std::vector<uint8_t> out;
    size_t at = 0;
    for (const size_t n : sizes) {
        ZSTD_CCtx* ctx = ZSTD_createCCtx();
        ZSTD_CCtx_setParameter(ctx, ZSTD_c_contentSizeFlag, declare_sizes ? 1 : 0);
        std::vector<uint8_t> frame(ZSTD_compressBound(n));
        const size_t c = ZSTD_compress2(ctx, frame.data(), frame.size(), data.data() + at, n);
        ZSTD_freeCCtx(ctx);
        EXPECT_FALSE(ZSTD_isError(c));
        out.insert(out.end(), frame.begin(), frame.begin() + static_cast<std::ptrdiff_t>(c));
        at += n;
    }
    return out;
}

Buffer zstd_decoded(const std::vector<uint8_t>& data, size_t expected, int threads = 2) {
    return detail::decompress(Compression::Zstd, data, static_cast<int64_t>(expected), threads);
}

}  // namespace

// Large buffers are written as independent frames of 4 MiB of content that declare their sizes:
// libzstd's own one-call decoder reads the sequence as one buffer (as Arrow C++ and fzstd do), and
// ours decodes it on several threads; one thread, one frame, frames without sizes and frames of
// other sizes read the same.
TEST(ParallelCompression, ZstdLargeBuffersAreIndependentFramesEveryReaderReads) {
    const size_t n = (size_t{21} << 20) + 12345;
    const std::vector<uint8_t> data = sample(n);
    const std::vector<Buffer> whole = {Buffer::copy_of(data.data(), static_cast<int64_t>(n))};
    const std::vector<uint8_t> frames =
        joined(detail::compress(Compression::Zstd, whole, static_cast<int64_t>(n), 0, 2));
    EXPECT_EQ(detail::compress(Compression::Zstd, whole, static_cast<int64_t>(n), 0, 2).size(), 6u);
    EXPECT_LT(frames.size(), n);
    // Every frame declares its content; they add up to the buffer.
    size_t at = 0, declared = 0, count = 0;
    while (at < frames.size()) {
        const size_t size = ZSTD_findFrameCompressedSize(frames.data() + at, frames.size() - at);
        ASSERT_FALSE(ZSTD_isError(size));
        const unsigned long long content = ZSTD_getFrameContentSize(frames.data() + at, size);
        ASSERT_NE(content, ZSTD_CONTENTSIZE_UNKNOWN);
        declared += content;
        at += size;
        ++count;
    }
    EXPECT_EQ(count, 6u);
    EXPECT_EQ(declared, n);
    std::vector<uint8_t> by_libzstd(n);
    EXPECT_EQ(ZSTD_decompress(by_libzstd.data(), n, frames.data(), frames.size()), n);
    EXPECT_EQ(by_libzstd, data);
    // The same bytes whatever the number of writing threads.
    EXPECT_EQ(joined(detail::compress(Compression::Zstd, whole, static_cast<int64_t>(n), 0, 1)), frames);
    EXPECT_EQ(joined(detail::compress(Compression::Zstd, whole, static_cast<int64_t>(n), 0, 3)), frames);

    for (const int threads : {1, 2, 3}) EXPECT_TRUE(equals(zstd_decoded(frames, n, threads), data));
    const size_t mib = size_t{1} << 20;
    EXPECT_TRUE(equals(zstd_decoded(zstd_frames_of(data, {n}, true), n), data));
    EXPECT_TRUE(equals(zstd_decoded(zstd_frames_of(data, {n}, false), n), data));
    EXPECT_TRUE(equals(zstd_decoded(zstd_frames_of(data, {3 * mib, 9 * mib, n - 12 * mib}, true), n), data));
    EXPECT_TRUE(equals(zstd_decoded(zstd_frames_of(data, {3 * mib, 9 * mib, n - 12 * mib}, false), n), data));
    EXPECT_TRUE(equals(zstd_decoded(zstd_frames_of(data, {mib, 0, n - mib}, true), n), data));
}

// Damage to a sequence of frames is a FormatError (or, for data bytes the codec cannot tell from
// others, different bytes — never a crash): changed bytes, a truncation, stray bytes after the last
// frame, a frame missing, and sizes that do not add up.
TEST(ParallelCompression, ZstdDamagedFrameSequencesAreRefused) {
    const size_t n = (size_t{13} << 20) + 7;
    const std::vector<uint8_t> data = sample(n);
    const std::vector<Buffer> whole = {Buffer::copy_of(data.data(), static_cast<int64_t>(n))};
    const std::vector<uint8_t> frames =
        joined(detail::compress(Compression::Zstd, whole, static_cast<int64_t>(n), 0, 2));
    ASSERT_TRUE(equals(zstd_decoded(frames, n), data));
    for (const size_t at : {size_t{0}, size_t{4}, size_t{6}, size_t{40}, frames.size() / 3, frames.size() / 2,
                            frames.size() - 3, frames.size() - 1}) {
        std::vector<uint8_t> bad = frames;
        bad[at] ^= 0x5A;
        try {
            EXPECT_FALSE(equals(zstd_decoded(bad, n), data)) << "byte " << at;
        } catch (const FormatError&) {}
    }
    EXPECT_THROW(zstd_decoded(std::vector<uint8_t>(frames.begin(), frames.end() - 1), n), FormatError);
    std::vector<uint8_t> stray = frames;
    stray.insert(stray.end(), {1, 2, 3, 4, 5, 6, 7, 8});
    EXPECT_THROW(zstd_decoded(stray, n), FormatError);
    EXPECT_THROW(zstd_decoded(frames, n - 1), FormatError);
    EXPECT_THROW(zstd_decoded(frames, n + 1), FormatError);
    const size_t first = ZSTD_findFrameCompressedSize(frames.data(), frames.size());
    EXPECT_THROW(
        zstd_decoded(std::vector<uint8_t>(frames.begin() + static_cast<std::ptrdiff_t>(first), frames.end()), n),
        FormatError);
    // Frames without sizes claiming more than they can hold are refused before allocating.
    const std::vector<uint8_t> unsized = zstd_frames_of(data, {n / 2, n - n / 2}, false);
    EXPECT_THROW(zstd_decoded(unsized, size_t{1} << 40), FormatError);
    EXPECT_THROW(zstd_decoded(unsized, n + 1), FormatError);
}
