// The Legolas read-and-validate path: legolas::read on a Buffer (Arrow file or stream; the schema
// version from `legolas_schema_qualified`, which must be declared; compliance of the table with it),
// then, for a table that passes, its rows as the typed records of the schema it names.
#include "fuzz_common.hpp"
#include "fuzz_schemas.hpp"

namespace {

using namespace legolasflux;

// Rows as R when the file's schema is R's or descends from it; the typed reader must cope with
// every table that compliance accepted.
template <legolas::Record R>
void read_rows_as(const legolas::ReadResult& result) {
    if (!legolas::default_registry().descends_from(result.schema_version, legolas::schema_version_of<R>())) return;
    lffuzz::check([&] { return legolas::from_table<R>(result.table); },
                  [&](const std::vector<R>& rows) {
                      if (static_cast<int64_t>(rows.size()) != result.table.num_rows())
                          lffuzz::finding("from_table lost rows");
                  });
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    lffuzz::declare_schemas();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const arrow::Buffer bytes = lffuzz::input_buffer(data, size);
    lffuzz::check([&] { return legolas::read(bytes); },
                  [](const legolas::ReadResult& result) {
                      lffuzz::exercise(result.table);
                      // Typed reads may reject what compliance let through (a failed @check, a
                      // required value missing): a legolasflux::Error, which check() accepts.
                      read_rows_as<lffuzz::ConfigV1>(result);
                      read_rows_as<lffuzz::RunV1>(result);
                      read_rows_as<lffuzz::LabeledRunV1>(result);
                      read_rows_as<ModelV1>(result);
                      read_rows_as<lffuzz::TrainedModelV1>(result);
                  });
    return 0;
}
