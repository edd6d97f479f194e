// `legolasflux verify PATH... [--json]` through the real binary: a `damaged:` line and exit 1 for a
// byte flipped in model files (uncompressed, LZ4, Zstandard) and step files, `ok` for sound ones,
// `no checksums` (exit 0) for Julia's, truncated and foreign files, directories, JSON, usage.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cli/cli_files.hpp"
#include "cli/cli_support.hpp"
#include "legolasflux/checkpoints.hpp"
#include "legolasflux/model.hpp"
#include "support/damage.hpp"

using namespace lftest;
namespace fs = std::filesystem;
namespace lf = legolasflux;

namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

lf::Weights two_arrays() {
    std::vector<float> a(40), b(9);
    for (size_t i = 0; i < a.size(); ++i) a[i] = 0.5f * static_cast<float>(i) - 3;
    for (size_t i = 0; i < b.size(); ++i) b[i] = static_cast<float>(i * i);
    return lf::Weights({lf::FlatArray::from_values<float>({5, 8}, a), lf::FlatArray::from_values<float>({9}, b)});
}

std::vector<size_t> array_bytes(const lf::Weights& w) {
    std::vector<size_t> out;
    for (const lf::FlatArray& a : w.arrays) out.push_back(static_cast<size_t>(a.byte_count()));
    return out;
}

fs::path model_file(const fs::path& dir, const std::string& name, lf::arrow::Compression compression) {
    lf::ModelWriteOptions options;
    options.ipc.compression = compression;
    options.weight_names = {"fc.weight", "fc.bias"};
    const fs::path path = dir / name;
    lf::write_model_row(path, lf::ModelV1{two_arrays(), 3}, options);
    return path;
}

// `verify` of copies of `good` with one byte flipped, at up to `per_region` offsets of each region:
// each must print `PATH: damaged: …` and exit 1. Returns the flips that did not.
std::vector<std::string> unreported_flips(const fs::path& path, const Bytes& good, size_t per_region) {
    std::vector<std::string> unreported;
    for (const FileRegion& region : model_file_regions(good, array_bytes(two_arrays())))
        for (const size_t at : offsets_in(region, per_region)) {
            fs::remove(path);
            write_bytes(path, flipped(good, at));
            const CliResult r = run_cli({"verify", path.string()});
            if (r.exit_code != 1 || r.out.rfind(path.string() + ": damaged: ", 0) != 0 ||
                std::count(r.out.begin(), r.out.end(), '\n') != 1)
                unreported.push_back(region.name + " at " + std::to_string(at) + ": " + describe(r));
        }
    return unreported;
}

}  // namespace

TEST(CliVerify, SoundFilesAreOkAndJuliasHaveNoChecksums) {
    const fs::path dir = cli_scratch_dir("verify_sound");
    const fs::path plain = model_file(dir, "plain.arrow", lf::arrow::Compression::None);
    const fs::path zstd = model_file(dir, "zstd.arrow", lf::arrow::Compression::Zstd);
    CliResult r = run_cli({"verify", plain.string(), zstd.string()});
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_EQ(r.out, plain.string() + ": ok\n" + zstd.string() + ": ok\n");
    EXPECT_EQ(r.err, "");

    r = run_cli({"verify", julia_model().string()});
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_EQ(r.out, julia_model().string() + ": no checksums\n");
}

TEST(CliVerify, AFlippedByteInAModelFileIsDamage) {
    const fs::path dir = cli_scratch_dir("verify_flips");
    for (const auto& [name, compression] :
         {std::pair{"plain", lf::arrow::Compression::None}, std::pair{"lz4", lf::arrow::Compression::Lz4Frame},
          std::pair{"zstd", lf::arrow::Compression::Zstd}}) {
        const Bytes good = read_bytes(model_file(dir, std::string(name) + ".arrow", compression));
        EXPECT_EQ(lftest::joined(unreported_flips(dir / (std::string(name) + ".flipped.arrow"), good, 6)), "") << name;
    }
}

