// `legolasflux arrow …`: plain Arrow files and streams, and Arrow's integration JSON format.
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "commands.hpp"
#include "legolasflux/arrow/ipc.hpp"
#include "legolasflux/arrow/json.hpp"
#include "legolasflux/arrow/pretty_print.hpp"
#include "legolasflux/arrow/validate.hpp"
#include "legolasflux/errors.hpp"

namespace legolasflux::cli {
namespace {

namespace fs = std::filesystem;
using namespace legolasflux::arrow;

struct WriteFlags {
    bool stream = false;
    std::string compression = "none";
    int level = 0;
    int alignment = 64;

    void add_to(CLI::App& cmd) {
        cmd.add_flag("--stream", stream, "Write the stream format instead of the file format");
        cmd.add_option("--compression", compression, "Body compression")
            ->check(CLI::IsMember({"none", "lz4", "zstd"}))
            ->capture_default_str();
        cmd.add_option("--level", level, "Compression level (0: the codec's default)");
        cmd.add_option("--alignment", alignment, "Buffer alignment in bytes")
            ->check(CLI::IsMember({8, 16, 32, 64}))
            ->capture_default_str();
    }

    WriteOptions options() const {
        WriteOptions o;
        o.alignment = alignment;
        o.compression_level = level;
        o.compression = compression == "lz4"    ? Compression::Lz4Frame
                        : compression == "zstd" ? Compression::Zstd
                                                : Compression::None;
        return o;
    }

    void write(const fs::path& out, const Table& table) const {
        if (!stream) {
            write_file(out, table, options());
            return;
        }
        std::ofstream f(out, std::ios::binary | std::ios::trunc);
        if (!f) throw IoError(out, std::strerror(errno));
        write_stream(f, table, options());
        f.flush();
        if (!f) throw IoError(out, "write failed");
    }
};

std::string read_text(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw IoError(path, std::strerror(errno));
    std::ostringstream s;
    s << in.rdbuf();
    if (in.bad()) throw IoError(path, "read failed");
    return s.str();
}

// Reads an Arrow file or stream (the reader names the path in its errors).
Table read_arrow(const fs::path& path, IpcFileInfo* info = nullptr) { return read_any(path, {}, info); }

void write_text(const std::string& out, const std::string& text) {
    if (out.empty() || out == "-") {
        std::cout << text;
        return;
    }
    std::ofstream f(out, std::ios::binary | std::ios::trunc);
    if (!f) throw IoError(out, std::strerror(errno));
    f << text;
    if (!f) throw IoError(out, "write failed");
}

}  // namespace

void add_arrow_commands(CLI::App& app, int& exit_code) {
    auto* arrow = app.add_subcommand("arrow", "Plain Arrow IPC files and streams, and Arrow's integration JSON");
    arrow->require_subcommand(1);

    {
        auto* cmd = arrow->add_subcommand("json", "Print an Arrow file or stream as integration JSON");
        static std::string in, out;
        cmd->add_option("FILE", in, "Arrow file or stream")->required();
        cmd->add_option("-o,--output", out, "Write the JSON here instead of standard output");
        cmd->callback([&exit_code] {
            write_text(out, write_json(read_arrow(in)) + "\n");
            exit_code = kOk;
        });
    }
    {
        auto* cmd = arrow->add_subcommand("from-json", "Write integration JSON as an Arrow file or stream");
        static std::string in, out;
        static WriteFlags flags;
        cmd->add_option("JSON", in, "Integration JSON document")->required();
        cmd->add_option("OUT", out, "Arrow file to write")->required();
        flags.add_to(*cmd);
        cmd->callback([&exit_code] {
            Table table;
            try {
                table = read_json(read_text(in));
            } catch (const FormatError& e) {
                throw FormatError(in + ": " + e.what());
            }
            flags.write(out, table);
            exit_code = kOk;
        });
    }
    {
        auto* cmd = arrow->add_subcommand("cat", "Re-encode an Arrow file or stream");
        static std::string in, out;
        static WriteFlags flags;
        cmd->add_option("IN", in, "Arrow file or stream to read")->required();
        cmd->add_option("OUT", out, "Arrow file or stream to write")->required();
        flags.add_to(*cmd);
        cmd->callback([&exit_code] {
            flags.write(out, read_arrow(in));
            exit_code = kOk;
        });
    }
    {
        auto* cmd = arrow->add_subcommand(
            "validate", "Check an Arrow file or stream fully; exit 1 with the error when it is not valid");
        static std::string in;
        static bool quiet = false;
        cmd->add_option("FILE", in, "Arrow file or stream")->required();
        cmd->add_flag("-q,--quiet", quiet, "Print nothing when the file is valid");
        cmd->callback([&exit_code] {
            IpcFileInfo info;
            Table table = read_arrow(in, &info);
            validate(table, ValidationLevel::Full);
            if (!quiet)
                std::cout << in << ": valid Arrow " << (info.is_file_format ? "file" : "stream") << ", "
                          << table.schema->fields.size() << " columns, " << table.batches.size()
                          << (table.batches.size() == 1 ? " record batch, " : " record batches, ") << table.num_rows()
                          << (table.num_rows() == 1 ? " row\n" : " rows\n");
            exit_code = kOk;
        });
    }
    {
        auto* cmd = arrow->add_subcommand("print", "Print an Arrow file's schema and rows as text");
        static std::string in;
        static int64_t max_rows = 20;
        cmd->add_option("FILE", in, "Arrow file or stream")->required();
        cmd->add_option("--max-rows", max_rows, "Rows to print per record batch (0 or more)")
            ->capture_default_str()
            ->check(CLI::Validator(
                [](std::string& v) -> std::string {
                    return v.find_first_not_of("0123456789") == std::string::npos && !v.empty()
                               ? ""
                               : "'" + v + "' is not a row count: give a whole number, 0 or more";
                },
                "COUNT >= 0"));
        cmd->callback([&exit_code] {
            std::cout << pretty_print(read_arrow(in), max_rows);
            exit_code = kOk;
        });
    }
}

}  // namespace legolasflux::cli
