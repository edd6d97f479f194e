// Model rows: the weights of a model, and any columns a team adds, as one row of a Legolas table.
//
// `legolas-flux.model@1` (ModelV1) declares `weights` (Weights, may be missing) and
// `architecture_version` (Int64, may be missing). Teams extend it:
//
//   struct DigitsRowV1 : legolasflux::ModelV1 {
//       DigitsConfigV1 config;
//       std::optional<int64_t> epoch;
//       std::optional<float> accuracy;
//   };
//   LEGOLAS_RECORD_EXTENDS(DigitsRowV1, "digits.model", 1, legolasflux::ModelV1, config, epoch, accuracy);
//
// write_model_row writes exactly one row, labelled with the row type's schema version (or an
// ancestor's, when asked); read_model_row reads exactly one row back, validated.
#pragma once

#include <any>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "legolasflux/legolas/record.hpp"
#include "legolasflux/legolas/table_io.hpp"
#include "legolasflux/weights.hpp"

namespace legolasflux::legolas {

// Weights as a record field: written exactly as Julia writes LegolasFlux.Weights; a column in which
// every row is missing is written as Julia writes it, an Arrow Null column without extension.
template <>
struct ValueTraits<Weights> {
    static FieldConstraint constraint();
    static arrow::Field field(std::string name);
    static arrow::ArrayPtr build(const std::vector<const Weights*>& values, const std::vector<bool>& valid);
    static Weights read(const arrow::Field& field, const arrow::Array& array, int64_t i);
};

}  // namespace legolasflux::legolas

