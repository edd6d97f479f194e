// The zip writer of torch_save.cpp (zip_writer.hpp). Field layouts: PKWARE's APPNOTE.TXT, sections
// 4.3.7 (local file header), 4.3.12 (central directory header), 4.3.14-4.3.16 (zip64 end records,
// end of central directory) and 4.5.3 (the zip64 extended information extra field).
#include "zip_writer.hpp"

#include <array>

#include "legolasflux/errors.hpp"

namespace legolasflux::detail {
namespace {

constexpr uint32_t kLocalHeader = 0x04034b50, kCentralHeader = 0x02014b50, kEnd = 0x06054b50;
constexpr uint32_t kZip64End = 0x06064b50, kZip64Locator = 0x07064b50;
constexpr uint16_t kZip64ExtraId = 0x0001;
constexpr uint32_t kMax32 = 0xffffffff;
constexpr uint16_t kMax16 = 0xffff;
// 2.0 (stored entries) or 4.5 (zip64), made on MS-DOS (0 in the high byte) as PyTorch's are.
constexpr uint16_t kVersion = 20, kVersion64 = 45;
// 1980-01-01 00:00: the earliest DOS date, so that the archive's bytes do not depend on the clock.
constexpr uint16_t kDosTime = 0, kDosDate = (1 << 5) | 1;

// Slicing by 8 (tables[k][b]: the CRC of byte b followed by k zero bytes): eight bytes a step, as
// a model's weights pass through here once before they are written.
constexpr std::array<std::array<uint32_t, 256>, 8> make_crc_tables() {
    std::array<std::array<uint32_t, 256>, 8> t{};
    for (uint32_t i = 0; i < 256; ++i) {
        uint32_t c = i;
        for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
        t[0][i] = c;
    }
    for (size_t k = 1; k < 8; ++k)
        for (uint32_t i = 0; i < 256; ++i) t[k][i] = (t[k - 1][i] >> 8) ^ t[0][t[k - 1][i] & 0xff];
    return t;
}
constexpr auto kCrcTables = make_crc_tables();

// Little-endian fields appended to a header under construction.
struct Bytes {
    std::vector<uint8_t> v;
    void u16(uint64_t x) { put(x, 2); }
    void u32(uint64_t x) { put(x, 4); }
    void u64(uint64_t x) { put(x, 8); }
    void text(const std::string& s) { v.insert(v.end(), s.begin(), s.end()); }
    void put(uint64_t x, int n) {
        for (int i = 0; i < n; ++i) v.push_back(static_cast<uint8_t>(x >> (8 * i)));
    }
};

}  // namespace

uint32_t crc32(std::span<const uint8_t> bytes, uint32_t crc) noexcept {
    crc = ~crc;
    const uint8_t* p = bytes.data();
    size_t n = bytes.size();
    const auto& t = kCrcTables;
    for (; n >= 8; p += 8, n -= 8) {
        const uint32_t lo = crc ^ (uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24);
        crc = t[7][lo & 0xff] ^ t[6][(lo >> 8) & 0xff] ^ t[5][(lo >> 16) & 0xff] ^ t[4][lo >> 24] ^ t[3][p[4]] ^
              t[2][p[5]] ^ t[1][p[6]] ^ t[0][p[7]];
    }
    for (; n > 0; ++p, --n) crc = t[0][(crc ^ *p) & 0xff] ^ (crc >> 8);
    return ~crc;
}

ZipWriter::ZipWriter(std::function<void(std::span<const uint8_t>)> sink, bool force_zip64)
    : sink_(std::move(sink)), force_zip64_(force_zip64) {}

void ZipWriter::emit(std::span<const uint8_t> bytes) {
    sink_(bytes);
    offset_ += bytes.size();
}

void ZipWriter::add(const std::string& name, std::span<const uint8_t> bytes) {
    const std::span<const uint8_t> chunks[] = {bytes};
    add(name, chunks);
}

void ZipWriter::add(const std::string& name, std::span<const std::span<const uint8_t>> chunks) {
    if (finished_) throw InvalidArgument("zip: an entry added after the end of the archive");
    if (name.empty() || name.size() > kMax16) throw InvalidArgument("zip: the entry name '" + name + "' is unusable");
    for (const Entry& e : entries_)
        if (e.name == name) throw InvalidArgument("zip: two entries named '" + name + "'");
    Entry entry{.name = name, .offset = offset_};
    for (const auto& c : chunks) {
        entry.crc = crc32(c, entry.crc);
        entry.size += c.size();
    }
    entry.zip64 = force_zip64_ || entry.size >= kMax32 || entry.offset >= kMax32;

    Bytes h;
    h.u32(kLocalHeader);
    h.u16(entry.zip64 ? kVersion64 : kVersion);
    h.u16(0);  // flags: sizes and CRC are in this header, the name is ASCII
    h.u16(0);  // stored
    h.u16(kDosTime);
    h.u16(kDosDate);
    h.u32(entry.crc);
    h.u32(entry.zip64 ? kMax32 : entry.size);  // compressed size
    h.u32(entry.zip64 ? kMax32 : entry.size);
    // The data starts after the name and the extra fields: the zip64 one, then "FB" with as many
    // 'Z's as bring the start to the alignment (PyTorch's padding field, present even when empty).
    const uint64_t zip64_extra = entry.zip64 ? 4 + 16 : 0;
    const uint64_t unpadded = entry.offset + 30 + name.size() + zip64_extra + 4;
    const uint64_t padding = (kZipAlignment - unpadded % kZipAlignment) % kZipAlignment;
    h.u16(name.size());
    h.u16(zip64_extra + 4 + padding);
    h.text(name);
    if (entry.zip64) {
        h.u16(kZip64ExtraId);
        h.u16(16);
        h.u64(entry.size);
        h.u64(entry.size);
    }
    h.text("FB");
    h.u16(padding);
    h.v.insert(h.v.end(), padding, 'Z');
    emit(h.v);
    for (const auto& c : chunks) emit(c);
    entries_.push_back(std::move(entry));
}

void ZipWriter::finish() {
    if (finished_) throw InvalidArgument("zip: the archive is already finished");
    finished_ = true;
    const uint64_t directory_offset = offset_;
    for (const Entry& e : entries_) {
        Bytes h;
        h.u32(kCentralHeader);
        h.u16(e.zip64 ? kVersion64 : kVersion);  // made by
        h.u16(e.zip64 ? kVersion64 : kVersion);  // needed
        h.u16(0);
        h.u16(0);
        h.u16(kDosTime);
        h.u16(kDosDate);
        h.u32(e.crc);
        h.u32(e.zip64 ? kMax32 : e.size);
        h.u32(e.zip64 ? kMax32 : e.size);
        h.u16(e.name.size());
        h.u16(e.zip64 ? 4 + 24 : 0);
        h.u16(0);  // comment
        h.u16(0);  // disk
        h.u16(0);  // internal attributes
        h.u32(0);  // external attributes
        h.u32(e.zip64 ? kMax32 : e.offset);
        h.text(e.name);
        if (e.zip64) {  // the fields above set to their maximum, in the order of the spec
            h.u16(kZip64ExtraId);
            h.u16(24);
            h.u64(e.size);
            h.u64(e.size);
            h.u64(e.offset);
        }
        emit(h.v);
    }
    const uint64_t directory_size = offset_ - directory_offset;
    const uint64_t count = entries_.size();
    const bool zip64 = force_zip64_ || count >= kMax16 || directory_offset >= kMax32 || directory_size >= kMax32;
    Bytes end;
    if (zip64) {
        const uint64_t record_offset = offset_;
        end.u32(kZip64End);
        end.u64(44);  // the size of the rest of this record
        end.u16(kVersion64);
        end.u16(kVersion64);
        end.u32(0);  // this disk
        end.u32(0);  // the directory's disk
        end.u64(count);
        end.u64(count);
        end.u64(directory_size);
        end.u64(directory_offset);
        end.u32(kZip64Locator);
        end.u32(0);
        end.u64(record_offset);
        end.u32(1);  // disks
    }
    end.u32(kEnd);
    end.u16(0);
    end.u16(0);
    end.u16(zip64 ? kMax16 : count);
    end.u16(zip64 ? kMax16 : count);
    end.u32(zip64 ? kMax32 : directory_size);
    end.u32(zip64 ? kMax32 : directory_offset);
    end.u16(0);  // comment
    emit(end.v);
}

}  // namespace legolasflux::detail
