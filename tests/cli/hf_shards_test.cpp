// Hugging Face sharded checkpoints through the binary: a checkpoint written in the test by Python
// (/usr/bin/python3 with numpy, json and struct: the safetensors bytes by hand, split and named as
// huggingface_hub does, the index as transformers writes it; not by our writer) → `convert` → row →
// `convert --shard-size` → shards equal to the originals (every tensor's name, dtype, shape and
// bytes, the weight_map, total_size), checked by Python; to .pt in one step, read by torch.load;
// `inspect`; refusals and their exit codes.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cli/cli_support.hpp"
#include "legolasflux/model.hpp"

using namespace lftest;
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

// Writes a checkpoint into argv[1] as the Hugging Face tools do: tensors in state-dict order split
// by huggingface_hub's rule (max 64 bytes a shard), each shard in the reference writer's layout
// (dtype alignment, then name; header padded to 8; {"format": "pt"}), the index with
// json.dumps(indent=2, sort_keys=True). Shards 1 and 2 are full (64 bytes): split again in the order
// the files keep (inside a shard, not the state dict's), the tensors fall into the same shards.
const char* kMake = R"(import json, os, struct, sys
import numpy as np
out = sys.argv[1]
def bf16(values):  # bfloat16 numbers: the upper halves of float32s
    bits = np.array(values, dtype=np.float32).view(np.uint32)
    assert ((bits & 0xffff) == 0).all()
    return (bits >> 16).astype('<u2').tobytes()
tensors = [  # name, dtype, shape, data
    ("embed.weight", "BF16", [4, 8], bf16([i * 0.5 - 8 for i in range(32)])),
    ("layers.0.weight", "F32", [3, 4], (np.arange(12, dtype='<f4') * 0.1 - 0.5).tobytes()),
    ("layers.0.bias", "BF16", [4], bf16([0.5, -1.5, 2, 0])),
    ("layers.0.steps", "I64", [1], np.array([123456], dtype='<i8').tobytes()),
    ("head.weight", "F32", [2, 4], np.array([1e-3, 2, 3, 4, 5, 6, 7, -8], dtype='<f4').tobytes()),
    ("head.bias", "F16", [2], np.array([0.5, -3], dtype='<f2').tobytes()),
    ("counter", "I64", [], np.array([7], dtype='<i8').tobytes()),
]
MAX = 64
shards, current, size = [], [], 0
for t in tensors:
    n = len(t[3])
    if n > MAX:
        shards.append([t])
        continue
    if size + n > MAX:
        shards.append(current)
        current, size = [], 0
    current.append(t)
    size += n
if current:
    shards.append(current)
ORDER = ["BOOL", "U8", "I8", "I16", "U16", "F16", "BF16", "I32", "U32", "F32", "F64", "I64", "U64"]
def write(path, ts):
    ts = sorted(ts, key=lambda t: (-ORDER.index(t[1]), t[0]))
    header, offset = {"__metadata__": {"format": "pt"}}, 0
    for name, dtype, shape, data in ts:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(t[3] for t in ts))
weight_map = {}
for i, shard in enumerate(shards):
    name = "model-%05d-of-%05d.safetensors" % (i + 1, len(shards))
    write(os.path.join(out, name), shard)
    for t in shard:
        weight_map[t[0]] = name
numel = sum(int(np.prod(t[2])) for t in tensors)
index = {"metadata": {"total_parameters": numel, "total_size": sum(len(t[3]) for t in tensors)},
         "weight_map": weight_map}
with open(os.path.join(out, "model.safetensors.index.json"), "w") as f:
    f.write(json.dumps(index, indent=2, sort_keys=True) + "\n")
print(json.dumps({"shards": len(shards), "total_parameters": numel}))
)";

// Compares two checkpoints (an index with its shards, or one .safetensors file) read by hand:
// every tensor's dtype, shape and bytes, the weight_map and total_size.
const char* kCompare = R"(import json, os, struct, sys
def read_file(path):
    with open(path, "rb") as f:
        raw = f.read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    meta = header.pop("__metadata__", {})
    data = raw[8 + n:]
    return meta, {k: (v["dtype"], v["shape"], data[v["data_offsets"][0]:v["data_offsets"][1]].hex())
                  for k, v in header.items()}
