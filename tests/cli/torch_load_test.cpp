// `legolasflux convert` and `inspect` of torch.save files as people have them, read by our own zip
// and pickle code (no LibTorch): files written here by Python's torch 1.13 (/usr/bin/python3,
// python3-torch) — checkpoint dicts picked with --key, whole-module pickles refused clearly, the
// legacy format, .pt → .safetensors in one step — every tensor's name, dtype, shape and bytes
// compared with what Python describes; and damaged files.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cli/cli_support.hpp"
#include "legolasflux/model.hpp"
#include "legolasflux/safetensors.hpp"
#include "legolasflux/safetensors_model.hpp"

using namespace lftest;
namespace lf = legolasflux;
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

// Python writes the files into `dir` and prints, as JSON, each state dict it saved: for every
// tensor its name, dtype (as safetensors names it), shape and contiguous bytes in hex.
const char* kMakeFiles = R"(import json, sys, torch, torch.nn as nn
out = sys.argv[1]
torch.manual_seed(7)
DT = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.int64: "I64", torch.float64: "F64",
      torch.int32: "I32", torch.uint8: "U8", torch.bool: "BOOL", torch.int8: "I8", torch.int16: "I16"}
def describe(sd):
    res = []
    for k, t in sd.items():
        c = t.contiguous().view(-1)
        raw = c.to(torch.uint8) if t.dtype == torch.bool else c.view(torch.uint8)
        res.append([k, DT[t.dtype], list(t.shape), bytes(raw.tolist()).hex()])
    return res
w = torch.randn(3, 2)
model = {"encoder.0.weight": w, "encoder.0.bias": torch.randn(3).half(),
         "decoder.weight": torch.randn(2, 4).bfloat16().t(),       # a transposed view: strided
         "decoder.steps": torch.tensor([5, -7, 2**40]),            # int64
         "head.tied": w,                                           # the same tensor again: kept once
         "mask": torch.tensor([True, False, True]),
         "scale": torch.tensor(2.5, dtype=torch.float64)}
ema = {"w": torch.arange(6, dtype=torch.float32).reshape(2, 3)[:, 1:]}   # a slice of a larger storage
torch.save({"model": model, "epoch": 3, "ema": {"model": ema, "decay": 0.999},
            "optimizer": {"param_groups": [{"lr": 0.001, "betas": (0.9, 0.999)}], "state": {}}}, out + "/ckpt.pt")
encoder = {"0.weight": torch.randn(4, 3), "0.bias": torch.randn(4)}
decoder = {"weight": torch.randn(3, 4).half()}
torch.save({"model": {"encoder": encoder, "decoder": decoder}, "step": 10}, out + "/nested.pth")
legacy = {"a": torch.randn(2, 3).t(), "b": torch.tensor([1, 2, 3]), "c": torch.randn(4).bfloat16()}
torch.save(legacy, out + "/legacy.pt", _use_new_zipfile_serialization=False)
torch.save(nn.Linear(2, 3), out + "/linear.pt")
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(2, 2)
torch.save(Net(), out + "/net.pt")
torch.save({"net": Net(), "epoch": 1}, out + "/net_in_dict.pt")
kept = dict(model)
del kept["head.tied"]
print(json.dumps({"model": describe(kept), "ema.model": describe(ema), "model.encoder": describe(encoder),
                  "legacy": describe(legacy)}))
)";

json make_files(const fs::path& dir) {
    std::ofstream(dir / "make.py") << kMakeFiles;
    const std::string command = "/usr/bin/python3 " + (dir / "make.py").string() + " " + dir.string() + " >" +
                                (dir / "py.out").string() + " 2>" + (dir / "py.err").string();
    if (std::system(command.c_str()) != 0) {
        ADD_FAILURE() << "Python's torch could not make the files (python3-torch, installed by scripts/setup.sh): "
                      << slurp(dir / "py.err");
        return json();
    }
    return json::parse(slurp(dir / "py.out"));
}

