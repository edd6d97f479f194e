#include "legolasflux/legolas/record.hpp"

namespace legolasflux::legolas {

void check(bool ok, std::string_view predicate) {
    if (!ok) throw CheckConstraintError("CheckConstraintError: " + std::string(predicate));
}

namespace detail {

Slot resolve_dictionary(const arrow::Array& array, int64_t i) {
    if (!array.dictionary) return {&array, i};
    const auto& t = array.type;
    int64_t index = 0;
    switch (t.bit_width) {
        case 8: index = t.is_signed ? array.values<int8_t>()[i] : array.values<uint8_t>()[i]; break;
        case 16: index = t.is_signed ? array.values<int16_t>()[i] : array.values<uint16_t>()[i]; break;
        case 32: index = t.is_signed ? array.values<int32_t>()[i] : array.values<uint32_t>()[i]; break;
        default: index = static_cast<int64_t>(array.values<int64_t>()[i]); break;
    }
    if (index < 0 || index >= array.dictionary->length)
        throw SchemaError("dictionary index " + std::to_string(index) + " at slot " + std::to_string(i) +
                          " is outside the dictionary of " + std::to_string(array.dictionary->length) + " values");
    return {array.dictionary.get(), index};
}

void throw_missing_value(const SchemaVersion& sv, std::string_view field) {
    throw SchemaError("`" + to_string(sv) + "` requires field `" + std::string(field) +
                      "`, but a record has no value for it (missing)");
}

void throw_missing_column(const SchemaVersion& sv, std::string_view field) {
    throw SchemaError("`" + to_string(sv) + "` requires field `" + std::string(field) +
                      "`, but the table has no such column");
}

int find_child(const arrow::DataType& type, std::string_view name) {
    for (size_t i = 0; i < type.children.size(); ++i)
        if (type.children[i].name == name) return static_cast<int>(i);
    return -1;
}

int find_column(const arrow::Schema& schema, std::string_view name) {
    for (size_t i = 0; i < schema.fields.size(); ++i)
        if (schema.fields[i].name == name) return static_cast<int>(i);
    return -1;
}

std::shared_ptr<const arrow::Schema> tagged_schema(std::vector<arrow::Field> fields, std::string qualified) {
    auto schema = std::make_shared<arrow::Schema>();
    schema->fields = std::move(fields);
    schema->metadata.emplace_back(std::string(kSchemaQualifiedKey), std::move(qualified));
    return schema;
}

}  // namespace detail
namespace detail {

arrow::Field field_for_column(const arrow::Field& declared, const arrow::Array& column) {
    if (column.type == declared.type) return declared;
    if (column.type.id == arrow::TypeId::Null) return arrow::field(declared.name, arrow::null(), true);
    arrow::Field f = declared;
    f.type = column.type;
    return f;
}

}  // namespace detail

}  // namespace legolasflux::legolas
