// `legolasflux convert … OUT.pt|OUT.pth` through the binary, read back by Python's torch 1.13
// (/usr/bin/python3, python3-torch): a named row loads into the nn.Module it came from; every
// tensor's name, dtype, shape and value equal the row's; --with-columns read with
// torch.load(weights_only=True); a safetensors file of mixed dtypes → row → .pt and → .safetensors
// with each tensor's dtype and bytes back; refusals, and the help.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cli/cli_support.hpp"
#include "legolasflux/arrow/builder.hpp"
#include "legolasflux/model.hpp"
#include "legolasflux/safetensors.hpp"

namespace cli_torch_save_test {

struct PtConfigV1 {
    int64_t width = 0;
    std::string activation;
};
LEGOLAS_RECORD(PtConfigV1, "cli-test.pt-config", 1, width, activation);

struct PtRowV1 : legolasflux::ModelV1 {
    std::optional<int64_t> epoch;
    std::optional<double> accuracy;
    std::optional<float> loss;
    std::optional<std::string> note;
    std::optional<bool> converged;
    std::optional<std::vector<float>> losses;
    std::optional<std::vector<std::string>> tags;
    std::optional<PtConfigV1> config;
};
LEGOLAS_RECORD_EXTENDS(PtRowV1, "cli-test.pt-row", 1, legolasflux::ModelV1, epoch, accuracy, loss, note, converged,
                       losses, tags, config);

}  // namespace cli_torch_save_test

using namespace lftest;
using cli_torch_save_test::PtRowV1;
namespace lf = legolasflux;
namespace fs = std::filesystem;
using json = nlohmann::ordered_json;

namespace {

// Runs a Python script with Debian's python3 (python3-torch lives there); its stdout as JSON.
json run_python(const fs::path& dir, const std::string& script, const std::vector<std::string>& args) {
    std::ofstream(dir / "script.py") << script;
    std::string command = "/usr/bin/python3 " + (dir / "script.py").string();
    for (const auto& a : args) command += " '" + a + "'";
    command += " >" + (dir / "py.out").string() + " 2>" + (dir / "py.err").string();
    const int status = std::system(command.c_str());
    if (status != 0) {
        ADD_FAILURE() << "python failed: " << slurp(dir / "py.err");
        return json();
    }
    return json::parse(slurp(dir / "py.out"));
}

// A tensor (or anything else torch.load gives) as JSON: tensors as dtype, shape, values and bytes.
const char* kDescribe = R"(import json, sys, torch
def describe(x):
    if isinstance(x, torch.Tensor):
        flat = x.contiguous().view(-1)
        raw = flat.to(torch.uint8) if x.dtype == torch.bool else flat.view(torch.uint8)
        return {"dtype": str(x.dtype), "shape": list(x.shape), "values": flat.tolist(), "hex": bytes(raw.tolist()).hex()}
    if isinstance(x, dict):
        return {"type": type(x).__name__, "items": [[k, describe(v)] for k, v in x.items()]}
    if isinstance(x, list):
        return [describe(v) for v in x]
    return x
)";

std::string hex(std::span<const uint8_t> bytes) {
    static const char* digits = "0123456789abcdef";
    std::string s;
    for (uint8_t b : bytes) s += std::string{digits[b >> 4], digits[b & 15]};
    return s;
}

std::string torch_dtype(lf::SafetensorsDtype d) {
    using D = lf::SafetensorsDtype;
    switch (d) {
        case D::F64: return "torch.float64";
        case D::F32: return "torch.float32";
        case D::F16: return "torch.float16";
        case D::BF16: return "torch.bfloat16";
        case D::I64: return "torch.int64";
        case D::I32: return "torch.int32";
        case D::I16: return "torch.int16";
        case D::I8: return "torch.int8";
        case D::U8: return "torch.uint8";
        case D::BOOL: return "torch.bool";
        default: return "?";
    }
}

// A Linear(3, 2) → ReLU → Linear(2, 1) row: torch's shapes are the Julia sizes reversed.
lf::Weights sequential_weights() {
    return lf::Weights({lf::FlatArray::from_values<float>({3, 2}, {0.5f, -1, 2, 0.25f, 3, -0.75f}),
                        lf::FlatArray::from_values<float>({2}, {0.125f, -2}),
                        lf::FlatArray::from_values<float>({2, 1}, {1.5f, -0.5f}),
                        lf::FlatArray::from_values<float>({1}, {0.0625f})});
}

}  // namespace

