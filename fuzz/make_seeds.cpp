// Writes the seed corpora of the fuzz targets from the project's own test inputs, so that no seed
// is a hand-made binary:
//   make_seeds CORPUS_JSON_DIR JULIA_FIXTURE_DIR OUT_DIR
// - json/:         every integration-JSON case of CORPUS_JSON_DIR (tests/arrow/corpus), as is;
// - ipc_file/, ipc_stream/: each case written by our writer as an Arrow file and as a stream,
//                  uncompressed, LZ4 and ZSTD; plus the Julia-written fixtures (*.arrow) copied
//                  as they are, and re-encoded as streams;
// - legolas/:      rows of the schemas of fuzz_schemas.hpp and model rows, as files and streams;
//                  the Julia fixtures too (Julia's model row);
// - model_row/:    model rows (with and without weights, names, every element type, an extended
//                  schema) and the Julia fixtures;
// - model_load/:   model rows whose weights fit fuzz_model_load's small model (torch_load_shim.hpp),
//                  in several element types, with and without (permuted) names.
// - safetensors/:  the model_row/ seeds that have a safetensors form, converted; and one tensor of
//                  every dtype with metadata, written by our writer.
// - flux_text/:    models as Flux 0.13/0.14 print them, on one line and in the REPL's multi-line
//                  form with its comments, plus every literal form the parser reads.
// OUT_DIR's subfolders are emptied first. Fixtures are only read.
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fuzz_schemas.hpp"
#include "legolasflux/arrow/ipc.hpp"
#include "legolasflux/arrow/json.hpp"
#include "legolasflux/legolasflux.hpp"
#include "legolasflux/safetensors_model.hpp"
#include "legolasflux/torch_save.hpp"
#include "torch_load_shim.hpp"

namespace fs = std::filesystem;
using namespace legolasflux;

namespace {

std::string read_text(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + p.string());
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_bytes(const fs::path& p, const void* data, size_t size) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out.write(static_cast<const char*>(data), static_cast<std::streamsize>(size));
    if (!out) throw std::runtime_error("cannot write " + p.string());
}
void write_bytes(const fs::path& p, const std::vector<uint8_t>& b) { write_bytes(p, b.data(), b.size()); }

struct Codec {
    const char* name;
    arrow::Compression compression;
};
constexpr Codec kCodecs[] = {
    {"none", arrow::Compression::None}, {"lz4", arrow::Compression::Lz4Frame}, {"zstd", arrow::Compression::Zstd}};

// A table as a file (into `file_dir`) and as a stream (into `stream_dir`), in every codec.
void write_encodings(const arrow::Table& t, const std::string& stem, const fs::path& file_dir,
                     const fs::path& stream_dir) {
    for (const Codec& c : kCodecs) {
        arrow::WriteOptions o;
        o.compression = c.compression;
        o.alignment = 8;  // as Julia writes; the tests cover 64
        write_bytes(file_dir / (stem + "." + c.name + ".arrow"), arrow::write_file(t, o));
        write_bytes(stream_dir / (stem + "." + c.name + ".stream"), arrow::write_stream(t, o));
    }
}

Weights example_weights(ElementType type, int seed) {
    std::vector<FlatArray> arrays;
    const std::vector<std::vector<int64_t>> sizes = {{3, 2}, {2}, {1, 1, 2}};
    for (const auto& size : sizes) {
        int64_t n = 1;
        for (int64_t d : size) n *= d;
        std::vector<double> values;
        // Values every element type holds exactly: 0/1 for Bool, small integers, halves for floats.
        for (int64_t i = 0; i < n; ++i) {
            const int64_t k = (i * 7 + seed) % 5;
            values.push_back(type == ElementType::Bool ? static_cast<double>(k % 2)
                             : is_floating(type)       ? static_cast<double>(k) - 1.5
                                                       : static_cast<double>(k));
        }
        arrays.push_back(FlatArray::from_values<double>(size, values).converted_to(type));
    }
    return Weights(type, std::move(arrays));
}

