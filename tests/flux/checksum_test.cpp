// Integrity of saved weights: the checksum a model file records (docs/format.md, "Integrity"), and
// what a reader makes of flipped bits — in the weight values (CorruptionError), in the metadata (an
// error of our hierarchy, never a crash, never other weights), in files without checksums.
#include <gtest/gtest.h>
#include <xxhash.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "common/bytes.hpp"
#include "common/ipc_walk.hpp"
#include "legolasflux/arrow/ipc.hpp"
#include "legolasflux/errors.hpp"
#include "legolasflux/model.hpp"

using namespace legolasflux;
namespace fs = std::filesystem;
namespace la = legolasflux::arrow;

namespace {

fs::path temp_path(const std::string& name) {
    return fs::temp_directory_path() / ("legolasflux_checksum_" + std::to_string(::getpid()) + "_" + name);
}

// A new file each time: ext4 flushes a file truncated and rewritten when it is closed, which would
// make the thousands of rewrites below slow.
void save_bytes(const fs::path& path, const lftest::Bytes& bytes) {
    fs::remove(path);
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    if (!out) throw std::runtime_error("cannot write " + path.string());
}

// Two arrays, 17 values in all: every one of their 544 bits is flipped below.
Weights small_weights() {
    std::vector<float> a(12), b(5);
    for (size_t i = 0; i < a.size(); ++i) a[i] = 0.5f + static_cast<float>(i);
    for (size_t i = 0; i < b.size(); ++i) b[i] = -1.25f * static_cast<float>(i + 1);
    return Weights({FlatArray::from_values<float>({3, 4}, a), FlatArray::from_values<float>({5}, b)});
}

// The values of `w` as the file stores them, one array after another.
lftest::Bytes value_bytes(const Weights& w) {
    lftest::Bytes out;
    for (const auto& a : w.arrays) out.insert(out.end(), a.values.data(), a.values.data() + a.byte_count());
    return out;
}

std::string hex(uint64_t v) {
    char s[17];
    std::snprintf(s, sizeof s, "%016llx", static_cast<unsigned long long>(v));
    return s;
}

// The byte range of the weights' values in a model file: buffer 7 of the record batch (the weights
// struct, its list, the FlatArray struct, the vec list: 1 + 2 + 1 + 2 buffers, then the values'
// validity and data), checked against the values themselves.
std::pair<size_t, size_t> values_range(const lftest::Bytes& file, const Weights& w) {
    const lftest::FileWalk walk = lftest::walk_file(file);
    for (const auto& m : walk.messages) {
        if (m.message.header_type != lftest::kHeaderRecordBatch) continue;
        const lftest::RawBuffer b = m.message.batch.buffers.at(7);
        const size_t begin = m.body_offset + static_cast<size_t>(b.offset);
        const lftest::Bytes expected = value_bytes(w);
        EXPECT_GE(static_cast<size_t>(b.length), expected.size());
        EXPECT_EQ(lftest::Bytes(file.begin() + static_cast<std::ptrdiff_t>(begin),
                                file.begin() + static_cast<std::ptrdiff_t>(begin + expected.size())),
                  expected);
        return {begin, begin + expected.size()};
    }
    throw std::runtime_error("no record batch");
}

// A model file rewritten with the schema metadata key set to `value`.
void rewrite_checksums(const fs::path& from, const fs::path& to, const std::string& value) {
    la::Table t = la::read_file(from);
    auto schema = std::make_shared<la::Schema>(*t.schema);
    la::set_metadata(schema->metadata, std::string(kChecksumsMetadataKey), value);
    t.schema = schema;
    for (auto& b : t.batches) b.schema = schema;
    la::write_file(to, t);
}

}  // namespace

