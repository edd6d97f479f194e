#include "legolasflux/legolas/table_io.hpp"

#include "legolasflux/legolas/declaration_json.hpp"

namespace legolasflux::legolas {
namespace {

const Registry& registry_of(const Registry* r) { return r ? *r : default_registry(); }

}  // namespace

arrow::Table tag_table(const arrow::Table& table, const SchemaVersion& sv, const WriteOptions& options) {
    if (!table.schema) throw InvalidArgument("cannot write a table without a schema");
    const Registry& registry = registry_of(options.registry);
    if (options.check_compliance) validate(*table.schema, sv, registry);
    // Without validation the schema version need not be declared; it then has no known parents.
    const std::string qualified = registry.is_declared(sv) ? registry.qualified_identifier(sv) : to_string(sv);
    auto schema = std::make_shared<arrow::Schema>(*table.schema);
    arrow::set_metadata(schema->metadata, std::string(kSchemaQualifiedKey), qualified);
    // The file describes its own schema (declaration_json.hpp), so that programs that never declared
    // it can check it. An undeclared version has nothing to record; any key the table carried from
    // where it was read describes another schema version, and goes.
    if (registry.is_declared(sv))
        arrow::set_metadata(schema->metadata, std::string(kSchemaDeclarationsKey),
                            declarations_to_json(declaration_chain(registry, sv)));
    else
        std::erase_if(schema->metadata, [](const auto& kv) { return kv.first == kSchemaDeclarationsKey; });
    arrow::Table out;
    out.schema = schema;
    for (const auto& batch : table.batches) {
        arrow::RecordBatch b = batch;
        b.schema = schema;
        out.batches.push_back(std::move(b));
    }
    return out;
}

void write(const std::filesystem::path& path, const arrow::Table& table, const SchemaVersion& sv,
           const WriteOptions& options) {
    arrow::write_file(path, tag_table(table, sv, options), options.ipc);
}

std::vector<uint8_t> write_to_bytes(const arrow::Table& table, const SchemaVersion& sv, const WriteOptions& options) {
    return arrow::write_file(tag_table(table, sv, options), options.ipc);
}

SchemaVersion schema_version_from_metadata(const arrow::Schema& schema) {
    const auto value = arrow::find_metadata(schema.metadata, kSchemaQualifiedKey);
    const auto fail = [](const std::string& detail) {
        return SchemaError(
            "could not extract valid SchemaVersion from the Arrow table; is it missing the expected custom metadata "
            "and/or the expected \"legolas_schema_qualified\" field?" +
            detail);
    };
    if (!value) throw fail("");
    try {
        return parse_schema_version(*value);
    } catch (const InvalidArgument& e) {
        throw fail(std::string(" (") + e.what() + ")");
    }
}

SchemaVersion check_table(const arrow::Table& table, const ReadOptions& options) {
    if (!table.schema) throw InvalidArgument("the table has no schema");
    const Registry& registry = registry_of(options.registry);
    SchemaVersion sv = schema_version_from_metadata(*table.schema);
    if (!registry.is_declared(sv)) {
        const auto& md = table.schema->metadata;
        std::optional<std::string> name, version;
        if (auto v = arrow::find_metadata(md, kProviderNameKey)) name = std::string(*v);
        if (auto v = arrow::find_metadata(md, kProviderVersionKey)) version = std::string(*v);
        throw UnknownSchemaVersionError(sv, std::move(name), std::move(version));
    }
    if (options.check_compliance) validate(*table.schema, sv, registry);
    return sv;
}

ReadResult read(const arrow::Buffer& bytes, const ReadOptions& options) {
    ReadResult r;
    r.table = arrow::read_any(bytes, options.ipc);
    r.schema_version = check_table(r.table, options);
    return r;
}

ReadResult read(const std::filesystem::path& path, const ReadOptions& options) {
    ReadResult r;
    r.table = arrow::read_any(path, options.ipc);
    r.schema_version = check_table(r.table, options);
    return r;
}

namespace detail {
void throw_not_descendant(const SchemaVersion& found, const SchemaVersion& wanted) {
    throw SchemaError("the table's schema version `" + to_string(found) + "` is neither `" + to_string(wanted) +
                      "` nor an extension of it");
}
}  // namespace detail

}  // namespace legolasflux::legolas
