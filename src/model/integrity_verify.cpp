// verify (legolasflux/integrity.hpp): every check of a file, and of the files under a directory —
// the top of the integrity unit (integrity.hpp): it uses integrity_file.cpp and integrity_values.cpp.
#include <algorithm>
#include <system_error>

#include "common/error_context.hpp"
#include "common/parallel.hpp"
#include "integrity.hpp"
#include "legolasflux/arrow/ipc.hpp"
#include "legolasflux/errors.hpp"
#include "legolasflux/integrity.hpp"
#include "legolasflux/legolas/compliance.hpp"
#include "legolasflux/model.hpp"

namespace legolasflux {

namespace {

namespace fs = std::filesystem;

// The table in `bytes`, every array fully validated. Bytes the Arrow reader refuses are checked
// against their file checksum first, as read_model_row does: a damaged file then says so instead
// of looking malformed or like one using a feature this library lacks.
arrow::Table read_table(const std::string& source, const arrow::Buffer& bytes, const arrow::ReadOptions& options,
                        arrow::IpcFileInfo& info) {
    try {
        return common::with_context(source, [&] { return arrow::read_any(bytes, options, &info); });
    } catch (const UnsupportedError&) {
        detail::verify_unread_file_checksum(source, bytes);
        throw;
    } catch (const FormatError&) {
        detail::verify_unread_file_checksum(source, bytes);
        throw;
    }
}

// Throws SchemaError listing every violation when the table names a schema declared here (its own,
// or the nearest ancestor its identifier names) and does not comply with it.
void check_compliance(const std::string& source, const arrow::Table& table, std::string_view qualified) {
    const std::optional<legolas::SchemaVersion> sv = legolas::default_registry().most_derived_declared(qualified);
    if (!sv) return;
    const std::vector<legolas::Violation> violations = legolas::find_violations(*table.schema, *sv);
    if (violations.empty()) return;
    std::string what = source + ": violates Legolas schema `" + legolas::to_string(*sv) + "`: ";
    for (size_t i = 0; i < violations.size(); ++i) what += (i ? "; " : "") + violations[i].to_string();
    throw SchemaError(what);
}

// Every check of the file in `bytes`; throws what the readers throw for the first thing wrong.
Integrity check(const std::string& source, const arrow::Buffer& bytes, const VerifyOptions& options,
                std::string& schema) {
    arrow::ReadOptions read;
    read.validation = arrow::ValidationLevel::Full;
    detail::Deferral deferral;
    if (!options.values)  // the values are not looked at: large compressed ones need not be decoded
        read = detail::deferring(read, deferral);
    arrow::IpcFileInfo info;
    const arrow::Table table = read_table(source, bytes, read, info);
    if (!deferral.buffers.empty() && !detail::only_weight_values_deferred(table, deferral.buffers, kWeightsColumn)) {
        VerifyOptions all = options;
        all.values = true;
        return check(source, bytes, all, schema);
    }
    const auto& metadata = table.schema->metadata;
    if (const auto qualified = arrow::find_metadata(metadata, legolas::kSchemaQualifiedKey))
        schema = std::string(*qualified);
    // Integrity before meaning, as readers check: what the checksums cover is then as written.
    const auto value = arrow::find_metadata(metadata, kChecksumsMetadataKey);
    if (value) {
        const detail::RecordedChecksums recorded = detail::parse_checksums(source, table, *value);
        const bool file_checked = detail::verify_file_checksum(source, bytes, info, table, *value, recorded);
        if (!file_checked && !options.values) {  // nothing checked yet: the values must say it
            VerifyOptions all = options;
            all.values = true;
            return check(source, bytes, all, schema);
        }
        if (options.values)
            detail::verify_weights_checksums(source, table, recorded, common::thread_count(options.threads));
    }
    if (!schema.empty()) check_compliance(source, table, schema);
    return value ? Integrity::Ok : Integrity::NoChecksums;
}

// The message without the "<source>: " the readers put first (FileIntegrity::file says it).
std::string problem_of(const std::string& source, std::string what) {
    const std::string prefix = source + ": ";
    if (what.starts_with(prefix)) what.erase(0, prefix.size());
    return what;
}

}  // namespace

FileIntegrity verify_file(const fs::path& file, const VerifyOptions& options) {
    declare_builtin_schemas();
    FileIntegrity out{file, Integrity::Ok, {}, {}};
    const std::string source = file.string();
    try {
        const arrow::Buffer bytes = arrow::read_whole_file(file);
        out.status = check(source, bytes, options, out.schema);
    } catch (const Error& e) {
        out.status = Integrity::Damaged;
        out.problem = problem_of(source, e.what());
    }
    return out;
}

std::vector<FileIntegrity> verify(const fs::path& path, const VerifyOptions& options) {
    std::error_code ec;
    const fs::file_status status = fs::status(path, ec);
    if (!fs::exists(status)) throw IoError(path, "cannot verify: no such file or directory");
    if (!fs::is_directory(status)) return {verify_file(path, options)};
    std::vector<fs::path> files;
    fs::recursive_directory_iterator it(path, ec);
    for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        const std::string name = it->path().filename().string();
        if (name.starts_with('.')) {  // in progress, killed, or a lock: not part of what was committed
            it.disable_recursion_pending();
            continue;
        }
        std::error_code regular;
        if (name.ends_with(".arrow") && it->is_regular_file(regular)) files.push_back(it->path());
    }
    if (ec) throw IoError(path, "cannot list the directory: " + ec.message());
    std::sort(files.begin(), files.end());
    std::vector<FileIntegrity> out;
    for (const fs::path& file : files) out.push_back(verify_file(file, options));
    return out;
}

std::string to_string(Integrity status) {
    switch (status) {
        case Integrity::Ok: return "ok";
        case Integrity::NoChecksums: return "no checksums";
        case Integrity::Damaged: return "damaged";
    }
    return "unknown";
}

}  // namespace legolasflux
