// Conversion between our Schema/Field/DataType and the FlatBuffers Schema tables, both ways.
#pragma once

#include <flatbuffers/flatbuffers.h>

#include <cstdint>
#include <string>

#include "legolasflux/arrow/ipc.hpp"
#include "legolasflux/arrow/type.hpp"
#include "legolasflux_fbs/File_generated.h"

namespace legolasflux::arrow::detail {

// "a.b": the dotted path of a field, skipping empty names (list items are often unnamed).
std::string join_path(const std::string& parent, const std::string& name);

// Reads a verified Schema table. Checks what the verifier cannot: known type members and
// features, sane type parameters, child counts per type, nesting depth and field count against
// `limits`. Big-endian schemas, unknown types and unknown features are UnsupportedError.
Schema schema_from_fbs(const fbs::Schema& schema, const IpcLimits& limits);

// MetadataVersion of a message or footer; V1–V3 and unknown versions are UnsupportedError.
MetadataVersion metadata_version_from_fbs(fbs::MetadataVersion version, const std::string& where);
// A file footer's version: any of V1–V5 passes (the messages' own versions decide, as in Arrow
// C++, which wrote V1 footers after V4 messages in 0.14); an unknown version is UnsupportedError.
void check_footer_version(fbs::MetadataVersion version);

flatbuffers::Offset<fbs::Schema> schema_to_fbs(flatbuffers::FlatBufferBuilder& builder, const Schema& schema);

}  // namespace legolasflux::arrow::detail
