// Index tables with file checksums (checksummed_table.hpp).
#include "checksummed_table.hpp"

#include "common/error_context.hpp"
#include "integrity.hpp"
#include "legolasflux/errors.hpp"
#include "legolasflux/model.hpp"

namespace legolasflux::detail {

void write_checksummed_table(const std::filesystem::path& path, const arrow::Table& table,
                             const legolas::SchemaVersion& sv, bool durable) {
    legolas::WriteOptions options;
    options.ipc.durable = durable;
    // One thread: there are no weights to hash beside the writer.
    write_checksummed_file(path, legolas::tag_table(table, sv, options), options.ipc, {}, 1);
}

namespace {

// Whether a value of `metadata` under another key than ours reads like a checksums value.
bool holds_stray_checksums(const arrow::KeyValueMetadata& metadata) {
    for (const auto& [key, value] : metadata)
        if (key != kChecksumsMetadataKey && value.find(R"("algorithm":")") != std::string::npos &&
            value.find(R"("file":")") != std::string::npos)
            return true;
    return false;
}

}  // namespace

legolas::ReadResult read_checksummed_table(const std::filesystem::path& path, Unchecksummed unchecksummed) {
    const std::string source = path.string();
    const arrow::Buffer bytes = arrow::read_whole_file(path);
    // The checksum first when the bytes still hold one, so that damage is called damage, whatever
    // the parser would make of it (verify_unread_file_checksum checks the checksum the bytes
    // record, with the holes they record: none, for a table without weights).
    verify_unread_file_checksum(source, bytes);
    arrow::IpcFileInfo info;
    arrow::Table table = common::with_context(source, [&] { return arrow::read_any(bytes, {}, &info); });
    const auto value = arrow::find_metadata(table.schema->metadata, kChecksumsMetadataKey);
    if (!value && info.is_file_format && unchecksummed == Unchecksummed::AcceptOlder &&
        !holds_stray_checksums(table.schema->metadata)) {
        legolas::ReadResult result;
        result.schema_version = legolas::check_table(table);
        result.table = std::move(table);
        return result;
    }
    if (!info.is_file_format || !value)
        throw CorruptionError(source + ": records no checksum (schema metadata " + std::string(kChecksumsMetadataKey) +
                              "): damaged, or not written by this library");
    const RecordedChecksums recorded = parse_checksums(source, table, *value);
    if (!recorded.file || !recorded.file->holes.empty() || !recorded.columns.empty())
        throw CorruptionError(source + ": its checksums (schema metadata " + std::string(kChecksumsMetadataKey) +
                              ") are not those of a table without weights: damaged");
    // Found by verify_unread_file_checksum above unless the value lies outside the schema message
    // and the footer, where no writer puts it: checked here again as the definition reads it.
    verify_file_checksum(source, bytes, info, table, *value, recorded);
    legolas::ReadResult result;
    result.schema_version = legolas::check_table(table);
    result.table = std::move(table);
    return result;
}

}  // namespace legolasflux::detail
