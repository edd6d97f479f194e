#include "compression.hpp"

#include <sys/mman.h>
#include <xxhash.h>
#include <zstd.h>
#include <zstd_errors.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <lz4.h>
#include <lz4frame.h>
#include <lz4hc.h>
#include <memory>
#include <optional>
#include <string>

#include "common/parallel.hpp"
#include "legolasflux/errors.hpp"

namespace legolasflux::arrow::detail {

using common::kParallelMinimum;
using common::parallel_for;
using common::thread_count;

const char* codec_name(Compression codec) noexcept {
    switch (codec) {
        case Compression::None: return "none";
        case Compression::Lz4Frame: return "LZ4_FRAME";
        case Compression::Zstd: return "ZSTD";
    }
    return "unknown";
}

namespace {

// `capacity` bytes that are not zero-filled: pages a codec does not write to are never touched.
Buffer uninitialized(size_t capacity) {
    std::shared_ptr<uint8_t[]> memory(new uint8_t[capacity == 0 ? 1 : capacity]);
    const uint8_t* data = memory.get();
    return Buffer(std::shared_ptr<const void>(std::move(memory), data), data, static_cast<int64_t>(capacity));
}

// Output of kParallelMinimum bytes and more: fresh anonymous memory in 2 MiB-aligned transparent
// huge pages where the system allows them. Decoding into 4 KiB pages costs one page fault per 4 KiB
// written — about a quarter of a million for 1 GiB, which took longer than LZ4 decoding itself.
Buffer huge_page_uninitialized(int64_t size) {
    constexpr size_t kHuge = size_t{2} << 20;
    const size_t length = (static_cast<size_t>(size) + kHuge - 1) / kHuge * kHuge;
    // Mapped with a huge page's worth to spare, so that the buffer can start on a huge page.
    void* raw = ::mmap(nullptr, length + kHuge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED) throw std::bad_alloc();
    const auto start = reinterpret_cast<uintptr_t>(raw);
    const uintptr_t aligned = (start + kHuge - 1) & ~uintptr_t{kHuge - 1};
    if (aligned > start) ::munmap(raw, aligned - start);
    const size_t tail = (start + length + kHuge) - (aligned + length);
    if (tail > 0) ::munmap(reinterpret_cast<void*>(aligned + length), tail);
    void* memory = reinterpret_cast<void*>(aligned);
    ::madvise(memory, length, MADV_HUGEPAGE);  // advice only: 4 KiB pages where refused
    // Anonymous memory reads as zeros, so the padding past `size` is zero already.
    std::shared_ptr<const void> owner(memory, [length](const void* p) { ::munmap(const_cast<void*>(p), length); });
    return Buffer(std::move(owner), static_cast<const uint8_t*>(memory), size);
}

// What Buffer::allocate gives (64-byte aligned, the padding to a multiple of 64 zeroed) without
// zero-filling the `size` bytes a decoder is about to write.
Buffer aligned_uninitialized(int64_t size) {
    if (static_cast<size_t>(size) >= kParallelMinimum) return huge_page_uninitialized(size);
    const auto n = static_cast<size_t>(size);
    const size_t padded = (n + 63) & ~size_t{63};
    void* memory = std::aligned_alloc(64, padded == 0 ? 64 : padded);
    if (memory == nullptr) throw std::bad_alloc();
    std::memset(static_cast<uint8_t*>(memory) + n, 0, (padded == 0 ? 64 : padded) - n);
    std::shared_ptr<const void> owner(memory, [](const void* p) { std::free(const_cast<void*>(p)); });
    return Buffer(std::move(owner), static_cast<const uint8_t*>(memory), size);
}

// The bytes [offset, offset + n) of `parts` as one sequence (`starts`: where each part begins):
// in place when one part holds them, else copied into `scratch`.
const uint8_t* contiguous(std::span<const Buffer> parts, const std::vector<int64_t>& starts, int64_t offset, size_t n,
                          std::vector<uint8_t>& scratch) {
    size_t p = static_cast<size_t>(std::upper_bound(starts.begin(), starts.end(), offset) - starts.begin()) - 1;
    if (offset + static_cast<int64_t>(n) <= starts[p] + parts[p].size()) return parts[p].data() + (offset - starts[p]);
    scratch.resize(n);
    for (size_t done = 0; done < n; ++p) {
        const int64_t from = offset + static_cast<int64_t>(done) - starts[p];
        const size_t take = std::min(n - done, static_cast<size_t>(parts[p].size() - from));
        std::memcpy(scratch.data() + done, parts[p].data() + from, take);
        done += take;
    }
    return scratch.data();
}

// Where each part begins in the sequence, empty parts left out (with `parts` itself).
std::vector<int64_t> part_starts(std::span<const Buffer> parts, std::vector<Buffer>& nonempty) {
    std::vector<int64_t> starts;
    int64_t at = 0;
    for (const Buffer& b : parts)
        if (!b.empty()) {
            nonempty.push_back(b);
            starts.push_back(at);
            at += b.size();
        }
    return starts;
}

Buffer lz4_compress(const uint8_t* data, size_t size, int level) {
    LZ4F_preferences_t prefs{};
    prefs.compressionLevel = level;
    // Recording the content size lets other readers check it too.
    prefs.frameInfo.contentSize = size;
    Buffer out = uninitialized(LZ4F_compressFrameBound(size, &prefs));
    const size_t n = LZ4F_compressFrame(out.mutable_data(), static_cast<size_t>(out.size()), data, size, &prefs);
    if (LZ4F_isError(n)) throw Error(std::string("LZ4 compression failed: ") + LZ4F_getErrorName(n));
    return out.slice(0, static_cast<int64_t>(n));
}

void put_le32(uint8_t* p, uint32_t v) {
    for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

// One LZ4 frame whose blocks are compressed independently and in parallel. The frame format (LZ4
// frame specification): magic 0x184D2204; FLG = version 01, independent blocks, content size
// present; BD = 4 MiB maximum block size; the 8-byte content size; HC = second byte of the
// XXH32 of the descriptor; then each block as a 4-byte size (high bit: stored uncompressed) and
// its bytes; then a zero end mark. Pieces: the header, each block (size included), the end mark.
std::vector<Buffer> lz4_compress_parallel(std::span<const Buffer> parts, int64_t size, int level, unsigned threads) {
    constexpr size_t kBlock = size_t{4} << 20;
    std::vector<Buffer> input;
    const std::vector<int64_t> starts = part_starts(parts, input);
    const size_t count = (static_cast<size_t>(size) + kBlock - 1) / kBlock;
    std::vector<Buffer> pieces(count + 2);
    parallel_for(count, threads, [&](size_t b) {
        std::vector<uint8_t> scratch;  // used only by a block that spans parts
        const int n = static_cast<int>(std::min(kBlock, static_cast<size_t>(size) - b * kBlock));
        const uint8_t* src =
            contiguous(input, starts, static_cast<int64_t>(b * kBlock), static_cast<size_t>(n), scratch);
        Buffer out = uninitialized(4 + static_cast<size_t>(LZ4_compressBound(n)));
        char* dst = reinterpret_cast<char*>(out.mutable_data() + 4);
        const int cap = static_cast<int>(out.size() - 4);
        const char* in = reinterpret_cast<const char*>(src);
        const int c = level >= LZ4HC_CLEVEL_MIN ? LZ4_compress_HC(in, dst, n, cap, level)
                                                : LZ4_compress_fast(in, dst, n, cap, level < 0 ? -level : 1);
        if (c <= 0 || c >= n) {  // incompressible (or failed): stored as is
            std::memcpy(dst, src, static_cast<size_t>(n));
            put_le32(out.mutable_data(), static_cast<uint32_t>(n) | 0x80000000u);
            pieces[b + 1] = out.slice(0, 4 + n);
        } else {
            put_le32(out.mutable_data(), static_cast<uint32_t>(c));
            pieces[b + 1] = out.slice(0, 4 + c);
        }
    });
    uint8_t header[15] = {0x04, 0x22, 0x4D, 0x18, 0x68, 0x70};
    const auto content = static_cast<uint64_t>(size);
    for (int i = 0; i < 8; ++i) header[6 + i] = static_cast<uint8_t>(content >> (8 * i));
    header[14] = static_cast<uint8_t>((XXH32(header + 4, 10, 0) >> 8) & 0xFF);
    pieces.front() = Buffer::copy_of(header, sizeof header);
    const uint8_t end_mark[4] = {0, 0, 0, 0};
    pieces.back() = Buffer::copy_of(end_mark, sizeof end_mark);
    return pieces;
}

// Large inputs as a sequence of independent Zstandard frames of 4 MiB of content each, compressed
// in parallel, each recording its content size. RFC 8878 (section 3) defines compressed data as one
// or more frames whose contents concatenate, so every Zstandard reader (libzstd's ZSTD_decompress,
// Arrow C++, fzstd in JS) reads the sequence as one buffer; our reader decodes the frames in parallel
// straight into place. Pieces: one per frame.
std::vector<Buffer> zstd_compress_frames(std::span<const Buffer> parts, int64_t size, int level, unsigned threads) {
    constexpr size_t kFrame = size_t{4} << 20;
    std::vector<Buffer> input;
    const std::vector<int64_t> starts = part_starts(parts, input);
    const size_t count = (static_cast<size_t>(size) + kFrame - 1) / kFrame;
    std::vector<Buffer> pieces(count);
    parallel_for(count, threads, [&](size_t f) {
        // One context per thread and call: creating one per frame would redo its tables' allocation.
        thread_local std::unique_ptr<ZSTD_CCtx, decltype(&ZSTD_freeCCtx)> ctx(nullptr, &ZSTD_freeCCtx);
        if (!ctx) ctx.reset(ZSTD_createCCtx());
        if (!ctx) throw std::bad_alloc();
        std::vector<uint8_t> scratch;  // used only by a frame that spans parts
        const size_t n = std::min(kFrame, static_cast<size_t>(size) - f * kFrame);
        const uint8_t* src = contiguous(input, starts, static_cast<int64_t>(f * kFrame), n, scratch);
        Buffer out = uninitialized(ZSTD_compressBound(n));
        const size_t c =
            ZSTD_compressCCtx(ctx.get(), out.mutable_data(), static_cast<size_t>(out.size()), src, n, level);
        if (ZSTD_isError(c)) throw Error(std::string("ZSTD compression failed: ") + ZSTD_getErrorName(c));
        pieces[f] = out.slice(0, static_cast<int64_t>(c));
    });
    return pieces;
}

// One frame, for inputs below kParallelMinimum.
Buffer zstd_compress(std::span<const Buffer> parts, int64_t size, int level) {
    std::unique_ptr<ZSTD_CCtx, decltype(&ZSTD_freeCCtx)> ctx(ZSTD_createCCtx(), &ZSTD_freeCCtx);
    if (!ctx) throw std::bad_alloc();
    ZSTD_CCtx_setParameter(ctx.get(), ZSTD_c_compressionLevel, level);
    // The frame header records the content size, as ZSTD_compress2 would.
    ZSTD_CCtx_setPledgedSrcSize(ctx.get(), static_cast<unsigned long long>(size));
    Buffer out = uninitialized(ZSTD_compressBound(static_cast<size_t>(size)));
    ZSTD_outBuffer dst{out.mutable_data(), static_cast<size_t>(out.size()), 0};
    const auto fail = [](size_t rc) {
        if (ZSTD_isError(rc)) throw Error(std::string("ZSTD compression failed: ") + ZSTD_getErrorName(rc));
    };
    for (const Buffer& part : parts) {
        ZSTD_inBuffer src{part.data(), static_cast<size_t>(part.size()), 0};
        while (src.pos < src.size) {
            const size_t before = src.pos;
            fail(ZSTD_compressStream2(ctx.get(), &dst, &src, ZSTD_e_continue));
            if (src.pos == before && dst.pos == dst.size)
                throw Error("ZSTD compression failed: output beyond its bound");
        }
    }
    ZSTD_inBuffer none{nullptr, 0, 0};
    for (size_t left = 1; left != 0;) {
        left = ZSTD_compressStream2(ctx.get(), &dst, &none, ZSTD_e_end);
        fail(left);
        if (left != 0 && dst.pos == dst.size) throw Error("ZSTD compression failed: output beyond its bound");
    }
    return out.slice(0, static_cast<int64_t>(dst.pos));
}

std::string size_lie(int64_t expected) {
    return "compressed buffer does not decompress to its declared " + std::to_string(expected) + " bytes";
}

uint32_t get_le32(const uint8_t* p) {
    return uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24;
}

// The blocks of an LZ4 frame of independent blocks — as lz4_compress_parallel writes — whose every
// block but the last holds the maximum block size, so that each block's place is known before it is
// decoded. Anything else (linked blocks, block checksums, a dictionary, short blocks, damage of any
// kind) gives nullopt, and the streaming decoder reads the frame and says what is wrong with it.
// `checksum_at` receives where the content checksum lies, or 0 when the frame has none.
std::optional<std::vector<FramePart>> lz4_parts(std::span<const uint8_t> frame, int64_t expected, size_t& checksum_at) {
    checksum_at = 0;
    if (expected <= 0 || frame.size() < 7) return std::nullopt;
    const auto total = static_cast<size_t>(expected);
    const uint8_t* f = frame.data();
    const uint8_t flg = f[4], bd = f[5];
    // Magic; version 01; independent blocks; no block checksum; reserved bit 0; no dictionary.
    if (get_le32(f) != 0x184D2204u || (flg & 0xC0) != 0x40 || !(flg & 0x20) || (flg & 0x10) || (flg & 0x03) ||
        (bd & 0x8F) || ((bd >> 4) & 7) < 4)
        return std::nullopt;
    const size_t block_max = size_t{1} << (8 + 2 * ((bd >> 4) & 7));  // 64 KiB, 256 KiB, 1 MiB, 4 MiB
    const bool has_size = flg & 0x08, has_checksum = flg & 0x04;
    const size_t descriptor = 2 + (has_size ? 8 : 0);
    if (frame.size() < 4 + descriptor + 1) return std::nullopt;
    if (has_size) {
        uint64_t content = 0;
        for (int i = 7; i >= 0; --i) content = content << 8 | f[6 + i];
        if (content != static_cast<uint64_t>(expected)) return std::nullopt;
    }
    if (f[4 + descriptor] != static_cast<uint8_t>((XXH32(f + 4, descriptor, 0) >> 8) & 0xFF)) return std::nullopt;

    std::vector<FramePart> parts;
    size_t at = 4 + descriptor + 1;
    for (;;) {
        if (frame.size() - at < 4) return std::nullopt;
        const uint32_t word = get_le32(f + at);
        at += 4;
        if (word == 0) break;  // the end mark
        const size_t size = word & 0x7FFFFFFFu;
        const bool stored = (word & 0x80000000u) != 0;
        // Every block must have output left to fill (a frame cannot claim more than its blocks can
        // hold), and be large enough for it: stored as is exactly, compressed at most 255 to 1.
        const size_t done = parts.size() * block_max;
        if (done >= total || size > block_max || size > frame.size() - at) return std::nullopt;
        const size_t want = std::min(block_max, total - done);
        if (stored ? size != want : size * 255 + 16 < want) return std::nullopt;
        parts.push_back({static_cast<int64_t>(at), static_cast<int64_t>(size), static_cast<int64_t>(done),
                         static_cast<int64_t>(want), stored});
        at += size;
    }
    if (frame.size() - at != (has_checksum ? 4u : 0u)) return std::nullopt;
    if (parts.size() * block_max < total) return std::nullopt;
    if (has_checksum) checksum_at = at;
    return parts;
}

// The frames of a Zstandard buffer: where each lies and how many bytes it declares it holds
// (ZSTD_CONTENTSIZE_UNKNOWN when it does not say). A FormatError for bytes that are no frame.
struct ZstdFrame {
    size_t at, size;
    unsigned long long content;
};

std::vector<ZstdFrame> zstd_frames(std::span<const uint8_t> data) {
    std::vector<ZstdFrame> frames;
    for (size_t at = 0; at < data.size();) {
        const size_t size = ZSTD_findFrameCompressedSize(data.data() + at, data.size() - at);
        if (ZSTD_isError(size)) {
            if (frames.empty()) throw FormatError(std::string("corrupt ZSTD frame: ") + ZSTD_getErrorName(size));
            throw FormatError(std::to_string(data.size() - at) + " stray bytes after ZSTD frame " +
                              std::to_string(frames.size()) + " (" + ZSTD_getErrorName(size) + ")");
        }
        const unsigned long long content = ZSTD_getFrameContentSize(data.data() + at, size);
        if (content == ZSTD_CONTENTSIZE_ERROR) throw FormatError("corrupt ZSTD frame header");
        frames.push_back({at, size, content});
        at += size;
    }
    if (frames.empty()) throw FormatError("empty ZSTD buffer");
    return frames;
}

// Frames that all declare their sizes, which add up to `expected`, as parts.
std::optional<std::vector<FramePart>> zstd_parts(const std::vector<ZstdFrame>& frames, int64_t expected) {
    std::vector<FramePart> parts;
    size_t total = 0;
    for (const ZstdFrame& f : frames) {
        if (f.content == ZSTD_CONTENTSIZE_UNKNOWN || f.content > static_cast<uint64_t>(expected) - total)
            return std::nullopt;
        parts.push_back({static_cast<int64_t>(f.at), static_cast<int64_t>(f.size), static_cast<int64_t>(total),
                         static_cast<int64_t>(f.content), false});
        total += static_cast<size_t>(f.content);
    }
    if (total != static_cast<size_t>(expected)) return std::nullopt;
    return parts;
}

// `parts` of `frame` decoded by `threads` threads into one fresh buffer of `expected` bytes;
// nullopt when one of them does not decode to its size.
std::optional<Buffer> decode_parts(Compression codec, std::span<const uint8_t> frame,
                                   const std::vector<FramePart>& parts, int64_t expected, unsigned threads) {
    Buffer out = aligned_uninitialized(expected);  // every byte is written before it is returned
    std::atomic<bool> placed{true};
    parallel_for(parts.size(), threads, [&](size_t i) {
        if (!decode_one_part(codec, frame, parts[i], out.mutable_data() + parts[i].out_offset)) placed = false;
    });
    if (!placed) return std::nullopt;
    return out;
}

}  // namespace

bool decode_one_part(Compression codec, std::span<const uint8_t> frame, const FramePart& part, uint8_t* out) {
    if (part.in_offset < 0 || part.in_size < 0 || part.out_size < 0 ||
        static_cast<uint64_t>(part.in_offset) + static_cast<uint64_t>(part.in_size) > frame.size())
        return false;
    const uint8_t* in = frame.data() + part.in_offset;
    const auto want = static_cast<size_t>(part.out_size);
    switch (codec) {
        case Compression::Lz4Frame: {
            if (part.stored) {
                if (static_cast<size_t>(part.in_size) != want) return false;
                std::memcpy(out, in, want);
                return true;
            }
            if (part.in_size > INT32_MAX || part.out_size > INT32_MAX) return false;
            const int n = LZ4_decompress_safe(reinterpret_cast<const char*>(in), reinterpret_cast<char*>(out),
                                              static_cast<int>(part.in_size), static_cast<int>(want));
            return n >= 0 && static_cast<size_t>(n) == want;
        }
        case Compression::Zstd: {
            // One context per thread: creating one per frame would redo its tables' allocation.
            thread_local std::unique_ptr<ZSTD_DCtx, decltype(&ZSTD_freeDCtx)> ctx(nullptr, &ZSTD_freeDCtx);
            if (!ctx) ctx.reset(ZSTD_createDCtx());
            if (!ctx) throw std::bad_alloc();
            const size_t n = ZSTD_decompressDCtx(ctx.get(), out, want, in, static_cast<size_t>(part.in_size));
            return !ZSTD_isError(n) && n == want;
        }
        case Compression::None: break;
    }
    return false;
}

std::optional<std::vector<FramePart>> frame_parts(Compression codec, std::span<const uint8_t> frame, int64_t expected) {
    switch (codec) {
        case Compression::Lz4Frame: {
            size_t checksum_at = 0;
            auto parts = lz4_parts(frame, expected, checksum_at);
            // A content checksum covers the whole output: no part can be checked on its own.
            if (checksum_at != 0) return std::nullopt;
            return parts;
        }
        case Compression::Zstd: try { return zstd_parts(zstd_frames(frame), expected);
            } catch (const FormatError&) {
                return std::nullopt;
            }
        case Compression::None: break;
    }
    return std::nullopt;
}

std::optional<Buffer> lz4_decompress_independent(std::span<const uint8_t> frame, int64_t expected, unsigned threads) {
    if (threads <= 1 || static_cast<size_t>(expected) < kParallelMinimum) return std::nullopt;
    size_t checksum_at = 0;
    const auto parts = lz4_parts(frame, expected, checksum_at);
    if (!parts) return std::nullopt;
    auto out = decode_parts(Compression::Lz4Frame, frame, *parts, expected, threads);
    if (out && checksum_at != 0 &&
        get_le32(frame.data() + checksum_at) != XXH32(out->data(), static_cast<size_t>(expected), 0))
        return std::nullopt;
    return out;
}

namespace {

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

