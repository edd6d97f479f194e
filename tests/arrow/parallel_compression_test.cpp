// Large buffers compressed by several threads: one frame per buffer still, read back equal by the
// same frame decoders every reader uses (liblz4's LZ4F, libzstd), at every level kind.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "legolasflux/arrow/builder.hpp"
#include "legolasflux/arrow/compare.hpp"
#include "legolasflux/arrow/ipc.hpp"

namespace {

using namespace legolasflux::arrow;

// 12 MiB of float32 that compress somewhat (few distinct mantissas), plus an incompressible tail
// so that some LZ4 blocks are stored as they are.
Table big_table() {
    const int64_t n = int64_t{3} << 20;
    std::vector<float> values(static_cast<size_t>(n));
    uint64_t x = 42;
    for (int64_t i = 0; i < n; ++i) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        const bool noisy = i > n - (int64_t{5} << 18);
        values[static_cast<size_t>(i)] = noisy ? static_cast<float>(x >> 11) : static_cast<float>((x >> 60) % 7) * 0.25f;
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
    for (const Case c : {Case{Compression::Lz4Frame, 0, 1}, Case{Compression::Lz4Frame, 0, 2}, Case{Compression::Lz4Frame, 0, 0},
                         Case{Compression::Lz4Frame, -5, 3}, Case{Compression::Lz4Frame, 9, 2}, Case{Compression::Zstd, 0, 1},
                         Case{Compression::Zstd, 0, 2}, Case{Compression::Zstd, 3, 0}}) {
        const int threads = c.threads;
        {
            WriteOptions o;
            o.compression = c.codec;
            o.compression_level = c.level;
            o.compression_threads = threads;
            const std::vector<uint8_t> bytes = write_file(t, o);
            SCOPED_TRACE(testing::Message() << "codec " << static_cast<int>(c.codec) << " level " << c.level
                                            << " threads " << threads);
            EXPECT_LT(static_cast<int64_t>(bytes.size()), plain);
            EXPECT_TRUE(table_equals(read_file(Buffer::copy_of(bytes.data(), static_cast<int64_t>(bytes.size()))), t));
        }
    }
}

}  // namespace
