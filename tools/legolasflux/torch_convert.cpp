// `legolasflux convert` from LibTorch and PyTorch files, as done by `legolasflux-torch` (built
// when the torch adapter is; the only program that links LibTorch): a TorchScript archive or a
// state dict saved by Python's torch.save becomes a legolas-flux.model@1 row with the tensors'
// names in its weight_names column, in fetch_weights' order, so it loads into the same model built
// in C++ (by index or by name).
#include "torch_convert.hpp"

#include <fmt/format.h>

#include "commands.hpp"
#include "legolasflux/errors.hpp"
#include "legolasflux/model.hpp"
#include "legolasflux/torch/pytorch_file.hpp"

namespace legolasflux::cli {

void convert_torch_file_in_process(const TorchConvertRequest& request) {
    const std::string& in = request.in;
    const std::string& kind = request.from;
    const std::string& out = request.out;
    std::vector<torch::NamedTensor> tensors;
    std::string read_as = kind;
    if (kind == "torchscript") {
        tensors = torch::read_torchscript(in);
    } else if (kind == "state-dict") {
        tensors = torch::read_state_dict(in);
    } else {
        // Both are zip archives; a TorchScript archive also holds the module's code.
        try {
            tensors = torch::read_torchscript(in);
            read_as = "torchscript";
        } catch (const FormatError& as_torchscript) {
            try {
                tensors = torch::read_state_dict(in);
                read_as = "state-dict";
            } catch (const FormatError& as_state_dict) {
                throw FormatError(std::string(as_torchscript.what()) +
                                  "; nor is it a state dict: " + as_state_dict.what());
            }
        }
    }
    ModelWriteOptions options;
    options.ipc = convert_write_options(request.compression);
    options.bfloat16 = bfloat16_storage(request.bfloat16);
    ModelV1 row;
    // Native: BFloat16 arrays viewing the tensors, written as they are; else Float32 from the start.
    row.weights = torch::weights_from_named_tensors(tensors, &options.weight_names, options.bfloat16);
    write_model_row(out, row, options);
    fmt::print("{} ({}) -> {}: {} weights of {}, schema legolas-flux.model@1\n", in, read_as, out, row.weights->size(),
               element_type_name(row.weights->element_type));
}

}  // namespace legolasflux::cli
