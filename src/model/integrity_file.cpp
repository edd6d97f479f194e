// The file checksum: writing a checksummed file, the hashing pass that skips the weight values, and
// checking "file" against a file's bytes (integrity.hpp; it uses integrity_values.cpp below it).
#include <algorithm>
#include <cstring>
#include <future>
#include <memory>
#include <span>

#include "common/parallel.hpp"
#include "integrity.hpp"
#include "legolasflux/errors.hpp"
#include "legolasflux/model.hpp"
#include "legolasflux/weights.hpp"

namespace legolasflux::detail {

namespace {

uintptr_t begin_of(Bytes b) { return reinterpret_cast<uintptr_t>(b.data()); }
uintptr_t end_of(Bytes b) { return reinterpret_cast<uintptr_t>(b.data()) + b.size(); }

// Hashes what the IPC writer emits but the weight values, which reach it as spans of the memory
// they are written from (one buffer of the table, or the parts of a gathered one): those bytes are
// skipped and their place in the file noted. Nothing is copied.
class HashingSink final : public arrow::OutputStream {
public:
    explicit HashingSink(Holes holes) : holes_(std::move(holes)) {}

    void write(Bytes b) override {
        // The first hole ending after b's start, then every hole starting before its end.
        auto h = std::lower_bound(holes_.memory.begin(), holes_.memory.end(), begin_of(b),
                                  [](Bytes hole, uintptr_t at) { return end_of(hole) <= at; });
        const int64_t start = position_;
        const uint8_t* pos = b.data();
        for (; h != holes_.memory.end() && begin_of(*h) < end_of(b); ++h) {
            const uint8_t* s = b.data() + (std::max(begin_of(*h), begin_of(b)) - begin_of(b));
            const uint8_t* t = b.data() + (std::min(end_of(*h), end_of(b)) - begin_of(b));
            hash(pos, s - pos);
            skip(start + (s - b.data()), t - s);
            pos = t;
        }
        hash(pos, b.data() + b.size() - pos);
        position_ = start + static_cast<int64_t>(b.size());
    }

    FileChecksumPass finish() {
        if (pass_.skipped_bytes != holes_.bytes || pass_.holes.size() != holes_.runs)
            throw Error("internal error: the weight values did not reach the file checksum as expected (" +
                        std::to_string(pass_.skipped_bytes) + " bytes in " + std::to_string(pass_.holes.size()) +
                        " runs, not " + std::to_string(holes_.bytes) + " in " + std::to_string(holes_.runs) + ")");
        pass_.checksum = hash_.digest();
        return std::move(pass_);
    }

private:
    Holes holes_;
    Xxh3 hash_;
    int64_t position_ = 0;
    FileChecksumPass pass_;