std::string hex(std::span<const uint8_t> bytes) {
    static const char* digits = "0123456789abcdef";
    std::string s;
    for (uint8_t b : bytes) s += std::string{digits[b >> 4], digits[b & 15]};
    return s;
}

json describe(const std::vector<lf::SafeTensor>& tensors) {
    json out = json::array();
    for (const auto& t : tensors)
        out.push_back({t.name, std::string(lf::dtype_name(t.dtype)), t.shape, hex(t.data.span())});
    return out;
}

// A .safetensors file's tensors in the row's order (legolasflux.weight_order), as Python listed them.
json describe_safetensors(const fs::path& path) {
    return describe(lf::row_tensors(lf::from_safetensors(lf::read_safetensors(path))));
}
json describe_arrow(const fs::path& path) { return describe(lf::row_tensors(lf::read_model_row(path))); }

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST(CliTorchLoad, CheckpointDictsByKeyToArrowAndSafetensors) {
    const auto dir = cli_scratch_dir("torch_load_key");
    const json expected = make_files(dir);
    ASSERT_FALSE(expected.is_null());
    const std::string ckpt = (dir / "ckpt.pt").string();
    for (const std::string out : {"model.arrow", "model.safetensors", "model.pt"}) {
        SCOPED_TRACE(out);
        const auto r = run_cli({"convert", ckpt, (dir / out).string(), "--key", "model"});
        ASSERT_EQ(r.exit_code, 0) << describe(r);
        EXPECT_TRUE(contains(r.out, "ckpt.pt (state-dict 'model') -> ")) << r.out;
        EXPECT_TRUE(
            contains(r.out, "6 weights of Float64 (each in its original dtype: F32, F16, BF16, I64, BOOL, F64)") ||
            out == "model.arrow")
            << r.out;
    }
    // Every tensor, name, dtype, shape and byte as Python saved it; the tied tensor once.
    EXPECT_EQ(describe_arrow(dir / "model.arrow"), expected["model"]);
    EXPECT_EQ(describe_safetensors(dir / "model.safetensors"), expected["model"]);
    // .pt → .pt: the state dict alone, read back by Python.
    const auto back = run_cli({"inspect", (dir / "model.pt").string()});
    EXPECT_TRUE(contains(back.out, "state dict (top level): 6 tensors")) << describe(back);

    // A state dict two levels down; a slice of a larger storage.
    auto r = run_cli({"convert", ckpt, (dir / "ema.safetensors").string(), "--key", "ema.model"});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_EQ(describe_safetensors(dir / "ema.safetensors"), expected["ema.model"]);
    r = run_cli(
        {"convert", (dir / "nested.pth").string(), (dir / "encoder.safetensors").string(), "--key", "model.encoder"});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_EQ(describe_safetensors(dir / "encoder.safetensors"), expected["model.encoder"]);

    // A key that is not there names what is.
    r = run_cli({"convert", ckpt, (dir / "x.arrow").string(), "--key", "ema.modle"});
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    EXPECT_TRUE(contains(r.err, "'ema' has no key 'modle' (its keys: 'model', 'decay')")) << r.err;
    EXPECT_FALSE(fs::exists(dir / "x.arrow"));
    // --key is for .pt/.pth input.
    r = run_cli({"convert", (dir / "model.arrow").string(), (dir / "y.arrow").string(), "--key", "model"});
    EXPECT_EQ(r.exit_code, 2) << describe(r);
}

