// flux_run: runs a Flux model stored by Julia — its text as Flux prints it, its arrays from a
// LegolasFlux row — on an input array, with no C++ model code.
//
//   flux_run --model TEXT --weights ROW.arrow --input X.npy --output Y.npy [--flux 0.13|0.15]
//   flux_run --model-column NAME --weights ROW.arrow --input X.npy --output Y.npy
//
// The model is built from the text (flux::parse_model), the row's arrays are loaded by position in
// Julia's layout (fetch_weights order; names the row may carry are not compared), and the model runs
// in inference from a fresh state. X.npy: float32, C order in the torch shape — the bytes of the
// Julia array (Julia (W, H, C, N) is [N, C, H, W]; 0.13 recurrent (features, batch, time) is
// [time, batch, features]) — or Fortran order with the Julia size; integer arrays are indices for
// a model that starts with an Embedding (1-based, as in Julia). Y.npy: C order, torch shape.
#include <torch/torch.h>

#include <iostream>
#include <map>
#include <string>

#include "legolasflux/errors.hpp"
#include "legolasflux/integrity.hpp"
#include "legolasflux/model.hpp"
#include "legolasflux/npy.hpp"
#include "legolasflux/torch/flux.hpp"
#include "legolasflux/torch/weights.hpp"

namespace {

namespace lf = legolasflux;
namespace flux = legolasflux::flux;

constexpr const char* kUsage =
    "usage: flux_run (--model TEXT | --model-column NAME) --weights ROW.arrow --input X.npy --output Y.npy "
    "[--flux 0.13|0.15]\n";

// The string in column `name` of the row's one-row table.
std::string text_column(const lf::ModelRow& row, const std::string& name, const std::string& file) {
    const auto& fields = row.table.schema->fields;
    for (size_t i = 0; i < fields.size(); ++i) {
        if (fields[i].name != name) continue;
        const auto& column = row.table.batches.at(0).columns.at(i);
        if (column->type.id != lf::arrow::TypeId::Utf8 && column->type.id != lf::arrow::TypeId::LargeUtf8)
            throw lf::InvalidArgument(file + ": column '" + name + "' is not a string column");
        if (column->is_null(0)) throw lf::InvalidArgument(file + ": column '" + name + "' is missing in the row");
        return std::string(column->bytes_value(0));
    }
    std::string names;
    for (const auto& f : fields) names += (names.empty() ? "" : ", ") + f.name;
    throw lf::InvalidArgument(file + ": the row has no column '" + name + "' (its columns: " + names + ")");
}

}  // namespace

int main(int argc, char** argv) {
    std::map<std::string, std::string> args;
    for (int i = 1; i < argc; i += 2) {
        const std::string flag = argv[i];
        if (flag == "--help" || flag == "-h") return std::cout << kUsage, 0;
        static const char* known[] = {"--model", "--model-column", "--weights", "--input", "--output", "--flux"};
        if (std::find(std::begin(known), std::end(known), flag) == std::end(known) || i + 1 >= argc) {
            std::cerr << "flux_run: " << (i + 1 >= argc ? "missing value for " : "unknown option ") << flag << "\n"
                      << kUsage;
            return 2;
        }
        args[flag] = argv[i + 1];
    }
    if (args.count("--model") == args.count("--model-column") || !args.count("--weights") || !args.count("--input") ||
        !args.count("--output")) {
        std::cerr << "flux_run: give one of --model and --model-column, and --weights, --input and --output\n"
                  << kUsage;
        return 2;
    }
    flux::BuildOptions options;
    if (args.count("--flux")) {
        const std::string& g = args["--flux"];
        if (g == "0.13" || g == "0.14")
            options.generation = flux::Generation::v0_13;
        else if (g == "0.15" || g == "0.16")
            options.generation = flux::Generation::v0_15;
        else {
            std::cerr << "flux_run: --flux takes 0.13 (also for 0.14) or 0.15 (also for 0.16), got " << g << "\n";
            return 2;
        }
    }
    try {
        lf::declare_builtin_schemas();
        const std::string& weights_file = args["--weights"];
        const lf::ModelRow row = lf::read_model_row(weights_file);
        if (!row.weights) throw lf::InvalidArgument(weights_file + ": the row has no weights");
        const std::string text =
            args.count("--model") ? args["--model"] : text_column(row, args["--model-column"], weights_file);

        // [flux-from-text]
        flux::Layer model = flux::parse_model(text, options);  // e.g. "Chain(Dense(784 => 32, relu), …)"
        flux::load_weights(*model, *row.weights);              // Julia's arrays, in fetch_weights order
        // [/flux-from-text]

        // Float32 arrays, or integer ones for models that start with an Embedding (Julia's 1-based indices).
        const lf::FlatArray input = lf::read_npy(args["--input"]);
        at::Tensor x = lf::torch::to_tensor(input);
        if (at::isIntegralType(x.scalar_type(), /*includeBool=*/false))
            x = x.to(at::kLong);
        else if (input.element_type != lf::ElementType::Float32)
            throw lf::InvalidArgument(args["--input"] + ": the input must be float32 (or integer indices), it is " +
                                      std::string(lf::element_type_name(input.element_type)));

        // [flux-run]
        ::torch::NoGradGuard no_grad;
        model->reset();                                       // Flux's reset!: recurrent layers back to state0
        model->eval();                                        // inference: dropout off, BatchNorm's running statistics
        const at::Tensor y = model->forward(x).contiguous();  // the bytes of Julia's output array
        // [/flux-run]
        lf::write_npy(args["--output"], lf::torch::to_flat_array(y));
        std::cout << "flux_run: " << args["--output"] << ": torch shape " << y.sizes() << " (Julia size "
                  << lf::format_julia_size(lf::torch::to_flat_array(y).size) << ")\n";
    } catch (const std::exception& e) {
        std::cerr << "flux_run: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
