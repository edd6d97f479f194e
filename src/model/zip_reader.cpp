// The zip reader of zip_reader.hpp: end of central directory (zip64 when present), the central
// directory, then each entry's local header; every offset and size checked against the archive.
#include "zip_reader.hpp"

#include <set>

#include "legolasflux/errors.hpp"
#include "zip_writer.hpp"

namespace legolasflux::detail {
namespace {

constexpr uint32_t kLocalHeader = 0x04034b50, kCentralHeader = 0x02014b50, kEnd = 0x06054b50;
constexpr uint32_t kZip64End = 0x06064b50, kZip64Locator = 0x07064b50;
constexpr uint64_t kEndSize = 22, kLocatorSize = 20, kZip64EndSize = 56, kCentralSize = 46, kLocalSize = 30;
constexpr uint32_t kMax32 = 0xffffffff;
constexpr uint16_t kMax16 = 0xffff;

[[noreturn]] void fail(const std::string& what) { throw FormatError("not a readable zip archive: " + what); }

// Little-endian fields of the archive at checked offsets.
class Fields {
public:
    explicit Fields(std::span<const uint8_t> bytes) : b_(bytes) {}
    uint64_t size() const noexcept { return b_.size(); }
    bool fits(uint64_t offset, uint64_t n) const noexcept { return offset <= b_.size() && n <= b_.size() - offset; }
    uint64_t get(uint64_t offset, int n) const {
        if (!fits(offset, static_cast<uint64_t>(n))) fail("a record runs past the end of the file");
        uint64_t v = 0;
        for (int i = n - 1; i >= 0; --i) v = (v << 8) | b_[offset + static_cast<uint64_t>(i)];
        return v;
    }
    uint16_t u16(uint64_t o) const { return static_cast<uint16_t>(get(o, 2)); }
    uint32_t u32(uint64_t o) const { return static_cast<uint32_t>(get(o, 4)); }
    uint64_t u64(uint64_t o) const { return get(o, 8); }
    std::string_view text(uint64_t offset, uint64_t n) const {
        if (!fits(offset, n)) fail("a name runs past the end of the file");
        return {reinterpret_cast<const char*>(b_.data() + offset), n};
    }

private:
    std::span<const uint8_t> b_;
};

struct Directory {
    uint64_t entries = 0, offset = 0, size = 0;
    uint64_t end = 0;  // where the end records start: the directory must end before
};

Directory find_directory(const Fields& f) {
    if (f.size() < kEndSize) fail("the file is too short (" + std::to_string(f.size()) + " bytes)");
    // The end record is the last 22 bytes plus its comment (at most 65535 bytes).
    uint64_t at = f.size() - kEndSize;
    const uint64_t lowest = f.size() > kEndSize + kMax16 ? f.size() - kEndSize - kMax16 : 0;
    for (;; --at) {
        if (f.u32(at) == kEnd && at + kEndSize + f.u16(at + 20) == f.size()) break;
        if (at == lowest) fail("no end of central directory record (a truncated file?)");
    }
    // Disk numbers other than 0: an archive split over several files.
    const auto single_disk = [](bool yes) {
        if (!yes) throw UnsupportedError("a zip archive split over several disks is not supported");
    };
    single_disk(f.u16(at + 4) == 0 && f.u16(at + 6) == 0);
    Directory d{.entries = f.u16(at + 10), .offset = f.u32(at + 16), .size = f.u32(at + 12), .end = at};
    if (at >= kLocatorSize && f.u32(at - kLocatorSize) == kZip64Locator) {
        const uint64_t locator = at - kLocatorSize;
        const uint64_t end64 = f.u64(locator + 8);
        if (end64 > locator || locator - end64 < kZip64EndSize || f.u32(end64) != kZip64End)
            fail("the zip64 end record is not where its locator says");
        single_disk(f.u32(end64 + 16) == 0 && f.u32(end64 + 20) == 0);
        d = {.entries = f.u64(end64 + 32), .offset = f.u64(end64 + 48), .size = f.u64(end64 + 40), .end = end64};
    } else if (d.entries == kMax16 || d.size == kMax32 || d.offset == kMax32) {
        fail("the end record asks for zip64 records that are missing");
    }
    if (d.offset > d.end || d.size > d.end - d.offset)
        fail("the central directory (" + std::to_string(d.size) + " bytes at " + std::to_string(d.offset) +
             ") lies outside the file");
    if (d.entries > d.size / kCentralSize)
        fail(std::to_string(d.entries) + " entries cannot fit a central directory of " + std::to_string(d.size) +
             " bytes");
    return d;
}

// The zip64 extended information of a central header: the fields whose 32-bit value is 0xffffffff.
void read_zip64_extra(const Fields& f, uint64_t extra, uint64_t extra_size, uint64_t& size, uint64_t& compressed,
                      uint64_t& local) {
    const bool want_size = size == kMax32, want_compressed = compressed == kMax32, want_local = local == kMax32;
    for (uint64_t at = extra; at + 4 <= extra + extra_size;) {
        const uint16_t id = f.u16(at), n = f.u16(at + 2);
        if (at + 4 + n > extra + extra_size) fail("an extra field runs past its header");
        if (id == 0x0001) {
            uint64_t p = at + 4;
            auto next = [&](uint64_t& field) {
                if (p + 8 > at + 4 + n) fail("a zip64 extra field too short for its values");
                field = f.u64(p);
                p += 8;
            };
            if (want_size) next(size);
            if (want_compressed) next(compressed);
            if (want_local) next(local);
            return;
        }
        at += 4 + n;
    }
    if (want_size || want_compressed || want_local) fail("an entry whose sizes need a zip64 extra field it lacks");
}

}  // namespace

bool looks_like_zip(std::span<const uint8_t> bytes) noexcept {
    if (bytes.size() < 4) return false;
    const uint32_t sig = bytes[0] | bytes[1] << 8 | bytes[2] << 16 | static_cast<uint32_t>(bytes[3]) << 24;
    return sig == kLocalHeader || sig == kEnd;
}

ZipReader::ZipReader(arrow::Buffer archive) : archive_(std::move(archive)) {
    const Fields f(archive_.span());
    const Directory d = find_directory(f);
    std::set<std::string> names;
    uint64_t at = d.offset;
    const uint64_t directory_end = d.offset + d.size;
    for (uint64_t i = 0; i < d.entries; ++i) {
        if (directory_end - at < kCentralSize || f.u32(at) != kCentralHeader)
            fail("central directory entry " + std::to_string(i) + " is damaged");
        const uint16_t flags = f.u16(at + 8), method = f.u16(at + 10);
        ZipEntry e;
        e.crc = f.u32(at + 16);
        uint64_t compressed = f.u32(at + 20);
        e.size = f.u32(at + 24);
        const uint64_t name_size = f.u16(at + 28), extra_size = f.u16(at + 30), comment_size = f.u16(at + 32);
        uint64_t local = f.u32(at + 42);
        const uint64_t next = at + kCentralSize + name_size + extra_size + comment_size;
        if (next > directory_end) fail("central directory entry " + std::to_string(i) + " runs past the directory");
        e.name = f.text(at + kCentralSize, name_size);
        read_zip64_extra(f, at + kCentralSize + name_size, extra_size, e.size, compressed, local);
        e.method = method;
        e.encrypted = flags & 1;
        if (method == 0 && compressed != e.size) fail("the stored entry " + e.name + " has two different sizes");
        e.size = compressed;
        // The local header: its signature and name as the directory says; the data follows its extra field.
        if (local > d.offset || d.offset - local < kLocalSize || f.u32(local) != kLocalHeader)
            fail("the local header of " + e.name + " is not where the directory says");
        const uint64_t local_name = f.u16(local + 26), local_extra = f.u16(local + 28);
        if (f.text(local + kLocalSize, local_name) != e.name)
            fail("the local header of " + e.name + " names another entry");
        e.offset = local + kLocalSize + local_name + local_extra;
        if (e.offset > d.offset || e.size > d.offset - e.offset)
            fail("the data of " + e.name + " (" + std::to_string(e.size) + " bytes) runs past the central directory");
        if (!names.insert(e.name).second) fail("the entry " + e.name + " appears twice");
        entries_.push_back(std::move(e));
        at = next;
    }
}

const ZipEntry* ZipReader::find(std::string_view name) const {
    for (const ZipEntry& e : entries_)
        if (e.name == name) return &e;
    return nullptr;
}

arrow::Buffer ZipReader::read(const ZipEntry& entry) const {
    if (entry.encrypted) throw UnsupportedError("the zip entry " + entry.name + " is encrypted");
    if (entry.method != 0)
        throw UnsupportedError("the zip entry " + entry.name + " is compressed (method " +
                               std::to_string(entry.method) + "); torch.save stores entries uncompressed");
    arrow::Buffer data = archive_.slice(static_cast<int64_t>(entry.offset), static_cast<int64_t>(entry.size));
    if (crc32(data.span()) != entry.crc)
        throw FormatError("the zip entry " + entry.name + " is damaged (CRC mismatch)");
    return data;
}

}  // namespace legolasflux::detail
