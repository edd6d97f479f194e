// Every command that reads a file says the same thing about a damaged or foreign one: a truncated
// model file names what is missing, and a file of another kind is "not an Arrow file or stream",
// whichever command reads it (and the path once, in front).
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "cli/cli_files.hpp"
#include "cli/cli_support.hpp"
#include "legolasflux/legolasflux.hpp"

namespace {

using namespace lftest;

// The commands that read one file, each as a command line around it.
std::map<std::string, std::vector<std::string>> readers_of(const std::string& file, const std::filesystem::path& dir) {
    return {
        {"inspect", {"inspect", file}},
        {"inspect --json", {"inspect", "--json", file}},
        {"validate", {"validate", file}},
        {"schema", {"schema", file}},
        {"diff", {"diff", file, julia_model().string()}},
        {"convert", {"convert", file, (dir / "out.safetensors").string()}},
        {"export", {"export", file, "--weight", "0", "-o", (dir / "out.npy").string()}},
        {"arrow validate", {"arrow", "validate", file}},
        {"arrow print", {"arrow", "print", file}},
        {"arrow json", {"arrow", "json", file}},
        {"arrow cat", {"arrow", "cat", file, (dir / "out.arrow").string()}},
    };
}

// What each command says about `file`, after "legolasflux: error: " and the path: one line each,
// every one exiting 1.
std::map<std::string, std::string> messages(const std::filesystem::path& file, const std::filesystem::path& dir) {
    std::map<std::string, std::string> out;
    for (const auto& [name, args] : readers_of(file.string(), dir)) {
        const CliResult r = run_cli(args);
        EXPECT_EQ(r.exit_code, name == "diff" ? 2 : 1) << name << ": " << r.err;  // diff: trouble is 2, as diff(1)
        const std::string prefix = "legolasflux: error: " + file.string() + ": ";
        EXPECT_EQ(r.err.rfind(prefix, 0), 0u) << name << " does not start with the path: " << r.err;
        std::string said = r.err.substr(std::min(prefix.size(), r.err.size()));
        if (!said.empty() && said.back() == '\n') said.pop_back();
        EXPECT_EQ(said.find('\n'), std::string::npos) << name << " says more than one line: " << r.err;
        EXPECT_EQ(said.find(file.string()), std::string::npos) << name << " names the path twice: " << r.err;
        out[name] = said;
    }
    return out;
}

void expect_one_message(const std::map<std::string, std::string>& said, const std::string& expected_start) {
    const std::string& first = said.begin()->second;
    EXPECT_EQ(first.rfind(expected_start, 0), 0u) << said.begin()->first << ": " << first;
    for (const auto& [name, message] : said)
        EXPECT_EQ(message, first) << name << " differs from " << said.begin()->first;
}

// A file of ours, checksums recorded: a cut one must not pass for one whose checksum mismatches.
std::filesystem::path checksummed_model(const std::filesystem::path& dir) {
    legolasflux::ModelV1 row;
    std::vector<float> values(3000);
    for (size_t i = 0; i < values.size(); ++i) values[i] = static_cast<float>(i) * 0.25f;
    row.weights =
        legolasflux::Weights({legolasflux::FlatArray::from_values<float>({1000, 3}, values),
                              legolasflux::FlatArray::from_values<float>({4}, std::vector<float>{1, 2, 3, 4})});
    row.architecture_version = 1;
    const auto path = dir / "ours.arrow";
    legolasflux::write_model_row(path, row);
    return path;
}

TEST(ForeignFiles, ATruncatedModelFileIsOneMessageNamingWhatIsMissing) {
    const auto dir = cli_scratch_dir("foreign_truncated");
    for (const auto& whole : {julia_model(), checksummed_model(dir)})
        for (size_t keep : {size_t{7}, size_t{300}, read_bytes(whole).size() / 2, read_bytes(whole).size() - 40,
                            read_bytes(whole).size() - 1}) {
            const std::vector<uint8_t> bytes = read_bytes(whole);
            const auto file = dir / ("cut_" + whole.stem().string() + "_" + std::to_string(keep) + ".arrow");
            write_bytes(file, std::vector<uint8_t>(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(keep)));
            SCOPED_TRACE(file.string());
            const auto said = messages(file, dir);
            expect_one_message(said,
                               "truncated or damaged Arrow file: the file is " + std::to_string(keep) + " bytes long");
            EXPECT_NE(said.begin()->second.find("the footer and the closing ARROW1 magic are missing"),
                      std::string::npos);
        }
}

TEST(ForeignFiles, AnotherKindOfFileIsNotAnArrowFileOrStream) {
    const auto dir = cli_scratch_dir("foreign_kinds");
    const std::string text = "epoch,accuracy\n1,0.5\n2,0.75\n";
    const std::vector<std::pair<std::string, std::vector<uint8_t>>> files = {
        {"text.arrow", std::vector<uint8_t>(text.begin(), text.end())},
        {"zip.arrow", {'P', 'K', 3, 4, 20, 0, 0, 0, 8, 0, 0x21, 0x43, 0x65, 0x07, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}},
        {"json.arrow", {'{', '"', 'a', '"', ':', '1', '}', '\n'}},
    };
    for (const auto& [name, content] : files) {
        write_bytes(dir / name, content);
        SCOPED_TRACE(name);
        expect_one_message(messages(dir / name, dir), "not an Arrow file or stream");
    }
    write_bytes(dir / "empty.arrow", {});
    expect_one_message(messages(dir / "empty.arrow", dir), "not an Arrow file or stream: the input is empty");
}

}  // namespace
