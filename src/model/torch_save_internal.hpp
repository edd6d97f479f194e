// Shared by torch_save.cpp (the state dict and the file) and torch_columns.cpp (a row's other
// columns as Python values).
#pragma once

#include <string>
#include <vector>

#include "legolasflux/arrow/buffer.hpp"
#include "legolasflux/model.hpp"
#include "legolasflux/safetensors.hpp"
#include "pickle_writer.hpp"

namespace legolasflux::detail {

// The pickle under construction and the storages its tensors refer to (key i: storages[i]).
struct PickledTensors {
    PickleWriter pickle;
    std::vector<arrow::Buffer> storages;

    // Pushes a contiguous tensor of `dtype` and torch `shape` whose storage is `data`; `what` names
    // it in errors (torch 1.13 has no U16/U32/U64 tensors: UnsupportedError).
    void tensor(SafetensorsDtype dtype, const std::vector<int64_t>& shape, arrow::Buffer data, const std::string& what);
    // Pushes collections.OrderedDict() (a REDUCE of the class with no arguments).
    void ordered_dict();
};

// Pushes a dict of the row's columns but weights, weight_names and weight_dtypes
// (TorchSaveOptions::with_columns says how each value is written).
void pickle_columns(PickledTensors& out, const ModelRow& row);

}  // namespace legolasflux::detail
