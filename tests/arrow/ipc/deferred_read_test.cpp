// Reads that leave large compressed values undecoded (ReadOptions::defer), and the public decoders
// that decode them later, whole or part by part.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include "legolasflux/arrow/builder.hpp"
#include "legolasflux/arrow/compare.hpp"
#include "legolasflux/arrow/decompress.hpp"
#include "legolasflux/arrow/ipc.hpp"
#include "legolasflux/errors.hpp"

namespace {

using namespace legolasflux::arrow;
using legolasflux::FormatError;

// A big float32 column "w" (12 MiB, compressible) and a small int64 column "n".
Table table_of(int64_t n) {
    std::vector<float> values(static_cast<size_t>(n));
    uint64_t x = 7;
    for (int64_t i = 0; i < n; ++i) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        values[static_cast<size_t>(i)] = static_cast<float>((x >> 58) % 9) * 0.5f;
    }
    std::vector<int64_t> small(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) small[static_cast<size_t>(i)] = i % 5;
    auto schema = std::make_shared<Schema>();
    schema->fields = {field("w", float32(), false), field("n", int64(), false)};
    RecordBatch batch;
    batch.schema = schema;
    batch.length = n;
    batch.columns = {make_primitive(float32(), values), make_primitive(int64(), small)};
    return Table{schema, {batch}};
}

Buffer written(const Table& t, Compression codec) {
    WriteOptions o;
    o.compression = codec;
    return Buffer::from_vector(write_file(t, o));
}

ReadOptions deferring(std::string column) {
    ReadOptions r;
    r.defer = [column](std::string_view path) { return path == column; };
    return r;
}

TEST(DeferredRead, LargeCompressedValuesAreLeftForTheCallerAndDecodeToWhatAReadGives) {
    const int64_t n = int64_t{3} << 20;  // 12 MiB of float32, 24 MiB of int64
    const Table t = table_of(n);
    for (const Compression codec : {Compression::Lz4Frame, Compression::Zstd}) {
        SCOPED_TRACE(static_cast<int>(codec));
        const Buffer bytes = written(t, codec);
        IpcFileInfo info;
        const Table read = read_file(bytes, deferring("w"), &info);
        ASSERT_EQ(info.deferred.size(), 1u);  // "n" is larger but not asked for
        const DeferredBuffer& d = info.deferred[0];
        EXPECT_EQ(d.path, "w");
        EXPECT_EQ(d.codec, codec);
        EXPECT_EQ(d.placeholder.size(), n * 4);
        EXPECT_EQ(read.batches[0].columns[0]->buffers[1].data(), d.placeholder.data());
        // The other column is read as usual.
        EXPECT_TRUE(array_equals(*read.batches[0].columns[1], *t.batches[0].columns[1]));

        // Whole.
        const Buffer whole = decompress(codec, d.frame.span(), d.placeholder.size());
        ASSERT_EQ(whole.size(), n * 4);
        EXPECT_EQ(std::memcmp(whole.data(), t.batches[0].columns[0]->buffers[1].data(), size_t(n * 4)), 0);

        // Part by part, each into its place, in any order.
        const auto parts = independent_parts(codec, d.frame.span(), d.placeholder.size());
        ASSERT_TRUE(parts.has_value());
        ASSERT_GE(parts->size(), 3u);
        std::vector<uint8_t> out(static_cast<size_t>(n * 4), 0xAB);
        int64_t covered = 0;
        for (size_t i = parts->size(); i-- > 0;) {
            const FramePart& p = (*parts)[i];
            EXPECT_TRUE(decode_part(codec, d.frame.span(), p, out.data() + p.out_offset));
            covered += p.out_size;
        }
        EXPECT_EQ(covered, n * 4);
        EXPECT_EQ(std::memcmp(out.data(), whole.data(), out.size()), 0);
    }
}

TEST(DeferredRead, SmallOrUncompressedBuffersAndOtherFieldsAreDecodedAsUsual) {
    const Table t = table_of(int64_t{1} << 16);  // 256 KiB: under defer_from
    for (const Compression codec : {Compression::None, Compression::Lz4Frame, Compression::Zstd}) {
        IpcFileInfo info;
        const Table read = read_file(written(t, codec), deferring("w"), &info);
        EXPECT_TRUE(info.deferred.empty());
        EXPECT_TRUE(table_equals(read, t));
    }
    ReadOptions low = deferring("w");
    low.defer_from = 1;
    IpcFileInfo info;
    (void)read_file(written(t, Compression::Zstd), low, &info);
    EXPECT_EQ(info.deferred.size(), 1u);
    ReadOptions none = deferring("no such field");
    none.defer_from = 1;
    info = {};
    EXPECT_TRUE(table_equals(read_file(written(t, Compression::Zstd), none, &info), t));
    EXPECT_TRUE(info.deferred.empty());
}

TEST(DeferredRead, DamagedPartsAndForeignShapesAreToldApart) {
    const int64_t n = int64_t{3} << 20;
    const Table t = table_of(n);
    for (const Compression codec : {Compression::Lz4Frame, Compression::Zstd}) {
        IpcFileInfo info;
        const Buffer bytes = written(t, codec);
        (void)read_file(bytes, deferring("w"), &info);
        const DeferredBuffer& d = info.deferred.at(0);
        // A size that is not what the buffer holds: no parts, and decompress says why.
        EXPECT_FALSE(independent_parts(codec, d.frame.span(), d.placeholder.size() + 4).has_value());
        EXPECT_THROW(decompress(codec, d.frame.span(), d.placeholder.size() + 4), FormatError);
        // A damaged part does not decode to its size.
        std::vector<uint8_t> frame(d.frame.data(), d.frame.data() + d.frame.size());
        const auto parts = independent_parts(codec, frame, d.placeholder.size());
        ASSERT_TRUE(parts.has_value());
        const FramePart& p = (*parts)[1];
        ASSERT_FALSE(p.stored);
        for (int64_t k = 0; k < p.in_size; k += 97) frame[size_t(p.in_offset + k)] ^= 0x5A;
        std::vector<uint8_t> out(static_cast<size_t>(p.out_size));
        EXPECT_FALSE(decode_part(codec, frame, p, out.data()));
        EXPECT_THROW(decompress(codec, frame, d.placeholder.size()), FormatError);
        // A part beyond the buffer is refused without reading.
        FramePart outside = p;
        outside.in_offset = static_cast<int64_t>(frame.size());
        EXPECT_FALSE(decode_part(codec, frame, outside, out.data()));
    }
    // Bytes that are no frame at all.
    const std::vector<uint8_t> junk(64, 0x11);
    EXPECT_FALSE(independent_parts(Compression::Zstd, junk, 1 << 20).has_value());
    EXPECT_FALSE(independent_parts(Compression::Lz4Frame, junk, 1 << 20).has_value());
}

}  // namespace
