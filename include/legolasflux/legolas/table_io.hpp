// Reading and writing schema-tagged Arrow files (Legolas.read / Legolas.write).
//
// write: checks that the table complies with the schema version (unless told not to), then writes the
// Arrow file format with the schema metadata `legolas_schema_qualified` set to the schema version's
// qualified identifier (other metadata kept; any older pair with that key replaced, so the key
// appears once), and `legolasflux.schema_declarations` set to the declarations of the schema version
// and its parents (declaration_json.hpp; left out, and any older pair removed, when the version is
// not declared, which check_compliance = false allows).
// read: reads a file or stream, takes the most-derived schema version from
// `legolas_schema_qualified`, requires it to be declared, and checks that the table complies with it.
// Compliance (compliance.hpp) is Legolas' word for a table matching a schema's declared columns; it
// is not Arrow validation, which options.ipc.validation governs.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "legolasflux/arrow/ipc.hpp"
#include "legolasflux/legolas/compliance.hpp"
#include "legolasflux/legolas/declaration.hpp"
#include "legolasflux/legolas/record.hpp"

namespace legolasflux::legolas {

struct WriteOptions {
    bool check_compliance = true;
    arrow::WriteOptions ipc;             // Julia reads any alignment that is a multiple of 8
    const Registry* registry = nullptr;  // nullptr: default_registry()
};

struct ReadOptions {
    bool check_compliance = true;
    arrow::ReadOptions ipc;
    const Registry* registry = nullptr;  // nullptr: default_registry()
};

struct ReadResult {
    arrow::Table table;
    SchemaVersion schema_version;  // the most-derived one named by the file
};

// The table as it will be written: `table` with `legolas_schema_qualified` and
// `legolasflux.schema_declarations` set (checked for
// compliance first unless options.check_compliance is false).
arrow::Table tag_table(const arrow::Table& table, const SchemaVersion& sv, const WriteOptions& options = {});

void write(const std::filesystem::path& path, const arrow::Table& table, const SchemaVersion& sv,
           const WriteOptions& options = {});
std::vector<uint8_t> write_to_bytes(const arrow::Table& table, const SchemaVersion& sv,
                                    const WriteOptions& options = {});

// The most-derived schema version named by a schema's metadata. SchemaError when the key is absent
// or its value does not parse (Legolas' wording).
SchemaVersion schema_version_from_metadata(const arrow::Schema& schema);

// Reads and checks (see the top of this file). SchemaError without the metadata;
// UnknownSchemaVersionError (naming the provider package when the file does) when the schema
// version is not declared; SchemaError listing the violations when validation fails.
ReadResult read(const std::filesystem::path& path, const ReadOptions& options = {});
ReadResult read(const arrow::Buffer& bytes, const ReadOptions& options = {});
// The checks of read() applied to an already-read table.
SchemaVersion check_table(const arrow::Table& table, const ReadOptions& options = {});

// Typed rows.
template <Record R>
void write(const std::filesystem::path& path, const std::vector<R>& rows, WriteOptions options = {}) {
    write(path, to_table(rows), schema_version_of<R>(), options);
}
template <Record R>
std::vector<uint8_t> write_to_bytes(const std::vector<R>& rows, WriteOptions options = {}) {
    return write_to_bytes(to_table(rows), schema_version_of<R>(), options);
}

namespace detail {
[[noreturn]] void throw_not_descendant(const SchemaVersion& found, const SchemaVersion& wanted);
}

// Records of R from a file whose schema version is R's or an extension of it.
template <Record R>
std::vector<R> read(const std::filesystem::path& path, const ReadOptions& options = {}) {
    ensure_declared<R>();
    ReadResult result = read(path, options);
    const Registry& registry = options.registry ? *options.registry : default_registry();
    if (!registry.descends_from(result.schema_version, schema_version_of<R>()))
        detail::throw_not_descendant(result.schema_version, schema_version_of<R>());
    return from_table<R>(result.table);
}
template <Record R>
std::vector<R> read(const arrow::Buffer& bytes, const ReadOptions& options = {}) {
    ensure_declared<R>();
    ReadResult result = read(bytes, options);
    const Registry& registry = options.registry ? *options.registry : default_registry();
    if (!registry.descends_from(result.schema_version, schema_version_of<R>()))
        detail::throw_not_descendant(result.schema_version, schema_version_of<R>());
    return from_table<R>(result.table);
}

}  // namespace legolasflux::legolas
