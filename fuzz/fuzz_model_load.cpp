// read_model_row + load_weights into a small LibTorch model: every row read from the bytes whose
// weights are present is loaded (with its weight_names when it has them); see torch_load_shim.hpp
// for the contract checked and for why the LibTorch half is compiled by g++.
#include "fuzz_common.hpp"
#include "fuzz_schemas.hpp"
#include "torch_load_shim.hpp"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    lffuzz::declare_schemas();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace legolasflux;
    const arrow::Buffer bytes = lffuzz::input_buffer(data, size);
    // Checksums not verified: mutated weight values must reach load_weights (fuzz_model_row covers
    // the verification).
    ModelReadOptions options;
    options.verify_checksums = false;
    options.verify_metadata = false;
    lffuzz::check([&] { return read_model_row(bytes, options); },
                  [](const ModelRow& row) {
                      // A legolasflux::Error out of the load (wrong count, shape, names, inexact
                      // integers) is an expected outcome, as for the read.
                      if (row.weights)
                          lffuzz::load_into_small_model(*row.weights, row.weight_names ? &*row.weight_names : nullptr);
                  });
    return 0;
}
