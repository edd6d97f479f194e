// Writes a small table shaped like a LegolasFlux model row (a list of flat arrays with their sizes,
// plus a few scalar columns) to an Arrow file, reads it back, checks it, and prints it. Then the
// same through the IPC layer's pieces: a compressed stream written to an output of our own, read
// back with a decompressor of our own.
//
//   arrow_roundtrip [OUT.arrow]
#include <cstdio>
#include <iostream>
#include <memory>
#include <span>
#include <vector>

#include "legolasflux/arrow/builder.hpp"
#include "legolasflux/arrow/compare.hpp"
#include "legolasflux/arrow/decompress.hpp"
#include "legolasflux/arrow/ipc.hpp"
#include "legolasflux/arrow/ipc_body.hpp"
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

// [ipc-pieces]
// Where the writer's bytes go: here, memory, counted as they come.
struct Collect final : OutputStream {
    std::vector<uint8_t> bytes;
    int writes = 0;
    void write(std::span<const uint8_t> b) override {
        bytes.insert(bytes.end(), b.begin(), b.end());
        ++writes;
    }
};

// How the reader decodes each compressed buffer: with the library's decoder, noting what it did.
// (A decompressor may also leave a buffer whose values no read looks at for later:
// CompressedBuffer::values_unread.)
struct Noting final : Decompressor {
    int64_t decoded = 0;
    Buffer decompress(const CompressedBuffer& b) override {
        decoded += b.decoded_size;
        return legolasflux::arrow::decompress(b.codec, b.frame.span(), b.decoded_size);
    }
};

bool through_the_pieces(const Table& table) {
    WriteOptions zstd;
    zstd.compression = Compression::Zstd;
    Collect out;
    write_stream(out, table, zstd);  // a BodyEncoder, when given, decides each buffer's bytes

    auto noting = std::make_shared<Noting>();
    ReadOptions read;
    read.decompressor = noting;
    const Table back = read_stream(Buffer::copy_of(std::span<const uint8_t>(out.bytes)), read);
    std::cout << "stream: " << out.bytes.size() << " bytes in " << out.writes << " writes, " << noting->decoded
              << " bytes decoded\n";
    return table_equals(table, back);
}
// [/ipc-pieces]

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
                  << pretty_print(back) << "\n";
        if (!through_the_pieces(table)) {
            std::cerr << "the compressed stream read back differs\n";
            return 1;
        }
        return 0;
    } catch (const legolasflux::Error& e) {
        std::cerr << "error: " << e.what() << "\n";
        return 1;
    }
}
