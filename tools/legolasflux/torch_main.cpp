// legolasflux-torch: the part of `legolasflux convert` that reads TorchScript archives and PyTorch
// state dicts (.pt/.pth), a program of its own so that only it loads LibTorch (torch_convert.hpp).
// `legolasflux convert` runs it with the arguments it was given, already checked:
//
//   legolasflux-torch [--compression none|lz4|zstd] [--from auto|torchscript|state-dict]
//                     [--bfloat16 float32|native] -- IN OUT
//
// Its output, errors and exit codes are those of `legolasflux convert` (commands.hpp), under the
// tool's name, since that is the command the user ran.
#include <filesystem>
#include <iostream>

#include "commands.hpp"
#include "legolasflux/errors.hpp"
#include "torch_convert.hpp"

int main(int argc, char** argv) {
    using namespace legolasflux::cli;
    CLI::App app{
        "legolasflux-torch: convert a TorchScript archive or PyTorch state dict (.pt/.pth) to a "
        "LegolasFlux model file (.arrow); run by `legolasflux convert`"};
    TorchConvertRequest request;
    app.add_option("IN", request.in, "TorchScript archive or PyTorch state dict (.pt/.pth)")->required();
    app.add_option("OUT", request.out, "LegolasFlux model file to write (.arrow)")->required();
    app.add_option("--compression", request.compression, "Arrow body compression")
        ->check(CLI::IsMember({"none", "lz4", "zstd"}))
        ->capture_default_str();
    app.add_option("--from", request.from, "What the input is (auto: TorchScript archive, else state dict)")
        ->check(CLI::IsMember({"auto", "torchscript", "state-dict"}))
        ->capture_default_str();
    app.add_option("--bfloat16", request.bfloat16, "How bfloat16 tensors are stored")
        ->check(CLI::IsMember(bfloat16_choices()))
        ->capture_default_str();
    try {
        app.parse(argc, argv);
        const std::string in_ext = std::filesystem::path(request.in).extension().string();
        if (in_ext != ".pt" && in_ext != ".pth")
            throw CLI::ValidationError("IN", "'" + request.in + "' must end in .pt or .pth");
        if (std::filesystem::path(request.out).extension() != ".arrow")
            throw CLI::ValidationError("OUT", "'" + request.out + "' must end in .arrow");
        convert_torch_file_in_process(request);
    } catch (const CLI::ParseError& e) {
        const int rc = app.exit(e);
        return rc == 0 ? kOk : kUsage;
    } catch (const std::exception& e) {
        std::cerr << "legolasflux: error: " << e.what() << "\n";
        return kInvalidInput;
    }
    return kOk;
}
