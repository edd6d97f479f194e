// Writes a small table shaped like a LegolasFlux model row (a list of flat arrays with their sizes,
// plus a few scalar columns) to an Arrow file, reads it back, checks it, and prints it.
//
//   arrow_roundtrip [OUT.arrow]
#include <cstdio>
#include <iostream>

#include "legolasflux/arrow/builder.hpp"
#include "legolasflux/arrow/compare.hpp"
#include "legolasflux/arrow/ipc.hpp"
#include "legolasflux/arrow/pretty_print.hpp"
#include "legolasflux/errors.hpp"

using namespace legolasflux::arrow;

namespace {

Table make_table() {
    // FlatArray {vec: list<float32>, size: list<int64>}, in Julia's encoding (list items named "").
    const Field vec_item = field("", float32(), false);
    const Field size_item = field("", int64(), false);
    const DataType flat_array = struct_({field("vec", list(vec_item), false), field("size", list(size_item), false)});
    const KeyValueMetadata flat_ext = {{"ARROW:extension:name", "JuliaLang.LegolasFlux.FlatArray"},
                                       {"ARROW:extension:metadata", ""}};
    const DataType weights_type = struct_({field("weights", list(field("", flat_array, false, flat_ext)), false)});

    // Two arrays: a 2x3 matrix and a bias of 3, column-major as Julia stores them.
    auto values =
        make_primitive(float32(), std::vector<float>{0.5f, -1.0f, 0.25f, 2.0f, 1.5f, -0.75f, 0.1f, 0.2f, 0.3f});
    auto sizes = make_primitive(int64(), std::vector<int64_t>{2, 3, 3});
    auto vec = make_list(flat_array.children[0].type, {6, 3}, values);
    auto size = make_list(flat_array.children[1].type, {2, 1}, sizes);
    auto flat = make_struct(flat_array, 2, {vec, size});
    auto weights_list = make_list(weights_type.children[0].type, {2}, flat);
    auto weights = make_struct(weights_type, 1, {weights_list});

    auto schema = std::make_shared<Schema>();
    schema->fields = {
        field("weights", weights_type, false,
              {{"ARROW:extension:name", "JuliaLang.LegolasFlux.Weights"}, {"ARROW:extension:metadata", ""}}),
        field("architecture_version", int64(), true), field("epoch", int64(), true), field("note", utf8(), true)};
    schema->metadata = {{"legolas_schema_qualified", "legolas-flux.model@1"}};

    auto arch = make_primitive(int64(), std::vector<int64_t>{1});
    auto epoch = make_primitive(int64(), std::vector<int64_t>{0}, {false});
    auto note = make_strings({"written by LegolasFlux for C++"});
    Table table;
    table.schema = schema;
    table.batches.push_back(make_batch(schema, {weights, arch, epoch, note}));
    return table;
}

}  // namespace

int main(int argc, char** argv) {
    const std::string path = argc > 1 ? argv[1] : "example.arrow";
    try {
        const Table table = make_table();
        write_file(path, table);
        IpcFileInfo info;
        const Table back = read_file(std::filesystem::path(path), {}, &info);
        if (const std::string diff = table_difference(table, back); !diff.empty()) {
            std::cerr << "round trip changed the table: " << diff << "\n";
            return 1;
        }
        std::cout << "wrote and read back " << path << " (" << std::filesystem::file_size(path) << " bytes): equal\n\n"
                  << pretty_print(back);
        return 0;
    } catch (const legolasflux::Error& e) {
        std::cerr << "error: " << e.what() << "\n";
        return 1;
    }
}
