#include "compression.hpp"

#include <lz4.h>
#include <lz4frame.h>
#include <lz4hc.h>
#include <xxhash.h>
#include <zstd.h>
#include <zstd_errors.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>

#include "legolasflux/errors.hpp"
#include "parallel.hpp"

namespace legolasflux::arrow::detail {

const char* codec_name(Compression codec) noexcept {
    switch (codec) {
        case Compression::None: return "none";
        case Compression::Lz4Frame: return "LZ4_FRAME";
        case Compression::Zstd: return "ZSTD";
    }
    return "unknown";
}

namespace {

std::vector<uint8_t> lz4_compress(std::span<const uint8_t> data, int level) {
    LZ4F_preferences_t prefs{};
    prefs.compressionLevel = level;
    // Recording the content size lets other readers check it too.
    prefs.frameInfo.contentSize = data.size();
    std::vector<uint8_t> out(LZ4F_compressFrameBound(data.size(), &prefs));
    const size_t n = LZ4F_compressFrame(out.data(), out.size(), data.data(), data.size(), &prefs);
    if (LZ4F_isError(n)) throw Error(std::string("LZ4 compression failed: ") + LZ4F_getErrorName(n));
    out.resize(n);
    return out;
}

void put_le32(uint8_t* p, uint32_t v) {
    for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

// One LZ4 frame whose blocks are compressed independently and in parallel. The frame format (LZ4
// frame specification): magic 0x184D2204; FLG = version 01, independent blocks, content size
// present; BD = 4 MiB maximum block size; the 8-byte content size; HC = second byte of the
// XXH32 of the descriptor; then each block as a 4-byte size (high bit: stored uncompressed) and
// its bytes; then a zero end mark.
std::vector<uint8_t> lz4_compress_parallel(std::span<const uint8_t> data, int level, unsigned threads) {
    constexpr size_t kBlock = size_t{4} << 20;
    const size_t count = (data.size() + kBlock - 1) / kBlock;
    std::vector<std::vector<uint8_t>> blocks(count);
    parallel_for(count, threads, [&](size_t b) {
        const uint8_t* src = data.data() + b * kBlock;
        const int n = static_cast<int>(std::min(kBlock, data.size() - b * kBlock));
        std::vector<uint8_t>& out = blocks[b];
        out.resize(4 + static_cast<size_t>(LZ4_compressBound(n)));
        char* dst = reinterpret_cast<char*>(out.data() + 4);
        const int cap = static_cast<int>(out.size() - 4);
        const char* in = reinterpret_cast<const char*>(src);
        int c = level >= LZ4HC_CLEVEL_MIN ? LZ4_compress_HC(in, dst, n, cap, level)
                                          : LZ4_compress_fast(in, dst, n, cap, level < 0 ? -level : 1);
        if (c <= 0 || c >= n) {  // incompressible (or failed): stored as is
            std::memcpy(dst, src, static_cast<size_t>(n));
            put_le32(out.data(), static_cast<uint32_t>(n) | 0x80000000u);
            out.resize(4 + static_cast<size_t>(n));
        } else {
            put_le32(out.data(), static_cast<uint32_t>(c));
            out.resize(4 + static_cast<size_t>(c));
        }
    });
    uint8_t header[15] = {0x04, 0x22, 0x4D, 0x18, 0x68, 0x70};
    const uint64_t content = data.size();
    for (int i = 0; i < 8; ++i) header[6 + i] = static_cast<uint8_t>(content >> (8 * i));
    header[14] = static_cast<uint8_t>((XXH32(header + 4, 10, 0) >> 8) & 0xFF);
    size_t total = sizeof header + 4;
    for (const auto& b : blocks) total += b.size();
    std::vector<uint8_t> out(total, 0);  // the last 4 bytes stay zero: the end mark
    std::memcpy(out.data(), header, sizeof header);
    size_t at = sizeof header;
    for (auto& b : blocks) {
        std::memcpy(out.data() + at, b.data(), b.size());
        at += b.size();
        std::vector<uint8_t>().swap(b);
    }
    return out;
}

std::vector<uint8_t> zstd_compress(std::span<const uint8_t> data, int level, unsigned threads) {
    std::unique_ptr<ZSTD_CCtx, decltype(&ZSTD_freeCCtx)> ctx(ZSTD_createCCtx(), &ZSTD_freeCCtx);
    if (!ctx) throw std::bad_alloc();
    ZSTD_CCtx_setParameter(ctx.get(), ZSTD_c_compressionLevel, level);
    // Zstandard's own workers split one frame into jobs; a library built without them refuses the
    // parameter, and the frame is then made on this thread.
    if (threads > 1 && data.size() >= kParallelMinimum)
        ZSTD_CCtx_setParameter(ctx.get(), ZSTD_c_nbWorkers, static_cast<int>(threads));
    std::vector<uint8_t> out(ZSTD_compressBound(data.size()));
    const size_t n = ZSTD_compress2(ctx.get(), out.data(), out.size(), data.data(), data.size());
    if (ZSTD_isError(n)) throw Error(std::string("ZSTD compression failed: ") + ZSTD_getErrorName(n));
    out.resize(n);
    return out;
}

std::string size_lie(int64_t expected) {
    return "compressed buffer does not decompress to its declared " + std::to_string(expected) + " bytes";
}

Buffer lz4_decompress(std::span<const uint8_t> frame, int64_t expected) {
    LZ4F_dctx* raw = nullptr;
    const size_t rc = LZ4F_createDecompressionContext(&raw, LZ4F_VERSION);
    if (LZ4F_isError(rc)) throw Error(std::string("LZ4 context: ") + LZ4F_getErrorName(rc));
    std::unique_ptr<LZ4F_dctx, decltype(&LZ4F_freeDecompressionContext)> ctx(raw, &LZ4F_freeDecompressionContext);

    // Check the claim before allocating for it: against the size the frame header declares, and
    // against the most an LZ4 frame of this size can expand to (a match byte adds at most 255).
    LZ4F_frameInfo_t info{};
    size_t header = frame.size();
    const size_t hr = LZ4F_getFrameInfo(ctx.get(), &info, frame.data(), &header);
    if (LZ4F_isError(hr)) throw FormatError(std::string("corrupt LZ4 frame header: ") + LZ4F_getErrorName(hr));
    if (info.contentSize != 0 && info.contentSize != static_cast<unsigned long long>(expected))
        throw FormatError(size_lie(expected) + " (its frame declares " + std::to_string(info.contentSize) + ")");
    if (static_cast<uint64_t>(expected) > static_cast<uint64_t>(frame.size()) * 255 + 64)
        throw FormatError(size_lie(expected) + " (more than an LZ4 frame of " + std::to_string(frame.size()) +
                          " bytes can hold)");

    Buffer out = Buffer::allocate(expected);
    uint8_t* dst = out.mutable_data();
    const auto total = static_cast<size_t>(expected);
    size_t produced = 0;
    size_t consumed = header;
    uint8_t overflow[64];  // catches output beyond `expected` without writing past `out`
    for (;;) {
        const bool full = produced == total;
        size_t dst_size = full ? sizeof overflow : total - produced;
        size_t src_size = frame.size() - consumed;
        const size_t hint = LZ4F_decompress(ctx.get(), full ? overflow : dst + produced, &dst_size,
                                            frame.data() + consumed, &src_size, nullptr);
        if (LZ4F_isError(hint)) throw FormatError(std::string("corrupt LZ4 frame: ") + LZ4F_getErrorName(hint));
        if (full && dst_size > 0) throw FormatError(size_lie(expected) + " (it holds more)");
        produced += dst_size;
        consumed += src_size;
        if (hint == 0) break;  // the frame is complete
        if (consumed == frame.size()) throw FormatError("truncated LZ4 frame");
        if (dst_size == 0 && src_size == 0) throw FormatError("LZ4 frame makes no progress");
    }
    if (produced != total)
        throw FormatError(size_lie(expected) + " (it holds " + std::to_string(produced) + ")");
    if (consumed != frame.size())
        throw FormatError(std::to_string(frame.size() - consumed) + " stray bytes after the LZ4 frame");
    return out;
}

Buffer zstd_decompress(std::span<const uint8_t> frame, int64_t expected) {
    const unsigned long long declared = ZSTD_getFrameContentSize(frame.data(), frame.size());
    if (declared == ZSTD_CONTENTSIZE_ERROR) throw FormatError("corrupt ZSTD frame header");
    if (declared != ZSTD_CONTENTSIZE_UNKNOWN && declared != static_cast<unsigned long long>(expected))
        throw FormatError(size_lie(expected) + " (its frame declares " + std::to_string(declared) + ")");
    // A frame that does not declare its size can still expand by at most the ratio of an RLE block
    // (a 4-byte block for 128 KiB): check the claim before allocating for it.
    if (declared == ZSTD_CONTENTSIZE_UNKNOWN &&
        static_cast<uint64_t>(expected) > static_cast<uint64_t>(frame.size()) * 32768 + (uint64_t{1} << 17))
        throw FormatError(size_lie(expected) + " (more than a ZSTD frame of " + std::to_string(frame.size()) +
                          " bytes can hold)");
    // Exactly one frame: anything after it would be decoded as further frames.
    const size_t frame_size = ZSTD_findFrameCompressedSize(frame.data(), frame.size());
    if (ZSTD_isError(frame_size)) throw FormatError(std::string("corrupt ZSTD frame: ") + ZSTD_getErrorName(frame_size));
    if (frame_size != frame.size())
        throw FormatError(std::to_string(frame.size() - frame_size) + " stray bytes after the ZSTD frame");
    Buffer out = Buffer::allocate(expected);
    const size_t n = ZSTD_decompress(out.mutable_data(), static_cast<size_t>(expected), frame.data(), frame.size());
    if (ZSTD_isError(n)) {
        if (ZSTD_getErrorCode(n) == ZSTD_error_dstSize_tooSmall) throw FormatError(size_lie(expected) + " (it holds more)");
        throw FormatError(std::string("corrupt ZSTD frame: ") + ZSTD_getErrorName(n));
    }
    if (n != static_cast<size_t>(expected)) throw FormatError(size_lie(expected) + " (it holds " + std::to_string(n) + ")");
    return out;
}

}  // namespace

std::vector<uint8_t> compress(Compression codec, std::span<const uint8_t> data, int level, int threads) {
    const unsigned workers = thread_count(threads);
    switch (codec) {
        case Compression::Lz4Frame:
            if (workers > 1 && data.size() >= kParallelMinimum) return lz4_compress_parallel(data, level, workers);
            return lz4_compress(data, level);
        case Compression::Zstd: return zstd_compress(data, level, workers);
        case Compression::None: break;
    }
    throw InvalidArgument("compress: no codec given");
}

Buffer decompress(Compression codec, std::span<const uint8_t> frame, int64_t expected) {
    switch (codec) {
        case Compression::Lz4Frame: return lz4_decompress(frame, expected);
        case Compression::Zstd: return zstd_decompress(frame, expected);
        case Compression::None: break;
    }
    throw InvalidArgument("decompress: no codec given");
}

}  // namespace legolasflux::arrow::detail