TEST(CliVerify, AFlippedByteInAStepFileIsDamage) {
    const fs::path dir = cli_scratch_dir("verify_run") / "run";
    fs::path latest;
    {
        lf::CheckpointManager run(dir);
        for (int64_t step = 10; step <= 20; step += 10) run.save(step, lf::ModelV1{two_arrays(), step});
        latest = run.path(20);
    }
    CliResult r = run_cli({"verify", dir.string()});
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_TRUE(contains(r.out, latest.string() + ": ok\n")) << r.out;
    EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 3) << r.out;  // the index and two steps

    const Bytes good = read_bytes(latest);
    EXPECT_EQ(lftest::joined(unreported_flips(latest, good, 4)), "");

    // In the run directory, the damaged step among the others.
    write_bytes(latest, flipped(good, good.size() / 2));
    r = run_cli({"verify", dir.string()});
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    EXPECT_TRUE(contains(r.out, latest.string() + ": damaged: ")) << r.out;
    EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 3) << r.out;
}

TEST(CliVerify, TruncatedAndForeignFiles) {
    const fs::path dir = cli_scratch_dir("verify_truncated");
    const fs::path path = model_file(dir, "model.arrow", lf::arrow::Compression::None);
    Bytes bytes = read_bytes(path);
    bytes.resize(bytes.size() / 2);
    write_bytes(path, bytes);
    CliResult r = run_cli({"verify", path.string()});
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    EXPECT_EQ(r.out.rfind(path.string() + ": damaged: ", 0), 0u) << r.out;
    EXPECT_GT(r.out.size(), path.string().size() + 12) << "a reason follows";

    const fs::path text = dir / "readme.arrow";
    std::ofstream(text) << "plain text, not Arrow\n";
    r = run_cli({"verify", text.string()});
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    EXPECT_EQ(r.out.rfind(text.string() + ": damaged: ", 0), 0u) << r.out;
}

TEST(CliVerify, Json) {
    const fs::path dir = cli_scratch_dir("verify_json");
    const fs::path good = model_file(dir, "good.arrow", lf::arrow::Compression::Lz4Frame);
    const fs::path bad = model_file(dir, "bad.arrow", lf::arrow::Compression::None);
    const Bytes bytes = read_bytes(bad);
    write_bytes(bad, flipped(bytes, bytes.size() - 20));  // in the footer
    const CliResult r = run_cli({"verify", "--json", good.string(), julia_model().string(), bad.string()});
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    const nlohmann::json j = nlohmann::json::parse(r.out);
    ASSERT_TRUE(j.is_array()) << r.out;
    ASSERT_EQ(j.size(), 3u) << r.out;
    EXPECT_EQ(
        j[0],
        (nlohmann::json{
            {"file", good.string()}, {"status", "ok"}, {"schema", "legolas-flux.model@1"}, {"problem", nullptr}}));
    EXPECT_EQ(j[1]["status"], "no_checksums");
    EXPECT_EQ(j[1]["schema"], "digits.model@1>legolas-flux.model@1");
    EXPECT_EQ(j[1]["problem"], nullptr);
    EXPECT_EQ(j[2]["file"], bad.string());
    EXPECT_EQ(j[2]["status"], "damaged");
    ASSERT_TRUE(j[2]["problem"].is_string());
    EXPECT_FALSE(j[2]["problem"].get<std::string>().empty());
}

TEST(CliVerify, MissingPathsEmptyDirectoriesAndUsage) {
    const fs::path dir = cli_scratch_dir("verify_usage");
    const fs::path good = model_file(dir, "good.arrow", lf::arrow::Compression::None);
    CliResult r = run_cli({"verify", (dir / "missing.arrow").string(), good.string()});
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    EXPECT_EQ(r.out, good.string() + ": ok\n") << "the other paths are still verified";
    EXPECT_TRUE(contains(r.err, "missing.arrow")) << r.err;

    fs::create_directories(dir / "empty");
    r = run_cli({"verify", (dir / "empty").string()});
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    EXPECT_TRUE(contains(r.err, "no Arrow files")) << r.err;

    r = run_cli({"verify"});
    EXPECT_EQ(r.exit_code, 2) << describe(r);
    r = run_cli({"verify", "--bogus", good.string()});
    EXPECT_EQ(r.exit_code, 2) << describe(r);
}

// `validate` says what it checks, and where to look for the rest.
TEST(CliVerify, ValidateHelpPointsToVerify) {
    const CliResult r = run_cli({"validate", "--help"});
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_TRUE(contains(r.out, "compliance")) << r.out;
    EXPECT_TRUE(contains(r.out, "verify")) << r.out;
}
