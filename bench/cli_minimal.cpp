// legolasflux_cli_minimal FILE: the least a program must do to answer "is this model file valid?"
// with our library, the baseline of legolasflux_cli_bench (cli_start.cpp). A model row is read as
// read_model_row reads it: the whole file read with arrow::read_any at the default, full,
// validation, the checksums verified, the schema checked and the row decoded. The `legolasflux`
// commands measured against it do this work or less (`arrow validate` and `validate` stop after
// the Arrow read and a check of the schema), plus starting the tool and printing. A file that is no
// model row is read with arrow::read_file alone, at full validation.
//
// Exit codes as the CLI's: 0 valid, 1 invalid or unreadable, 2 wrong command line.
#include <cstdio>
#include <exception>

#include "legolasflux/arrow/ipc.hpp"
#include "legolasflux/errors.hpp"
#include "legolasflux/model.hpp"

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: legolasflux_cli_minimal FILE\n");
        return 2;
    }
    try {
        size_t columns = 0;
        try {
            const legolasflux::ModelRow row = legolasflux::read_model_row(argv[1]);
            columns = row.table.schema->fields.size();
        } catch (const legolasflux::SchemaError&) {
            columns = legolasflux::arrow::read_file(argv[1]).schema->fields.size();
        }
        std::printf("%s: valid, %zu columns\n", argv[1], columns);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "legolasflux_cli_minimal: error: %s\n", e.what());
        return 1;
    }
    return 0;
}
