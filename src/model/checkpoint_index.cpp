// Step files and the index table of a run directory (checkpoints.hpp, checkpoints_internal.hpp).
#include <sys/stat.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <set>

#include "checkpoints_internal.hpp"
#include "checksummed_table.hpp"
#include "common/error_context.hpp"
#include "integrity.hpp"
#include "legolasflux/arrow/builder.hpp"
#include "legolasflux/legolas/table_io.hpp"
#include "legolasflux/sharded.hpp"
#include "sharded_internal.hpp"

namespace legolasflux::detail {

// committed_at: an Arrow timestamp in nanoseconds, UTC, as DuckDB and Polars read it.
struct UtcTime {
    int64_t ns = 0;
};

}  // namespace legolasflux::detail

namespace legolasflux::legolas {

template <>
struct ValueTraits<::legolasflux::detail::UtcTime> {
    static arrow::DataType type() { return arrow::timestamp(arrow::TimeUnit::Nanosecond, "UTC"); }
    static FieldConstraint constraint() { return exact(type()); }
    static arrow::Field field(std::string name) { return arrow::field(std::move(name), type(), false); }
    static arrow::ArrayPtr build(const std::vector<const ::legolasflux::detail::UtcTime*>& values,
                                 const std::vector<bool>& valid) {
        std::vector<int64_t> v(values.size());
        for (size_t i = 0; i < values.size(); ++i) v[i] = values[i] ? values[i]->ns : 0;
        return arrow::make_primitive(type(), v, valid);
    }
    static ::legolasflux::detail::UtcTime read(const arrow::Field&, const arrow::Array& array, int64_t i) {
        const auto s = detail::resolve_dictionary(array, i);
        return {s.array->values<int64_t>()[s.index]};
    }
};

}  // namespace legolasflux::legolas

