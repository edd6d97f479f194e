// Integrity of saved models: the checksums a model file records (docs/format.md, "Integrity"), and
// what a reader makes of flipped bits — in the weight values a CorruptionError, anywhere else in
// the file a FormatError (or CorruptionError) — and of files without checksums or with the older
// value that has no whole-file checksum.
#include <gtest/gtest.h>
#include <xxhash.h>

#include <cstdio>
#include <filesystem>

#include "legolasflux/arrow/ipc.hpp"
#include "legolasflux/errors.hpp"
#include "legolasflux/model.hpp"
#include "model/checksum_support.hpp"

using namespace legolasflux;
namespace fs = std::filesystem;
namespace la = legolasflux::arrow;
using lftest::checksum_temp_path;
using lftest::small_weights;

namespace {

// A model file rewritten with the schema metadata key set to `value`.
void rewrite_checksums(const fs::path& from, const fs::path& to, const std::string& value) {
    la::write_file(to, lftest::with_checksums_value(la::read_file(from), value));
}

ModelReadOptions trusting() {
    ModelReadOptions o;
    o.verify_checksums = false;
    o.verify_metadata = false;
    return o;
}

// Reads every single-bit flip of `good` in [begin, end) from memory; returns a description of
// each flip that did not end in a FormatError (or a subclass), and counts the CorruptionErrors.
std::vector<std::string> flips_not_format_errors(const lftest::Bytes& good, size_t begin, size_t end,
                                                 int* corruption = nullptr) {
    std::vector<std::string> bad;
    lftest::Bytes b = good;
    for (size_t byte = begin; byte < end; ++byte)
        for (int bit = 0; bit < 8; ++bit) {
            b[byte] ^= static_cast<uint8_t>(1u << bit);
            const std::string where = "bit " + std::to_string(bit) + " of byte " + std::to_string(byte);
            try {
                (void)read_model_row(lftest::exact_buffer(b));
                bad.push_back(where + ": loaded");
            } catch (const CorruptionError&) {
                if (corruption) ++*corruption;
            } catch (const FormatError&) {
            } catch (const Error& e) {
                bad.push_back(where + ": " + e.what());
            }
            b[byte] ^= static_cast<uint8_t>(1u << bit);
        }
    return bad;
}

void expect_none(const std::vector<std::string>& bad) {
    EXPECT_TRUE(bad.empty()) << bad.size() << " flips were not format errors, e.g. " << bad.front();
}

}  // namespace

// The recorded value follows the definition of docs/format.md, computed here independently.
TEST(Checksums, WriterRecordsChunkedXxh3OfEachRowsValuesAndOfTheFile) {
    const fs::path path = checksum_temp_path("record.arrow");
    const Weights w = small_weights();
    write_model_row(path, ModelV1{w, 3});
    const lftest::Bytes values = lftest::value_bytes(w);
    const lftest::Bytes file = lftest::load_bytes(path);
    const std::string value = lftest::recorded_value(file);
    const auto range = lftest::values_range(file, w);
    EXPECT_EQ(value, R"({"algorithm":"xxh3-64-chunked","columns":{"weights":[")" +
                         lftest::hex16(lftest::chunked_xxh3(values)) + R"("]},"file":")" +
                         lftest::reference_file_checksum(file, value, {range}) + R"(","holes":)" +
                         lftest::holes_entry(range) + "}");
    // Julia's key is left as it was, first.
    const la::Table t = la::read_file(path);
    ASSERT_FALSE(t.schema->metadata.empty());
    EXPECT_EQ(t.schema->metadata[0].first, "legolas_schema_qualified");

    // Missing weights (a Null column) have nothing to check; the file still has its checksum.
    write_model_row(path, ModelV1{});
    const lftest::Bytes empty = lftest::load_bytes(path);
    const std::string empty_value = lftest::recorded_value(empty);
    EXPECT_EQ(empty_value, R"({"algorithm":"xxh3-64-chunked","columns":{},"file":")" +
                               lftest::reference_file_checksum(empty, empty_value, {}) + R"(","holes":[]})");
    EXPECT_FALSE(read_model_row<ModelV1>(path).weights.has_value());
    fs::remove(path);
}

