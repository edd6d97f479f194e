// `legolasflux convert --bfloat16 native|float32`: BF16 safetensors and bfloat16 PyTorch state
// dicts into model files stored at 2 bytes a value, or widened (the default); `inspect` names the
// element type.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include "cli/cli_support.hpp"
#include "legolasflux/arrow/compare.hpp"
#include "legolasflux/model.hpp"
#include "legolasflux/safetensors.hpp"

using namespace lftest;
namespace lf = legolasflux;

namespace {

// Two BF16 tensors: 64 x 512 patterns of finite numbers, and a bias of 1.5, -2.
std::filesystem::path bf16_safetensors(const std::filesystem::path& dir) {
    std::vector<uint16_t> weight(64 * 512);
    for (size_t i = 0; i < weight.size(); ++i) weight[i] = static_cast<uint16_t>(0x3800 + (i * 13) % 0x1000);
    lf::SafetensorsFile file;
    file.tensors.push_back({"fc.weight", lf::SafetensorsDtype::BF16, {64, 512}, lf::arrow::Buffer::copy_of(weight)});
    file.tensors.push_back({"fc.bias",
                            lf::SafetensorsDtype::BF16,
                            {2},
                            lf::arrow::Buffer::copy_of(std::vector<uint16_t>{0x3fc0, 0xc000})});
    const auto path = dir / "model.safetensors";
    lf::write_safetensors(path, file);
    return path;
}

}  // namespace

TEST(CliBFloat16, SafetensorsConvertNativelyWhenAsked) {
    const auto dir = cli_scratch_dir("bfloat16_safetensors");
    const auto st = bf16_safetensors(dir);
    const lf::SafetensorsFile original = lf::read_safetensors(st);
    const auto native = dir / "native.arrow", widened = dir / "widened.arrow";

    auto r = run_cli({"convert", st.string(), native.string(), "--bfloat16", "native"});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_NE(r.out.find("2 weights of BFloat16"), std::string::npos) << r.out;
    r = run_cli({"convert", st.string(), widened.string()});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_NE(r.out.find("2 weights of Float32"), std::string::npos) << r.out;

    const lf::ModelRow n = lf::read_model_row(native);
    ASSERT_TRUE(n.weights);
    EXPECT_EQ(n.weights->element_type, lf::ElementType::BFloat16);
    const lf::ModelRow w = lf::read_model_row(widened);
    EXPECT_EQ(w.weights->element_type, lf::ElementType::Float32);
    // The tensors are stored in the file sorted by dtype then name: find each by name.
    for (const auto& t : original.tensors) {
        const auto& names = *n.weight_names;
        const size_t i = static_cast<size_t>(std::find(names.begin(), names.end(), t.name) - names.begin());
        ASSERT_LT(i, names.size()) << t.name;
        EXPECT_TRUE(lf::arrow::same_bytes((*n.weights)[i].values, t.data)) << t.name << ": not widened";
        EXPECT_EQ((*w.weights)[i].converted_to(lf::ElementType::BFloat16), (*n.weights)[i]) << t.name;
    }
    const auto native_size = std::filesystem::file_size(native), widened_size = std::filesystem::file_size(widened);
    std::printf("32770 values: native %ju bytes, float32 %ju bytes\n", static_cast<uintmax_t>(native_size),
                static_cast<uintmax_t>(widened_size));
    EXPECT_LT(native_size, widened_size * 6 / 10);

    r = run_cli({"inspect", native.string()});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_NE(r.out.find("BFloat16"), std::string::npos) << r.out;
    r = run_cli({"inspect", "--json", native.string()});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_NE(r.out.find("\"element_type\": \"BFloat16\""), std::string::npos) << r.out;

    // Back to safetensors: BF16 as it was when asked; F32 by default.
    const auto back = dir / "back.safetensors", back32 = dir / "back32.safetensors";
    r = run_cli({"convert", native.string(), back.string(), "--bfloat16", "native"});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    r = run_cli({"convert", native.string(), back32.string()});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    const lf::SafetensorsFile b = lf::read_safetensors(back), b32 = lf::read_safetensors(back32);
    ASSERT_EQ(b.tensors.size(), 2u);
    for (size_t i = 0; i < 2; ++i) {
        EXPECT_EQ(b.tensors[i].dtype, lf::SafetensorsDtype::BF16);
        EXPECT_EQ(b.tensors[i].name, original.tensors[i].name);
        EXPECT_TRUE(lf::arrow::same_bytes(b.tensors[i].data, original.tensors[i].data)) << i;
        EXPECT_EQ(b32.tensors[i].dtype, lf::SafetensorsDtype::F32);
    }
    // `export` writes float32: NumPy has no bfloat16.
    r = run_cli({"export", native.string(), "-w", "fc.bias", "-o", (dir / "bias.npy").string()});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_NE(slurp(dir / "bias.npy").find("'descr': '<f4'"), std::string::npos);
}