    Buffer out = aligned_uninitialized(expected);  // returned only when every byte is written
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
    if (produced != total) throw FormatError(size_lie(expected) + " (it holds " + std::to_string(produced) + ")");
    if (consumed != frame.size())
        throw FormatError(std::to_string(frame.size() - consumed) + " stray bytes after the LZ4 frame");
    return out;
}

Buffer zstd_decompress(std::span<const uint8_t> data, int64_t expected, unsigned threads) {
    const std::vector<ZstdFrame> frames = zstd_frames(data);
    unsigned long long declared = 0;
    for (const ZstdFrame& f : frames) {
        if (f.content == ZSTD_CONTENTSIZE_UNKNOWN) {
            declared = ZSTD_CONTENTSIZE_UNKNOWN;
            break;
        }
        declared += f.content;  // each at most the buffer's size times 2^17: no overflow
    }
    if (declared != ZSTD_CONTENTSIZE_UNKNOWN && declared != static_cast<unsigned long long>(expected))
        throw FormatError(size_lie(expected) + " (its " + (frames.size() == 1 ? "frame declares " : "frames declare ") +
                          std::to_string(declared) + ")");
    // A frame that does not declare its size can still expand by at most the ratio of an RLE block
    // (a 4-byte block for 128 KiB): check the claim before allocating for it.
    if (declared == ZSTD_CONTENTSIZE_UNKNOWN &&
        static_cast<uint64_t>(expected) > static_cast<uint64_t>(data.size()) * 32768 + (uint64_t{1} << 17))
        throw FormatError(size_lie(expected) + " (more than a ZSTD frame of " + std::to_string(data.size()) +
                          " bytes can hold)");
    if (threads > 1 && frames.size() > 1 && static_cast<size_t>(expected) >= kParallelMinimum)
        if (const auto parts = zstd_parts(frames, expected))
            if (auto out = decode_parts(Compression::Zstd, data, *parts, expected, threads)) return std::move(*out);
    Buffer out = aligned_uninitialized(expected);
    // ZSTD_decompress reads every frame in turn, each after the previous one's output.
    const size_t n = ZSTD_decompress(out.mutable_data(), static_cast<size_t>(expected), data.data(), data.size());
    if (ZSTD_isError(n)) {
        if (ZSTD_getErrorCode(n) == ZSTD_error_dstSize_tooSmall)
            throw FormatError(size_lie(expected) + " (it holds more)");
        throw FormatError(std::string("corrupt ZSTD frame: ") + ZSTD_getErrorName(n));
    }
    if (n != static_cast<size_t>(expected))
        throw FormatError(size_lie(expected) + " (it holds " + std::to_string(n) + ")");
    return out;
}

}  // namespace

std::vector<Buffer> compress(Compression codec, std::span<const Buffer> parts, int64_t size, int level, int threads) {
    const unsigned workers = thread_count(threads);
    switch (codec) {
        case Compression::Lz4Frame: {
            // Large inputs always as independent blocks, however many threads write them, so that
            // every reader can decode them in parallel.
            if (static_cast<size_t>(size) >= kParallelMinimum)
                return lz4_compress_parallel(parts, size, level, workers);
            std::vector<Buffer> input;
            const std::vector<int64_t> starts = part_starts(parts, input);
            std::vector<uint8_t> scratch;
            const uint8_t* data =
                input.empty() ? nullptr : contiguous(input, starts, 0, static_cast<size_t>(size), scratch);
            return {lz4_compress(data, static_cast<size_t>(size), level)};
        }
        case Compression::Zstd: {
            const int zstd_level = level == 0 ? kZstdDefaultLevel : level;
            if (static_cast<size_t>(size) >= kParallelMinimum)
                return zstd_compress_frames(parts, size, zstd_level, workers);
            return {zstd_compress(parts, size, zstd_level)};
        }
        case Compression::None: break;
    }
    throw InvalidArgument("compress: no codec given");
}

Buffer decompress(Compression codec, std::span<const uint8_t> frame, int64_t expected, int threads) {
    switch (codec) {
        case Compression::Lz4Frame:
            if (auto out = lz4_decompress_independent(frame, expected, thread_count(threads))) return std::move(*out);
            return lz4_decompress(frame, expected);
        case Compression::Zstd: return zstd_decompress(frame, expected, thread_count(threads));
        case Compression::None: break;
    }
    throw InvalidArgument("decompress: no codec given");
}

}  // namespace legolasflux::arrow::detail

namespace legolasflux::arrow {

Buffer decompress(Compression codec, std::span<const uint8_t> frame, int64_t expected, int threads) {
    if (expected < 0) throw InvalidArgument("decompress: negative expected size " + std::to_string(expected));
    return detail::decompress(codec, frame, expected, threads);
}

std::optional<std::vector<FramePart>> independent_parts(Compression codec, std::span<const uint8_t> frame,
                                                        int64_t expected) {
    return detail::frame_parts(codec, frame, expected);
}

bool decode_part(Compression codec, std::span<const uint8_t> frame, const FramePart& part, uint8_t* out) {
    return detail::decode_one_part(codec, frame, part, out);
}

}  // namespace legolasflux::arrow