// Values of several MiB, in arrays whose ends fall inside chunks: the recorded checksum follows the
// definition whatever the number of threads that computed it, and any of them verifies it.
TEST(Checksums, ChunkedChecksumsOfLargeValuesDoNotDependOnThreads) {
    const fs::path path = checksum_temp_path("large.arrow");
    std::vector<FlatArray> arrays;
    uint32_t x = 12345;
    for (const int64_t n : {int64_t{3} << 19, int64_t{1} << 20, int64_t{5}, int64_t{(3 << 20) + 7}}) {
        std::vector<float> v(static_cast<size_t>(n));
        for (float& f : v) f = static_cast<float>((x = x * 1664525u + 1013904223u) >> 8);
        arrays.push_back(FlatArray::from_values<float>({n}, v));
    }
    const Weights w(std::move(arrays));
    const lftest::Bytes values = lftest::value_bytes(w);
    ASSERT_GT(values.size(), size_t{8} << 20);  // large enough to be hashed by several threads
    std::string first;
    for (const int threads : {1, 2, 3, 0}) {
        ModelWriteOptions o;
        o.threads = threads;
        write_model_row(path, ModelV1{w, 1}, o);
        const std::string value = lftest::recorded_value(lftest::load_bytes(path));
        EXPECT_NE(value.find(R"({"algorithm":"xxh3-64-chunked","columns":{"weights":[")" +
                             lftest::hex16(lftest::chunked_xxh3(values)) + R"("]})"),
                  std::string::npos)
            << threads << " threads: " << value;
        if (first.empty()) first = value;
        EXPECT_EQ(value, first) << threads << " threads";
    }
    lftest::Bytes b = lftest::load_bytes(path);
    const size_t last = lftest::values_range(b, w).second - 1;
    for (const int threads : {1, 2, 5}) {
        ModelReadOptions r;
        r.threads = threads;
        EXPECT_EQ(*read_model_row<ModelV1>(path, r).weights, w) << threads << " threads";
    }
    b[last] ^= 0x01;  // the last value byte, in the last (short) chunk
    for (const int threads : {1, 2}) {
        ModelReadOptions r;
        r.threads = threads;
        try {
            (void)read_model_row(lftest::exact_buffer(b), r);
            ADD_FAILURE() << "a flipped value bit loaded with " << threads << " threads";
        } catch (const CorruptionError& e) {
            EXPECT_NE(std::string(e.what()).find("checksum mismatch (xxh3-64-chunked)"), std::string::npos) << e.what();
        }
    }
    fs::remove(path);
}

TEST(Checksums, EveryFlippedValueBitIsCorruption) {
    const fs::path path = checksum_temp_path("values.arrow");
    const Weights w = small_weights();
    write_model_row(path, ModelV1{w, 3});
    const lftest::Bytes good = lftest::load_bytes(path);
    const auto [begin, end] = lftest::values_range(good, w);
    const fs::path bad = checksum_temp_path("values_flipped.arrow");
    int flipped = 0;
    for (size_t byte = begin; byte < end; ++byte)
        for (int bit = 0; bit < 8; ++bit) {
            lftest::Bytes b = good;
            b[byte] ^= static_cast<uint8_t>(1u << bit);
            lftest::save_bytes(bad, b);
            ++flipped;
            try {
                (void)read_model_row<ModelV1>(bad);
                ADD_FAILURE() << "flipping bit " << bit << " of byte " << byte << " went unnoticed";
            } catch (const CorruptionError& e) {
                const std::string what = e.what();
                for (const std::string part :
                     {bad.string() + ": weights column 'weights' row 0", std::string("checksum mismatch"),
                      std::string("expected"), std::string("actual")})
                    EXPECT_NE(what.find(part), std::string::npos) << what;
            }
        }
    EXPECT_EQ(flipped, 17 * 32);

    // Without verification of the values the changed value is read as it is: the file checksum
    // leaves the values out.
    lftest::Bytes b = good;
    b[begin] ^= 1;
    lftest::save_bytes(bad, b);
    ModelReadOptions values_unchecked;
    values_unchecked.verify_checksums = false;
    const ModelV1 read = read_model_row<ModelV1>(bad, values_unchecked);
    EXPECT_NE(*read.weights, w);
    EXPECT_EQ(read.weights->arrays[0].data<float>()[1], w.arrays[0].data<float>()[1]);
    EXPECT_THROW(read_model_row(bad), CorruptionError);
    EXPECT_NO_THROW(read_model_row(bad, values_unchecked));
    fs::remove(path);
    fs::remove(bad);
}