lffuzz::RunV1 example_run(int k) {
    lffuzz::RunV1 r;
    r.epoch = k;
    r.batch = static_cast<uint16_t>(32 * k);
    r.loss = 1.0 / (k + 1);
    r.done = k % 2;
    r.name = "run-" + std::to_string(k);
    r.curve = {0.5f, 0.25f, 0.125f};
    r.maybe_ints = {1, std::nullopt, 3};
    r.tags = {"a", "", "ccc"};
    r.nested = {{1, 2}, {}, {3}};
    r.config = {k, 0.1f};
    if (k % 2) r.maybe_config = lffuzz::ConfigV1{7, 0.5f};
    r.configs = {{1, 0.f}, {2, 0.2f}};
    if (k) r.note = "note";
    return r;
}

void legolas_seeds(const fs::path& legolas_dir, const fs::path& model_dir) {
    std::vector<lffuzz::RunV1> runs = {example_run(0), example_run(1), example_run(2)};
    std::vector<lffuzz::LabeledRunV1> labeled;
    for (int k = 0; k < 2; ++k) {
        lffuzz::LabeledRunV1 l;
        static_cast<lffuzz::RunV1&>(l) = example_run(k);
        l.label = "label" + std::to_string(k);
        labeled.push_back(l);
    }
    const std::vector<lffuzz::ConfigV1> configs = {{1, 0.5f}, {2, 0.25f}};
    const std::vector<std::pair<std::string, arrow::Table>> tables = {
        {"runs", legolas::tag_table(legolas::to_table(runs), legolas::schema_version_of<lffuzz::RunV1>())},
        {"labeled_runs",
         legolas::tag_table(legolas::to_table(labeled), legolas::schema_version_of<lffuzz::LabeledRunV1>())},
        {"configs", legolas::tag_table(legolas::to_table(configs), legolas::schema_version_of<lffuzz::ConfigV1>())},
    };
    for (const auto& [stem, t] : tables) write_encodings(t, stem, legolas_dir, legolas_dir);

    // Model rows: written through write_model_row (to a path: that is its interface), then copied
    // into both corpora.
    const fs::path tmp = model_dir / "tmp.arrow";
    int n = 0;
    auto emit = [&](const std::string& stem) {
        const std::string bytes = read_text(tmp);
        write_bytes(model_dir / (stem + ".arrow"), bytes.data(), bytes.size());
        write_bytes(legolas_dir / ("model_" + stem + ".arrow"), bytes.data(), bytes.size());
        fs::remove(tmp);
        ++n;
    };
    for (ElementType type : {ElementType::Float32, ElementType::Float64, ElementType::Float16, ElementType::Int8,
                             ElementType::UInt64, ElementType::Bool}) {
        const ModelV1 row{.weights = example_weights(type, static_cast<int>(type)), .architecture_version = 1};
        write_model_row(tmp, row);
        emit("model_" + std::string(element_type_name(type)));
    }
    {
        // Native bfloat16: UInt16 values whose item field names the extension.
        ModelWriteOptions o;
        o.bfloat16 = BFloat16Storage::Native;
        write_model_row(tmp, ModelV1{.weights = example_weights(ElementType::BFloat16, 5), .architecture_version = 1},
                        o);
        emit("model_BFloat16_native");
    }
    write_model_row(tmp, ModelV1{});
    emit("model_empty");
    {
        ModelWriteOptions o;
        o.weight_names = {"layer.weight", "layer.bias", "other"};
        o.ipc.compression = arrow::Compression::Zstd;
        write_model_row(tmp, ModelV1{.weights = example_weights(ElementType::Float32, 3)}, o);
        emit("model_named_zstd");
    }
    {
        lffuzz::TrainedModelV1 row;
        row.weights = example_weights(ElementType::Float32, 4);
        row.epoch = 3;
        row.accuracy = 0.94f;
        row.commit_sha = "1a2b3c4";
        write_model_row(tmp, row);
        emit("trained_model");
        ModelWriteOptions o;
        o.schema_version = legolas::schema_version_of<ModelV1>();
        o.ipc.compression = arrow::Compression::Lz4Frame;
        write_model_row(tmp, row, o);
        emit("trained_model_as_model_lz4");
    }
    // Rows that load into fuzz_model_load's small model.
    const fs::path load_dir = model_dir.parent_path() / "model_load";
    for (ElementType type : {ElementType::Float32, ElementType::Float64, ElementType::Float16, ElementType::Int8}) {
        std::vector<FlatArray> arrays;
        int seed = 0;
        for (const auto& size : lffuzz::small_model_julia_sizes()) {
            int64_t count = 1;
            for (int64_t d : size) count *= d;
            std::vector<double> values;
            for (int64_t i = 0; i < count; ++i) values.push_back(static_cast<double>((i + seed) % 3) - 1);
            arrays.push_back(FlatArray::from_values<double>(size, values).converted_to(type));
            ++seed;
        }
        const ModelV1 row{.weights = Weights(type, arrays), .architecture_version = 1};
        const std::string stem = "small_" + std::string(element_type_name(type));
        write_model_row(tmp, row);
        fs::rename(tmp, load_dir / (stem + ".arrow"));
        ModelWriteOptions named;
        named.weight_names = lffuzz::small_model_names();
        write_model_row(tmp, row, named);
        fs::rename(tmp, load_dir / (stem + "_named.arrow"));
        if (type == ElementType::Float32) {
            // The arrays in another order, with their names: loads by name only.
            std::swap(arrays[0], arrays[2]);
            std::swap(named.weight_names[0], named.weight_names[2]);
            write_model_row(tmp, ModelV1{.weights = Weights(type, arrays)}, named);
            fs::rename(tmp, load_dir / (stem + "_permuted.arrow"));
        }
    }

    // A stream form of one model row: read_model_row takes files and streams.
    const arrow::Table t = arrow::read_file(arrow::read_whole_file(model_dir / "model_Float32.arrow"));
    write_bytes(model_dir / "model_Float32.stream", arrow::write_stream(t));
}

