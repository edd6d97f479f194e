// `legolasflux inspect FILE.safetensors` through the real binary: a file written by the library with
// several dtypes and metadata, one converted from a model file by the CLI, and broken files.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cli/cli_files.hpp"
#include "cli/cli_support.hpp"
#include "legolasflux/model.hpp"
#include "legolasflux/safetensors.hpp"

using namespace lftest;
using legolasflux::SafeTensor;
using legolasflux::SafetensorsDtype;
using legolasflux::SafetensorsFile;

namespace {

// Three tensors of three dtypes (one a scalar) and two metadata entries. Written as the reference
// writer orders them (I64 before F16 before BOOL), which is the order inspect lists them in.
std::filesystem::path write_mixed(const std::filesystem::path& dir) {
    SafetensorsFile file;
    file.metadata = {{"format", "pt"}, {"note", "three tensors"}};
    const std::vector<int64_t> longs = {1, -2, 3};
    const std::vector<uint16_t> halves = {0x3c00, 0x4000, 0x4200, 0x4400};  // 1, 2, 3, 4 as float16
    file.tensors.push_back(
        SafeTensor{"layer.bias", SafetensorsDtype::I64, {3}, legolasflux::arrow::Buffer::copy_of(longs)});
    file.tensors.push_back(
        SafeTensor{"layer.weight", SafetensorsDtype::F16, {2, 2}, legolasflux::arrow::Buffer::copy_of(halves)});
    file.tensors.push_back(SafeTensor{"flag", SafetensorsDtype::BOOL, {}, legolasflux::arrow::Buffer::copy_of("\x01")});
    const auto path = dir / "mixed.safetensors";
    legolasflux::write_safetensors(path, file);
    return path;
}

// A two-array model row with names, as docs/cli.md's model.arrow.
std::filesystem::path write_model(const std::filesystem::path& dir) {
    legolasflux::ModelV1 row;
    row.weights = legolasflux::Weights({legolasflux::FlatArray::from_values<float>({2, 3}, {0, 1, 2, 3, 4, 5}),
                                        legolasflux::FlatArray::from_values<float>({3}, {1, 1, 1})});
    row.architecture_version = 7;
    legolasflux::ModelWriteOptions options;
    options.weight_names = {"fc.weight", "fc.bias"};
    const auto path = dir / "model.arrow";
    legolasflux::write_model_row(path, row, options);
    return path;
}

}  // namespace