namespace legolasflux::detail {

// One row of legolas-flux.checkpoint-index@1; the metric columns follow as undeclared columns.
struct CheckpointIndexV1 {
    int64_t step = 0;
    std::string file;
    std::string schema;
    UtcTime committed_at;
    int64_t bytes = 0;
    std::optional<std::string> checksum;
    std::vector<std::string> kept_by;
};
LEGOLAS_RECORD(CheckpointIndexV1, "legolas-flux.checkpoint-index", 1, step, file, schema, committed_at, bytes, checksum,
               kept_by);

namespace {

constexpr std::string_view kStepPrefix = "step-";
constexpr std::string_view kArrowSuffix = ".arrow";
constexpr int kStepDigits = 10;
// A row column with the name of one of the index's own columns is stored under this prefix.
constexpr std::string_view kClashPrefix = "row_";

bool is_index_column(std::string_view name) {
    static const std::set<std::string_view> names = {"step",  "file",     "schema", "committed_at",
                                                     "bytes", "checksum", "kept_by"};
    return names.count(name) > 0;
}

// The value of slot i of a scalar column, or nullopt when the type is not a metric's.
std::optional<MetricValue> scalar_value(const arrow::Array& array, int64_t i) {
    const arrow::DataType& t = array.type;
    const bool metric_type = t.id == arrow::TypeId::Bool || t.id == arrow::TypeId::Int ||
                             t.id == arrow::TypeId::FloatingPoint || t.id == arrow::TypeId::Utf8 ||
                             t.id == arrow::TypeId::LargeUtf8;
    if (!metric_type || array.dictionary) return std::nullopt;
    if (array.is_null(i)) return MetricValue{};
    switch (t.id) {
        case arrow::TypeId::Bool: return MetricValue{array.bool_value(i)};
        case arrow::TypeId::Int:
            if (t.is_signed) {
                switch (t.bit_width) {
                    case 8: return MetricValue{int64_t{array.values<int8_t>()[i]}};
                    case 16: return MetricValue{int64_t{array.values<int16_t>()[i]}};
                    case 32: return MetricValue{int64_t{array.values<int32_t>()[i]}};
                    default: return MetricValue{array.values<int64_t>()[i]};
                }
            }
            switch (t.bit_width) {
                case 8: return MetricValue{uint64_t{array.values<uint8_t>()[i]}};
                case 16: return MetricValue{uint64_t{array.values<uint16_t>()[i]}};
                case 32: return MetricValue{uint64_t{array.values<uint32_t>()[i]}};
                default: return MetricValue{array.values<uint64_t>()[i]};
            }
        case arrow::TypeId::FloatingPoint:
            switch (t.precision) {
                case arrow::Precision::Half: return MetricValue{double{half_to_float(array.values<uint16_t>()[i])}};
                case arrow::Precision::Single: return MetricValue{double{array.values<float>()[i]}};
                case arrow::Precision::Double: return MetricValue{array.values<double>()[i]};
            }
            return std::nullopt;
        default: return MetricValue{std::string(array.bytes_value(i))};
    }
}

// A column of `type` holding these values (missing ones null).
arrow::ArrayPtr metric_column(const arrow::DataType& type, const std::vector<const MetricValue*>& values) {
    const size_t n = values.size();
    std::vector<bool> valid(n);
    bool any_null = false;
    for (size_t i = 0; i < n; ++i) {
        valid[i] = values[i] && !std::holds_alternative<std::monostate>(*values[i]);
        any_null |= !valid[i];
    }
    if (!any_null) valid.clear();
    const auto get = [&](size_t i, auto zero) {
        using T = decltype(zero);
        if (!values[i]) return zero;
        if (const T* v = std::get_if<T>(values[i])) return *v;
        return zero;
    };
    switch (type.id) {
        case arrow::TypeId::Bool: {
            std::vector<bool> v(n);
            for (size_t i = 0; i < n; ++i) v[i] = get(i, false);
            return arrow::make_bool(v, valid);
        }
        case arrow::TypeId::Int: {
            // Every width goes through 8 bytes; narrow it in place (little-endian hosts only, as the
            // rest of the library).
            std::vector<uint8_t> bytes(n * static_cast<size_t>(type.bit_width / 8));
            for (size_t i = 0; i < n; ++i) {
                const uint64_t bits = type.is_signed ? static_cast<uint64_t>(get(i, int64_t{0})) : get(i, uint64_t{0});
                std::memcpy(bytes.data() + i * static_cast<size_t>(type.bit_width / 8), &bits,
                            static_cast<size_t>(type.bit_width / 8));
            }
            return arrow::make_fixed_width(type, bytes.data(), static_cast<int64_t>(n), valid);
        }
        case arrow::TypeId::FloatingPoint: {
            if (type.precision == arrow::Precision::Double) {
                std::vector<double> v(n);
                for (size_t i = 0; i < n; ++i) v[i] = get(i, 0.0);
                return arrow::make_primitive(type, v, valid);
            }
            if (type.precision == arrow::Precision::Single) {
                std::vector<float> v(n);
                for (size_t i = 0; i < n; ++i) v[i] = static_cast<float>(get(i, 0.0));
                return arrow::make_primitive(type, v, valid);
            }
            std::vector<uint16_t> v(n);
            for (size_t i = 0; i < n; ++i) v[i] = float_to_half(static_cast<float>(get(i, 0.0)));
            return arrow::make_primitive(type, v, valid);
        }
        default: {
            std::vector<std::string> v(n);
            for (size_t i = 0; i < n; ++i) v[i] = get(i, std::string());
            return arrow::make_binary_like(type, v, valid);
        }
    }
}

std::string pad_step(int64_t step) {
    char digits[32];
    std::snprintf(digits, sizeof digits, "%0*lld", kStepDigits, static_cast<long long>(step));
    return digits;
}

}  // namespace

std::optional<CheckpointFileName> parse_checkpoint_file_name(std::string_view name) {
    if (!name.starts_with(kStepPrefix) || !name.ends_with(kArrowSuffix)) return std::nullopt;
    name.remove_prefix(kStepPrefix.size());
    name.remove_suffix(kArrowSuffix.size());
    const size_t dot = name.find('.');
    if (dot == std::string_view::npos || dot < static_cast<size_t>(kStepDigits) || dot + 1 == name.size())
        return std::nullopt;
    const std::string_view digits = name.substr(0, dot);
    if (!std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) return std::nullopt;
    CheckpointFileName out;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), out.step);
    if (ec != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
    // Only the canonical spelling: "step-42.x.arrow" or a number with extra zeros is someone else's file.
    if (pad_step(out.step) != digits) return std::nullopt;
    out.schema_name = std::string(name.substr(dot + 1));
    return out;
}

std::optional<CheckpointFileName> parse_sharded_step_name(std::string_view name) {
    const std::optional<int64_t> step = detail::sharded_step_of(name);
    if (!step) return std::nullopt;
    CheckpointFileName out;
    out.step = *step;
    out.schema_name = "sharded";
    return out;
}

