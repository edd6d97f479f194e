// Model rows → PyTorch's torch.save files (.pt, .pth), written by this library alone: no LibTorch,
// no Python. Python then reads them with
//
//   model.load_state_dict(torch.load("model.pt"))
//
// The file is what torch 1.13's torch.save writes for an OrderedDict of CPU tensors: a zip archive of
// stored entries (archive/data.pkl, the pickle, protocol 2; archive/data/<key>, each tensor's
// storage, its data at a multiple of 64 bytes; archive/version, "3"), each tensor pickled as
// torch._utils._rebuild_tensor_v2 of a persistent storage ('storage', torch.<Type>Storage, key, 'cpu',
// numel), contiguous. docs/format.md, "PyTorch files".
//
// Tensors: row_tensors (safetensors_model.hpp): named by weight_names (else "weight_0001", …), in
// torch shape (the Julia size reversed, the same bytes), each in its original dtype when the row
// records weight_dtypes. dtypes: F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL; torch 1.13 has no
// U16/U32/U64 tensors (UnsupportedError naming the tensor).
#pragma once

#include <filesystem>
#include <span>

#include "legolasflux/model.hpp"
#include "legolasflux/safetensors.hpp"

namespace legolasflux {

struct TorchSaveOptions {
    // Write {"state_dict": OrderedDict, "columns": dict} instead of the state dict alone: "columns"
    // holds the row's other columns (all but weights, weight_names and weight_dtypes), in the
    // forms torch.load(f, weights_only=True) accepts — numbers as 0-d tensors of their type (UInt16
    // as int32, UInt32 and UInt64 as int64, exactly), bools as 0-d bool tensors, strings as str, a
    // missing value as None, lists of numbers or bools without missing values as 1-d tensors, other
    // lists as lists, structs as dicts of their fields, another Weights column as a list of tensors.
    // Other types (binary, dates, times, decimals, maps, unions, dictionary-encoded) are an
    // UnsupportedError naming the column.
    bool with_columns = false;
    // fsync before and after the atomic rename (as arrow::WriteOptions::durable).
    bool durable = true;
    // Every entry and the archive's end in their zip64 forms even when small (tests of the path
    // files past 4 GiB take).
    bool force_zip64 = false;
};

// Writes `state_dict` as torch.save(OrderedDict(name → tensor)) does: SafeTensor's shape is torch's,
// its data row-major. Replaces the file at `path` atomically: on an error (IoError naming the path,
// InvalidArgument for duplicate names) the previous file is untouched.
void write_torch_save(const std::filesystem::path& path, std::span<const SafeTensor> state_dict,
                      const TorchSaveOptions& options = {});
// The row's weights as a state dict (row_tensors), with its columns when asked.
void write_torch_save(const std::filesystem::path& path, const ModelRow& row, const TorchSaveOptions& options = {});

}  // namespace legolasflux
