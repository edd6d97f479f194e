// Messages of the command line itself: an unknown command is named, bad numbers are refused in
// words (not with a 300-digit bound), export says what it wrote, inspect's columns line up, a
// converted file carries no checksums of the file it came from.
#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>
#include <string>

#include "cli/cli_files.hpp"
#include "cli/cli_support.hpp"
#include "legolasflux/model.hpp"
#include "legolasflux/safetensors.hpp"

namespace {

using namespace lftest;

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

TEST(CliMessages, AnUnknownCommandIsNamed) {
    const CliResult r = run_cli({"frobnicate", "x.arrow"});
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_TRUE(contains(r.err, "unknown command 'frobnicate'")) << r.err;
    EXPECT_TRUE(contains(r.err, "inspect")) << "lists the commands: " << r.err;
    EXPECT_EQ(run_cli({"inspect", julia_model().string()}).exit_code, 0);  // known ones still run
}

TEST(CliMessages, NegativeTolerancesAndRowCountsAreRefusedInWords) {
    const std::string j = julia_model().string();
    for (const char* flag : {"--atol", "--rtol"}) {
        const CliResult r = run_cli({"diff", flag, "-1", j, j});
        EXPECT_EQ(r.exit_code, 2) << flag << ": " << r.err;
        EXPECT_TRUE(contains(r.err, "'-1' is not a tolerance: give a number, 0 or more")) << r.err;
        EXPECT_LT(r.err.size(), 300u) << "no 300-digit bound: " << r.err;
    }
    EXPECT_EQ(run_cli({"diff", "--atol", "0.5", j, j}).exit_code, 0);
    const CliResult rows = run_cli({"arrow", "print", "--max-rows", "-3", j});
    EXPECT_EQ(rows.exit_code, 2) << rows.err;
    EXPECT_TRUE(contains(rows.err, "'-3' is not a row count")) << rows.err;
    EXPECT_EQ(run_cli({"arrow", "print", "--max-rows", "0", j}).exit_code, 0);
}

TEST(CliMessages, ExportSaysWhatItWrote) {
    const auto dir = cli_scratch_dir("messages_export");
    const auto out = dir / "first.npy";
    const CliResult r = run_cli({"export", julia_model().string(), "--weight", "0", "-o", out.string()});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "wrote " + out.string() + ": weight 0 of " + julia_model().string() +
                         ", shape [32, 1, 3, 3], 288 values\n");
    EXPECT_TRUE(std::filesystem::exists(out));
}

TEST(CliMessages, ConvertHelpNamesEveryFormat) {
    const CliResult r = run_cli({"convert", "--help"});
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_TRUE(contains(r.out, "Model file to read (.arrow, .safetensors, or .pt/.pth: PyTorch)")) << r.out;
}

// The values of inspect's first lines start in one column, however long the longest name.
TEST(CliMessages, InspectLinesUpItsColumns) {
    const CliResult r = run_cli({"inspect", julia_model().string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::istringstream lines(r.out);
    std::string line;
    std::getline(lines, line);  // the path
    size_t column = std::string::npos;
    int checked = 0;
    while (std::getline(lines, line) && !line.empty()) {
        const size_t name_end = line.find(' ');
        const size_t value = line.find_first_not_of(' ', name_end);
        if (column == std::string::npos) column = value;
        EXPECT_EQ(value, column) << line;
        ++checked;
    }
    EXPECT_EQ(column, std::string("architecture_version").size() + 1);
    EXPECT_EQ(checked, 6) << "schema, origin, architecture_version, config, epoch, accuracy:\n" << r.out;
}

// A row of ours carries checksums of its Arrow file's bytes; the safetensors file made from it
// must not (they would describe bytes it does not have), and the row made back from that gets
// checksums of its own, which verify accepts.
TEST(CliMessages, ConvertedFilesCarryNoStaleChecksums) {
    const auto dir = cli_scratch_dir("messages_checksums");
    const auto ours = dir / "ours.arrow", st = dir / "ours.safetensors", back = dir / "back.arrow";
    ASSERT_EQ(run_cli({"convert", julia_model().string(), ours.string()}).exit_code, 0);
    const legolasflux::ModelRow row = legolasflux::read_model_row(ours);
    const auto& ours_md = row.table.schema->metadata;
    ASSERT_TRUE(std::any_of(ours_md.begin(), ours_md.end(), [](const auto& kv) {
        return kv.first == legolasflux::kChecksumsMetadataKey;
    })) << "the .arrow file we write has checksums";
    ASSERT_EQ(run_cli({"convert", ours.string(), st.string()}).exit_code, 0);
    for (const auto& [key, value] : legolasflux::read_safetensors(st).metadata) {
        EXPECT_EQ(key.find("checksums"), std::string::npos) << key;
        EXPECT_EQ(value.find(legolasflux::kChecksumsMetadataKey), std::string::npos) << key << ": " << value;
    }
    const CliResult r = run_cli({"convert", st.string(), back.string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const CliResult verified = run_cli({"verify", back.string()});
    EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;
}

}  // namespace