TEST(CliBFloat16, OnlyTheTwoChoicesAreAccepted) {
    const auto dir = cli_scratch_dir("bfloat16_bad");
    const auto st = bf16_safetensors(dir);
    const auto r = run_cli({"convert", st.string(), (dir / "x.arrow").string(), "--bfloat16", "half"});
    EXPECT_EQ(r.exit_code, 2) << describe(r);
    EXPECT_FALSE(std::filesystem::exists(dir / "x.arrow"));
}

TEST(CliBFloat16, PyTorchStateDictConvertsNatively) {
    const auto dir = cli_scratch_dir("bfloat16_torch");
    std::ofstream(dir / "make.py") << R"(import sys, torch, torch.nn as nn
out = sys.argv[1]
torch.manual_seed(3)
m = nn.Sequential(nn.Linear(16, 32), nn.Linear(32, 4)).to(torch.bfloat16)
torch.save(m.state_dict(), out + "/model.pth")
m[0].weight.detach().view(torch.int16).numpy().tofile(out + "/weight.bits")
)";
    const std::string command =
        "/usr/bin/python3 " + (dir / "make.py").string() + " " + dir.string() + " 2>" + (dir / "err").string();
    ASSERT_EQ(std::system(command.c_str()), 0)
        << "Python's torch (python3-torch, installed by scripts/setup.sh): " << slurp(dir / "err");
    const auto out = dir / "model.arrow";
    const auto r = run_cli({"convert", (dir / "model.pth").string(), out.string(), "--bfloat16", "native"});
#ifndef LEGOLASFLUX_CLI_WITH_TORCH
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    EXPECT_NE(r.err.find("built without LibTorch"), std::string::npos) << r.err;
#else
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_NE(r.out.find("4 weights of BFloat16"), std::string::npos) << r.out;
    std::vector<std::string> names;
    const auto row = lf::read_model_row<lf::ModelV1>(out, &names);
    ASSERT_TRUE(row.weights);
    EXPECT_EQ(row.weights->element_type, lf::ElementType::BFloat16);
    EXPECT_EQ(names, (std::vector<std::string>{"0.weight", "0.bias", "1.weight", "1.bias"}));
    const auto& w = (*row.weights)[0];
    EXPECT_EQ(w.size, (std::vector<int64_t>{16, 32}));
    const std::string bits = slurp(dir / "weight.bits");
    ASSERT_EQ(bits.size(), static_cast<size_t>(w.byte_count()));
    EXPECT_EQ(std::memcmp(bits.data(), w.values.data(), bits.size()), 0) << "the bits Python wrote";

    // Without the flag: Float32, as before.
    const auto widened = dir / "widened.arrow";
    const auto d = run_cli({"convert", (dir / "model.pth").string(), widened.string()});
    ASSERT_EQ(d.exit_code, 0) << describe(d);
    const auto wrow = lf::read_model_row<lf::ModelV1>(widened);
    EXPECT_EQ(wrow.weights->element_type, lf::ElementType::Float32);
    EXPECT_EQ((*wrow.weights)[0].converted_to(lf::ElementType::BFloat16), w);
#endif
}