void safetensors_seeds(const fs::path& model_dir, const fs::path& out) {
    for (const auto& entry : fs::directory_iterator(model_dir)) {
        try {
            const ModelRow row = read_model_row(entry.path());
            write_bytes(out / (entry.path().stem().string() + ".safetensors"), write_safetensors(to_safetensors(row)));
        } catch (const Error&) {
            // Rows with list or struct columns have no safetensors form.
        }
    }
    SafetensorsFile all;
    for (int d = 0; d <= static_cast<int>(SafetensorsDtype::U64); ++d) {
        const auto dtype = static_cast<SafetensorsDtype>(d);
        std::vector<uint8_t> values(static_cast<size_t>(6 * dtype_size(dtype)));
        for (size_t i = 0; i < values.size(); ++i)
            values[i] = dtype == SafetensorsDtype::BOOL ? i % 2 : static_cast<uint8_t>(i * 37);
        all.tensors.push_back({"t." + std::string(dtype_name(dtype)), dtype, {2, 3}, arrow::Buffer::copy_of(values)});
    }
    all.metadata = {{"format", "pt"}};
    write_bytes(out / "every_dtype.safetensors", write_safetensors(all));
}

}  // namespace

// torch_pickle/: the pickle torch.save writes for {"w": a 2x2 float tensor} (protocol 2), spelled
// out opcode by opcode, and the same dict holding a second name for the same storage.
void torch_pickle_seeds(const fs::path& out) {
    using namespace std::string_literals;  // the opcodes hold NUL bytes: string literals with their length
    auto str = [](const std::string& s) {
        std::string len(4, '\0');
        for (int i = 0; i < 4; ++i) len[i] = static_cast<char>((s.size() >> (8 * i)) & 0xff);
        return "X" + len + s;
    };
    const std::string tensor = "ctorch._utils\n_rebuild_tensor_v2\n(("s + str("storage") + "ctorch\nFloatStorage\n"s +
                               str("0") + str("cpu") + "K\x04tQK\x00K\x02K\x02\x86K\x02K\x01\x86"s + "\x89"s +
                               "ccollections\nOrderedDict\n)RtR"s;
    const std::string head = "\x80\x02"s + "ccollections\nOrderedDict\nq\x00)Rq\x01("s + str("w");
    const std::string one = head + tensor + "u."s;
    write_bytes(out / "one_tensor.pkl", one.data(), one.size());
    const std::string two = head + tensor + "q\x02"s + str("tied") + "h\x02u}"s + str("_metadata") + "Nsb."s;
    write_bytes(out / "tied_and_metadata.pkl", two.data(), two.size());
}