    void hash(const uint8_t* data, int64_t size) {
        hash_.update(data, size);
        pass_.hashed_bytes += size;
    }
    void skip(int64_t offset, int64_t size) {
        auto& runs = pass_.holes;
        if (!runs.empty() && runs.back().offset + runs.back().length == offset)
            runs.back().length += size;
        else
            runs.push_back({offset, size});
        pass_.skipped_bytes += size;
    }
};

FileChecksumPass hashing_pass(const arrow::Table& table, const arrow::WriteOptions& options, GatheringEncoder& encoder,
                              Holes holes) {
    HashingSink sink(std::move(holes));
    arrow::write_file(sink, table, options, &encoder);
    return sink.finish();
}

void set_checksums(arrow::Table& table, std::string value) {
    auto schema = std::make_shared<arrow::Schema>(*table.schema);
    arrow::set_metadata(schema->metadata, std::string(kChecksumsMetadataKey), std::move(value));
    table.schema = schema;
    for (auto& b : table.batches) b.schema = schema;
}

int32_t read_i32(const uint8_t* p) {
    int32_t v;
    std::memcpy(&v, p, 4);
    return v;
}

// A byte range of the file that the checksum skips (a hole) or hashes as '0's (the value).
struct Segment {
    int64_t begin, end;
    bool zeros;
};

// The schema message's metadata and the footer, where the value is masked, in a file of `size`
// bytes that starts with `head` and ends with `tail`; empty ranges when those bytes do not frame
// them as the definition says.
std::pair<FileRange, FileRange> masked_regions(const uint8_t (&head)[16], const uint8_t (&tail)[10], int64_t size) {
    FileRange schema, footer;
    if (size >= 16 && read_i32(head + 8) == -1) {
        const int64_t length = read_i32(head + 12);
        if (length > 0 && length <= size - 16) schema = {16, length};
    }
    if (size >= 10) {
        const int64_t length = read_i32(tail);
        if (length > 0 && length <= size - 10) footer = {size - 10 - length, length};
    }
    return {schema, footer};
}

std::pair<FileRange, FileRange> masked_regions(const arrow::Buffer& bytes) {
    uint8_t head[16] = {}, tail[10] = {};
    const auto size = static_cast<size_t>(bytes.size());
    std::memcpy(head, bytes.data(), std::min(size, sizeof head));
    if (size >= sizeof tail) std::memcpy(tail, bytes.data() + size - sizeof tail, sizeof tail);
    return masked_regions(head, tail, bytes.size());
}

std::string_view text(const arrow::Buffer& bytes, FileRange r) {
    return {reinterpret_cast<const char*>(bytes.data()) + r.offset, static_cast<size_t>(r.length)};
}

// Hashes `bytes` as the definition says and compares with the recorded checksum.
// What `file` leaves out or masks, in file order; FormatError when a hole lies outside the file or
// over the schema message's or the footer's value.
std::vector<Segment> file_segments(const std::string& source, const arrow::Buffer& bytes, std::string_view value,
                                   const FileChecksum& recorded) {
    const int64_t size = bytes.size();
    std::vector<Segment> segments;
    for (const FileRange& h : recorded.holes) {
        if (h.offset > size || h.length > size - h.offset)
            throw FormatError(source + ": schema metadata " + std::string(kChecksumsMetadataKey) +
                              ": a hole of the file checksum lies outside the file");
        segments.push_back({h.offset, h.offset + h.length, false});
    }
    const auto [schema, footer] = masked_regions(bytes);
    for (const FileRange r : {schema, footer}) {
        const std::string_view region = text(bytes, r);
        for (size_t at = region.find(value); at != std::string_view::npos; at = region.find(value, at + value.size()))
            segments.push_back(
                {r.offset + static_cast<int64_t>(at), r.offset + static_cast<int64_t>(at + value.size()), true});
    }
    std::sort(segments.begin(), segments.end(), [](const Segment& a, const Segment& b) { return a.begin < b.begin; });
    for (size_t i = 1; i < segments.size(); ++i)
        if (segments[i].begin < segments[i - 1].end)
            throw FormatError(source + ": schema metadata " + std::string(kChecksumsMetadataKey) +
                              ": a hole of the file checksum overlaps the schema message or the footer");
    return segments;
}

void check_file_checksum(const std::string& source, const arrow::Buffer& bytes, std::string_view value,
                         const FileChecksum& recorded) {
    const int64_t size = bytes.size();
    const std::vector<Segment> segments = file_segments(source, bytes, value, recorded);
    Xxh3 hash;
    const std::string zeros(value.size(), '0');
    int64_t pos = 0;
    for (const Segment& s : segments) {
        hash.update(bytes.data() + pos, s.begin - pos);
        if (s.zeros) hash.update(reinterpret_cast<const uint8_t*>(zeros.data()), static_cast<int64_t>(zeros.size()));
        pos = s.end;
    }
    hash.update(bytes.data() + pos, size - pos);
    const std::string actual = hex16(hash.digest());
    if (actual != recorded.checksum)
        throw CorruptionError(source + ": metadata checksum mismatch (" +
                              std::string(algorithm_name(ChecksumAlgorithm::Xxh3_64)) +
                              " of the file outside the weight values): expected " + recorded.checksum + ", actual " +
                              actual + "; the file was damaged, or rewritten by other means than write_model_row");
}

// The holes as the definition has them: the values the "columns" checksums cover, where they lie in
// `bytes` (none when a batch is compressed).
std::vector<FileRange> expected_holes(const std::string& source, const arrow::Buffer& bytes,
                                      const arrow::IpcFileInfo& info, const arrow::Table& table,
                                      const RecordedChecksums& recorded) {
    std::vector<FileRange> holes;
    if (info.compressed) return holes;
    const auto& fields = table.schema->fields;
    for (const auto& column : recorded.columns) {
        size_t row = 0;
        for (const auto& batch : table.batches)
            for (int64_t i = 0; i < batch.length; ++i, ++row) {
                if (!column.rows[row]) continue;
                for (const ValueSpan& v : value_spans(fields[column.field], *batch.columns[column.field], i)) {
                    const Bytes b = v.memory;
                    if (begin_of(b) < begin_of(bytes.span()) || end_of(b) > end_of(bytes.span()))
                        throw FormatError(source + ": cannot check the file checksum: the values of weights column '" +
                                          fields[column.field].name + "' row " + std::to_string(row) +
                                          " are not stored in place in the file (misaligned)");
                    holes.push_back({static_cast<int64_t>(b.data() - bytes.data()), static_cast<int64_t>(b.size())});
                }
            }
    }
    return holes;
}

// Replaces every occurrence of `from` by `to` (as long) where the file checksum masks the value:
// the schema message's metadata and the footer of the `size` bytes written to `file`.
void patch_value(common::AtomicFile& file, int64_t size, const std::string& from, const std::string& to) {
    uint8_t head[16], tail[10];
    if (size < 16 + 10) throw Error("internal error: the file written is too short to hold its checksums");
    file.read_at(0, head);
    file.read_at(size - 10, tail);
    int found = 0;
    const auto [schema, footer] = masked_regions(head, tail, size);
    for (const FileRange r : {schema, footer}) {
        std::string region(static_cast<size_t>(r.length), '\0');
        file.read_at(r.offset, std::span(reinterpret_cast<uint8_t*>(region.data()), region.size()));
        for (size_t at = region.find(from); at != std::string::npos; at = region.find(from, at + from.size()), ++found)
            file.write_at(r.offset + static_cast<int64_t>(at),
                          std::span(reinterpret_cast<const uint8_t*>(to.data()), to.size()));
    }
    if (found < 2)
        throw Error("internal error: the checksums value was not found in the schema and the footer written");
}

// The first pass of a save: the file as it will be written, with the value as '0's of its final
// length, hashed without the weight values (and without copying anything).
FileChecksumPass hash_as_written(arrow::Table table, const arrow::WriteOptions& options, const ChecksumsDraft& draft,
                                 GatheringEncoder& encoder) {
    set_checksums(table, std::string(draft.length, '0'));
    return hashing_pass(table, options, encoder, draft.holes);
}

// The second pass: the file written with the file checksum and the weights' checksums as 0s
// while other threads compute them (a pass over every value as long as the write); their digits
// are then written in place. The value's length does not depend on them, nor does the file
// checksum, which masks the value.
void write_and_fill_in(const std::filesystem::path& path, arrow::Table table, const arrow::WriteOptions& options,
                       std::span<const Gathered> gathered, const ChecksumsDraft& draft, const FileChecksumPass& pass,
                       int threads, GatheringEncoder& encoder) {
    const std::string provisional = checksums_value(draft.columns, pass.checksum, pass.holes);
    if (provisional.size() != draft.length) throw Error("internal error: the checksums value changed length");
    set_checksums(table, provisional);
    const unsigned hashers = std::max(1u, common::thread_count(threads) - 1);  // one core writes
    std::future<std::string> columns =
        std::async(std::launch::async, [&] { return weights_checksums(table, gathered, hashers); });
    write_file_encoded(path, table, options, encoder, [&](common::AtomicFile& file, int64_t size) {
        const std::string value = checksums_value(columns.get(), pass.checksum, pass.holes);
        if (value.size() != draft.length) throw Error("internal error: the checksums value changed length");
        if (value != provisional) patch_value(file, size, provisional, value);
    });
}

}  // namespace

void write_checksummed_file(const std::filesystem::path& path, arrow::Table table, const arrow::WriteOptions& options,
                            std::span<const Gathered> gathered, int threads) {
    // The value is drafted first (what its numbers will cover, and its length, which they do not
    // change), then the file is hashed as it will be written, then written and its numbers filled in.
    const ChecksumsDraft draft = draft_checksums(table, options, gathered);
    GatheringEncoder encoder(gathered);  // both passes write the same buffers: compressed once, by the first
    const FileChecksumPass pass = hash_as_written(table, options, draft, encoder);
    write_and_fill_in(path, std::move(table), options, gathered, draft, pass, threads, encoder);
}

FileChecksumPass file_checksum_pass(const arrow::Table& table, const arrow::WriteOptions& options,
                                    std::span<const Gathered> gathered) {
    GatheringEncoder encoder(gathered);
    return hashing_pass(table, options, encoder, draft_checksums(table, options, gathered).holes);
}

bool verify_file_checksum(const std::string& source, const arrow::Buffer& bytes, const arrow::IpcFileInfo& info,
                          const arrow::Table& table, std::string_view value, const RecordedChecksums& recorded) {
    if (!recorded.file || !info.is_file_format) return false;
    (void)file_segments(source, bytes, value, *recorded.file);  // a malformed value is refused first
    // Weight values elsewhere than where the writer put them: the file was rewritten by another
    // writer (Arrow.jl, `legolasflux arrow cat`, other options) that kept the metadata, so `file`
    // describes a file that no longer exists; the weights' own checksums still apply. A damaged
    // offset that moves the values lands here too, and their checksums then catch it.
    if (merged_ranges(recorded.file->holes) != merged_ranges(expected_holes(source, bytes, info, table, recorded)))
        return false;
    check_file_checksum(source, bytes, value, *recorded.file);
    return true;
}

void verify_unread_file_checksum(const std::string& source, const arrow::Buffer& bytes) {
    if (bytes.size() < 18 || std::memcmp(bytes.data(), "ARROW1", 6) != 0) return;
    // Without its closing magic the file is cut short (or damaged there): the reader's message,
    // which says what is missing, is the one every command gives.
    if (std::memcmp(bytes.data() + bytes.size() - 6, "ARROW1", 6) != 0) return;
    // The value as a flatbuffer string in the schema message or the footer (either may be the
    // damaged part): its length, its bytes, a NUL.
    constexpr std::string_view start = R"({"algorithm":")";
    const auto [schema, footer] = masked_regions(bytes);
    for (const FileRange r : {schema, footer}) {
        const std::string_view region = text(bytes, r);
        for (size_t at = region.find(start); at != std::string_view::npos; at = region.find(start, at + 1)) {
            const size_t end = region.find('\0', at);
            if (at < 4 || end == std::string_view::npos) continue;
            uint32_t length;
            std::memcpy(&length, region.data() + at - 4, 4);
            if (length != end - at) continue;
            const std::string_view value = region.substr(at, end - at);
            if (const auto recorded = parse_file_checksum(value)) {
                check_file_checksum(source, bytes, value, *recorded);
                return;
            }
        }
    }
}

}  // namespace legolasflux::detail