TEST(CliTorchSave, RowLoadsIntoItsModelInPython) {
    const auto dir = cli_scratch_dir("torch_save_model");
    lf::ModelV1 row;
    row.weights = sequential_weights();
    lf::ModelWriteOptions options;
    options.weight_names = {"0.weight", "0.bias", "2.weight", "2.bias"};
    lf::write_model_row(dir / "named.arrow", row, options);
    lf::write_model_row(dir / "plain.arrow", row);
    for (const std::string out : {"named.pt", "named.pth"}) {
        const auto r = run_cli({"convert", (dir / "named.arrow").string(), (dir / out).string()});
        ASSERT_EQ(r.exit_code, 0) << describe(r);
        EXPECT_NE(r.out.find("named.arrow -> " + (dir / out).string() + ": 4 weights of Float32"), std::string::npos)
            << r.out;
    }
    auto r = run_cli({"convert", (dir / "plain.arrow").string(), (dir / "plain.pt").string()});
    ASSERT_EQ(r.exit_code, 0) << describe(r);

    const json got =
        run_python(dir, std::string(kDescribe) + R"(
import collections, torch.nn as nn
out = {}
for path in sys.argv[1:]:
    sd = torch.load(path)
    assert type(sd) is collections.OrderedDict, type(sd)
    if "named" in path:
        m = nn.Sequential(nn.Linear(3, 2), nn.ReLU(), nn.Linear(2, 1))
        m.load_state_dict(sd)  # strict: every name and shape
        out["output " + path] = m(torch.tensor([[1.0, 2.0, 3.0]])).tolist()
    out[path] = [[k, describe(v)] for k, v in sd.items()]
print(json.dumps(out))
)",
                   {(dir / "named.pt").string(), (dir / "named.pth").string(), (dir / "plain.pt").string()});
    ASSERT_TRUE(got.is_object());
    const lf::ModelRow named = lf::read_model_row(dir / "named.arrow");
    for (const std::string file : {"named.pt", "named.pth", "plain.pt"}) {
        SCOPED_TRACE(file);
        const json& tensors = got.at((dir / file).string());
        ASSERT_EQ(tensors.size(), 4u);
        for (size_t i = 0; i < 4; ++i) {
            const lf::FlatArray& a = (*named.weights)[i];
            const std::string name =
                file == "plain.pt" ? "weight_000" + std::to_string(i + 1) : (*named.weight_names)[i];
            EXPECT_EQ(tensors[i][0], name);
            const json& t = tensors[i][1];
            EXPECT_EQ(t["dtype"], "torch.float32");
            EXPECT_EQ(t["shape"].get<std::vector<int64_t>>(), std::vector<int64_t>(a.size.rbegin(), a.size.rend()));
            EXPECT_EQ(t["values"].get<std::vector<double>>(), a.to_doubles()) << name;
            EXPECT_EQ(t["hex"], hex(a.values.span())) << name;
        }
    }
    // relu(W0 x + b0) with W0 = [[0.5, -1, 2], [0.25, 3, -0.75]] (the Julia (3, 2) array's bytes):
    // [4.625, 2]; then 1.5 * 4.625 - 0.5 * 2 + 0.0625.
    EXPECT_EQ(got.at("output " + (dir / "named.pt").string()), json::parse("[[6.0]]"));
}