namespace legolasflux {

struct ModelV1 {
    std::optional<Weights> weights;
    std::optional<int64_t> architecture_version;
};
LEGOLAS_RECORD(ModelV1, "legolas-flux.model", 1, weights, architecture_version);

// Declares the schemas this library defines in legolas::default_registry(): legolas-flux.model@1,
// legolas-flux.checkpoint-index@1, legolas-flux.training-state@1, legolas-flux.shard@1 and
// legolas-flux.shard-index@1, so that a program that has not used them yet knows them (a validator,
// `verify`). Idempotent.
void declare_builtin_schemas();

// The column of legolas-flux.model@1 that holds the weights.
inline constexpr std::string_view kWeightsColumn = "weights";

// The column that holds each weight's module path, when a row is written with names. Legolas allows
// undeclared columns, so Julia reads such files as usual.
inline constexpr std::string_view kWeightNamesColumn = "weight_names";

// The column that holds each weight's original dtype when the row's one element type is not every
// array's own (a safetensors file of mixed dtypes, promoted exactly): list<utf8> of safetensors
// dtype codes ("F32", "F16", "BF16", "I64", …, "BOOL"), one per array. Writers of other formats
// (to_safetensors, write_torch_save) convert each array back to it; docs/format.md, "weight_dtypes".
// Undeclared, like weight_names: Julia reads such files as usual.
inline constexpr std::string_view kWeightDtypesColumn = "weight_dtypes";

// The schema-metadata key under which write_model_row records an XXH3-64 checksum of every row's
// weight values, per Weights column, and one of the rest of the file (metadata, padding, footer,
// every column but the weight values); read_model_row verifies them (docs/format.md, "Integrity").
// Our own key: Julia (Legolas, Arrow.jl) ignores metadata keys it does not know. Files without it
// (Julia's) are read without verification.
inline constexpr std::string_view kChecksumsMetadataKey = "legolasflux.checksums";

struct ModelWriteOptions {
    // Label the file with this schema version instead of the row type's own; it must be the row
    // type's or one of its ancestors' (as Julia's write_model_row(path, row, sv)).
    std::optional<legolas::SchemaVersion> schema_version;
    // Written as the extra `weight_names` column (list<utf8>) when not empty; one per array.
    std::vector<std::string> weight_names;
    // Written as the extra `weight_dtypes` column (kWeightDtypesColumn) when not empty; one per array.
    std::vector<ElementType> weight_dtypes;
    // How the file is written, including `durable` (fsync before and after the atomic rename).
    arrow::WriteOptions ipc;
    // Threads at work while saving (0: one per core): one writes the file while the others compute
    // the weights' checksums (at least one). Compression has its own, ipc.compression_threads.
    int threads = 0;
    // BFloat16 weights: widened to Float32 exactly (the default: Julia reads the numbers as they
    // are), or Native, 2 bytes a value as UInt16 marked by kBFloat16Extension (Julia then reads
    // UInt16 arrays; docs/julia-interop.md). Other element types are written as they are.
    BFloat16Storage bfloat16 = BFloat16Storage::Float32;
};

struct ModelReadOptions {
    // How the file is read: mapped or read, limits on untrusted input, and the validation level of
    // its arrays (arrow::ValidationLevel; Full by default).
    arrow::ReadOptions ipc;
    // Integrity, which is not validation: the checksums recorded by the writer (kChecksumsMetadataKey).
    // Recompute the weights' checksums and compare them with those the file records (when it
    // records any); a mismatch is a CorruptionError naming the column and the row. This hashes
    // every weight value.
    bool verify_checksums = true;
    // Recompute the checksum of the rest of the file (when it records one: files written before
    // it existed do not) and compare; a mismatch is a CorruptionError saying "metadata checksum
    // mismatch". Cheap: the weight values are left out. Checked for the IPC file format only.
    // A file rewritten by other means (another writer, other write options) keeps the value of the
    // file it came from and fails this check: turn it off to read such a file.
    bool verify_metadata = true;
    // Threads that verify the weights' checksums of a large model (0: one per core).
    int threads = 0;
};

// A row read without naming its type.
struct ModelRow {
    legolas::SchemaVersion schema_version;  // the most derived registered schema of the file
    std::string qualified_identifier;       // as the file names it
    std::optional<Weights> weights;
    std::optional<int64_t> architecture_version;
    std::optional<std::vector<std::string>> weight_names;
    std::optional<std::vector<ElementType>> weight_dtypes;  // kWeightDtypesColumn, when the file has it
    arrow::Table table;                                     // the whole one-row table, every column included
};

namespace detail {
// `weights`, when given, become the table's "weights" column (there a Null column): written from
// the arrays' own memory, never copied into one buffer first.
void write_model_table(const std::filesystem::path& path, arrow::Table table, const legolas::SchemaVersion& own,
                       const ModelWriteOptions& options, const Weights* weights = nullptr);
// Reads the one-row table and picks the most derived registered schema named by the file; checks
// that `wanted` (when given) is that schema or one of its ancestors; validates.
ModelRow read_model_table(const std::filesystem::path& path, const std::optional<legolas::SchemaVersion>& wanted,
                          const ModelReadOptions& options = {});
ModelRow read_model_table(const arrow::Buffer& bytes, const std::optional<legolas::SchemaVersion>& wanted,
                          const ModelReadOptions& options = {});
}  // namespace detail

// Writes `row` (after its custom assignments and checks) as a one-row model file, replacing any
// file at `path` atomically: on an error (IoError with the path) the previous file is untouched.
// The file records fresh checksums (kChecksumsMetadataKey).
template <legolas::Record R>
void write_model_row(const std::filesystem::path& path, const R& row, const ModelWriteOptions& options = {}) {
    static_assert(std::is_base_of_v<ModelV1, R>, "a model row extends legolasflux::ModelV1");
    R checked = legolas::make(row);
    // The weights travel beside the table, so that the writer takes each array from where it lies
    // (a model's tensors, say) instead of from a copy of them all in one buffer.
    std::optional<Weights> weights = std::move(checked.weights);
    checked.weights.reset();
    detail::write_model_table(path, legolas::to_table(std::vector<R>{checked}), legolas::schema_version_of<R>(),
                              options, weights ? &*weights : nullptr);
}

// Reads a one-row model file whose schema is the most derived one registered for its identifier.
// Weights or other bytes whose recorded checksum does not match are a CorruptionError (see
// ModelReadOptions).
ModelRow read_model_row(const std::filesystem::path& path, const ModelReadOptions& options = {});
// The same from the bytes of a model file (or stream) already in memory. The row's table and
// weights may be views into `bytes`, whose owner keeps them alive (into a copy when `bytes` is not
// 8-byte aligned).
ModelRow read_model_row(const arrow::Buffer& bytes, const ModelReadOptions& options = {});

// Reads a one-row model file as R; the file's schema must be R's or descend from it.
template <legolas::Record R>
R read_model_row(const std::filesystem::path& path, const ModelReadOptions& options,
                 std::vector<std::string>* weight_names = nullptr) {
    legolas::ensure_declared<R>();
    ModelRow row = detail::read_model_table(path, legolas::schema_version_of<R>(), options);
    if (weight_names) *weight_names = row.weight_names.value_or(std::vector<std::string>{});
    return legolas::from_row<R>(row.table, 0);
}
template <legolas::Record R>
R read_model_row(const std::filesystem::path& path, std::vector<std::string>* weight_names = nullptr) {
    return read_model_row<R>(path, ModelReadOptions{}, weight_names);
}

// Writes a row as returned by read_model_row or from_safetensors (safetensors_model.hpp): its table
// as it is (schema metadata included, except that the checksums under kChecksumsMetadataKey are
// recorded afresh), after checking that it complies with row.schema_version — but for Weights
// columns stored as native bfloat16, which are widened to Float32 unless options.bfloat16 is Native.
// Of `options`, ipc, threads and bfloat16 apply; the label and the weight_names and weight_dtypes
// columns are the table's own: InvalidArgument when options.schema_version, weight_names or
// weight_dtypes is set.
void write_model_row(const std::filesystem::path& path, const ModelRow& row, const ModelWriteOptions& options = {});

}  // namespace legolasflux