def read(path):
    if not path.endswith(".index.json"):
        return read_file(path)[1], None, None, []
    with open(path) as f:
        index = json.load(f)
    tensors, formats = {}, []
    for shard in sorted(set(index["weight_map"].values())):
        meta, ts = read_file(os.path.join(os.path.dirname(path), shard))
        formats.append(meta.get("format"))
        for k, v in ts.items():
            assert index["weight_map"][k] == shard, k
            tensors[k] = v
    return tensors, index["weight_map"], index["metadata"], formats
a, b = read(sys.argv[1]), read(sys.argv[2])
print(json.dumps({"same_tensors": a[0] == b[0], "names": sorted(a[0]), "other_names": sorted(b[0]),
                  "differing": sorted(k for k in a[0] if a[0][k] != b[0].get(k)),
                  "same_weight_map": a[1] == b[1], "weight_map": b[1],
                  "metadata": b[2], "formats": b[3]}))
)";

// torch.load of argv[1] against the checkpoint of argv[2]: each tensor's dtype, and the names whose
// shape or bytes differ from the shard's.
const char* kTorchLoad = R"(import json, os, struct, sys, torch
sd = torch.load(sys.argv[1])
index = json.load(open(sys.argv[2]))
differing = []
for name, shard in index["weight_map"].items():
    raw = open(os.path.join(os.path.dirname(sys.argv[2]), shard), "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    entry = json.loads(raw[8:8 + n])[name]
    begin, end = entry["data_offsets"]
    t = sd[name].contiguous()
    got = bytes(t.view(-1).view(torch.uint8).tolist()) if t.numel() else b""
    if list(t.shape) != entry["shape"] or got != raw[8 + n + begin:8 + n + end]:
        differing.append(name)
print(json.dumps({"dtypes": {k: str(v.dtype) for k, v in sd.items()}, "order": list(sd), "differing": differing}))
)";

json run_python(const fs::path& dir, const char* script, const std::vector<std::string>& args) {
    std::ofstream(dir / "script.py") << script;
    std::string command = "/usr/bin/python3 " + (dir / "script.py").string();
    for (const auto& a : args) command += " '" + a + "'";
    command += " >" + (dir / "py.out").string() + " 2>" + (dir / "py.err").string();
    if (std::system(command.c_str()) != 0) {
        ADD_FAILURE() << "python (/usr/bin/python3 with numpy) failed: " << slurp(dir / "py.err");
        return json::object();
    }
    return json::parse(slurp(dir / "py.out"));
}

// A checkpoint written by Python in `dir`/hf.
fs::path hugging_face_checkpoint(const fs::path& dir) {
    fs::create_directories(dir / "hf");
    const json made = run_python(dir, kMake, {(dir / "hf").string()});
    EXPECT_EQ(made.value("shards", 0), 3);
    return dir / "hf" / "model.safetensors.index.json";
}

}  // namespace