// Every bit of the file but the weight values — magic numbers, message prefixes, flatbuffers,
// padding, offsets, sizes, names, the footer — flipped one at a time: each is a FormatError.
TEST(Checksums, EveryFlippedBitOutsideTheValuesIsAFormatError) {
    const fs::path path = checksum_temp_path("metadata.arrow");
    const Weights w = small_weights();
    write_model_row(path, ModelV1{w, 3}, {.weight_names = {"dense.weight", "dense.bias"}});
    const lftest::Bytes good = lftest::load_bytes(path);
    const auto [begin, end] = lftest::values_range(good, w);
    int corruption = 0;
    std::vector<std::string> bad = flips_not_format_errors(good, 0, begin, &corruption);
    const auto after = flips_not_format_errors(good, end, good.size(), &corruption);
    bad.insert(bad.end(), after.begin(), after.end());
    expect_none(bad);
    std::printf("%zu bits flipped outside the values: all format errors, %d of them corruption errors\n",
                (good.size() - (end - begin)) * 8, corruption);

    // Read from the path, the error names it; a changed name is caught by the file checksum.
    const std::string name = "dense.bias";
    const auto at = std::search(good.begin(), good.end(), name.begin(), name.end());
    ASSERT_NE(at, good.end());
    lftest::Bytes b = good;
    b[static_cast<size_t>(at - good.begin()) + 5] ^= 1;  // "dense.bias" → "dense/bias"
    const fs::path flipped = checksum_temp_path("metadata_flipped.arrow");
    lftest::save_bytes(flipped, b);
    try {
        (void)read_model_row(flipped);
        ADD_FAILURE() << "a changed weight name went unnoticed";
    } catch (const CorruptionError& e) {
        const std::string what = e.what();
        EXPECT_EQ(what.rfind(flipped.string() + ": metadata checksum mismatch", 0), 0u) << what;
        EXPECT_NE(what.find("expected " + lftest::file_entry(lftest::recorded_value(good))), std::string::npos) << what;
        EXPECT_NE(what.find("actual "), std::string::npos) << what;
    }
    // The one check that lets it through.
    ModelReadOptions unchecked;
    unchecked.verify_metadata = false;
    EXPECT_EQ(read_model_row(flipped, unchecked).weight_names.value().at(1), "dense/bias");
    fs::remove(path);
    fs::remove(flipped);
}

// With compression nothing is left out of the file checksum: every bit of the file counts, and
// Bool weights (bit-packed) are never left out either.
TEST(Checksums, EveryFlippedBitOfCompressedOrBoolFilesIsAFormatError) {
    const fs::path path = checksum_temp_path("compressed.arrow");
    ModelWriteOptions zstd;
    zstd.ipc.compression = la::Compression::Zstd;
    write_model_row(path, ModelV1{small_weights(), 3}, zstd);
    const lftest::Bytes compressed = lftest::load_bytes(path);
    expect_none(flips_not_format_errors(compressed, 0, compressed.size()));

    std::vector<uint8_t> bits{1, 0, 1, 1, 0};
    write_model_row(path, ModelV1{Weights({FlatArray(ElementType::Bool, {5}, la::Buffer::copy_of(bits))}), 1});
    const lftest::Bytes bools = lftest::load_bytes(path);
    EXPECT_NO_THROW(read_model_row(lftest::exact_buffer(bools)));
    expect_none(flips_not_format_errors(bools, 0, bools.size()));
    fs::remove(path);
}

