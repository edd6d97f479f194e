// docs/cli.md's examples are real: every line of its ```sh blocks runs, in order, in a directory
// holding the files the page names (and those it shows, in ```json NAME blocks), and exits as the
// page says (0, or the `# exit N` it ends with).
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>

#include "cli/cli_files.hpp"
#include "cli/cli_support.hpp"
#include "legolasflux/checkpoints.hpp"
#include "legolasflux/model.hpp"
#include "legolasflux/safetensors.hpp"
#include "legolasflux/sharded.hpp"

using namespace lftest;
using legolasflux::FlatArray;
using legolasflux::ModelV1;
using legolasflux::Weights;

namespace {

void write_model(const std::filesystem::path& path, float delta) {
    ModelV1 row;
    row.weights = Weights({FlatArray::from_values<float>({2, 3}, {0, 1, 2, 3, 4 + delta, 5}),
                           FlatArray::from_values<float>({3}, {1, 1, 1})});
    legolasflux::ModelWriteOptions options;
    options.weight_names = {"fc.weight", "fc.bias"};
    legolasflux::write_model_row(path, row, options);
}

// A safetensors file as other tools write it: no legolasflux.* metadata keys.
void write_foreign_safetensors(const std::filesystem::path& path) {
    using legolasflux::SafetensorsDtype;
    legolasflux::SafetensorsFile file;
    file.metadata = {{"format", "pt"}};
    const std::vector<float> weight = {0.5f, -1, 2, 0, 1, 3};
    const std::vector<uint16_t> bias = {0x3f80, 0xbf80};  // 1 and -1 as bfloat16
    file.tensors.push_back(
        {"encoder.weight", SafetensorsDtype::F32, {2, 3}, legolasflux::arrow::Buffer::copy_of(weight)});
    file.tensors.push_back({"encoder.bias", SafetensorsDtype::BF16, {2}, legolasflux::arrow::Buffer::copy_of(bias)});
    legolasflux::write_safetensors(path, file);
}

// A run directory of three steps, the last 2 kept.
void write_run(const std::filesystem::path& dir) {
    legolasflux::CheckpointOptions options;
    options.max_to_keep = 2;
    legolasflux::CheckpointManager run(dir, options);
    for (int64_t step = 1; step <= 3; ++step) {
        ModelV1 row;
        row.weights = Weights({FlatArray::from_values<float>({2}, {0, static_cast<float>(step)})});
        row.architecture_version = 1;
        run.save(step * 100, row);
    }
}

// The same run with one byte of its latest step file flipped (in the schema message), and a
// damaged file set aside by a manager before.
void write_damaged_run(const std::filesystem::path& dir) {
    write_run(dir);
    const auto latest = dir / legolasflux::checkpoint_file_name(300, "legolas-flux.model");
    std::fstream f(latest, std::ios::binary | std::ios::in | std::ios::out);
    f.seekg(20);
    const char c = static_cast<char>(f.get() ^ 0xff);
    f.seekp(20);
    f.put(c);
    f.close();
    std::filesystem::copy_file(latest, dir / (legolasflux::checkpoint_file_name(100, "legolas-flux.model") +
                                              std::string(legolasflux::kDamagedSuffix)));
}

// A sharded checkpoint of step 10 saved by two ranks: a matrix split by rows, a replicated bias.
void write_sharded(const std::filesystem::path& run) {
    const std::vector<int64_t> w{3, 2}, b{2};
    std::vector<legolasflux::RankShards> ranks;
    for (int r = 0; r < 2; ++r) {
        const legolasflux::ChunkBox box = legolasflux::row_split(w, r, 2);
        std::vector<float> values(static_cast<size_t>(box.element_count()), static_cast<float>(r));
        ranks.push_back({r,
                         2,
                         {{"fc.weight",
                           legolasflux::ElementType::Float32,
                           w,
                           {{box, legolasflux::arrow::Buffer::copy_of(values)}},
                           false},
                          {"fc.bias",
                           legolasflux::ElementType::Float32,
                           b,
                           {{legolasflux::whole_box(b), legolasflux::arrow::Buffer::copy_of(std::vector<float>{1, 2})}},
                           true}}});
    }
    legolasflux::save_sharded(run / legolasflux::sharded_step_name(10), ranks, 10);
}

// The files docs/cli.md shows in full, in blocks opened by "```json NAME": NAME → content. The page's
// examples use them (`--declare digits.json`), so what the page shows is what runs.
std::vector<std::pair<std::string, std::string>> shown_files() {
    std::ifstream in(std::filesystem::path(LEGOLASFLUX_SOURCE_DIR) / "docs" / "cli.md");
    std::vector<std::pair<std::string, std::string>> out;
    const std::string opening = "```json ";
    bool inside = false;
    for (std::string line; std::getline(in, line);) {
        if (!inside && line.rfind(opening, 0) == 0) {
            out.emplace_back(line.substr(opening.size()), "");
            inside = true;
        } else if (inside && line == "```") {
            inside = false;
        } else if (inside) {
            out.back().second += line + "\n";
        }
    }
    return out;
}

struct Example {
    int line = 0;
    std::string command;
    int exit_code = 0;
    bool needs_torch = false;
};

std::vector<Example> examples() {
    std::ifstream in(std::filesystem::path(LEGOLASFLUX_SOURCE_DIR) / "docs" / "cli.md");
    std::vector<Example> out;
    bool inside = false;
    int n = 0;
    const std::regex exit_comment(R"(\s+# exit (\d+)$)"), torch_comment(R"(\s+# torch$)");
    for (std::string line; std::getline(in, line);) {
        ++n;
        if (line == "```sh")
            inside = true;
        else if (line == "```")
            inside = false;
        else if (inside && !line.empty()) {
            Example e{n, line};
            std::smatch m;
            if (std::regex_search(e.command, m, exit_comment)) {
                e.exit_code = std::stoi(m[1]);
                e.command = m.prefix();
            } else if (std::regex_search(e.command, m, torch_comment)) {
                e.needs_torch = true;
                e.command = m.prefix();
            }
            out.push_back(e);
        }
    }
    return out;
}

}  // namespace

