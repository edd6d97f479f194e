// `legolasflux convert` from files Python's torch writes: a state dict (torch.save, read in
// process) and a scripted module (torch.jit.save, read by legolasflux-torch), into model rows with
// the tensors' names. (That such rows load into the
// same C++ model with equal outputs is tests/torch/pytorch_file_test.cpp.)
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "cli/cli_support.hpp"
#include "legolasflux/model.hpp"

using namespace lftest;

namespace {

// Python's torch makes the files; returns false (with the reason in `why`) when it cannot.
bool make_python_files(const std::filesystem::path& dir, std::string& why) {
    std::ofstream(dir / "make.py") << R"(import sys, torch, torch.nn as nn
out = sys.argv[1]
torch.manual_seed(1)
m = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.ReLU(), nn.Flatten(), nn.Linear(8, 3))
m.train()
m(torch.randn(4, 1, 4, 4))
m.eval()
torch.save(m.state_dict(), out + "/model.pth")
torch.jit.save(torch.jit.script(m), out + "/model.pt")
m[0].weight.detach().numpy().tofile(out + "/conv_weight.f32")
)";
    const std::string command =
        "/usr/bin/python3 " + (dir / "make.py").string() + " " + dir.string() + " 2>" + (dir / "err").string();
    if (std::system(command.c_str()) == 0) return true;
    why = slurp(dir / "err");
    return false;
}

}  // namespace

TEST(CliConvertTorch, StateDictAndTorchScriptBecomeNamedRows) {
    const auto dir = cli_scratch_dir("convert_torch");
    std::string why;
    ASSERT_TRUE(make_python_files(dir, why))
        << "Python's torch (python3-torch, installed by scripts/setup.sh): " << why;
#ifndef LEGOLASFLUX_CLI_WITH_TORCH
    {  // a scope of its own: `r` is declared again below
        const auto r = run_cli({"convert", (dir / "model.pt").string(), (dir / "out.arrow").string()});
        EXPECT_EQ(r.exit_code, 1) << describe(r);
        EXPECT_NE(r.err.find("built without LibTorch"), std::string::npos) << r.err;
    }
#else
    const std::vector<std::string> expected_names = {
        "0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var", "1.num_batches_tracked",
        "4.weight", "4.bias"};
    std::vector<float> conv_weight(18);
    std::ifstream(dir / "conv_weight.f32", std::ios::binary).read(reinterpret_cast<char*>(conv_weight.data()), 18 * 4);

    for (const auto& [input, kind] : {std::pair{"model.pth", "state-dict"}, std::pair{"model.pt", "torchscript"}}) {
        SCOPED_TRACE(input);
        const auto out = dir / (std::string(input) + ".arrow");
        const auto r = run_cli({"convert", (dir / input).string(), out.string(), "--compression", "zstd"});
        ASSERT_EQ(r.exit_code, 0) << describe(r);
        EXPECT_NE(r.out.find(std::string("(") + kind + ")"), std::string::npos) << r.out;

        std::vector<std::string> names;
        const auto row = legolasflux::read_model_row<legolasflux::ModelV1>(out, &names);
        EXPECT_EQ(names, expected_names);
        ASSERT_EQ(row.weights->size(), 9u);
        // The conv weight, torch shape (2, 1, 3, 3): the Julia size reversed, the same bytes.
        const auto& w = (*row.weights)[0];
        EXPECT_EQ(w.size, (std::vector<int64_t>{3, 3, 1, 2}));
        const auto values = w.data<float>();
        EXPECT_TRUE(std::equal(values.begin(), values.end(), conv_weight.begin()));
        EXPECT_EQ((*row.weights)[6].to_doubles(), std::vector<double>{1});  // num_batches_tracked
    }
    // Forcing the wrong kind is a clear error.
    const auto wrong =
        run_cli({"convert", "--from", "torchscript", (dir / "model.pth").string(), (dir / "x.arrow").string()});
    EXPECT_EQ(wrong.exit_code, 1) << describe(wrong);
    EXPECT_NE(wrong.err.find("not a TorchScript archive"), std::string::npos) << wrong.err;
    EXPECT_FALSE(std::filesystem::exists(dir / "x.arrow"));
#endif
    // A state dict is read without LibTorch, into any output; a TorchScript archive converts to .arrow only.
    const auto to_pt = run_cli({"convert", (dir / "model.pth").string(), (dir / "back.pt").string()});
    EXPECT_EQ(to_pt.exit_code, 0) << describe(to_pt);
    EXPECT_NE(to_pt.out.find("model.pth (state-dict) -> "), std::string::npos) << to_pt.out;
    const auto script_out = run_cli({"convert", (dir / "model.pt").string(), (dir / "back.safetensors").string()});
    EXPECT_EQ(script_out.exit_code, 2) << describe(script_out);
    EXPECT_NE(script_out.err.find("a TorchScript archive converts to .arrow"), std::string::npos) << script_out.err;
}
