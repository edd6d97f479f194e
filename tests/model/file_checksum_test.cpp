// The whole-file checksum from the writer's side (the bytes written are the Arrow writer's, the
// hashing pass skips the weight values where they lie) and from the reader's in the cases beside
// plain files: rewritten files, ModelRow writes, streams, misaligned input.
#include <gtest/gtest.h>

#include <filesystem>

#include "legolasflux/arrow/ipc.hpp"
#include "legolasflux/errors.hpp"
#include "legolasflux/model.hpp"
#include "legolasflux/model.hpp"  // write_model_row of a ModelRow
#include "model/checksum_support.hpp"
#include "model/integrity.hpp"  // white-box: the hashing pass

using namespace legolasflux;
namespace fs = std::filesystem;
namespace la = legolasflux::arrow;
using lftest::checksum_temp_path;
using lftest::small_weights;

namespace {

std::vector<ModelWriteOptions> write_options() {
    std::vector<ModelWriteOptions> out(4);
    out[1].ipc.alignment = 8;
    out[2].ipc.compression = la::Compression::Lz4Frame;
    out[3].ipc.compression = la::Compression::Zstd;
    out[3].ipc.metadata_version = la::MetadataVersion::V4;
    return out;
}

}  // namespace

// What write_model_row writes is exactly what the Arrow writer writes for the table read back
// (metadata included), and a fully valid Arrow file.
TEST(FileChecksum, WrittenBytesAreTheArrowWritersForTheTable) {
    const fs::path path = checksum_temp_path("bytes.arrow");
    for (const ModelWriteOptions& options : write_options()) {
        write_model_row(path, ModelV1{small_weights(), 3}, options);
        const lftest::Bytes file = lftest::load_bytes(path);
        la::ReadOptions full;
        full.validation = la::ValidationLevel::Full;
        const la::Table t = la::read_file(lftest::exact_buffer(file), full);
        EXPECT_EQ(la::write_file(t, options.ipc), file);
        EXPECT_EQ(*read_model_row<ModelV1>(path).weights, small_weights());
    }
    fs::remove(path);
}

