// The model layer's pieces on top of the Arrow layer's body encoder and decompressor (white-box):
// reads that leave the weights' large compressed values undecoded (deferred.hpp), and writes of
// weights gathered from several places, compressed once for both passes of a save (gathered.hpp).
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "legolasflux/arrow/builder.hpp"
#include "legolasflux/arrow/compare.hpp"
#include "legolasflux/arrow/decompress.hpp"
#include "legolasflux/arrow/ipc.hpp"
#include "legolasflux/model.hpp"
#include "model/deferred.hpp"
#include "model/gathered.hpp"
#include "model/integrity.hpp"

using namespace legolasflux;
namespace la = legolasflux::arrow;

namespace {

// `n` float32 values that compress, in two arrays.
Weights weights_of(int64_t n) {
    std::vector<float> v(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) v[static_cast<size_t>(i)] = static_cast<float>(i % 9) * 0.25f;
    const int64_t half = n / 2;
    return Weights({FlatArray::from_values<float>({half}, std::vector<float>(v.begin(), v.begin() + half)),
                    FlatArray::from_values<float>({n - half}, std::vector<float>(v.begin() + half, v.end()))});
}

// The bytes of a model file of `n` weight values.
la::Buffer model_bytes(int64_t n, la::Compression codec) {
    ModelWriteOptions o;
    o.ipc.compression = codec;
    const auto path = std::filesystem::temp_directory_path() / ("deferred_test_" + std::to_string(n) + ".arrow");
    write_model_row(path, ModelV1{weights_of(n), 1}, o);
    la::Buffer bytes = la::read_whole_file(path, la::FileAccess::Read);
    std::filesystem::remove(path);
    return bytes;
}

TEST(Deferred, TheWeightsLargeCompressedValuesAreLeftAndDecodeToWhatWasWritten) {
    const int64_t n = int64_t{3} << 20;  // 12 MiB of float32
    const Weights w = weights_of(n);
    for (const la::Compression codec : {la::Compression::Lz4Frame, la::Compression::Zstd}) {
        SCOPED_TRACE(static_cast<int>(codec));
        const la::Buffer bytes = model_bytes(n, codec);
        detail::Deferral deferral;
        const la::Table t = la::read_file(bytes, detail::deferring({}, deferral));
        ASSERT_EQ(deferral.buffers.size(), 1u);
        const detail::DeferredBuffer& d = deferral.buffers[0];
        EXPECT_TRUE(d.path.starts_with(std::string(kWeightsColumn) + ".")) << d.path;
        EXPECT_EQ(d.codec, codec);
        EXPECT_EQ(d.placeholder.size(), n * 4);
        EXPECT_TRUE(detail::only_weight_values_deferred(t, deferral.buffers, kWeightsColumn));
        const la::Buffer values = la::decompress(codec, d.frame.span(), n * 4);
        EXPECT_EQ(std::memcmp(values.data(), w.arrays[0].values.data(), size_t(w.arrays[0].byte_count())), 0);
        EXPECT_EQ(std::memcmp(values.data() + w.arrays[0].byte_count(), w.arrays[1].values.data(),
                              size_t(w.arrays[1].byte_count())),
                  0);
        // Under the threshold, or uncompressed: read as usual.
        detail::Deferral high;
        high.from = n * 4 + 1;
        EXPECT_TRUE(la::table_equals(la::read_file(bytes, detail::deferring({}, high)), la::read_file(bytes)));
        EXPECT_TRUE(high.buffers.empty());
    }
    detail::Deferral plain;
    (void)la::read_file(model_bytes(n, la::Compression::None), detail::deferring({}, plain));
    EXPECT_TRUE(plain.buffers.empty());
}

TEST(Deferred, ValuesOfOtherColumnsAreDecoded) {
    const int64_t n = int64_t{3} << 20;
    std::vector<float> extra(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) extra[static_cast<size_t>(i)] = static_cast<float>(i % 5);
    auto schema = std::make_shared<la::Schema>();
    schema->fields = {la::field("extra", la::float32(), false), la::field("weightsish", la::float32(), false)};
    la::RecordBatch batch;
    batch.schema = schema;
    batch.length = n;
    batch.columns = {la::make_primitive(la::float32(), extra), la::make_primitive(la::float32(), extra)};
    const la::Table t{schema, {batch}};
    la::WriteOptions o;
    o.compression = la::Compression::Zstd;
    const la::Buffer bytes = la::Buffer::from_vector(la::write_file(t, o));
    detail::Deferral deferral;
    deferral.from = 1;
    EXPECT_TRUE(la::table_equals(la::read_file(bytes, detail::deferring({}, deferral)), t));
    EXPECT_TRUE(deferral.buffers.empty());
}

TEST(Gathered, PartsAreWrittenWhereTheStandInIsAndCompressedOnceForTwoWrites) {
    std::vector<float> a(1000), b(3000);
    for (size_t i = 0; i < a.size(); ++i) a[i] = static_cast<float>(i % 7);
    for (size_t i = 0; i < b.size(); ++i) b[i] = static_cast<float>(i % 3);
    const std::vector<la::Buffer> parts{la::Buffer::copy_of(std::span<const float>(a)),
                                        la::Buffer::copy_of(std::span<const float>(b))};
    const std::vector<detail::Gathered> gathered{detail::gather(parts)};
    ASSERT_EQ(gathered[0].stand_in.size(), 16000);
    // A slice across the parts' boundary resolves to the two slices it covers.
    const auto pieces = detail::resolved(gathered[0].stand_in.slice(3990, 20), gathered);
    ASSERT_EQ(pieces.size(), 2u);
    EXPECT_EQ(pieces[0].data(), parts[0].data() + 3990);
    EXPECT_EQ(pieces[0].size(), 10);
    EXPECT_EQ(pieces[1].data(), parts[1].data());
    EXPECT_EQ(pieces[1].size(), 10);
    const la::Buffer elsewhere = la::Buffer::copy_of(std::string_view("abc"));
    EXPECT_EQ(detail::resolved(elsewhere, gathered).at(0).data(), elsewhere.data());

    // A table on the stand-in writes what a table on the concatenation writes.
    std::vector<float> joined = a;
    joined.insert(joined.end(), b.begin(), b.end());
    auto schema = std::make_shared<la::Schema>();
    schema->fields = {la::field("v", la::float32(), false)};
    const auto table_on = [&](la::ArrayPtr column) {
        la::RecordBatch batch;
        batch.schema = schema;
        batch.length = 4000;
        batch.columns = {std::move(column)};
        return la::Table{schema, {batch}};
    };
    auto stand_in = std::make_shared<la::Array>(*la::make_primitive(la::float32(), joined));
    stand_in->buffers[1] = gathered[0].stand_in;
    const la::Table t = table_on(stand_in), real = table_on(la::make_primitive(la::float32(), joined));
    for (const la::Compression codec : {la::Compression::None, la::Compression::Zstd}) {
        la::WriteOptions o;
        o.compression = codec;
        detail::GatheringEncoder encoder(gathered);
        const la::BodyPieces first = encoder.encode(gathered[0].stand_in, o);
        const la::BodyPieces second = encoder.encode(gathered[0].stand_in, o);
        ASSERT_EQ(first.size(), second.size());
        if (codec != la::Compression::None)  // the kept encoding: the same memory
            for (size_t i = 0; i < first.size(); ++i) EXPECT_EQ(first[i].data(), second[i].data());
        struct Collect final : la::OutputStream {
            std::vector<uint8_t> bytes;
            void write(std::span<const uint8_t> s) override { bytes.insert(bytes.end(), s.begin(), s.end()); }
        } out;
        la::write_file(out, t, o, &encoder);
        EXPECT_EQ(out.bytes, la::write_file(real, o));
    }
}

}  // namespace
