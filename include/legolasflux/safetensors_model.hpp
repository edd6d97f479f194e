// Model rows ↔ safetensors files (the codec is safetensors.hpp).
//
// Tensors: one per array of the row's Weights, named by `weight_names` (rows without names get
// "weight_0001", "weight_0002", … — zero-padded to at least four digits, numbered from 1), with
// the torch shape (the FlatArray's Julia size reversed: the same bytes, as the torch adapter
// stores them) and the dtype of the Weights' element type (BFloat16: BF16) — or the array's own
// from `weight_dtypes` (kWeightDtypesColumn), which from_safetensors records for files of mixed
// dtypes.
//
// `__metadata__` keys (docs/cli.md, "convert"):
//   legolas_schema_qualified     the row's schema chain, e.g. "digits.model@1>legolas-flux.model@1"
//   legolasflux.weight_order     JSON array of the tensor names in the row's array order (the file
//                                stores them sorted, as the reference writer does)
//   legolasflux.weight_names     "stored" (the row has a weight_names column) or "generated"
//   legolasflux.columns          JSON array of {"name", "type", "nullable"}: every column of the row
//                                but weight_names, in order ("type" is "weights" for the weights,
//                                "arrow_json" for the columns below, else the scalar type's name)
//   legolasflux.schema_metadata  JSON array of [key, value]: the table's schema metadata, in order,
//                                when it holds more than legolas_schema_qualified
//   <column name>                the value of each scalar column (bool, integers, floats, strings)
//                                as text; absent when the value is missing. Floats are written in
//                                the shortest form that reads back to the same value.
//                                Every other column (struct, list, map, binary, timestamp, decimal,
//                                dictionary-encoded, …: any Arrow type a row can hold) is "arrow_json":
//                                its value is a compact Arrow integration-JSON document
//                                (arrow/json.hpp) of a one-row table whose one field is the column's
//                                (name, type, nullability, field metadata), written even when the
//                                value is missing (VALIDITY [0]). That encoding is exact: 64-bit
//                                integers and decimals as decimal strings, floats in the shortest form
//                                of their own precision that reads back to the same bits, -0.0 kept,
//                                NaN and ±Infinity as the strings "NaN", "Infinity", "-Infinity" (a
//                                NaN comes back as the quiet NaN, its payload is not kept), binary and
//                                fixed-size binary as uppercase hex.
// A column named legolas_schema_qualified or legolasflux.* cannot be written: UnsupportedError.
#pragma once

#include <string>

#include "legolasflux/model.hpp"
#include "legolasflux/safetensors.hpp"

namespace legolasflux {

SafetensorsFile to_safetensors(const ModelRow& row);
// The row's weights as named tensors in torch layout, each in its original dtype: names from
// weight_names (else generated_weight_name), shapes the Julia sizes reversed (the same bytes), and
// each array converted back to its weight_dtypes entry when the row has that column (a FormatError
// naming the weight when a value is not one of that dtype). What to_safetensors and
// write_torch_save write.
std::vector<SafeTensor> row_tensors(const ModelRow& row);
// The name a row without weight_names gives its array `index` (0-based) of `count`: "weight_0001", ….
std::string generated_weight_name(size_t index, size_t count);

// The inverse; an "arrow_json" value that is not a valid one-row document of its column is a
// FormatError. Files written by other tools (no legolasflux.* keys): arrays in data-offset order,
// named by the tensor names (stored as weight_names), every metadata key a string column, and the
// schema legolas-flux.model@1 unless legolas_schema_qualified says otherwise. Tensors of several
// dtypes are promoted to one element type as Weights::promoted_exactly does (Julia's promotion,
// widened until no value changes), and each tensor's dtype is recorded in weight_dtypes.
//
// BF16 tensors: with `bfloat16` = Float32 (the default) they become Float32 arrays, exactly (the
// upper half of each float32), and promote as Float32. With Native they are BFloat16 arrays
// holding the file's bytes, promoted by Weights::promoted_exactly: all BF16 (or BF16 with integer
// tensors whose values are all bfloat16 numbers) gives BFloat16 weights; BF16 with F16 or F32
// gives Float32, with F64 Float64; BF16 with integers that bfloat16 would round gives Float32, as
// the default does. The row's weights column is then stored natively (write_model_row(path, row)
// still widens it unless asked for Native).
// The table is validated against the most derived registered schema of its chain (SchemaError).
ModelRow from_safetensors(const SafetensorsFile& file, BFloat16Storage bfloat16 = BFloat16Storage::Float32);

}  // namespace legolasflux