TEST(CliTorchSave, WithColumnsLoadsWithWeightsOnly) {
    const auto dir = cli_scratch_dir("torch_save_columns");
    PtRowV1 row;
    row.weights = sequential_weights();
    row.architecture_version = 3;
    row.epoch = 12;
    row.accuracy = 0.875;
    row.loss = std::nullopt;
    row.note = "trained on digits";
    row.converged = true;
    row.losses = std::vector<float>{0.5f, 0.25f};
    row.tags = std::vector<std::string>{"a", "b"};
    row.config = cli_torch_save_test::PtConfigV1{64, "relu"};
    lf::ModelWriteOptions options;
    options.weight_names = {"0.weight", "0.bias", "2.weight", "2.bias"};
    lf::write_model_row(dir / "row.arrow", row, options);
    const auto r = run_cli({"convert", (dir / "row.arrow").string(), (dir / "row.pt").string(), "--with-columns"});
    ASSERT_EQ(r.exit_code, 0) << describe(r);

    const json got = run_python(dir, std::string(kDescribe) + R"(
x = torch.load(sys.argv[1], weights_only=True)
assert type(x) is dict and list(x) == ["state_dict", "columns"], x.keys()
print(json.dumps({"names": list(x["state_dict"]), "columns": describe(x["columns"])}))
)",
                                {(dir / "row.pt").string()});
    ASSERT_TRUE(got.is_object());
    EXPECT_EQ(got["names"], json::parse(R"(["0.weight", "0.bias", "2.weight", "2.bias"])"));
    const auto scalar = [](const char* dtype, const char* value, const char* hex_bytes) {
        return json::parse(std::string(R"({"dtype": ")") + dtype + R"(", "shape": [], "values": [)" + value +
                           R"(], "hex": ")" + hex_bytes + "\"}");
    };
    json expected = {{"type", "dict"}, {"items", json::array()}};
    auto& items = expected["items"];
    items.push_back({"architecture_version", scalar("torch.int64", "3", "0300000000000000")});
    items.push_back({"epoch", scalar("torch.int64", "12", "0c00000000000000")});
    items.push_back({"accuracy", scalar("torch.float64", "0.875", "000000000000ec3f")});
    items.push_back({"loss", nullptr});
    items.push_back({"note", "trained on digits"});
    items.push_back({"converged", scalar("torch.bool", "true", "01")});
    items.push_back({"losses", json::parse(R"({"dtype": "torch.float32", "shape": [2], "values": [0.5, 0.25],
                                               "hex": "0000003f0000803e"})")});
    items.push_back({"tags", json::parse(R"(["a", "b"])")});
    json config_items = json::array();
    config_items.push_back(json::array({"width", scalar("torch.int64", "64", "4000000000000000")}));
    config_items.push_back(json::array({"activation", "relu"}));
    items.push_back({"config", {{"type", "dict"}, {"items", config_items}}});
    EXPECT_EQ(got["columns"], expected) << got["columns"].dump(1);

    // A column with no weights_only form: refused, naming it; the file already there is untouched.
    lf::ModelRow file_row = lf::read_model_row(dir / "row.arrow");
    auto schema = std::make_shared<lf::arrow::Schema>(*file_row.table.schema);
    schema->fields.push_back(lf::arrow::field("digest", lf::arrow::binary()));
    auto batch = file_row.table.batches.at(0);
    batch.columns.push_back(lf::arrow::make_binary_like(lf::arrow::binary(), {"\x01\x02"}));
    batch.schema = schema;
    file_row.table.schema = schema;
    file_row.table.batches = {batch};
    lf::write_model_row(dir / "binary.arrow", file_row);
    const std::string before = slurp(dir / "row.pt");
    const auto refused =
        run_cli({"convert", (dir / "binary.arrow").string(), (dir / "row.pt").string(), "--with-columns"});
    EXPECT_EQ(refused.exit_code, 1) << describe(refused);
    EXPECT_NE(refused.err.find("column 'digest'"), std::string::npos) << refused.err;
    EXPECT_EQ(slurp(dir / "row.pt"), before);
    // Without --with-columns the columns are not written, and nothing refuses them.
    EXPECT_EQ(run_cli({"convert", (dir / "binary.arrow").string(), (dir / "plain.pt").string()}).exit_code, 0);
}