TEST(CliHuggingFaceShards, CheckpointToRowAndBackIsEqual) {
    const auto dir = cli_scratch_dir("hf_shards_roundtrip");
    const fs::path hf = hugging_face_checkpoint(dir);
    const std::string row = (dir / "row.arrow").string();

    auto r = run_cli({"convert", hf.string(), row});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_NE(r.out.find(hf.string() + " -> " + row + ": 7 weights of Float32, schema legolas-flux.model@1"),
              std::string::npos)
        << r.out;

    // One row: the shards in order, each in its data order; every original dtype recorded.
    const legolasflux::ModelRow read = legolasflux::read_model_row(row);
    ASSERT_TRUE(read.weight_names && read.weight_dtypes);
    EXPECT_EQ(*read.weight_names, (std::vector<std::string>{"embed.weight", "layers.0.steps", "layers.0.weight",
                                                            "layers.0.bias", "counter", "head.weight", "head.bias"}));
    using E = legolasflux::ElementType;
    EXPECT_EQ(*read.weight_dtypes,
              (std::vector<E>{E::BFloat16, E::Int64, E::Float32, E::BFloat16, E::Int64, E::Float32, E::Float16}));
    EXPECT_EQ((*read.weights)[0].size, (std::vector<int64_t>{8, 4})) << "Julia's size: the torch shape reversed";

    // Back to shards of the same size: the same files, tensors and weight_map.
    fs::create_directories(dir / "out");
    const std::string out = (dir / "out" / "model.safetensors.index.json").string();
    r = run_cli({"convert", row, out, "--shard-size", "64B"});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_NE(r.out.find(", 3 shards of at most 64 bytes (model-00001-of-00003.safetensors … "
                         "model-00003-of-00003.safetensors)"),
              std::string::npos)
        << r.out;
    EXPECT_NE(r.out.find("each in its original dtype: BF16, I64, F32, BF16, I64, F32, F16"), std::string::npos)
        << r.out;
    json same = run_python(dir, kCompare, {hf.string(), out});
    EXPECT_TRUE(same.value("same_tensors", false)) << same.dump(2);
    EXPECT_EQ(same["names"].size(), 7u);
    EXPECT_TRUE(same.value("same_weight_map", false)) << same.dump(2);
    EXPECT_EQ(same["metadata"]["total_size"], 172);
    EXPECT_EQ(same["metadata"]["total_parameters"], "60") << "the index's number, kept as the row's string column";
    EXPECT_EQ(same["formats"], json::array({"pt", "pt", "pt"}));

    // Another shard size: other files, the same tensors.
    fs::create_directories(dir / "one");
    const std::string one = (dir / "one" / "model.safetensors.index.json").string();
    r = run_cli({"convert", row, one, "--shard-size", "1KiB"});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_NE(r.out.find(", 1 shard of at most 1024 bytes (model-00001-of-00001.safetensors)"), std::string::npos)
        << r.out;
    same = run_python(dir, kCompare, {hf.string(), one});
    EXPECT_TRUE(same.value("same_tensors", false)) << same.dump(2);
    EXPECT_FALSE(same.value("same_weight_map", true));

    // Shards to shards, and to one safetensors file, directly.
    fs::create_directories(dir / "again");
    const std::string again = (dir / "again" / "model.safetensors.index.json").string();
    r = run_cli({"convert", hf.string(), again, "--shard-size", "0.064kB"});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_NE(r.out.find("3 shards of at most 64 bytes (model-00001-of-00003.safetensors"), std::string::npos) << r.out;
    same = run_python(dir, kCompare, {hf.string(), again});
    EXPECT_TRUE(same.value("same_tensors", false) && same.value("same_weight_map", false)) << same.dump(2);
    const std::string single = (dir / "single.safetensors").string();
    r = run_cli({"convert", hf.string(), single});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    same = run_python(dir, kCompare, {hf.string(), single});
    EXPECT_TRUE(same.value("same_tensors", false)) << same.dump(2);

    // And to PyTorch in one step: torch.load gives each tensor in its original dtype and bytes.
    const std::string pt = (dir / "model.pt").string();
    r = run_cli({"convert", hf.string(), pt});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    const json loaded = run_python(dir, kTorchLoad, {pt, hf.string()});
    EXPECT_EQ(loaded["dtypes"], json::parse(R"({"embed.weight": "torch.bfloat16", "layers.0.steps": "torch.int64",
        "layers.0.weight": "torch.float32", "layers.0.bias": "torch.bfloat16", "counter": "torch.int64",
        "head.weight": "torch.float32", "head.bias": "torch.float16"})"));
    EXPECT_EQ(loaded["order"].size(), 7u);
    EXPECT_EQ(loaded["differing"], json::array()) << loaded.dump(2);
}