// The key's name flipped in one of the schema's two copies (the schema message, the footer): that
// copy has no checksums, the other one has; the reader refuses schemas that differ.
TEST(Checksums, AFlippedKeyNameInEitherSchemaCopyIsAFormatError) {
    const fs::path path = checksum_temp_path("keyname.arrow");
    write_model_row(path, ModelV1{small_weights(), 3});
    const lftest::Bytes good = lftest::load_bytes(path);
    const std::string key(kChecksumsMetadataKey);
    int copies = 0;
    for (auto at = std::search(good.begin(), good.end(), key.begin(), key.end()); at != good.end();
         at = std::search(at + 1, good.end(), key.begin(), key.end()), ++copies) {
        lftest::Bytes b = good;
        b[static_cast<size_t>(at - good.begin()) + 3] ^= 1;  // "legolasflux…" → "lemolasflux…"
        EXPECT_THROW(read_model_row(lftest::exact_buffer(b)), FormatError);
        EXPECT_THROW(read_model_row(lftest::exact_buffer(b), trusting()), FormatError)
            << "the arrow reader compares the two schemas";
    }
    EXPECT_EQ(copies, 2);
    fs::remove(path);
}

TEST(Checksums, MalformedRecordsAreFormatErrors) {
    const fs::path path = checksum_temp_path("malformed.arrow");
    const fs::path bad = checksum_temp_path("malformed_rewritten.arrow");
    write_model_row(path, ModelV1{small_weights(), 3});
    const auto expect = [&](const std::string& value, auto error) {
        rewrite_checksums(path, bad, value);
        EXPECT_THROW(read_model_row<ModelV1>(bad), decltype(error)) << value;
        EXPECT_NO_THROW(read_model_row<ModelV1>(bad, trusting())) << value;
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
    const std::string zeros = "0000000000000000";
    expect(R"({"algorithm":"xxh3-64","columns":{},"file":"XYZ","holes":[]})", FormatError(""));
    expect(R"({"algorithm":"xxh3-64","columns":{},"file":7,"holes":[]})", FormatError(""));
    expect(R"({"algorithm":"xxh3-64","columns":{},"file":")" + zeros + R"("})", FormatError(""));
    expect(R"({"algorithm":"xxh3-64","columns":{},"holes":[]})", FormatError(""));
    expect(R"({"algorithm":"xxh3-64","columns":{},"fiel":")" + zeros + R"(","holes":[]})", FormatError(""));
    expect(R"({"algorithm":"xxh3-64","columns":{},"file":")" + zeros + R"(","holes":[["1","2"]]})", FormatError(""));
    expect(R"({"algorithm":"xxh3-64","columns":{},"file":")" + zeros + R"(","holes":[[")" + zeros + R"(",")" + zeros +
               R"("]]})",
           FormatError(""));
    expect(R"({"algorithm":"xxh3-64","columns":{},"file":")" + zeros +
               R"(","holes":[["00000000ffffffff","0000000000000001"]]})",
           FormatError(""));
    expect(R"({"algorithm":"xxh3-64","columns":{},"file":")" + zeros + R"(","holes":[]})", CorruptionError(""));
    // A malformed value is an error as long as anything is verified.
    rewrite_checksums(path, bad, "not json");
    ModelReadOptions metadata_only;
    metadata_only.verify_checksums = false;
    EXPECT_THROW(read_model_row<ModelV1>(bad, metadata_only), FormatError);
    // Listing no column checks nothing.
    rewrite_checksums(path, bad, R"({"algorithm":"xxh3-64","columns":{}})");
    EXPECT_EQ(*read_model_row<ModelV1>(bad).weights, small_weights());
    fs::remove(path);
    fs::remove(bad);
}