TEST(CliTorchSave, MixedDtypesComeBackExactly) {
    using D = lf::SafetensorsDtype;
    const auto dir = cli_scratch_dir("torch_save_mixed");
    const auto bytes = [](auto values) {
        return lf::arrow::Buffer::copy_of(values.data(), values.size() * sizeof(values[0]));
    };
    lf::SafetensorsFile file;
    file.tensors = {
        {"enc.weight", D::F16, {2, 2}, bytes(std::vector<uint16_t>{0x2e66, 0xc200, 0x3c00, 0x0001})},
        {"enc.bias", D::F32, {3}, bytes(std::vector<float>{0.1f, 1e-30f, -2.5f})},
        {"bn.num_batches_tracked", D::I64, {}, bytes(std::vector<int64_t>{(1 << 24) + 1})},
        {"emb", D::BF16, {2}, bytes(std::vector<uint16_t>{0x3f81, 0xc000})},
        {"mask", D::BOOL, {2}, bytes(std::vector<uint8_t>{1, 0})},
        {"ids", D::I32, {1, 2}, bytes(std::vector<int32_t>{-3, 70000})},
    };
    lf::write_safetensors(dir / "mixed.safetensors", file);

    auto r = run_cli({"convert", (dir / "mixed.safetensors").string(), (dir / "row.arrow").string()});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_NE(r.out.find("of Float64"), std::string::npos) << "2^24 + 1 needs Float64: " << r.out;
    const lf::ModelRow row = lf::read_model_row(dir / "row.arrow");
    ASSERT_TRUE(row.weight_dtypes);
    EXPECT_EQ(row.weight_dtypes->size(), file.tensors.size());

    for (const std::string out : {"back.safetensors", "back.pt", "direct.pt"}) {
        const std::string in = out == "direct.pt" ? "mixed.safetensors" : "row.arrow";
        r = run_cli({"convert", (dir / in).string(), (dir / out).string()});
        ASSERT_EQ(r.exit_code, 0) << describe(r);
        EXPECT_NE(r.out.find("each in its original dtype"), std::string::npos) << r.out;
    }
    const lf::SafetensorsFile back = lf::read_safetensors(dir / "back.safetensors");
    const json got = run_python(dir, std::string(kDescribe) + R"(
print(json.dumps({p: [[k, describe(v)] for k, v in torch.load(p).items()] for p in sys.argv[1:]}))
)",
                                {(dir / "back.pt").string(), (dir / "direct.pt").string()});
    ASSERT_TRUE(got.is_object());
    for (const lf::SafeTensor& t : file.tensors) {
        SCOPED_TRACE(t.name);
        const auto b = std::find_if(back.tensors.begin(), back.tensors.end(),
                                    [&](const lf::SafeTensor& x) { return x.name == t.name; });
        ASSERT_NE(b, back.tensors.end());
        EXPECT_EQ(b->dtype, t.dtype);
        EXPECT_EQ(b->shape, t.shape);
        EXPECT_EQ(hex(b->data.span()), hex(t.data.span()));
        for (const std::string pt : {"back.pt", "direct.pt"}) {
            const json& tensors = got.at((dir / pt).string());
            const auto found =
                std::find_if(tensors.begin(), tensors.end(), [&](const json& x) { return x[0] == t.name; });
            ASSERT_NE(found, tensors.end()) << pt;
            EXPECT_EQ((*found)[1]["dtype"], torch_dtype(t.dtype)) << pt;
            EXPECT_EQ((*found)[1]["shape"].get<std::vector<int64_t>>(), t.shape) << pt;
            EXPECT_EQ((*found)[1]["hex"], hex(t.data.span())) << pt;
        }
    }
}

TEST(CliTorchSave, RefusalsAndHelp) {
    const auto dir = cli_scratch_dir("torch_save_refusals");
    lf::ModelV1 row;
    row.weights = sequential_weights();
    lf::write_model_row(dir / "m.arrow", row);
    auto r = run_cli({"convert", (dir / "m.arrow").string(), (dir / "m.safetensors").string(), "--with-columns"});
    EXPECT_EQ(r.exit_code, 2) << describe(r);
    EXPECT_NE(r.err.find("--with-columns"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(".pt"), std::string::npos) << r.err;
    // (A .pt input converts to another .pt: tests/cli/torch_load_test.cpp.)
    r = run_cli({"convert", (dir / "m.arrow").string(), (dir / "m.pt").string(), "--compression", "zstd"});
    EXPECT_EQ(r.exit_code, 2) << describe(r);
    EXPECT_FALSE(fs::exists(dir / "m.pt"));
    r = run_cli({"convert", "--help"});
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    for (const std::string part :
         {"or to a PyTorch .pt/.pth file", "a TorchScript archive converts to .arrow", "--with-columns", "--key"})
        EXPECT_NE(r.out.find(part), std::string::npos) << part << "\n" << r.out;
}
