#include "legolasflux/model.hpp"

#include <algorithm>

#include "common/error_context.hpp"
#include "common/parallel.hpp"
#include "integrity.hpp"
#include "legolasflux/arrow/builder.hpp"
#include "legolasflux/errors.hpp"
#include "legolasflux/safetensors.hpp"
#include "model_read.hpp"
#include "weights_internal.hpp"

namespace legolasflux {

namespace legolas {

FieldConstraint ValueTraits<Weights>::constraint() {
    // Julia checks the extension name (the type Arrow.jl rebuilds); the storage is the struct of
    // FlatArrays in any element type.
    return extension(std::string(kWeightsExtension), any_type());
}

arrow::Field ValueTraits<Weights>::field(std::string name) {
    return weights_field(std::move(name), ElementType::Float32, false);
}

arrow::ArrayPtr ValueTraits<Weights>::build(const std::vector<const Weights*>& values, const std::vector<bool>& valid) {
    std::vector<const Weights*> rows(values.size(), nullptr);
    bool any = false;
    for (size_t i = 0; i < values.size(); ++i)
        if (values[i] && (valid.empty() || valid[i])) rows[i] = values[i], any = true;
    if (!any) return arrow::make_null(static_cast<int64_t>(values.size()));
    return weights_to_arrow(rows);
}

Weights ValueTraits<Weights>::read(const arrow::Field& field, const arrow::Array& array, int64_t i) {
    auto w = weights_from_arrow(field, array, i);
    if (!w) throw SchemaError("weights: a missing value where one is required");
    return std::move(*w);
}

}  // namespace legolas

namespace detail {

namespace {

// Julia's `weights` field is a type parameter of the record: a column of present Weights is
// written non-nullable (Weights{T}); an all-missing one is a Null column (to_table does that part).
void mark_weights_non_nullable(arrow::Table& table) {
    auto schema = std::make_shared<arrow::Schema>(*table.schema);
    const auto& columns = table.batches.at(0).columns;
    for (size_t k = 0; k < schema->fields.size(); ++k) {
        arrow::Field& f = schema->fields[k];
        if (f.name == kWeightsColumn && f.type.id != arrow::TypeId::Null && columns[k]->null_count == 0)
            f.nullable = false;
    }
    table.schema = schema;
    for (auto& b : table.batches) b.schema = schema;
}

// The "weights" column of `table` (written as missing) becomes `weights`, as
// ValueTraits<Weights>::build and to_table would make it, but with the values gathered.
void put_weights(arrow::Table& table, const Weights& weights, BFloat16Storage bfloat16,
                 std::vector<Gathered>& gathered) {
    auto schema = std::make_shared<arrow::Schema>(*table.schema);
    auto& columns = table.batches.at(0).columns;
    for (size_t k = 0; k < schema->fields.size(); ++k) {
        if (schema->fields[k].name != kWeightsColumn) continue;
        const Weights* rows[] = {&weights};
        columns[k] = weights_to_arrow_gathered(rows, bfloat16, gathered);
        arrow::Field f = legolas::ValueTraits<Weights>::field(std::string(kWeightsColumn));
        f.type = columns[k]->type;
        schema->fields[k] = std::move(f);
        table.schema = schema;
        for (auto& b : table.batches) b.schema = schema;
        return;
    }
    throw InvalidArgument("the row's table has no weights column");
}

void add_string_list(arrow::Table& table, std::string_view column_name, const std::vector<std::string>& names) {
    const arrow::DataType type = arrow::list(arrow::field("", arrow::utf8(), false));
    auto schema = std::make_shared<arrow::Schema>(*table.schema);
    for (const auto& f : schema->fields)
        if (f.name == column_name)
            throw InvalidArgument("the row already has a column named " + std::string(column_name));
    schema->fields.push_back(arrow::field(std::string(column_name), type, false));
    auto column = arrow::make_list(type, {static_cast<int64_t>(names.size())}, arrow::make_strings(names));
    auto& batch = table.batches.at(0);
    batch.columns.push_back(column);
    table.schema = schema;
    batch.schema = schema;
}

void add_weight_dtypes(arrow::Table& table, const std::vector<ElementType>& dtypes, const Weights* weights) {
    if (weights && weights->size() != dtypes.size())
        throw InvalidArgument("ModelWriteOptions::weight_dtypes has " + std::to_string(dtypes.size()) +
                              " entries for " + std::to_string(weights->size()) + " weights");
    std::vector<std::string> codes;
    for (ElementType t : dtypes) codes.emplace_back(dtype_name(dtype_for(t)));
    add_string_list(table, kWeightDtypesColumn, codes);
}

std::optional<std::vector<std::string>> read_string_list(const arrow::Table& table, std::string_view column) {
    const auto& fields = table.schema->fields;
    for (size_t k = 0; k < fields.size(); ++k) {
        if (fields[k].name != column) continue;
        const arrow::DataType& t = fields[k].type;
        if ((t.id != arrow::TypeId::List && t.id != arrow::TypeId::LargeList) ||
            (t.children[0].type.id != arrow::TypeId::Utf8 && t.children[0].type.id != arrow::TypeId::LargeUtf8))
            throw SchemaError("column " + std::string(column) + " must be a list of strings, found " +
                              arrow::to_string(t));
        const arrow::Array& list = *table.batches.at(0).columns[k];
        if (list.is_null(0)) return std::nullopt;
        const auto [begin, end] = list.list_range(0);
        std::vector<std::string> names;
        for (int64_t i = begin; i < end; ++i) names.emplace_back(list.children[0]->bytes_value(i));
        return names;
    }
    return std::nullopt;
}

std::optional<std::vector<ElementType>> read_weight_dtypes(const arrow::Table& table, const std::string& source) {
    const auto codes = read_string_list(table, kWeightDtypesColumn);
    if (!codes) return std::nullopt;
    std::vector<ElementType> types;
    for (size_t i = 0; i < codes->size(); ++i) {
        const auto dtype = parse_dtype((*codes)[i]);
        if (!dtype)
            throw FormatError(source + ": column " + std::string(kWeightDtypesColumn) + ", entry " + std::to_string(i) +
                              ": '" + (*codes)[i] +
                              "' is not a dtype (F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL, …)");
        types.push_back(element_type_for(*dtype));
    }
    return types;
}

}  // namespace

void write_model_table(const std::filesystem::path& path, arrow::Table table, const legolas::SchemaVersion& own,
                       const ModelWriteOptions& options, const Weights* weights) {
    std::vector<Gathered> gathered;
    if (weights) put_weights(table, *weights, options.bfloat16, gathered);
    mark_weights_non_nullable(table);
    legolas::SchemaVersion sv = options.schema_version.value_or(own);
    if (!legolas::default_registry().descends_from(own, sv))
        throw InvalidArgument("cannot label a " + legolas::to_string(own) + " row as " + legolas::to_string(sv) +
                              ": it is not that schema or one of its ancestors");
    if (!options.weight_names.empty()) add_string_list(table, kWeightNamesColumn, options.weight_names);
    if (!options.weight_dtypes.empty()) add_weight_dtypes(table, options.weight_dtypes, weights);
    legolas::WriteOptions wo;
    wo.ipc = options.ipc;
    // Checksums computed from the table as written, so a reader recomputing them from the file agrees.
    write_checksummed_file(path, legolas::tag_table(table, sv, wo), wo.ipc, gathered, options.threads);
}

namespace {

// Checks what the table's checksums value asks for, as `options` allow. The values of the weights
// column are left to whoever decodes them when the read deferred them.
void verify(const std::string& source, const arrow::Buffer& bytes, const arrow::IpcFileInfo& info,
            const arrow::Table& table, const ModelReadOptions& options, bool values_deferred) {
    if (!options.verify_checksums && !options.verify_metadata) return;
    const auto value = arrow::find_metadata(table.schema->metadata, kChecksumsMetadataKey);
    if (!value) return;
    RecordedChecksums recorded = parse_checksums(source, table, *value);
    if (values_deferred)
        std::erase_if(recorded.columns, [&](const RecordedChecksums::Column& c) {
            return table.schema->fields[c.field].name == kWeightsColumn;
        });
    // The cheap check first: it says whether anything but the weight values changed (a changed
    // offset can make other bytes the weights, which the weights' checksums would then blame).
    if (options.verify_metadata) verify_file_checksum(source, bytes, info, table, *value, recorded);
    if (options.verify_checksums)
        verify_weights_checksums(source, table, recorded, common::thread_count(options.threads));
}

}  // namespace

ModelRow read_model_from(const arrow::Buffer& bytes, const std::string& source, bool prefix,
                         const std::optional<legolas::SchemaVersion>& wanted, const ModelReadOptions& options,
                         arrow::IpcFileInfo* info_out, Deferral* deferral) {
    arrow::IpcFileInfo info;
    if (deferral) deferral->buffers.clear();
    const arrow::ReadOptions ipc = deferral ? deferring(options.ipc, *deferral) : options.ipc;
    const auto read = [&] { return arrow::read_any(bytes, ipc, &info); };
    ModelRow row;
    try {
        row.table = prefix ? common::with_context(source, read) : read();
    } catch (const UnsupportedError&) {
        // A damaged file can look like one using a feature this library lacks, or like a malformed
        // one (a compressed buffer that no longer decodes): say which it is.
        if (options.verify_metadata) verify_unread_file_checksum(source, bytes);
        throw;
    } catch (const FormatError&) {
        if (options.verify_metadata) verify_unread_file_checksum(source, bytes);
        throw;
    }
    const bool deferred = deferral && !deferral->buffers.empty();
    if (deferred && !only_weight_values_deferred(row.table, deferral->buffers, kWeightsColumn)) {
        deferral->buffers.clear();
        return read_model_from(bytes, source, prefix, wanted, options, info_out);
    }
    if (info_out) *info_out = info;
    // Integrity before meaning: what the checksums cover is then as it was written.
    verify(source, bytes, info, row.table, options, deferred);
    const auto& metadata = row.table.schema->metadata;
    const auto qualified = arrow::find_metadata(metadata, legolas::kSchemaQualifiedKey);
    const legolas::SchemaVersion named = legolas::schema_version_from_metadata(*row.table.schema);
    row.qualified_identifier = std::string(qualified.value_or(""));

    const auto& registry = legolas::default_registry();
    const std::optional<legolas::SchemaVersion> known = registry.most_derived_declared(row.qualified_identifier);
    if (!known) (void)legolas::check_table(row.table);  // throws UnknownSchemaVersionError for `named`
    row.schema_version = *known;
    if (wanted && !registry.descends_from(*known, *wanted)) {
        // The file may name ancestors this program has not registered; the chain it states counts.
        bool in_chain = false;
        for (const auto& sv : legolas::parse_identifier(row.qualified_identifier)) in_chain |= sv == *wanted;
        if (!in_chain)
            throw SchemaError(source + ": the file holds a " + legolas::to_string(named) + " row, which is not a " +
                              legolas::to_string(*wanted) + " row");
    }
    legolas::validate(*row.table.schema, wanted ? *wanted : *known);
    if (row.table.num_rows() != 1)
        throw SchemaError(source + ": a model file holds exactly one row; this one holds " +
                          std::to_string(row.table.num_rows()));
    // One batch of one row, whatever the writer did.
    while (!row.table.batches.empty() && row.table.batches.front().length == 0)
        row.table.batches.erase(row.table.batches.begin());
    const ModelV1 base = legolas::from_row<ModelV1>(row.table, 0);
    row.weights = base.weights;
    row.architecture_version = base.architecture_version;
    row.weight_names = read_string_list(row.table, kWeightNamesColumn);
    row.weight_dtypes = read_weight_dtypes(row.table, source);
    if (row.weight_dtypes && row.weights && row.weight_dtypes->size() != row.weights->size())
        throw FormatError(source + ": column " + std::string(kWeightDtypesColumn) + " has " +
                          std::to_string(row.weight_dtypes->size()) + " entries for " +
                          std::to_string(row.weights->size()) + " weights");
    return row;
}

ModelRow read_model_table(const std::filesystem::path& path, const std::optional<legolas::SchemaVersion>& wanted,
                          const ModelReadOptions& options) {
    // The file checksum needs the file's bytes, not only the table read from them.
    return read_model_from(arrow::read_whole_file(path, options.ipc.file_access), path.string(), true, wanted, options);
}

ModelRow read_model_table(const arrow::Buffer& bytes, const std::optional<legolas::SchemaVersion>& wanted,
                          const ModelReadOptions& options) {
    // Values are read in place only from 8-byte aligned memory, and the file checksum finds the
    // weight values by where they are read from: a misaligned input is copied first.
    if (reinterpret_cast<uintptr_t>(bytes.data()) % 8 != 0)
        return read_model_from(arrow::Buffer::copy_of(bytes.data(), bytes.size()), "model bytes", false, wanted,
                               options);
    return read_model_from(bytes, "model bytes", false, wanted, options);
}

}  // namespace detail

ModelRow read_model_row(const std::filesystem::path& path, const ModelReadOptions& options) {
    return detail::read_model_table(path, std::nullopt, options);
}
ModelRow read_model_row(const arrow::Buffer& bytes, const ModelReadOptions& options) {
    return detail::read_model_table(bytes, std::nullopt, options);
}

namespace {

bool stores_bfloat16(const arrow::Field& field) {
    if (field.type.id == arrow::TypeId::Null || !is_weights_field(field)) return false;
    // Weights { weights: List<FlatArray { vec: List<item>, size } > }: any vec item (by position
    // or name, as the reader finds it) marked as bfloat16.
    for (const arrow::Field& list : field.type.children)
        for (const arrow::Field& flat : list.type.children)
            for (const arrow::Field& vec : flat.type.children)
                for (const arrow::Field& item : vec.type.children)
                    if (item.extension_name() == kBFloat16Extension) return true;
    return false;
}

// The one-row `table` with its native bfloat16 Weights columns widened to Float32, fields otherwise
// as they were; its empty batches left out.
arrow::Table widen_bfloat16(const arrow::Table& table) {
    const auto& fields = table.schema->fields;
    if (std::none_of(fields.begin(), fields.end(), stores_bfloat16)) return table;
    arrow::Table out = table;
    std::erase_if(out.batches, [](const arrow::RecordBatch& b) { return b.length == 0; });
    auto schema = std::make_shared<arrow::Schema>(*table.schema);
    arrow::RecordBatch& batch = out.batches.at(0);
    for (size_t k = 0; k < fields.size(); ++k) {
        if (!stores_bfloat16(fields[k])) continue;
        const std::optional<Weights> w = weights_from_arrow(fields[k], *batch.columns[k], 0);
        const Weights* rows[] = {w ? &*w : nullptr};
        batch.columns[k] = weights_to_arrow(rows, BFloat16Storage::Float32);
        schema->fields[k].type = batch.columns[k]->type;
    }
    out.schema = schema;
    batch.schema = schema;
    return out;
}

}  // namespace

void write_model_row(const std::filesystem::path& path, const ModelRow& row, const ModelWriteOptions& options) {
    if (!row.table.schema || row.table.num_rows() != 1)
        throw InvalidArgument("write_model_row: a model row is a table of exactly one row");
    // Silently writing the table's own instead would give a file other than the one asked for.
    const char* own = options.schema_version           ? "schema_version"
                      : !options.weight_names.empty()  ? "weight_names"
                      : !options.weight_dtypes.empty() ? "weight_dtypes"
                                                       : nullptr;
    if (own)
        throw InvalidArgument(std::string("write_model_row: options.") + own +
                              " is for typed rows; a ModelRow is written with its table's own label and columns");
    legolas::validate(*row.table.schema, row.schema_version);
    // Fresh checksums, as for typed rows.
    if (options.bfloat16 == BFloat16Storage::Float32)
        detail::write_checksummed_file(path, widen_bfloat16(row.table), options.ipc, {}, options.threads);
    else
        detail::write_checksummed_file(path, row.table, options.ipc, {}, options.threads);
}

}  // namespace legolasflux