TEST(CliTorchLoad, WithoutKeyTheErrorListsKeysAndStateDicts) {
    const auto dir = cli_scratch_dir("torch_load_nokey");
    ASSERT_FALSE(make_files(dir).is_null());
    const auto r = run_cli({"convert", (dir / "ckpt.pt").string(), (dir / "out.arrow").string()});
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    EXPECT_TRUE(contains(r.err, "ckpt.pt: the top level is a dict, not a state dict")) << r.err;
    EXPECT_TRUE(contains(r.err, "its keys are 'model', 'epoch', 'ema', 'optimizer'")) << r.err;
    EXPECT_TRUE(contains(r.err, "state dicts in it: 'model' (7 tensors), 'ema.model' (1 tensors)")) << r.err;
    EXPECT_TRUE(contains(r.err, "choose one with --key model")) << r.err;
    EXPECT_FALSE(fs::exists(dir / "out.arrow"));
    // A dict of state dicts, one level down.
    const auto nested =
        run_cli({"convert", (dir / "nested.pth").string(), (dir / "out.arrow").string(), "--key", "model"});
    EXPECT_EQ(nested.exit_code, 1) << describe(nested);
    EXPECT_TRUE(contains(nested.err, "'model.encoder' (2 tensors), 'model.decoder' (1 tensors)")) << nested.err;
}

TEST(CliTorchLoad, WholeModulePicklesAreRefusedClearly) {
    const auto dir = cli_scratch_dir("torch_load_module");
    ASSERT_FALSE(make_files(dir).is_null());
    for (const auto& [file, cls] :
         {std::pair{"linear.pt", "torch.nn.modules.linear.Linear"}, std::pair{"net.pt", "__main__.Net"}}) {
        SCOPED_TRACE(file);
        const auto r = run_cli({"convert", (dir / file).string(), (dir / "out.safetensors").string()});
        EXPECT_EQ(r.exit_code, 1) << describe(r);
        EXPECT_TRUE(contains(r.err, std::string("is a pickled Python object of class ") + cls)) << r.err;
        EXPECT_TRUE(contains(r.err, "torch.save(model.state_dict(), path)")) << r.err;
        EXPECT_FALSE(contains(r.err, "opcode")) << r.err;
        // inspect shows it, nothing run.
        const auto shown = run_cli({"inspect", (dir / file).string()});
        EXPECT_EQ(shown.exit_code, 0) << describe(shown);
        EXPECT_TRUE(contains(shown.out, std::string("(top level): object ") + cls)) << shown.out;
        EXPECT_TRUE(contains(shown.out, "weight: tensor F32 [")) << shown.out;
    }
    const auto r = run_cli({"convert", (dir / "net_in_dict.pt").string(), (dir / "out.arrow").string()});
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    EXPECT_TRUE(contains(r.err, "'net' is a pickled __main__.Net object: save model.state_dict() instead")) << r.err;
    EXPECT_FALSE(fs::exists(dir / "out.arrow"));
    EXPECT_FALSE(fs::exists(dir / "out.safetensors"));
}

TEST(CliTorchLoad, LegacyFormatIsRead) {
    const auto dir = cli_scratch_dir("torch_load_legacy");
    const json expected = make_files(dir);
    ASSERT_FALSE(expected.is_null());
    auto r = run_cli({"convert", (dir / "legacy.pt").string(), (dir / "legacy.safetensors").string()});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_EQ(describe_safetensors(dir / "legacy.safetensors"), expected["legacy"]);
    r = run_cli({"convert", (dir / "legacy.pt").string(), (dir / "legacy.arrow").string(), "--bfloat16", "native"});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_EQ(describe_arrow(dir / "legacy.arrow"), expected["legacy"]);
    r = run_cli({"inspect", (dir / "legacy.pt").string()});
    EXPECT_TRUE(contains(r.out, "format: torch.save legacy format (not a zip archive)")) << describe(r);
    EXPECT_TRUE(contains(r.out, "  a: tensor F32 [3, 2]\n  b: tensor I64 [3]\n  c: tensor BF16 [4]\n")) << r.out;
}

