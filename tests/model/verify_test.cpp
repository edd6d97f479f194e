// verify (legolasflux/integrity.hpp): a byte flipped anywhere in a model file or a step file —
// metadata, every weight array, the footer — makes it Damaged, uncompressed, LZ4 and Zstandard
// alike; sound files are Ok, Julia's have no checksums, truncated and foreign files are Damaged
// with a reason; directories are walked as documented.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "legolasflux/arrow/builder.hpp"
#include "legolasflux/arrow/ipc.hpp"
#include "legolasflux/checkpoints.hpp"
#include "legolasflux/errors.hpp"
#include "legolasflux/integrity.hpp"
#include "legolasflux/model.hpp"
#include "legolasflux/sharded.hpp"
#include "support/damage.hpp"
#include "support/scratch.hpp"

using namespace legolasflux;
namespace fs = std::filesystem;
namespace la = legolasflux::arrow;

namespace {

const la::Compression kCompressions[] = {la::Compression::None, la::Compression::Lz4Frame, la::Compression::Zstd};

std::string name_of(la::Compression c) {
    return c == la::Compression::None ? "uncompressed" : c == la::Compression::Lz4Frame ? "lz4" : "zstd";
}

// Three arrays of different sizes and element counts, named.
Weights three_arrays() {
    std::vector<float> a(64), b(7), c(300);
    for (size_t i = 0; i < a.size(); ++i) a[i] = 0.25f * static_cast<float>(i);
    for (size_t i = 0; i < b.size(); ++i) b[i] = -1.5f - static_cast<float>(i);
    for (size_t i = 0; i < c.size(); ++i) c[i] = static_cast<float>(i % 17) / 3.0f;
    return Weights({FlatArray::from_values<float>({8, 8}, a), FlatArray::from_values<float>({7}, b),
                    FlatArray::from_values<float>({30, 10}, c)});
}

std::vector<size_t> array_bytes(const Weights& w) {
    std::vector<size_t> out;
    for (const FlatArray& a : w.arrays) out.push_back(static_cast<size_t>(a.byte_count()));
    return out;
}

void write_bytes(const fs::path& path, const lftest::Bytes& bytes) {
    fs::remove(path);  // a new file each time (see checksum_support.hpp)
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

// Flips one byte at a time at up to `per_region` offsets of every region of `good` (a model file
// of `w`'s weights) and verifies the copy at `path` with `options`: the regions and offsets whose
// damage went unreported. Also checks that a damaged file's problem is there and does not repeat
// the path.
std::vector<std::string> unreported_flips(const fs::path& path, const lftest::Bytes& good, const Weights& w,
                                          const VerifyOptions& options, size_t per_region,
                                          const std::set<std::string>& skip = {}) {
    std::vector<std::string> unreported;
    size_t flips = 0;
    for (const lftest::FileRegion& region : lftest::model_file_regions(good, array_bytes(w))) {
        if (skip.count(region.name)) continue;
        for (const size_t at : lftest::offsets_in(region, per_region)) {
            write_bytes(path, lftest::flipped(good, at));
            const FileIntegrity f = verify_file(path, options);
            ++flips;
            if (f.status != Integrity::Damaged) {
                unreported.push_back(region.name + " at " + std::to_string(at) + ": " + to_string(f.status));
                continue;
            }
            EXPECT_FALSE(f.problem.empty()) << region.name << " at " << at;
            EXPECT_EQ(f.problem.find(path.string()), std::string::npos) << f.problem;
        }
    }
    EXPECT_GT(flips, 50u) << "too few flips to mean anything";
    return unreported;
}

}  // namespace

TEST(Verify, SoundModelFilesAreOk) {
    const fs::path dir = lftest::scratch_dir("verify/sound");
    for (const la::Compression c : kCompressions) {
        const fs::path path = dir / (name_of(c) + ".arrow");
        ModelWriteOptions options;
        options.ipc.compression = c;
        options.weight_names = {"a", "b", "c"};
        write_model_row(path, ModelV1{three_arrays(), 2}, options);
        for (const bool values : {true, false}) {
            const FileIntegrity f = verify_file(path, {.values = values});
            EXPECT_EQ(f.status, Integrity::Ok) << name_of(c) << ": " << f.problem;
            EXPECT_EQ(f.file, path);
            EXPECT_EQ(f.schema, "legolas-flux.model@1");
            EXPECT_TRUE(f.problem.empty());
        }
    }
}

// Every region of the file — magic numbers, the schema message's metadata, the record batch's
// metadata and body, each weight array's values, the footer — for the three compressions.
TEST(Verify, AByteFlippedAnywhereInAModelFileIsDamage) {
    const fs::path dir = lftest::scratch_dir("verify/flips");
    const Weights w = three_arrays();
    for (const la::Compression c : kCompressions) {
        const fs::path path = dir / (name_of(c) + ".arrow");
        ModelWriteOptions options;
        options.ipc.compression = c;
        options.weight_names = {"encoder.weight", "encoder.bias", "decoder.weight"};
        write_model_row(path, ModelV1{w, 7}, options);
        const lftest::Bytes good = lftest::load_bytes(path);
        const fs::path damaged = dir / (name_of(c) + ".damaged.arrow");
        EXPECT_EQ(lftest::joined(unreported_flips(damaged, good, w, {}, 40)), "") << name_of(c);
        // The cheap check: every byte but the uncompressed weight values (which it does not read).
        const std::set<std::string> values = {"weight array 0 values", "weight array 1 values",
                                              "weight array 2 values"};
        EXPECT_EQ(lftest::joined(unreported_flips(damaged, good, w, {.values = false}, 25, values)), "") << name_of(c);
    }
}

// The cheap check leaves the values of an uncompressed file to the full one: a flipped value is
// found by the weights' checksum only.
TEST(Verify, WithoutValuesAFlippedValueGoesUnnoticedUnlessCompressed) {
    const fs::path dir = lftest::scratch_dir("verify/values");
    const Weights w = three_arrays();
    for (const la::Compression c : kCompressions) {
        const fs::path path = dir / (name_of(c) + ".arrow");
        ModelWriteOptions options;
        options.ipc.compression = c;
        write_model_row(path, ModelV1{w, 1}, options);
        const lftest::Bytes good = lftest::load_bytes(path);
        const auto regions = lftest::model_file_regions(good, array_bytes(w));
        const auto values = std::find_if(regions.begin(), regions.end(), [](const lftest::FileRegion& r) {
            return r.name.find("values") != std::string::npos;
        });
        ASSERT_NE(values, regions.end());
        write_bytes(path, lftest::flipped(good, (values->begin + values->end) / 2));
        const FileIntegrity full = verify_file(path);
        EXPECT_EQ(full.status, Integrity::Damaged);
        if (c == la::Compression::None)
            EXPECT_NE(full.problem.find("checksum mismatch"), std::string::npos) << full.problem;
        // Compressed values are covered by the file checksum, which the cheap check hashes.
        EXPECT_EQ(verify_file(path, {.values = false}).status,
                  c == la::Compression::None ? Integrity::Ok : Integrity::Damaged)
            << name_of(c);
    }
}

// Values large enough that the cheap check leaves them compressed (not decoded) still verify, and
// damage to their compressed bytes is found by the file checksum.
TEST(Verify, TheCheapCheckOfLargeCompressedValues) {
    const fs::path dir = lftest::scratch_dir("verify/large");
    std::vector<float> big(3'000'000);
    for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<float>(i % 1000) * 0.5f;
    const Weights w({FlatArray::from_values<float>({3000, 1000}, big)});
    for (const la::Compression c : {la::Compression::Lz4Frame, la::Compression::Zstd}) {
        const fs::path path = dir / (name_of(c) + ".arrow");
        ModelWriteOptions options;
        options.ipc.compression = c;
        write_model_row(path, ModelV1{w, 1}, options);
        EXPECT_EQ(verify_file(path, {.values = false}).status, Integrity::Ok) << name_of(c);
        EXPECT_EQ(verify_file(path).status, Integrity::Ok) << name_of(c);
        const lftest::Bytes good = lftest::load_bytes(path);
        const auto regions = lftest::model_file_regions(good, array_bytes(w));
        const auto values = std::find_if(regions.begin(), regions.end(), [](const lftest::FileRegion& r) {
            return r.name == "weights' values (compressed)";
        });
        ASSERT_NE(values, regions.end());
        write_bytes(path, lftest::flipped(good, values->begin + (values->end - values->begin) / 3));
        for (const bool check_values : {false, true}) {
            const FileIntegrity f = verify_file(path, {.values = check_values});
            EXPECT_EQ(f.status, Integrity::Damaged) << name_of(c);
            EXPECT_NE(f.problem.find("metadata checksum mismatch"), std::string::npos) << f.problem;
        }
    }
}

TEST(Verify, JuliaFilesHaveNoChecksums) {
    const FileIntegrity f = verify_file(lftest::julia_fixture_path());
    EXPECT_EQ(f.status, Integrity::NoChecksums) << f.problem;
    EXPECT_EQ(f.schema, "digits.model@1>legolas-flux.model@1");
    EXPECT_EQ(to_string(f.status), "no checksums");
}

TEST(Verify, TruncatedAndForeignFilesAreDamagedWithAReason) {
    const fs::path dir = lftest::scratch_dir("verify/truncated");
    const fs::path path = dir / "model.arrow";
    write_model_row(path, ModelV1{three_arrays(), 1});
    const lftest::Bytes good = lftest::load_bytes(path);
    for (const size_t keep : {good.size() - 1, good.size() / 2, size_t{100}, size_t{7}, size_t{0}}) {
        write_bytes(path, lftest::Bytes(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(keep)));
        const FileIntegrity f = verify_file(path);
        EXPECT_EQ(f.status, Integrity::Damaged) << keep;
        EXPECT_FALSE(f.problem.empty()) << keep;
    }
    const fs::path text = dir / "notes.arrow";
    std::ofstream(text) << "these are not the bytes you are looking for\n";
    const FileIntegrity f = verify_file(text);
    EXPECT_EQ(f.status, Integrity::Damaged);
    EXPECT_FALSE(f.problem.empty());
    EXPECT_TRUE(f.schema.empty());
}

// A file without checksums is still checked for compliance with the schema it names.
TEST(Verify, ASchemaViolationIsDamage) {
    const fs::path path = lftest::scratch_dir("verify/schema") / "wrong.arrow";
    auto schema = std::make_shared<la::Schema>();
    schema->fields.push_back(la::field("architecture_version", la::utf8(), true));
    la::set_metadata(schema->metadata, std::string(legolas::kSchemaQualifiedKey), "legolas-flux.model@1");
    la::Table table;
    table.schema = schema;
    la::RecordBatch batch;
    batch.schema = schema;
    batch.length = 1;
    batch.columns.push_back(la::make_strings({"one"}));
    table.batches.push_back(batch);
    la::write_file(path, table);
    const FileIntegrity f = verify_file(path);
    EXPECT_EQ(f.status, Integrity::Damaged);
    EXPECT_NE(f.problem.find("violates Legolas schema `legolas-flux.model@1`"), std::string::npos) << f.problem;
    EXPECT_NE(f.problem.find("architecture_version"), std::string::npos) << f.problem;
}

// A run directory: its step files and index, not its lock, temporaries or files set aside; one
// damaged step file is reported, the others are not.
TEST(Verify, ARunDirectoryAndItsDamagedStepFile) {
    const fs::path dir = lftest::scratch_path("verify/run");
    const Weights w = three_arrays();
    std::vector<fs::path> steps;
    {
        CheckpointManager run(dir);
        for (int64_t step = 1; step <= 3; ++step) {
            run.save(step, ModelV1{w, step});
            steps.push_back(run.path(step));
        }
    }
    const std::string latest_name = steps.back().filename().string();
    std::ofstream(dir / ("." + latest_name + ".tmp-1-abcdef")) << "a save killed half-way";
    std::ofstream(dir / (steps.front().filename().string() + ".damaged")) << "set aside";
    std::vector<FileIntegrity> all = verify(dir);
    std::vector<fs::path> files;
    for (const FileIntegrity& f : all) {
        files.push_back(f.file);
        EXPECT_NE(f.status, Integrity::Damaged) << f.file << ": " << f.problem;
    }
    EXPECT_EQ(files, (std::vector<fs::path>{dir / kCheckpointIndexFile, steps[0], steps[1], steps[2]}));
    ASSERT_EQ(all.size(), 4u);
    EXPECT_EQ(all[3].status, Integrity::Ok);
    EXPECT_EQ(all[0].schema, "legolas-flux.checkpoint-index@1");

    const fs::path latest = steps.back();
    const lftest::Bytes good = lftest::load_bytes(latest);
    EXPECT_EQ(lftest::joined(unreported_flips(latest, good, w, {}, 12)), "");
    write_bytes(latest, lftest::flipped(good, good.size() / 2));
    all = verify(dir);
    ASSERT_EQ(all.size(), 4u);
    for (size_t i = 0; i < 3; ++i) EXPECT_NE(all[i].status, Integrity::Damaged) << all[i].file;
    EXPECT_EQ(all[3].status, Integrity::Damaged);
    EXPECT_EQ(all[3].file, latest);
}

// A sharded step directory: its shard files and its index; a flipped value in a shard file is found.
TEST(Verify, ShardedStepDirectories) {
    const fs::path run = lftest::scratch_path("verify/sharded");
    const fs::path step = run / sharded_step_name(5);
    const std::vector<int64_t> shape{4, 3};
    std::vector<RankShards> ranks;
    for (int r = 0; r < 2; ++r) {
        const ChunkBox box = row_split(shape, r, 2);
        std::vector<float> values(static_cast<size_t>(box.element_count()), 1.5f + static_cast<float>(r));
        ranks.push_back({r, 2, {{"w", ElementType::Float32, shape, {{box, la::Buffer::copy_of(values)}}, false}}});
    }
    save_sharded(step, ranks, 5);
    for (const fs::path& path : {run, step}) {
        const std::vector<FileIntegrity> all = verify(path);
        ASSERT_EQ(all.size(), 3u) << path;
        EXPECT_EQ(all[0].file.filename(), kShardIndexFile);
        EXPECT_EQ(all[1].file.filename(), shard_file_name(0, 2));
        EXPECT_EQ(all[2].file.filename(), shard_file_name(1, 2));
        for (const FileIntegrity& f : all) EXPECT_NE(f.status, Integrity::Damaged) << f.file << ": " << f.problem;
        EXPECT_EQ(all[1].status, Integrity::Ok);
        EXPECT_EQ(all[1].schema.rfind("legolas-flux.shard@1", 0), 0u) << all[1].schema;
    }
    // Rank 1's values: 6 floats of 2.5, the only ones in the file.
    const fs::path shard = step / shard_file_name(1, 2);
    lftest::Bytes bytes = lftest::load_bytes(shard);
    const float value = 2.5f;
    const auto* first = reinterpret_cast<const uint8_t*>(&value);
    const auto at = std::search(bytes.begin(), bytes.end(), first, first + 4);
    ASSERT_NE(at, bytes.end());
    write_bytes(shard, lftest::flipped(bytes, static_cast<size_t>(at - bytes.begin()) + 4 * 3 + 1));
    const std::vector<FileIntegrity> all = verify(step);
    ASSERT_EQ(all.size(), 3u);
    EXPECT_EQ(all[2].status, Integrity::Damaged);
    EXPECT_NE(all[2].problem.find("checksum mismatch"), std::string::npos) << all[2].problem;
}

// The index tables record checksums too (the file checksum covers every byte: they have no
// weights): a byte flipped anywhere in the run index or a shard index is damage.
TEST(Verify, AByteFlippedAnywhereInAnIndexFileIsDamage) {
    const fs::path run = lftest::scratch_path("verify/index_flips");
    {
        CheckpointManager manager(run);
        manager.save(1, ModelV1{three_arrays(), 1});
        manager.save(2, ModelV1{three_arrays(), 2});
    }
    const fs::path step = run / sharded_step_name(3);
    const std::vector<int64_t> shape{2, 2};
    std::vector<RankShards> ranks{{0,
                                   1,
                                   {{"w",
                                     ElementType::Float32,
                                     shape,
                                     {{whole_box(shape), la::Buffer::copy_of(std::vector<float>{1, 2, 3, 4})}},
                                     false}}}};
    save_sharded(step, ranks, 3);
    for (const fs::path& index : {run / kCheckpointIndexFile, step / kShardIndexFile}) {
        const lftest::Bytes good = lftest::load_bytes(index);
        ASSERT_EQ(verify_file(index).status, Integrity::Ok) << index << ": " << verify_file(index).problem;
        std::vector<std::string> unreported;
        // Every byte of the first and last 64 (magic, schema message, footer), every 7th between.
        for (size_t offset = 0; offset < good.size(); offset += offset < 64 || offset + 64 >= good.size() ? 1 : 7) {
            write_bytes(index, lftest::flipped(good, offset));
            const FileIntegrity f = verify_file(index);
            if (f.status != Integrity::Damaged)
                unreported.push_back(std::to_string(offset) + " " + to_string(f.status));
        }
        write_bytes(index, good);
        EXPECT_EQ(lftest::joined(unreported), "") << index;
    }
}

TEST(Verify, MissingPathsAndEmptyDirectories) {
    const fs::path dir = lftest::scratch_dir("verify/empty");
    EXPECT_TRUE(verify(dir).empty());
    EXPECT_THROW(verify(dir / "nothing-here"), IoError);
    const FileIntegrity f = verify_file(dir / "nothing-here.arrow");
    EXPECT_EQ(f.status, Integrity::Damaged);
    EXPECT_FALSE(f.problem.empty());
}