// The hashing pass hashes everything but the weight values, which reach it as the table's own
// memory (skipped by address, so neither copied nor hashed), and agrees with the recorded value.
TEST(FileChecksum, TheHashingPassSkipsTheValuesInPlace) {
    const fs::path path = checksum_temp_path("pass.arrow");
    std::vector<float> big(100'000);
    for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<float>(i) * 0.25f;
    Weights w({FlatArray::from_values<float>({100, 1000}, big), FlatArray::from_values<float>({3}, {1.f, 2.f, 3.f})});
    for (const ModelWriteOptions& options : write_options()) {
        write_model_row(path, ModelV1{w, 1}, options);
        const lftest::Bytes file = lftest::load_bytes(path);
        const std::string value = lftest::recorded_value(file);
        // The table read back holds views of `bytes`: the values the pass skips are those.
        const la::Buffer bytes = lftest::exact_buffer(file);
        const la::Table t = lftest::with_checksums_value(la::read_file(bytes), std::string(value.size(), '0'));
        const detail::FileChecksumPass pass = detail::file_checksum_pass(t, options.ipc);
        EXPECT_EQ(lftest::hex16(pass.checksum), lftest::file_entry(value));
        EXPECT_EQ(pass.hashed_bytes + pass.skipped_bytes, static_cast<int64_t>(file.size()));
        const bool compressed = options.ipc.compression != la::Compression::None;
        EXPECT_EQ(pass.skipped_bytes, compressed ? 0 : w.element_count() * 4);
        if (!compressed) {
            const auto [begin, end] = lftest::values_range(file, w);
            EXPECT_EQ(lftest::reference_file_checksum(file, value, {{begin, end}}), lftest::file_entry(value));
            ASSERT_EQ(pass.holes.size(), 1u);
            EXPECT_EQ(pass.holes[0],
                      (detail::FileRange{static_cast<int64_t>(begin), static_cast<int64_t>(end - begin)}));
        } else {
            EXPECT_TRUE(pass.holes.empty());
        }
    }
    fs::remove(path);
}

// A table whose values buffer is a gathered stand-in (its arrays written from their own memory,
// never assembled): the same file, checksums included, as from the assembled buffer.
TEST(FileChecksum, GatheredValuesGiveTheSameFile) {
    const fs::path path = checksum_temp_path("assembled.arrow");
    const fs::path out = checksum_temp_path("gathered.arrow");
    const Weights w = small_weights();
    write_model_row(path, ModelV1{w, 3});
    const lftest::Bytes expected = lftest::load_bytes(path);
    la::Table t = la::read_file(lftest::exact_buffer(expected));

    // The weights column again, its values the stand-in for copies of the two arrays' values.
    const std::vector<la::Buffer> parts{la::Buffer::copy_of(w.arrays[0].values.data(), w.arrays[0].byte_count()),
                                        la::Buffer::copy_of(w.arrays[1].values.data(), w.arrays[1].byte_count())};
    const std::vector<detail::Gathered> gathered{detail::gather(parts)};
    la::Array column = *t.batches[0].columns[0], list = *column.children[0], flat = *list.children[0];
    la::Array vec = *flat.children[0], values = *vec.children[0];
    ASSERT_EQ(values.offset, 0);
    values.buffers[1] = gathered[0].stand_in;
    vec.children[0] = std::make_shared<la::Array>(values);
    flat.children[0] = std::make_shared<la::Array>(vec);
    list.children[0] = std::make_shared<la::Array>(flat);
    column.children[0] = std::make_shared<la::Array>(list);
    t.batches[0].columns[0] = std::make_shared<la::Array>(column);

    for (const bool compressed : {false, true}) {
        la::WriteOptions options;
        if (compressed) options.compression = la::Compression::Lz4Frame;
        detail::write_checksummed_file(out, t, options, gathered);
        if (!compressed) EXPECT_EQ(lftest::load_bytes(out), expected);
        EXPECT_EQ(*read_model_row(out).weights, w);
        const detail::FileChecksumPass pass = detail::file_checksum_pass(t, options, gathered);
        EXPECT_EQ(pass.skipped_bytes, compressed ? 0 : 17 * 4);
        EXPECT_EQ(pass.holes.size(), compressed ? 0u : 1u) << "the two arrays' values are one run of the file";
    }
    fs::remove(path);
    fs::remove(out);
}

// A rewrite by other means keeps the old value. With the weight values elsewhere (another
// alignment) the file checksum no longer applies and the weights' checksums decide; with the layout
// kept, any other change is a metadata checksum mismatch.
TEST(FileChecksum, FilesRewrittenByOtherMeansAreCheckedByWhatStillApplies) {
    const fs::path path = checksum_temp_path("orig.arrow");
    const fs::path copy = checksum_temp_path("rewritten.arrow");
    write_model_row(path, ModelV1{small_weights(), 3});
    la::WriteOptions eight;
    eight.alignment = 8;
    la::write_file(copy, la::read_file(path), eight);
    EXPECT_EQ(*read_model_row(copy).weights, small_weights());

    // The same rewrite with a weight value changed: the weights' checksum catches it.
    lftest::Bytes rewritten = lftest::load_bytes(copy);
    const auto [begin, end] = lftest::values_range(rewritten, small_weights());
    ASSERT_LT(begin, end);
    rewritten[begin] ^= 1;
    lftest::save_bytes(copy, rewritten);
    EXPECT_THROW((void)read_model_row(copy), CorruptionError);

    // The layout kept (the same options), one byte of padding changed: the file checksum applies.
    la::Table same = la::read_file(path);
    la::write_file(copy, same);
    lftest::Bytes bytes = lftest::load_bytes(copy);
    ASSERT_EQ(bytes, lftest::load_bytes(path)) << "rewriting with the writer's options gives the same file";
    bytes[6] ^= 1;  // the padding after the leading magic
    lftest::save_bytes(copy, bytes);
    try {
        (void)read_model_row(copy);
        ADD_FAILURE() << "a changed padding byte passed the metadata check";
    } catch (const CorruptionError& e) {
        EXPECT_NE(std::string(e.what()).find("metadata checksum mismatch"), std::string::npos) << e.what();
    }
    ModelReadOptions no_metadata;
    no_metadata.verify_metadata = false;
    EXPECT_EQ(*read_model_row(copy, no_metadata).weights, small_weights());
    fs::remove(path);
    fs::remove(copy);
}

// write_model_row of a ModelRow (read back, converted) records fresh checksums, whatever its table
// carried.
TEST(FileChecksum, ModelRowsAreWrittenWithFreshChecksums) {
    const fs::path path = checksum_temp_path("row.arrow");
    const fs::path out = checksum_temp_path("row_zstd.arrow");
    write_model_row(path, ModelV1{small_weights(), 3}, {.weight_names = {"a", "b"}});
    const ModelRow row = read_model_row(path);
    ModelWriteOptions zstd;
    zstd.ipc.compression = la::Compression::Zstd;
    write_model_row(out, row, zstd);
    const ModelRow again = read_model_row(out);
    EXPECT_EQ(*again.weights, small_weights());
    EXPECT_EQ(again.weight_names, row.weight_names);
    EXPECT_NE(lftest::recorded_value(lftest::load_bytes(out)), lftest::recorded_value(lftest::load_bytes(path)));

    // Julia's row gains checksums on the way.
    write_model_row(out, read_model_row(lftest::julia_fixture_path()));
    EXPECT_NE(lftest::recorded_value(lftest::load_bytes(out)).find(R"("file":")"), std::string::npos);
    EXPECT_NO_THROW(read_model_row(out));
    fs::remove(path);
    fs::remove(out);
}

// The file checksum describes the file format; a stream of the same table is read with the
// weights' checksums only.
TEST(FileChecksum, StreamsAreCheckedForTheirWeights) {
    const fs::path path = checksum_temp_path("stream.arrow");
    const Weights w = small_weights();
    write_model_row(path, ModelV1{w, 3});
    std::vector<uint8_t> stream = la::write_stream(la::read_file(path));
    EXPECT_EQ(*read_model_row(lftest::exact_buffer(stream)).weights, w);
    const lftest::Bytes values = lftest::value_bytes(w);
    const auto at = std::search(stream.begin(), stream.end(), values.begin(), values.end());
    ASSERT_NE(at, stream.end());
    *at ^= 1;
    EXPECT_THROW(read_model_row(lftest::exact_buffer(stream)), CorruptionError);
    fs::remove(path);
}

// Bytes not 8-byte aligned in memory are read (from a copy) and verified like any others.
TEST(FileChecksum, MisalignedInputIsVerified) {
    const fs::path path = checksum_temp_path("misaligned.arrow");
    write_model_row(path, ModelV1{small_weights(), 3});
    const lftest::Bytes file = lftest::load_bytes(path);
    std::vector<uint8_t> storage(file.size() + 1);
    std::copy(file.begin(), file.end(), storage.begin() + 1);
    const auto owner = std::make_shared<std::vector<uint8_t>>(std::move(storage));
    const la::Buffer shifted(owner, owner->data() + 1, static_cast<int64_t>(file.size()));
    EXPECT_EQ(*read_model_row(shifted).weights, small_weights());
    (*owner)[1 + file.size() - 12] ^= 4;  // the footer
    EXPECT_THROW(read_model_row(shifted), FormatError);
    fs::remove(path);
}