// The recorded value follows the definition of docs/format.md, computed here independently.
TEST(Checksums, WriterRecordsXxh3OfEachRowsValues) {
    const fs::path path = temp_path("record.arrow");
    const Weights w = small_weights();
    write_model_row(path, ModelV1{w, 3});
    const lftest::Bytes values = value_bytes(w);
    const la::Table t = la::read_file(path);
    EXPECT_EQ(la::find_metadata(t.schema->metadata, kChecksumsMetadataKey).value_or(""),
              R"({"algorithm":"xxh3-64","columns":{"weights":[")" + hex(XXH3_64bits(values.data(), values.size())) +
                  R"("]}})");
    // Julia's key is left as it was, first.
    ASSERT_FALSE(t.schema->metadata.empty());
    EXPECT_EQ(t.schema->metadata[0].first, "legolas_schema_qualified");

    // Missing weights (a Null column) have nothing to check.
    write_model_row(path, ModelV1{});
    EXPECT_EQ(la::find_metadata(la::read_file(path).schema->metadata, kChecksumsMetadataKey).value_or(""),
              R"({"algorithm":"xxh3-64","columns":{}})");
    EXPECT_FALSE(read_model_row<ModelV1>(path).weights.has_value());
    fs::remove(path);
}

TEST(Checksums, EveryFlippedValueBitIsCorruption) {
    const fs::path path = temp_path("values.arrow");
    const Weights w = small_weights();
    write_model_row(path, ModelV1{w, 3});
    const lftest::Bytes good = lftest::load_bytes(path);
    const auto [begin, end] = values_range(good, w);
    const fs::path bad = temp_path("values_flipped.arrow");
    int flipped = 0;
    for (size_t byte = begin; byte < end; ++byte)
        for (int bit = 0; bit < 8; ++bit) {
            lftest::Bytes b = good;
            b[byte] ^= static_cast<uint8_t>(1u << bit);
            save_bytes(bad, b);
            ++flipped;
            try {
                (void)read_model_row<ModelV1>(bad);
                ADD_FAILURE() << "flipping bit " << bit << " of byte " << byte << " went unnoticed";
            } catch (const CorruptionError& e) {
                const std::string what = e.what();
                for (const char* part : {"weights column 'weights' row 0", "checksum mismatch", "expected", "actual"})
                    EXPECT_NE(what.find(part), std::string::npos) << what;
            }
        }
    EXPECT_EQ(flipped, 17 * 32);

    // Without verification the changed value is read as it is.
    lftest::Bytes b = good;
    b[begin] ^= 1;
    save_bytes(bad, b);
    ModelReadOptions trusting;
    trusting.verify_checksums = false;
    const ModelV1 read = read_model_row<ModelV1>(bad, trusting);
    EXPECT_NE(*read.weights, w);
    EXPECT_EQ(read.weights->arrays[0].data<float>()[1], w.arrays[0].data<float>()[1]);
    EXPECT_THROW(read_model_row(bad), CorruptionError);
    EXPECT_NO_THROW(read_model_row(bad, trusting));
    fs::remove(path);
    fs::remove(bad);
}