TEST(CliTorchLoad, InspectShowsTheTree) {
    const auto dir = cli_scratch_dir("torch_load_inspect");
    ASSERT_FALSE(make_files(dir).is_null());
    const std::string ckpt = (dir / "ckpt.pt").string();
    auto r = run_cli({"inspect", ckpt});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    const std::string expected_tree = R"(format: torch.save zip archive

(top level): dict (4 items)
  model: dict (7 items)  (state dict: 7 tensors, 30 values)
    encoder.0.weight: tensor F32 [3, 2]
    encoder.0.bias: tensor F16 [3]
    decoder.weight: tensor BF16 [4, 2]
    decoder.steps: tensor I64 [3]
    head.tied: tensor F32 [3, 2]
    mask: tensor BOOL [3]
    scale: tensor F64 []
  epoch: 3
  ema: dict (2 items)
    model: dict (1 item)  (state dict: 1 tensors, 4 values)
      w: tensor F32 [2, 2]
    decay: 0.999
  optimizer: dict (2 items)
    param_groups: list (1 item)
      0: dict (2 items)
        lr: 0.001
        betas: (0.9, 0.999)
    state: dict (0 items)

state dict model: 7 tensors, 30 values, 105 bytes
state dict ema.model: 1 tensors, 4 values, 16 bytes
)";
    EXPECT_EQ(r.out, ckpt + "\n" + expected_tree);

    // --key: the value there; a key holding dots is matched whole.
    r = run_cli({"inspect", (dir / "nested.pth").string(), "--key", "model.encoder.0.weight"});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_TRUE(contains(r.out, "model.encoder.0.weight: tensor F32 [4, 3]")) << r.out;

    r = run_cli({"inspect", ckpt, "--json", "--key", "ema"});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    const json j = json::parse(r.out);
    EXPECT_EQ(j["format"], "torch.save");
    EXPECT_EQ(j["value"]["type"], "dict");
    EXPECT_EQ(j["value"]["items"][1], (json{{"key", "decay"}, {"value", 0.999}}));
    EXPECT_EQ(j["value"]["items"][0]["value"]["items"][0]["value"],
              (json{{"type", "tensor"}, {"dtype", "F32"}, {"shape", {2, 2}}, {"count", 4}, {"bytes", 16}}));
    EXPECT_EQ(j["state_dicts"], (json::array({{{"key", "ema.model"}, {"tensors", 1}, {"values", 4}, {"bytes", 16}}})));
}

TEST(CliTorchLoad, DamagedFilesAreClearErrors) {
    const auto dir = cli_scratch_dir("torch_load_damaged");
    ASSERT_FALSE(make_files(dir).is_null());
    const std::string zip = slurp(dir / "ckpt.pt"), legacy = slurp(dir / "legacy.pt");
    auto write = [&](const std::string& name, const std::string& bytes) {
        std::ofstream(dir / name, std::ios::binary) << bytes;
        return (dir / name).string();
    };
    std::string flipped = zip;
    flipped[70] ^= 0x55;  // in data.pkl, whose data torch.save aligns to byte 64
    const std::vector<std::pair<std::string, std::string>> cases = {
        {write("half.pt", zip.substr(0, zip.size() / 2)), "no end of central directory record (a truncated file?)"},
        {write("tail.pt", zip.substr(0, zip.size() - 3)), "no end of central directory record"},
        {write("legacy_half.pt", legacy.substr(0, legacy.size() - 10)), "truncated"},
        {write("text.pt", "hello, this is not a checkpoint\n"),
         "not a file saved by torch.save (neither a zip archive nor a pickle)"},
        {write("empty.pt", ""), "an empty file"},
        {write("flipped.pt", flipped), "is damaged (CRC mismatch)"},
    };
    for (const auto& [path, message] : cases) {
        SCOPED_TRACE(path);
        for (const std::string command : {"inspect", "convert"}) {
            std::vector<std::string> args{command, path};
            if (command == "convert") args.push_back((dir / "out.arrow").string());
            const auto r = run_cli(args);
            EXPECT_EQ(r.exit_code, 1) << describe(r);
            EXPECT_TRUE(contains(r.err, path + ": ")) << r.err;
            EXPECT_TRUE(contains(r.err, message)) << r.err;
            EXPECT_FALSE(contains(r.err, "metadata length")) << r.err;
        }
    }
    EXPECT_FALSE(fs::exists(dir / "out.arrow"));
}