// torch_load/: state dicts of one tensor of every dtype torch has, as write_torch_save writes them.
void torch_load_seeds(const fs::path& out) {
    using D = SafetensorsDtype;
    std::vector<SafeTensor> tensors;
    for (const D d : {D::F64, D::F32, D::F16, D::BF16, D::I64, D::I32, D::I16, D::I8, D::U8, D::BOOL}) {
        const std::vector<uint8_t> bytes(static_cast<size_t>(2 * dtype_size(d)), d == D::BOOL ? 1 : 0x3c);
        tensors.push_back({"t." + std::string(dtype_name(d)), d, {2}, arrow::Buffer::copy_of(bytes)});
    }
    write_torch_save(out / "every_dtype.pt", tensors, {.durable = false});
    write_torch_save(out / "every_dtype_zip64.pt", tensors, {.durable = false, .force_zip64 = true});
}

// flux_text/: texts of models as Flux prints them (see tests/model/flux_text_test.cpp).
// safetensors_index/: indexes of the two shards fuzz_safetensors_index writes beside them (x: F32 [2]
// = 8 bytes, y: I64 [] = 8, z: BF16 [3] = 6), as transformers writes them, and variants.
void safetensors_index_seeds(const fs::path& out) {
    const std::pair<const char*, std::string> indexes[] = {
        {"valid.json", R"({"metadata": {"total_size": 22}, "weight_map": {"x": "a-00001-of-00002.safetensors", )"
                       R"("y": "a-00001-of-00002.safetensors", "z": "a-00002-of-00002.safetensors"}})"},
        {"no_total.json",
         R"({"metadata": {"format": "pt", "total_parameters": 6}, "weight_map": {"x": "a-00001-of-00002.safetensors", )"
         R"("y": "a-00001-of-00002.safetensors", "z": "a-00002-of-00002.safetensors"}})"},
        {"one_shard.json", R"({"metadata": {"total_size": 16}, "weight_map": {"x": "a-00001-of-00002.safetensors", )"
                           R"("y": "a-00001-of-00002.safetensors"}})"},
    };
    for (const auto& [name, text] : indexes) write_bytes(out / name, text.data(), text.size());
}

void flux_text_seeds(const fs::path& out) {
    const std::pair<const char*, std::string_view> texts[] = {
        {"repr_conv_lstm.txt",
         "Chain(Conv((3, 3), 1 => 32, relu, pad=1), Recur(LSTMCell(32 => 64)), Dense(64 => 10), NNlib.softmax)"},
        {"display_conv_lstm.txt", R"(Chain(
  Conv((3, 3), 1 => 32, relu, pad=1),   # 320 parameters
  Recur(
    LSTMCell(32 => 64),                 # 24_832 parameters, plus 128
  ),
  Dense(64 => 10),                      # 650 parameters
  NNlib.softmax,
)         # Total: 9 trainable arrays, 25_802 parameters,
          # plus 2 non-trainable, 128 parameters, summarysize 101.703 KiB.
)"},
        {"display_named.txt", R"(Chain(
  enc = Dense(2 => 3, σ),               # 9 parameters
  dec = Dense(3 => 2; bias=false),      # 6 parameters
)                   # Total: 3 arrays, 15 parameters, 348 bytes.)"},
        {"display_skip_parallel.txt", R"(Chain(
  SkipConnection(
    Chain(
      Conv((3, 3), 8 => 8, pad=1, bias=false),  # 576 parameters
      BatchNorm(8, relu),               # 16 parameters, plus 16
    ),
    +,
  ),
  Parallel(
    vcat,
    a = Dense(8 => 4),                  # 36 parameters
    b = Dense(8 => 4, tanh),            # 36 parameters
  ),
  Flux.flatten,
)         # Total: 7 trainable arrays, 664 parameters,
          # plus 2 non-trainable, 16 parameters, summarysize 3.914 KiB.
)"},
        {"repr_vector_maxout.txt",
         "Chain([Maxout(Dense(4 => 2), Dense(4 => 2)), PairwiseFusion(+, Dense(2 => 2), Dense(2 => 2))])"},
        {"repr_options.txt",
         "Chain(Upsample(:nearest, scale = (2, 2)), MaxPool((2, 2), pad=1, stride=(1, 2)), "
         "GroupNorm(32, 8, hardσ, affine=false), Dropout(0.5, dims=3, active=true), "
         "MultiHeadAttention(64 => 32 => 64; nheads=8, bias=true, dropout_prob=0.1), "
         "AlphaDropout{Float64, Random.TaskLocalRNG}(0.5, nothing, Random.TaskLocalRNG()))"},
        {"literals.txt",
         "f((), (1,), (a = 1, b = :x), (; c = \"q\\\"\\n\"), -, *, 1.0f-5, -Inf32, 1e-5, .5, 1_000, "
         "-9223372036854775808, var\"#3#4\"(), [1, 2]; k=#1)"},
    };
    for (const auto& [name, text] : texts) write_bytes(out / name, text.data(), text.size());
}

