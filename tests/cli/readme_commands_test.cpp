// The README's "From PyTorch and Hugging Face" section is real: its blocks marked
// <!-- run: python --> run with Debian's /usr/bin/python3 (python3-torch) and its blocks marked
// <!-- run: sh --> run line by line with the built `legolasflux` first on PATH, in the order the
// page gives them, in one directory. What the page takes for granted — a `model` and its optimizer
// in Python, a Hugging Face checkpoint (an index and three shards, two dtypes) on disk — is made
// here first, by Python, not by our writers.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <regex>
#include <string>
#include <vector>

#include "cli/cli_support.hpp"

using namespace lftest;

namespace {

struct Block {
    int line = 0;  // of the block's first line in README.md
    std::string language;
    std::vector<std::string> lines;
};

std::vector<Block> runnable_blocks() {
    std::ifstream in(std::filesystem::path(LEGOLASFLUX_SOURCE_DIR) / "README.md");
    std::vector<Block> out;
    const std::regex marker(R"(^<!-- run: (python|sh) -->$)");
    std::string pending;
    Block* open = nullptr;
    int n = 0;
    for (std::string line; std::getline(in, line);) {
        ++n;
        std::smatch m;
        if (open) {
            if (line == "```")
                open = nullptr;
            else
                open->lines.push_back(line);
        } else if (std::regex_match(line, m, marker)) {
            pending = m[1];
        } else if (!pending.empty()) {
            EXPECT_EQ(line, "```" + pending) << "README.md line " << n << ": a run marker must precede its block";
            out.push_back({n + 1, pending, {}});
            open = &out.back();
            pending.clear();
        }
    }
    return out;
}

// What the README's Python assumes: `torch`, a small model and its optimizer after one step (so
// that the optimizer's state holds tensors too), and a sharded Hugging Face checkpoint written byte
// by byte as the safetensors format describes it (8-byte header size, JSON header, data).
constexpr const char* kPrelude = R"(
import json, struct
import numpy as np
import torch

torch.manual_seed(0)
model = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU(), torch.nn.Linear(3, 2))
optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
model(torch.randn(5, 4)).sum().backward()
optimizer.step()

def write_shard(path, tensors):
    header, offset, blobs = {"__metadata__": {"format": "pt"}}, 0, []
    for name, (dtype, array) in tensors.items():
        data = array.tobytes()
        header[name] = {"dtype": dtype, "shape": list(array.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))

rng = np.random.default_rng(0)
shards = {
    "model-00001-of-00003.safetensors": {"embed.weight": ("F16", rng.standard_normal((8, 4)).astype(np.float16))},
    "model-00002-of-00003.safetensors": {"layer.weight": ("F32", rng.standard_normal((4, 4)).astype(np.float32)),
                                         "layer.bias": ("F32", rng.standard_normal(4).astype(np.float32))},
    "model-00003-of-00003.safetensors": {"head.weight": ("F16", rng.standard_normal((2, 4)).astype(np.float16))},
}
weight_map, total = {}, 0
for file, tensors in shards.items():
    write_shard(file, tensors)
    for name, (_, array) in tensors.items():
        weight_map[name] = file
        total += array.nbytes
with open("model.safetensors.index.json", "w") as f:
    json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f, indent=2)
)";

std::string quoted(const std::string& s) { return "'" + s + "'"; }

}  // namespace

TEST(ReadmeCommands, FromPyTorchAndHuggingFaceRunAsShown) {
    const auto blocks = runnable_blocks();
    ASSERT_GE(blocks.size(), 2u) << "README.md's \"From PyTorch and Hugging Face\" marks its blocks <!-- run: … -->";
    const auto dir = cli_scratch_dir("readme_commands");
    const std::string bin_dir = std::filesystem::path(LEGOLASFLUX_CLI).parent_path().string();
    // Python's blocks share one session, as a reader's would: each run replays the prelude and the
    // blocks before it with their output silenced, then the new block.
    std::string python_so_far = kPrelude;
    int sh_lines = 0;
    for (const Block& b : blocks) {
        if (b.language == "python") {
            std::string block;
            for (const auto& l : b.lines) block += l + "\n";
            std::ofstream(dir / "step.py") << "import contextlib, io\n"
                                              "with contextlib.redirect_stdout(io.StringIO()):\n"
                                              "    exec(compile(open('before.py').read(), 'before.py', 'exec'))\n"
                                           << block;
            std::ofstream(dir / "before.py") << python_so_far;
            const std::string shell = "cd " + quoted(dir.string()) + " && /usr/bin/python3 step.py >/dev/null 2>" +
                                      quoted((dir / "stderr").string());
            const int status = std::system(shell.c_str());
            ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
                << "README.md's Python block at line " << b.line << " failed:\n"
                << slurp(dir / "stderr");
            python_so_far += block;
            continue;
        }
        int n = b.line;
        for (const auto& line : b.lines) {
            const int at = n++;
            if (line.empty() || line[0] == '#') continue;
            ASSERT_EQ(line.rfind("legolasflux ", 0), 0u) << "README.md line " << at << ": " << line;
            const std::string shell = "cd " + quoted(dir.string()) + " && PATH=" + quoted(bin_dir) + ":\"$PATH\" " +
                                      line + " >/dev/null 2>" + quoted((dir / "stderr").string());
            const int status = std::system(shell.c_str());
            ASSERT_TRUE(WIFEXITED(status));
            EXPECT_EQ(WEXITSTATUS(status), 0) << "README.md line " << at << ": " << line << "\n"
                                              << slurp(dir / "stderr");
            ++sh_lines;
        }
    }
    EXPECT_GE(sh_lines, 5) << "the section shows inspect, convert with --key, to .pt, and the sharded checkpoints";
}
