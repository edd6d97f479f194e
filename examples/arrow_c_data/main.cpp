// Hands a table to another Arrow library through the Arrow C stream interface, without a copy.
// Our own importer stands in for the other library; the program checks that what it received is
// the table, sharing its memory, and exits non-zero otherwise.
#include <iostream>

#include "legolasflux/arrow/builder.hpp"
#include "legolasflux/arrow/c_data.hpp"
#include "legolasflux/arrow/compare.hpp"

using namespace legolasflux::arrow;

int main() {
    auto schema = std::make_shared<Schema>();
    schema->fields = {field("name", utf8(), false), field("score", float32())};
    const RecordBatch batch = make_batch(
        schema, {make_strings({"ada", "grace"}), make_primitive(float32(), std::vector<float>{0.5f, 0.75f})});
    const Table table{schema, {batch}};

    // [c-data-stream]
    ArrowArrayStream stream;
    export_table(table, &stream);  // no copy: the stream's arrays point into the table's buffers
    // Give &stream to any Arrow C stream consumer (Arrow C++: arrow::ImportRecordBatchReader(&stream));
    // here our own importer plays that part. It takes the stream and releases it when done.
    const Table received = import_table(&stream);
    // [/c-data-stream]

    const bool equal = table_equals(table, received);
    const bool shared = received.batches.at(0).columns[1]->buffers[1].data() == batch.columns[1]->buffers[1].data();
    std::cout << "received " << received.num_rows() << " rows: " << (equal ? "equal" : "DIFFERENT") << ", "
              << (shared ? "shared memory" : "COPIED") << "\n";
    return equal && shared ? 0 : 1;
}