TEST(DocsCli, EveryExampleRunsAsDocumented) {
    const auto dir = cli_scratch_dir("docs_cli");
    write_model(dir / "model.arrow", 0);
    write_model(dir / "retrained.arrow", 0.25f);
    std::filesystem::copy_file(julia_model(), dir / "julia.arrow");
    std::filesystem::copy_file(corpus_json("primitive"), dir / "corpus.json");
    write_foreign_safetensors(dir / "weights.safetensors");
    write_run(dir / "run");
    write_damaged_run(dir / "damaged");
    write_sharded(dir / "sharded");
    const auto files = shown_files();
    ASSERT_FALSE(files.empty()) << "docs/cli.md shows digits.json for --declare";
    for (const auto& [name, content] : files) std::ofstream(dir / name) << content;
    std::ofstream(dir / "make.py") << "import torch, torch.nn as nn\n"
                                      "m = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3), nn.Linear(3, 2))\n"
                                      "torch.save(m.state_dict(), 'model.pth')\n"
                                      "torch.jit.save(torch.jit.script(m), 'model.pt')\n"
                                      "l = nn.Linear(2, 3)\n"
                                      "torch.save({'model': l.state_dict(), 'epoch': 3}, 'ckpt.pt')\n"
                                      "torch.save(m.state_dict(), 'legacy.pt', _use_new_zipfile_serialization=False)\n"
                                      "torch.save(l, 'module.pt')\n";
    ASSERT_EQ(std::system(("cd " + dir.string() + " && /usr/bin/python3 make.py").c_str()), 0)
        << "Python's torch (python3-torch, from scripts/setup.sh) makes the .pt/.pth files";
    const std::string bin_dir = std::filesystem::path(LEGOLASFLUX_CLI).parent_path().string();
    const auto all = examples();
    ASSERT_GE(all.size(), 20u) << "docs/cli.md should show every command";
    for (const auto& e : all) {
#ifndef LEGOLASFLUX_CLI_WITH_TORCH
        if (e.needs_torch) continue;
#endif
        ASSERT_EQ(e.command.rfind("legolasflux ", 0), 0u) << "docs/cli.md line " << e.line << ": " << e.command;
        const std::string shell = "cd '" + dir.string() + "' && PATH='" + bin_dir + "':\"$PATH\" " + e.command +
                                  " >/dev/null 2>'" + (dir / "stderr").string() + "'";
        const int status = std::system(shell.c_str());
        ASSERT_TRUE(WIFEXITED(status));
        EXPECT_EQ(WEXITSTATUS(status), e.exit_code) << "docs/cli.md line " << e.line << ": " << e.command << "\n"
                                                    << slurp(dir / "stderr");
    }
}