TEST(CliInspectSafetensors, TextListsTensorsMetadataAndTotals) {
    const auto dir = cli_scratch_dir("inspect_st_text");
    const auto path = write_mixed(dir);
    const auto r = run_cli({"inspect", path.string()});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_EQ(r.err, "");
    EXPECT_EQ(r.out.rfind(path.string() + "\nformat      safetensors (header ", 0), 0u) << r.out;
    EXPECT_NE(r.out.find("metadata    format = pt\n"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("            note = three tensors\n"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("tensors: 3\n"), std::string::npos) << r.out;
    // One line per tensor, in data order: index, name, dtype, shape, count, bytes.
    const auto line_of = [&](const std::string& name) {
        const size_t at = r.out.find("  " + name + " ");
        if (at == std::string::npos) return std::string();
        const size_t begin = r.out.rfind('\n', at) + 1;
        return r.out.substr(begin, r.out.find('\n', at) - begin);
    };
    const std::string bias = line_of("layer.bias"), weight = line_of("layer.weight"), flag = line_of("flag");
    EXPECT_NE(bias.find("I64"), std::string::npos) << bias;
    EXPECT_NE(bias.find("[3]"), std::string::npos) << bias;
    EXPECT_TRUE(bias.ends_with(" 3            24")) << bias;
    EXPECT_NE(weight.find("F16"), std::string::npos) << weight;
    EXPECT_NE(weight.find("[2, 2]"), std::string::npos) << weight;
    EXPECT_TRUE(weight.ends_with(" 4             8")) << weight;
    EXPECT_NE(flag.find("BOOL"), std::string::npos) << flag;
    EXPECT_NE(flag.find("[]"), std::string::npos) << flag;
    EXPECT_TRUE(flag.ends_with(" 1             1")) << flag;
    EXPECT_LT(r.out.find("layer.bias"), r.out.find("layer.weight"));
    EXPECT_LT(r.out.find("layer.weight"), r.out.find("  flag "));
    EXPECT_NE(r.out.find("total: 3 tensors, 8 values, 33 bytes\n"), std::string::npos) << r.out;
}

TEST(CliInspectSafetensors, JsonHasOffsetsThatTileTheDataSection) {
    const auto dir = cli_scratch_dir("inspect_st_json");
    const auto path = write_mixed(dir);
    const auto r = run_cli({"inspect", "--json", path.string()});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    const auto doc = nlohmann::json::parse(r.out);
    EXPECT_EQ(doc["format"], "safetensors");
    EXPECT_EQ(doc["metadata"], (nlohmann::json{{"format", "pt"}, {"note", "three tensors"}}));
    const auto& tensors = doc["tensors"];
    ASSERT_EQ(tensors.size(), 3u);
    const std::vector<std::string> names = {"layer.bias", "layer.weight", "flag"}, dtypes = {"I64", "F16", "BOOL"};
    const std::vector<std::vector<int64_t>> shapes = {{3}, {2, 2}, {}};
    const std::vector<int64_t> bytes = {24, 8, 1};
    int64_t offset = 0;
    for (size_t i = 0; i < 3; ++i) {
        EXPECT_EQ(tensors[i]["index"], i);
        EXPECT_EQ(tensors[i]["name"], names[i]);
        EXPECT_EQ(tensors[i]["dtype"], dtypes[i]);
        EXPECT_EQ(tensors[i]["shape"].get<std::vector<int64_t>>(), shapes[i]) << i;
        EXPECT_EQ(tensors[i]["bytes"], bytes[i]);
        EXPECT_EQ(tensors[i]["data_offsets"], (nlohmann::json{offset, offset + bytes[i]})) << i;
        offset += bytes[i];
    }
    EXPECT_EQ(doc["total_tensors"], 3);
    EXPECT_EQ(doc["total_values"], 8);
    EXPECT_EQ(doc["total_bytes"], 33);
    // The header is what the file holds besides its 8-byte size and the data; the file's own
    // first 8 bytes say the same.
    const auto file = read_bytes(path);
    uint64_t header = 0;
    for (int i = 7; i >= 0; --i) header = header << 8 | file[static_cast<size_t>(i)];
    EXPECT_EQ(doc["header_bytes"].get<uint64_t>(), header);
    EXPECT_EQ(8 + header + 33, file.size());
}

TEST(CliInspectSafetensors, AConvertedModelShowsTheTorchShapesOfTheModelFile) {
    const auto dir = cli_scratch_dir("inspect_st_converted");
    const auto model = write_model(dir);
    const auto converted = dir / "model.safetensors";
    ASSERT_EQ(run_cli({"convert", model.string(), converted.string()}).exit_code, 0);
    const auto a = run_cli({"inspect", "--json", model.string()});
    const auto s = run_cli({"inspect", "--json", converted.string()});
    ASSERT_EQ(a.exit_code, 0) << describe(a);
    ASSERT_EQ(s.exit_code, 0) << describe(s);
    const auto arrow = nlohmann::json::parse(a.out), st = nlohmann::json::parse(s.out);
    EXPECT_EQ(arrow["format"], "arrow");
    EXPECT_EQ(st["metadata"]["architecture_version"], "7");
    EXPECT_EQ(st["metadata"]["legolas_schema_qualified"], "legolas-flux.model@1");
    // Every weight of the model file is a tensor of the same name, torch shape, dtype and size.
    ASSERT_EQ(st["tensors"].size(), arrow["weights"]["arrays"].size());
    for (const auto& w : arrow["weights"]["arrays"]) {
        const auto it = std::find_if(st["tensors"].begin(), st["tensors"].end(),
                                     [&](const auto& t) { return t["name"] == w["name"]; });
        ASSERT_NE(it, st["tensors"].end()) << w["name"];
        EXPECT_EQ((*it)["shape"], w["torch_shape"]) << w["name"];
        EXPECT_EQ((*it)["dtype"], "F32");
        EXPECT_EQ((*it)["bytes"], w["bytes"]) << w["name"];
    }
    EXPECT_EQ(st["total_bytes"], arrow["weights"]["total_bytes"]);
    EXPECT_EQ(st["total_values"], arrow["weights"]["total_values"]);
}

TEST(CliInspectSafetensors, MissingCorruptAndWrongFilesAreErrorsNamingThePath) {
    const auto dir = cli_scratch_dir("inspect_st_bad");
    const auto good = read_bytes(write_mixed(dir));

    auto r = run_cli({"inspect", (dir / "missing.safetensors").string()});
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    EXPECT_EQ(r.out, "");
    EXPECT_NE(r.err.find("missing.safetensors"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("No such file"), std::string::npos) << r.err;

    // The last byte of the data cut off: the tensors no longer end at the end of the file.
    auto bytes = good;
    bytes.pop_back();
    write_bytes(dir / "truncated.safetensors", bytes);
    r = run_cli({"inspect", "--json", (dir / "truncated.safetensors").string()});
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    EXPECT_EQ(r.out, "");
    EXPECT_NE(r.err.find("truncated.safetensors"), std::string::npos) << r.err;

    // A header size larger than the file.
    bytes = good;
    bytes[5] = 0x7f;
    write_bytes(dir / "huge_header.safetensors", bytes);
    r = run_cli({"inspect", (dir / "huge_header.safetensors").string()});
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    EXPECT_EQ(r.out, "");
    EXPECT_NE(r.err.find("huge_header.safetensors"), std::string::npos) << r.err;

    // The header's JSON broken: its opening brace replaced.
    bytes = good;
    ASSERT_EQ(bytes[8], '{');
    bytes[8] = '[';
    write_bytes(dir / "bad_json.safetensors", bytes);
    r = run_cli({"inspect", (dir / "bad_json.safetensors").string()});
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    EXPECT_NE(r.err.find("bad_json.safetensors"), std::string::npos) << r.err;

    // An Arrow file named .safetensors is read as what its name says, and refused.
    std::filesystem::copy_file(julia_model(), dir / "julia.safetensors");
    r = run_cli({"inspect", (dir / "julia.safetensors").string()});
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    EXPECT_NE(r.err.find("julia.safetensors"), std::string::npos) << r.err;

    // An empty file.
    write_bytes(dir / "empty.safetensors", {});
    r = run_cli({"inspect", (dir / "empty.safetensors").string()});
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    EXPECT_NE(r.err.find("empty.safetensors"), std::string::npos) << r.err;
}