int main(int argc, char** argv) {
    if (argc != 4) {
        std::cerr << "usage: make_seeds CORPUS_JSON_DIR JULIA_FIXTURE_DIR OUT_DIR\n";
        return 2;
    }
    try {
        const fs::path json_dir = argv[1], julia_dir = argv[2], out = argv[3];
        lffuzz::declare_schemas();
        const fs::path dirs[] = {out / "json",       out / "ipc_file",   out / "ipc_stream",       out / "legolas",
                                 out / "model_row",  out / "model_load", out / "safetensors",      out / "torch_pickle",
                                 out / "torch_load", out / "flux_text",  out / "safetensors_index"};
        for (const auto& d : dirs) {
            fs::remove_all(d);
            fs::create_directories(d);
        }
        int cases = 0;
        for (const auto& entry : fs::directory_iterator(json_dir)) {
            if (entry.path().extension() != ".json") continue;
            const std::string text = read_text(entry.path());
            write_bytes(out / "json" / entry.path().filename(), text.data(), text.size());
            write_encodings(arrow::read_json(text), entry.path().stem().string(), out / "ipc_file", out / "ipc_stream");
            ++cases;
        }
        if (cases == 0) throw std::runtime_error("no integration-JSON case in " + json_dir.string());
        legolas_seeds(out / "legolas", out / "model_row");
        safetensors_seeds(out / "model_row", out / "safetensors");
        torch_pickle_seeds(out / "torch_pickle");
        torch_load_seeds(out / "torch_load");
        flux_text_seeds(out / "flux_text");
        safetensors_index_seeds(out / "safetensors_index");
        int fixtures = 0;
        if (fs::is_directory(julia_dir))
            for (const auto& entry : fs::directory_iterator(julia_dir)) {
                if (entry.path().extension() != ".arrow") continue;
                const std::string name = "julia_" + entry.path().filename().string();
                // Copied by content: the copies are ours (writable), the fixture stays untouched.
                const std::string bytes = read_text(entry.path());
                for (const char* sub : {"ipc_file", "legolas", "model_row"})
                    write_bytes(out / sub / name, bytes.data(), bytes.size());
                const arrow::Table t = arrow::read_file(arrow::read_whole_file(entry.path()));
                write_bytes(out / "ipc_stream" / (name + ".stream"), arrow::write_stream(t));
                write_bytes(out / "model_row" / (name + ".stream"), arrow::write_stream(t));
                ++fixtures;
            }
        std::cout << "make_seeds: " << cases << " JSON cases, " << fixtures << " Julia fixtures -> " << out.string()
                  << "\n";
    } catch (const std::exception& e) {
        std::cerr << "make_seeds: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