TEST(CliHuggingFaceShards, InspectShowsShardsAndTensors) {
    const auto dir = cli_scratch_dir("hf_shards_inspect");
    const fs::path hf = hugging_face_checkpoint(dir);
    auto r = run_cli({"inspect", hf.string()});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_NE(r.out.find("format      safetensors index (a sharded checkpoint: 3 shards)"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("metadata    total_parameters = 60"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("model-00002-of-00003.safetensors       3 tensors            64 bytes"), std::string::npos)
        << r.out;
    EXPECT_NE(r.out.find("total: 7 tensors, 60 values, 172 bytes in 3 shards"), std::string::npos) << r.out;

    r = run_cli({"inspect", "--json", hf.string()});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    const json j = json::parse(r.out);
    EXPECT_EQ(j["format"], "safetensors-index");
    ASSERT_EQ(j["shards"].size(), 3u);
    EXPECT_EQ(j["shards"][0]["file"], "model-00001-of-00003.safetensors");
    EXPECT_EQ(j["tensors"][1]["name"], "layers.0.steps");
    EXPECT_EQ(j["tensors"][1]["dtype"], "I64");
    EXPECT_EQ(j["tensors"][1]["shard"], "model-00002-of-00003.safetensors");
    EXPECT_EQ(j["tensors"][4]["shape"], json::array()) << "the 0-d counter";
    EXPECT_EQ(j["total_bytes"], 172);
}

TEST(CliHuggingFaceShards, RefusalsSayWhatAndExitAsDocumented) {
    const auto dir = cli_scratch_dir("hf_shards_refusals");
    const fs::path hf = hugging_face_checkpoint(dir);
    const std::string row = (dir / "row.arrow").string();
    ASSERT_EQ(run_cli({"convert", hf.string(), row}).exit_code, 0);
    const std::string out = (dir / "model.safetensors.index.json").string();

    for (const auto& [size, why] :
         std::vector<std::pair<std::string, std::string>>{{"5XB", "'5XB' has an unknown unit"},
                                                          {"0", "'0' is zero"},
                                                          {"-3", "'-3' is not a size"},
                                                          {"1.5B", "'1.5B' is not a whole number of bytes"},
                                                          {"GB", "'GB' is not a size"},
                                                          {"99999999999999999999", "is too large"},
                                                          {"9000000000000TB", "is too large"}}) {
        const auto r = run_cli({"convert", row, out, "--shard-size", size});
        EXPECT_EQ(r.exit_code, 2) << size << "\n" << describe(r);
        EXPECT_NE(r.err.find("--shard-size"), std::string::npos) << describe(r);
        EXPECT_NE(r.err.find(why), std::string::npos) << describe(r);
    }
    EXPECT_FALSE(fs::exists(out)) << "nothing written";
    auto r = run_cli({"convert", row, (dir / "x.arrow").string(), "--shard-size", "5GB"});
    EXPECT_EQ(r.exit_code, 2) << describe(r);
    EXPECT_NE(r.err.find("it is for sharded output"), std::string::npos) << describe(r);
    r = run_cli({"convert", row, out, "--compression", "zstd"});
    EXPECT_EQ(r.exit_code, 2) << describe(r);

    // The default, Hugging Face's 5GB, and a binary unit.
    r = run_cli({"convert", row, out});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_NE(r.out.find("1 shard of at most 5000000000 bytes"), std::string::npos) << r.out;
    r = run_cli({"convert", row, out, "--shard-size", "1.5GiB"});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_NE(r.out.find("1 shard of at most 1610612736 bytes"), std::string::npos) << r.out;
    // Fewer, larger shards after more: the earlier ones are removed, and said so.
    r = run_cli({"convert", row, out, "--shard-size", "64"});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_NE(r.out.find("removed 1 stale shard of an earlier write: model-00001-of-00001.safetensors"),
              std::string::npos)
        << r.out;

    // A shard missing: exit 1, naming it and the index, once each.
    fs::remove(dir / "hf" / "model-00002-of-00003.safetensors");
    r = run_cli({"convert", hf.string(), (dir / "y.arrow").string()});
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    const std::string shard = (dir / "hf" / "model-00002-of-00003.safetensors").string();
    EXPECT_EQ(r.err, "legolasflux: error: " + shard + ": the shard is missing (the index " + hf.string() +
                         " puts 3 tensors in it: 'layers.0.bias', 'layers.0.steps', 'layers.0.weight')\n");
    r = run_cli({"inspect", hf.string()});
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    EXPECT_NE(r.err.find("the shard is missing"), std::string::npos) << describe(r);

    // A weight_map that leaves the directory.
    std::ofstream(dir / "evil.safetensors.index.json") << R"({"weight_map": {"w": "../row.arrow"}})";
    r = run_cli({"convert", (dir / "evil.safetensors.index.json").string(), (dir / "z.arrow").string()});
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    EXPECT_NE(r.err.find("the weight_map puts 'w' in the shard \"../row.arrow\", which is not a file of the index's "
                         "directory"),
              std::string::npos)
        << describe(r);
}
