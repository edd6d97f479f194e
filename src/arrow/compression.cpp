#include "compression.hpp"

#include <lz4frame.h>
#include <zstd.h>
#include <zstd_errors.h>

#include <memory>
#include <string>

#include "legolasflux/errors.hpp"

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

std::vector<uint8_t> zstd_compress(std::span<const uint8_t> data, int level) {
    std::vector<uint8_t> out(ZSTD_compressBound(data.size()));
    const size_t n = ZSTD_compress(out.data(), out.size(), data.data(), data.size(), level);
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

std::vector<uint8_t> compress(Compression codec, std::span<const uint8_t> data, int level) {
    switch (codec) {
        case Compression::Lz4Frame: return lz4_compress(data, level);
        case Compression::Zstd: return zstd_compress(data, level);
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