uint64_t step_bytes(const std::filesystem::path& path) {
    std::error_code ec;
    if (!std::filesystem::is_directory(path, ec)) {
        const auto size = std::filesystem::file_size(path, ec);
        if (ec) throw IoError(path, "cannot stat the step file: " + ec.message());
        return size;
    }
    uint64_t total = 0;
    for (const auto& entry : std::filesystem::directory_iterator(path, ec))
        if (entry.is_regular_file(ec)) total += entry.file_size(ec);
    if (ec) throw IoError(path, "cannot list the step directory: " + ec.message());
    return total;
}

std::vector<std::string> run_directory_names(const std::filesystem::path& dir) {
    std::error_code ec;
    std::filesystem::directory_iterator it(dir, ec);
    if (ec) throw IoError(dir, "cannot list the run directory: " + ec.message());
    std::vector<std::string> names;
    for (; it != std::filesystem::directory_iterator(); it.increment(ec)) {
        if (ec) throw IoError(dir, "cannot list the run directory: " + ec.message());
        names.push_back(it->path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
}

std::map<int64_t, std::string> list_step_files(const std::filesystem::path& dir,
                                               std::vector<DamagedCheckpoint>& damaged) {
    std::map<int64_t, std::string> out;
    for (const std::string& name : run_directory_names(dir)) {
        auto parsed = parse_checkpoint_file_name(name);
        if (!parsed) parsed = parse_sharded_step_name(name);
        if (!parsed) continue;
        const auto [pos, inserted] = out.emplace(parsed->step, name);
        if (!inserted)
            damaged.push_back({parsed->step, name,
                               "a second file for step " + std::to_string(parsed->step) + " (beside " + pos->second +
                                   "): left untouched, not a checkpoint"});
    }
    return out;
}

std::vector<Metric> metrics_of(const arrow::Table& table) {
    std::vector<Metric> out;
    if (table.batches.empty() || table.num_rows() < 1) return out;
    const arrow::RecordBatch& batch = table.batches.front();
    for (size_t c = 0; c < table.schema->fields.size(); ++c) {
        const arrow::Field& field = table.schema->fields[c];
        if (field.name == kWeightsColumn || field.extension_name()) continue;
        // A missing value is no metric of the row (the index cannot tell it from an absent column).
        auto value = scalar_value(*batch.columns[c], 0);
        if (value && !std::holds_alternative<std::monostate>(*value))
            out.push_back({field.name, field.type, std::move(*value)});
    }
    return out;
}

CheckpointInfo describe_step_file(const std::filesystem::path& dir, const std::string& file, int64_t step) {
    const std::filesystem::path path = dir / file;
    if (parse_sharded_step_name(file)) {
        // A sharded step: its index (checksum, every chunk's place in its file) and the file
        // checksum of every shard file; their values are verified when loaded.
        check_sharded_step(path, /*verify_values=*/false, 0);
        CheckpointInfo info;
        info.step = step;
        info.file = file;
        info.schema = legolas::to_string(legolas::schema_version_of<ShardIndexV1>());
        info.bytes = step_bytes(path);
        struct stat st {};
        if (::stat((path / kShardIndexFile).c_str(), &st) != 0) throw IoError(path, "cannot stat its index");
        info.committed_at = std::chrono::sys_time<std::chrono::nanoseconds>(
            std::chrono::seconds(st.st_mtim.tv_sec) + std::chrono::nanoseconds(st.st_mtim.tv_nsec));
        return info;
    }
    ModelReadOptions options;
    options.verify_checksums = false;  // the weights: read(step) and restore_latest verify them
    ModelRow row = read_step_file(path, std::nullopt, options);
    CheckpointInfo info;
    info.step = step;
    info.file = file;
    info.schema = row.qualified_identifier;
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) throw IoError(path, "cannot stat the step file");
    info.bytes = static_cast<uint64_t>(st.st_size);
    info.committed_at = std::chrono::sys_time<std::chrono::nanoseconds>(std::chrono::seconds(st.st_mtim.tv_sec) +
                                                                        std::chrono::nanoseconds(st.st_mtim.tv_nsec));
    if (const auto value = arrow::find_metadata(row.table.schema->metadata, kChecksumsMetadataKey))
        if (const auto file_checksum = parse_file_checksum(*value)) info.checksum = file_checksum->checksum;
    info.metrics = metrics_of(row.table);
    return info;
}

arrow::Table index_table(const std::vector<CheckpointInfo>& infos) {
    std::vector<CheckpointIndexV1> rows;
    rows.reserve(infos.size());
    for (const CheckpointInfo& info : infos) {
        CheckpointIndexV1 r;
        r.step = info.step;
        r.file = info.file;
        r.schema = info.schema;
        r.committed_at.ns = info.committed_at.time_since_epoch().count();
        r.bytes = static_cast<int64_t>(info.bytes);
        if (!info.checksum.empty()) r.checksum = info.checksum;
        r.kept_by = info.kept_by;
        rows.push_back(std::move(r));
    }
    arrow::Table table = legolas::to_table(rows);
    // The metric columns, in order of first appearance; a name whose type differs between rows keeps
    // the first type and leaves the other rows' values missing (the step files still hold them).
    std::vector<std::pair<std::string, arrow::DataType>> columns;
    for (const CheckpointInfo& info : infos)
        for (const Metric& m : info.metrics)
            if (std::none_of(columns.begin(), columns.end(), [&](const auto& c) { return c.first == m.name; }))
                columns.emplace_back(m.name, m.type);
    auto schema = std::make_shared<arrow::Schema>(*table.schema);
    arrow::RecordBatch batch = table.batches.empty() ? arrow::RecordBatch{} : table.batches.front();
    for (const auto& [name, type] : columns) {
        std::vector<const MetricValue*> values;
        for (const CheckpointInfo& info : infos) {
            const Metric* m = info.metric(name);
            values.push_back(m && m->type == type ? &m->value : nullptr);
        }
        const std::string stored = is_index_column(name) ? std::string(kClashPrefix) + name : name;
        schema->fields.push_back(arrow::field(stored, type, true));
        batch.columns.push_back(metric_column(type, values));
    }
    batch.schema = schema;
    batch.length = static_cast<int64_t>(infos.size());
    arrow::Table out;
    out.schema = schema;
    out.batches.push_back(std::move(batch));
    return out;
}

std::vector<CheckpointInfo> index_infos(const arrow::Table& table) {
    const std::vector<CheckpointIndexV1> rows = legolas::from_table<CheckpointIndexV1>(table);
    std::vector<CheckpointInfo> out;
    out.reserve(rows.size());
    for (const CheckpointIndexV1& r : rows) {
        CheckpointInfo info;
        info.step = r.step;
        info.file = r.file;
        info.schema = r.schema;
        info.committed_at =
            std::chrono::sys_time<std::chrono::nanoseconds>(std::chrono::nanoseconds(r.committed_at.ns));
        if (r.bytes < 0) throw FormatError("the index gives step " + std::to_string(r.step) + " a negative size");
        info.bytes = static_cast<uint64_t>(r.bytes);
        info.checksum = r.checksum.value_or("");
        info.kept_by = r.kept_by;
        out.push_back(std::move(info));
    }
    // The metric columns: every column the declaration does not name.
    const auto& declared = legolas::default_registry().declared_fields(legolas::schema_version_of<CheckpointIndexV1>());
    for (size_t c = 0; c < table.schema->fields.size(); ++c) {
        const arrow::Field& field = table.schema->fields[c];
        if (std::any_of(declared.begin(), declared.end(), [&](const auto& d) { return d.name == field.name; }))
            continue;
        std::string name = field.name;
        if (name.starts_with(kClashPrefix) && is_index_column(std::string_view(name).substr(kClashPrefix.size())))
            name = name.substr(kClashPrefix.size());
        size_t row = 0;
        for (const arrow::RecordBatch& batch : table.batches)
            for (int64_t i = 0; i < batch.length; ++i, ++row) {
                auto value = scalar_value(*batch.columns[c], i);
                // A missing value: the row had no such column (or had it with another type).
                if (value && !std::holds_alternative<std::monostate>(*value))
                    out[row].metrics.push_back({name, field.type, std::move(*value)});
            }
    }
    return out;
}

void write_index(const std::filesystem::path& dir, const std::vector<CheckpointInfo>& infos, bool durable) {
    legolas::ensure_declared<CheckpointIndexV1>();
    write_checksummed_table(dir / kCheckpointIndexFile, index_table(infos),
                            legolas::schema_version_of<CheckpointIndexV1>(), durable);
}

std::optional<std::vector<CheckpointInfo>> read_index(const std::filesystem::path& dir, std::string& problem) {
    legolas::ensure_declared<CheckpointIndexV1>();
    const std::filesystem::path path = dir / kCheckpointIndexFile;
    std::error_code ec;
    if (!std::filesystem::exists(std::filesystem::symlink_status(path, ec))) return std::nullopt;
    try {
        const legolas::ReadResult result = read_checksummed_table(path);
        if (!legolas::default_registry().descends_from(result.schema_version,
                                                       legolas::schema_version_of<CheckpointIndexV1>()))
            throw SchemaError("its schema is " + legolas::to_string(result.schema_version) + ", not " +
                              legolas::to_string(legolas::schema_version_of<CheckpointIndexV1>()));
        return index_infos(result.table);
    } catch (const Error& e) {
        problem = e.what();
        return std::vector<CheckpointInfo>{};
    }
}

std::vector<CheckpointInfo> reconcile(const std::filesystem::path& dir, std::vector<DamagedCheckpoint>& damaged,
                                      bool& rebuilt, std::vector<std::string>& notes) {
    const std::map<int64_t, std::string> files = list_step_files(dir, damaged);
    std::string problem;
    const auto indexed = read_index(dir, problem);
    rebuilt = !indexed || !problem.empty();
    if (!indexed)
        notes.push_back(std::string(kCheckpointIndexFile) + " is missing: rebuilt from the step files");
    else if (!problem.empty())
        notes.push_back(std::string(kCheckpointIndexFile) + " is damaged (" + problem +
                        "): rebuilt from the step files");
    std::map<int64_t, const CheckpointInfo*> by_step;
    if (indexed && problem.empty())
        for (const CheckpointInfo& info : *indexed) by_step.emplace(info.step, &info);
    std::vector<CheckpointInfo> out;
    for (const auto& [step, file] : files) {
        // Every step file is checked (its file checksum: cheap, the weight values left out), the
        // index's entry or not: a file damaged after its commit keeps its size.
        CheckpointInfo described;
        try {
            described = describe_step_file(dir, file, step);
        } catch (const Error& e) {
            damaged.push_back({step, file, e.what()});
            rebuilt |= by_step.count(step) > 0;  // the index drops it
            continue;
        }
        const auto it = by_step.find(step);
        if (it != by_step.end() && it->second->file == file && it->second->bytes == described.bytes &&
            it->second->checksum == described.checksum) {
            out.push_back(*it->second);
            continue;
        }
        if (it != by_step.end() || (indexed && problem.empty())) {
            rebuilt = true;
            notes.push_back(file + (it == by_step.end() ? " is not in the index (a commit the index missed): added"
                                                        : " differs from its index entry: described afresh"));
        }
        out.push_back(std::move(described));
    }
    for (const auto& [step, info] : by_step)
        if (!files.count(step)) {
            rebuilt = true;
            notes.push_back("step " + std::to_string(step) + " (" + info->file +
                            ") is in the index but its file is gone: dropped from the index");
        }
    for (const DamagedCheckpoint& d : damaged) notes.push_back(d.file + " is damaged: " + d.error);
    return out;
}

}  // namespace legolasflux::detail

namespace legolasflux {

const Metric* CheckpointInfo::metric(std::string_view name) const {
    for (const Metric& m : metrics)
        if (m.name == name) return &m;
    return nullptr;
}

void declare_checkpoint_index_schema() { legolas::ensure_declared<detail::CheckpointIndexV1>(); }

std::string checkpoint_file_name(int64_t step, std::string_view schema_name) {
    if (step < 0) throw InvalidArgument("a checkpoint step is not negative: " + std::to_string(step));
    return std::string(detail::kStepPrefix) + detail::pad_step(step) + "." + std::string(schema_name) +
           std::string(detail::kArrowSuffix);
}

std::vector<CheckpointInfo> list_checkpoints(const std::filesystem::path& dir,
                                             std::vector<DamagedCheckpoint>* damaged) {
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec))
        throw IoError(dir, std::filesystem::exists(dir, ec) ? "not a directory" : "no such directory");
    std::vector<DamagedCheckpoint> found;
    std::vector<std::string> notes;
    bool rebuilt = false;
    auto out = detail::reconcile(dir, found, rebuilt, notes);
    if (damaged) *damaged = std::move(found);
    return out;
}

}  // namespace legolasflux