// A flipped metadata bit (any message's flatbuffer, the footer's) is an error of our hierarchy, or
// the file still loads with the same weights (a flip in padding, in a part the reader does not use,
// in a name or metadata the weights do not depend on): the weights read are never other weights.
TEST(Checksums, FlippedMetadataBitsAreErrorsOrLeaveTheWeights) {
    const fs::path path = temp_path("metadata.arrow");
    const Weights w = small_weights();
    write_model_row(path, ModelV1{w, 3});
    const lftest::Bytes good = lftest::load_bytes(path);
    const lftest::FileWalk walk = lftest::walk_file(good);
    std::vector<std::pair<size_t, size_t>> regions;
    for (const auto& m : walk.messages)
        regions.emplace_back(m.marker_offset + 8, m.marker_offset + 8 + static_cast<size_t>(m.metadata_length));
    regions.emplace_back(walk.footer_offset, walk.footer_offset + static_cast<size_t>(walk.footer_length));

    const fs::path bad = temp_path("metadata_flipped.arrow");
    int format = 0, corruption = 0, schema = 0, unsupported = 0, other = 0, same_weights = 0;
    std::vector<int> same_weights_in(regions.size(), 0);  // per region: schema, batch, footer
    for (size_t r = 0; r < regions.size(); ++r)
        for (size_t byte = regions[r].first; byte < regions[r].second; ++byte)
            for (int bit = 0; bit < 8; ++bit) {
                lftest::Bytes b = good;
                b[byte] ^= static_cast<uint8_t>(1u << bit);
                save_bytes(bad, b);
                try {
                    const ModelV1 read = read_model_row<ModelV1>(bad);
                    ASSERT_TRUE(read.weights.has_value()) << "bit " << bit << " of byte " << byte << " lost the weights";
                    ASSERT_EQ(*read.weights, w) << "bit " << bit << " of byte " << byte << " changed the weights";
                    ++same_weights;
                    ++same_weights_in[r];
                } catch (const CorruptionError&) {
                    ++corruption;
                } catch (const FormatError&) {
                    ++format;
                } catch (const SchemaError&) {
                    ++schema;
                } catch (const UnsupportedError&) {
                    ++unsupported;
                } catch (const Error&) {
                    ++other;
                }
            }
    std::printf("metadata bit flips: %d format errors, %d corruption, %d schema errors, %d unsupported, %d other "
                "errors, %d loaded with the same weights\n",
                format, corruption, schema, unsupported, other, same_weights);
    for (size_t r = 0; r < regions.size(); ++r)
        std::printf("  region %zu (%zu bytes): %d loaded with the same weights\n", r,
                    regions[r].second - regions[r].first, same_weights_in[r]);
    EXPECT_GT(format + corruption, 0);
    fs::remove(path);
    fs::remove(bad);
}

TEST(Checksums, MalformedRecordsAreFormatErrors) {
    const fs::path path = temp_path("malformed.arrow");
    const fs::path bad = temp_path("malformed_rewritten.arrow");
    write_model_row(path, ModelV1{small_weights(), 3});
    const auto expect = [&](const std::string& value, auto error) {
        rewrite_checksums(path, bad, value);
        EXPECT_THROW(read_model_row<ModelV1>(bad), decltype(error)) << value;
        ModelReadOptions trusting;
        trusting.verify_checksums = false;
        EXPECT_NO_THROW(read_model_row<ModelV1>(bad, trusting)) << value;
    };
    expect("not json", FormatError(""));
    expect(R"({"columns":{}})", FormatError(""));
    expect(R"({"algorithm":"crc32c","columns":{}})", UnsupportedError(""));
    expect(R"({"algorithm":"xxh3-64","columns":{"architecture_version":[null]}})", FormatError(""));
    expect(R"({"algorithm":"xxh3-64","columns":{"nope":["0000000000000000"]}})", FormatError(""));
    expect(R"({"algorithm":"xxh3-64","columns":{"weights":[]}})", FormatError(""));
    expect(R"({"algorithm":"xxh3-64","columns":{"weights":["XYZ"]}})", FormatError(""));
    expect(R"({"algorithm":"xxh3-64","columns":{"weights":[null]}})", CorruptionError(""));
    expect(R"({"algorithm":"xxh3-64","columns":{"weights":["0000000000000000"]}})", CorruptionError(""));
    // Listing no column checks nothing.
    rewrite_checksums(path, bad, R"({"algorithm":"xxh3-64","columns":{}})");
    EXPECT_EQ(*read_model_row<ModelV1>(bad).weights, small_weights());
    fs::remove(path);
    fs::remove(bad);
}

// Julia's files record no checksum and load as before.
TEST(Checksums, FilesWithoutChecksumsLoadAsBefore) {
    const fs::path julia = lftest::julia_fixture_path();
    EXPECT_FALSE(la::find_metadata(la::read_file(julia).schema->metadata, kChecksumsMetadataKey).has_value());
    const ModelRow row = read_model_row(julia);
    ASSERT_TRUE(row.weights.has_value());
    EXPECT_GT(row.weights->element_count(), 0);
    ModelReadOptions trusting;
    trusting.verify_checksums = false;
    EXPECT_EQ(*read_model_row(julia, trusting).weights, *row.weights);
}