// Holes that are not the weight values say the file is not the one the file checksum describes (a
// rewrite by another writer): that checksum is not applied, the weights' own still are.
TEST(Checksums, HolesOtherThanTheWeightValuesLeaveOnlyTheWeightsChecksums) {
    const fs::path path = checksum_temp_path("holes.arrow");
    const fs::path bad = checksum_temp_path("holes_rewritten.arrow");
    const Weights w = small_weights();
    write_model_row(path, ModelV1{w, 3});
    const auto [begin, end] = lftest::values_range(lftest::load_bytes(path), w);
    const lftest::Bytes values = lftest::value_bytes(w);
    const std::string head = R"({"algorithm":"xxh3-64","columns":{"weights":[")" +
                             lftest::hex16(XXH3_64bits(values.data(), values.size())) + R"("]},"file":")";
    // The value is masked, so its checksum digits can be filled in after the file is written.
    for (const auto& holes : {std::string("[]"), lftest::holes_entry({begin, end - 4}), lftest::holes_entry({0, 8})}) {
        const std::string placeholder = head + "0000000000000000" + R"(","holes":)" + holes + "}";
        rewrite_checksums(path, bad, placeholder);
        std::vector<std::pair<size_t, size_t>> skipped;
        if (holes != "[]")
            skipped.push_back(holes == lftest::holes_entry({0, 8}) ? std::pair<size_t, size_t>{0, 8}
                                                                   : std::pair<size_t, size_t>{begin, end - 4});
        const std::string sum = lftest::reference_file_checksum(lftest::load_bytes(bad), placeholder, skipped);
        rewrite_checksums(path, bad, head + sum + R"(","holes":)" + holes + "}");
        EXPECT_EQ(*read_model_row<ModelV1>(bad).weights, w) << "holes " << holes;
        // With a file checksum that does not match either, the weights still decide.
        rewrite_checksums(path, bad, head + "0123456789abcdef" + R"(","holes":)" + holes + "}");
        EXPECT_EQ(*read_model_row<ModelV1>(bad).weights, w) << "holes " << holes;
    }
    fs::remove(path);
    fs::remove(bad);
}

// The value of files written before the whole-file checksum: the weights are still verified.
TEST(Checksums, ValuesWithoutAFileChecksumStillVerifyTheWeights) {
    const fs::path path = checksum_temp_path("old.arrow");
    const fs::path old = checksum_temp_path("old_value.arrow");
    const Weights w = small_weights();
    write_model_row(path, ModelV1{w, 3});
    const lftest::Bytes values = lftest::value_bytes(w);
    rewrite_checksums(path, old,
                      R"({"algorithm":"xxh3-64","columns":{"weights":[")" +
                          lftest::hex16(XXH3_64bits(values.data(), values.size())) + R"("]}})");
    EXPECT_EQ(*read_model_row<ModelV1>(old).weights, w);
    lftest::Bytes b = lftest::load_bytes(old);
    b[lftest::values_range(b, w).first + 5] ^= 0x10;
    EXPECT_THROW(read_model_row(lftest::exact_buffer(b)), CorruptionError);
    fs::remove(path);
    fs::remove(old);
}

// Julia's files record no checksum and load as before.
TEST(Checksums, FilesWithoutChecksumsLoadAsBefore) {
    const fs::path julia = lftest::julia_fixture_path();
    EXPECT_FALSE(la::find_metadata(la::read_file(julia).schema->metadata, kChecksumsMetadataKey).has_value());
    const ModelRow row = read_model_row(julia);
    ASSERT_TRUE(row.weights.has_value());
    EXPECT_GT(row.weights->element_count(), 0);
    EXPECT_EQ(*read_model_row(julia, trusting()).weights, *row.weights);
    EXPECT_EQ(*read_model_row(lftest::exact_buffer(lftest::load_bytes(julia))).weights, *row.weights);
}
