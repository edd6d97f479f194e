// `legolasflux convert IN OUT` (LegolasFlux .arrow ↔ .safetensors, either to PyTorch's .pt/.pth, and
// torch.save files to any of them: torch_files.hpp) and `legolasflux export FILE --weight N|NAME -o OUT.npy`
// (one weight as NumPy .npy).
#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>

#include "commands.hpp"
#include "legolasflux/errors.hpp"
#include "legolasflux/model.hpp"
#include "legolasflux/npy.hpp"
#include "legolasflux/safetensors_model.hpp"
#include "legolasflux/safetensors_shards.hpp"
#include "legolasflux/torch_load.hpp"
#include "legolasflux/torch_save.hpp"
#include "shards_convert.hpp"
#include "torch_convert.hpp"
#include "torch_files.hpp"

namespace legolasflux::cli {
namespace {

namespace fs = std::filesystem;

// SafetensorsIndex: a Hugging Face sharded checkpoint (model.safetensors.index.json and its shards).
enum class Format { Arrow, Safetensors, Torch, SafetensorsIndex };

// The format of a file is its extension's; anything else is a command-line error (exit 2).
Format format_of(const std::string& path, const std::string& role) {
    if (is_safetensors_index(path)) return Format::SafetensorsIndex;
    const std::string ext = fs::path(path).extension().string();
    if (ext == ".arrow") return Format::Arrow;
    if (ext == ".safetensors") return Format::Safetensors;
    if (ext == ".pt" || ext == ".pth") return Format::Torch;
    throw CLI::ValidationError(role, "'" + path +
                                         "' must end in .arrow (LegolasFlux model file), .safetensors, "
                                         ".safetensors.index.json (sharded checkpoint) or .pt/.pth (TorchScript "
                                         "archive or PyTorch state dict)");
}

// Errors of the conversion that do not name the file yet get its path, keeping their type.
template <class F>
auto naming(const std::string& path, F&& f) {
    try {
        return f();
    } catch (const IoError&) {
        throw;
    } catch (const FormatError& e) {
        const std::string what = e.what();
        if (what.starts_with(path)) throw;
        throw FormatError(path + ": " + what);
    } catch (const SchemaError& e) {
        const std::string what = e.what();
        if (what.starts_with(path)) throw;
        throw SchemaError(path + ": " + what);
    } catch (const UnsupportedError& e) {
        const std::string what = e.what();
        if (what.starts_with(path)) throw;
        throw UnsupportedError(path + ": " + what);
    }
}

// `bfloat16`: how BF16 tensors of a safetensors or torch.save file are read (an .arrow file's
// weights are what the file stores); `key`: where a .pt/.pth file's state dict is (torch_files.hpp).
ModelRow read_row(const std::string& path, Format format, BFloat16Storage bfloat16 = BFloat16Storage::Float32,
                  const std::string& key = "") {
    if (format == Format::SafetensorsIndex) {
        // The shards' errors name their files; the row's, the index.
        const SafetensorsFile file = read_safetensors_shards(path).file;
        return naming(path, [&] { return from_safetensors(file, bfloat16); });
    }
    return naming(path, [&] {
        if (format == Format::Arrow) return read_model_row(path);
        if (format == Format::Torch) return torch_state_dict_row(path, key, bfloat16);
        return from_safetensors(read_safetensors(path), bfloat16);
    });
}

// The row's weights as --bfloat16 float32 writes them: BFloat16 widened to Float32, exactly.
ModelRow widened(ModelRow row) {
    if (!row.weights || row.weights->element_type != ElementType::BFloat16) return row;
    std::vector<FlatArray> arrays;
    for (const FlatArray& a : row.weights->arrays) arrays.push_back(a.converted_to(ElementType::Float32));
    row.weights = Weights(ElementType::Float32, std::move(arrays));
    return row;
}

// A weight by name (stored names; for rows without them, the names convert gives: weight_0001, …),
// else by 0-based index.
size_t find_weight(const ModelRow& row, const std::string& file, const std::string& wanted) {
    const size_t n = row.weights->size();
    for (size_t i = 0; i < n; ++i) {
        const std::string name = row.weight_names ? (*row.weight_names)[i] : generated_weight_name(i, n);
        if (name == wanted) return i;
    }
    if (!wanted.empty() && std::all_of(wanted.begin(), wanted.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        const size_t index = wanted.size() > 18 ? n : std::stoull(wanted);
        if (index < n) return index;
    }
    throw InvalidArgument(file + ": no weight named or numbered '" + wanted + "' (the file has " + std::to_string(n) +
                          " weights" + (n ? ", indices 0.." + std::to_string(n - 1) : std::string()) +
                          "; `legolasflux inspect` lists them)");
}

// "IN -> OUT: 3 weights of Float32, schema …", and the dtypes each tensor got back when the row
// records them (weight_dtypes: .safetensors and .pt/.pth output).
void print_conversion(const std::string& in, const std::string& out, const ModelRow& row, BFloat16Storage storage,
                      const std::string& more = "") {
    const size_t n = row.weights ? row.weights->size() : 0;
    // The element type as written.
    ElementType type = row.weights ? row.weights->element_type : ElementType::Float32;
    if (type == ElementType::BFloat16 && storage == BFloat16Storage::Float32) type = ElementType::Float32;
    std::string restored;
    if (row.weight_dtypes && fs::path(out).extension() != ".arrow") {
        for (ElementType t : *row.weight_dtypes)
            restored += (restored.empty() ? "" : ", ") + std::string(dtype_name(dtype_for(t)));
        restored = " (each in its original dtype: " + restored + ")";
    }
    fmt::print("{} -> {}: {} weights{}{}, schema {}{}\n", in, out, n,
               row.weights ? " of " + std::string(element_type_name(type)) : "", restored, row.qualified_identifier,
               more);
}

}  // namespace

void add_convert_commands(CLI::App& app, int& exit_code) {
    {
        auto* cmd = app.add_subcommand(
            "convert",
            "Convert a model between LegolasFlux .arrow, .safetensors and Hugging Face sharded checkpoints "
            "(model.safetensors.index.json and its shards; --shard-size) in any direction, from a PyTorch file "
            "(.pt/.pth: a state dict saved by torch.save, or one inside a checkpoint dict with --key; a TorchScript "
            "archive to .arrow), or to a PyTorch .pt/.pth file (torch.save's format: torch.load gives the state "
            "dict); formats by file extension");
        static std::string in, out, compression = "none", from = "auto", bfloat16 = "float32", shard_size = "5GB", key;
        static bool with_columns = false;
        cmd->add_option("IN", in,
                        "Model file to read (.arrow, .safetensors, or .pt/.pth: PyTorch), or X.safetensors.index.json: "
                        "a Hugging Face sharded checkpoint, its shards beside it")
            ->required();
        cmd->add_option("OUT", out,
                        "File to write (.arrow, .safetensors or .pt/.pth; a TorchScript archive converts to .arrow), "
                        "or X.safetensors.index.json: shards X-00001-of-0000N.safetensors, … beside it (--shard-size)")
            ->required();
        cmd->add_option("--key", key,
                        ".pt/.pth input: where the state dict is in a checkpoint dict, e.g. model or model.encoder "
                        "(dots separate nested keys; a key that holds dots itself is matched whole first)");
        static CLI::Option* shard_size_option = nullptr;
        shard_size_option = cmd->add_option("--shard-size", shard_size,
                                            "X.safetensors.index.json output only: the most tensor bytes a shard "
                                            "holds (a larger tensor gets a shard of its own); 5GB = 5*10^9 bytes, "
                                            "5GiB = 5*2^30, a plain number is bytes (units B, KB, MB, GB, TB, KiB, "
                                            "MiB, GiB, TiB)")
                                ->capture_default_str();
        cmd->add_option("--compression", compression, "Arrow body compression (.arrow output only)")
            ->check(CLI::IsMember({"none", "lz4", "zstd"}))
            ->capture_default_str();
        cmd->add_option("--from", from, "What a .pt/.pth input is (auto: TorchScript archive, else state dict)")
            ->check(CLI::IsMember({"auto", "torchscript", "state-dict"}))
            ->capture_default_str();
        static CLI::Option* bfloat16_option = nullptr;
        bfloat16_option =
            cmd->add_option("--bfloat16", bfloat16,
                            "How bfloat16 weights are written: float32 (widened exactly; Julia reads the numbers) or "
                            "native (2 bytes a value; .arrow: UInt16 marked legolasflux.bfloat16, .safetensors: "
                            "BF16). .pt/.pth output keeps torch.bfloat16 unless float32 is given")
                ->check(CLI::IsMember(bfloat16_choices()))
                ->capture_default_str();
        cmd->add_flag("--with-columns", with_columns,
                      ".pt/.pth output only: write {\"state_dict\": ..., \"columns\": {...}} with the row's other "
                      "columns (numbers as 0-d tensors, strings as str, missing as None), which "
                      "torch.load(f, weights_only=True) reads");
        cmd->callback([&exit_code] {
            const Format source = format_of(in, "IN"), to = format_of(out, "OUT");
            if (shard_size_option->count() > 0 && to != Format::SafetensorsIndex)
                throw CLI::ValidationError("--shard-size",
                                           "it is for sharded output (OUT named X.safetensors.index.json)");
            const int64_t max_shard = parse_shard_size(shard_size);
            if ((to == Format::Safetensors || to == Format::SafetensorsIndex) && compression != "none")
                throw CLI::ValidationError("--compression",
                                           "safetensors files are not compressed; use it with .arrow output");
            if (with_columns && to != Format::Torch)
                throw CLI::ValidationError("--with-columns", "it is for .pt/.pth output (torch.save's format)");
            if (to == Format::Torch && compression != "none")
                throw CLI::ValidationError("--compression",
                                           "PyTorch files are not compressed; use it with .arrow output");
            if (!key.empty() && source != Format::Torch)
                throw CLI::ValidationError("--key", "it is for .pt/.pth input (a checkpoint dict)");
            const arrow::WriteOptions ipc = convert_write_options(compression);
            // TorchScript archives need LibTorch: legolasflux-torch converts them, to .arrow.
            if (source == Format::Torch &&
                (from == "torchscript" || (from == "auto" && torch_file_kind(in) == TorchFileKind::TorchScript))) {
                if (to != Format::Arrow)
                    throw CLI::ValidationError("OUT",
                                               "a TorchScript archive converts to .arrow (then that to .safetensors "
                                               "or .pt)");
                if (!key.empty()) throw CLI::ValidationError("--key", "it is for torch.save files, not TorchScript");
                exit_code = convert_torch_file(
                    {.in = in, .out = out, .from = from, .compression = compression, .bfloat16 = bfloat16});
                return;
            }
            // A state dict read here, whatever the output.
            const std::string label = source != Format::Torch ? in
                                      : key.empty()           ? in + " (state-dict)"
                                                              : in + " (state-dict '" + key + "')";
            if (to == Format::Torch) {
                // torch has bfloat16 tensors: kept as they are unless asked otherwise.
                const bool widen =
                    bfloat16_option->count() > 0 && bfloat16_storage(bfloat16) == BFloat16Storage::Float32;
                ModelRow row = read_row(in, source, widen ? BFloat16Storage::Float32 : BFloat16Storage::Native, key);
                if (widen) row = widened(std::move(row));
                naming(in, [&] { write_torch_save(out, row, {.with_columns = with_columns}); });
                print_conversion(label, out, row, widen ? BFloat16Storage::Float32 : BFloat16Storage::Native);
                exit_code = kOk;
                return;
            }
            const BFloat16Storage storage = bfloat16_storage(bfloat16);
            ModelRow row = read_row(in, source, storage, key);
            if (to == Format::Arrow) {
                write_model_row(out, row, {.ipc = ipc, .bfloat16 = storage});
                print_conversion(label, out, row, storage);
            } else {
                if (storage == BFloat16Storage::Float32) row = widened(std::move(row));
                SafetensorsFile file = naming(in, [&] { return to_safetensors(row); });
                if (to == Format::SafetensorsIndex) {
                    print_conversion(label, out, row, storage, write_shards(out, file, max_shard));
                } else {
                    write_safetensors(out, file);
                    print_conversion(label, out, row, storage);
                }
            }
            exit_code = kOk;
        });
    }
    {
        auto* cmd = app.add_subcommand("export", "Write one weight of a model file as a NumPy .npy file (torch shape)");
        static std::string in, weight, out;
        cmd->add_option("FILE", in, "Model file (.arrow, .safetensors or X.safetensors.index.json)")->required();
        cmd->add_option("-w,--weight", weight, "The weight's name, or its 0-based index")->required();
        cmd->add_option("-o,--output", out, "The .npy file to write")->required();
        cmd->callback([&exit_code] {
            const ModelRow row = read_row(in, format_of(in, "FILE"));
            if (!row.weights) throw InvalidArgument(in + ": the row's weights are missing");
            const size_t index = find_weight(row, in, weight);
            const FlatArray& a = (*row.weights)[index];
            // NumPy has no bfloat16: its values as float32, exactly.
            write_npy(out, a);  // BFloat16 as float32, exactly
            std::string shape;  // torch's: Julia's size reversed
            for (auto d = a.size.rbegin(); d != a.size.rend(); ++d)
                shape += (shape.empty() ? "" : ", ") + std::to_string(*d);
            std::cout << "wrote " << out << ": weight " << index << " of " << in << ", shape [" << shape << "], "
                      << a.element_count() << " values\n";
            exit_code = kOk;
        });
    }
}

}  // namespace legolasflux::cli
