// `legolasflux verify PATH... [--json]`: whether files are as they were written (verify,
// legolasflux/integrity.hpp): for each file found, `ok`, `no checksums` or `damaged: why`; exit
// status 1 when anything is damaged or cannot be verified.
#include <algorithm>
#include <iostream>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "legolasflux/errors.hpp"
#include "legolasflux/integrity.hpp"
#include "table_view.hpp"

namespace legolasflux::cli {
namespace {

using Json = nlohmann::ordered_json;

// One line per file, whatever the readers' messages hold.
std::string one_line(std::string text) {
    std::replace(text.begin(), text.end(), '\n', ' ');
    return text;
}

std::string json_status(Integrity status) {
    return status == Integrity::NoChecksums ? "no_checksums" : to_string(status);
}

}  // namespace

void add_verify_command(CLI::App& app, int& exit_code) {
    auto* cmd = app.add_subcommand(
        "verify",
        "Check that files are as they were written: Arrow validity (full), schema compliance and every recorded "
        "checksum, of files, run directories and sharded step directories; exit 1 when anything is damaged");
    static std::vector<std::string> paths;
    static bool json = false;
    cmd->add_option("PATH", paths, "Arrow files, or directories: every *.arrow file under them")->required();
    cmd->add_flag("--json", json, "Print a JSON array, one object per file");
    cmd->callback([&exit_code] {
        bool all_good = true;
        Json out = Json::array();
        for (const std::string& path : paths) {
            std::vector<FileIntegrity> results;
            try {
                results = verify(path);
            } catch (const Error& e) {  // nothing there to verify, or a directory that cannot be listed
                std::cerr << "legolasflux: error: " << one_line(e.what()) << "\n";
                all_good = false;
                continue;
            }
            if (results.empty()) {
                std::cerr << "legolasflux: error: " << path << ": no Arrow files (*.arrow) to verify\n";
                all_good = false;
            }
            for (const FileIntegrity& f : results) {
                all_good &= f.status != Integrity::Damaged;
                if (json) {
                    out.push_back({{"file", f.file.string()},
                                   {"status", json_status(f.status)},
                                   {"schema", f.schema.empty() ? Json(nullptr) : Json(f.schema)},
                                   {"problem", f.problem.empty() ? Json(nullptr) : Json(f.problem)}});
                    continue;
                }
                std::cout << f.file.string() << ": " << to_string(f.status);
                if (f.status == Integrity::Damaged) std::cout << ": " << one_line(f.problem);
                std::cout << "\n";
            }
        }
        if (json) print_json_document(out);
        exit_code = all_good ? kOk : kInvalidInput;
    });
}

}  // namespace legolasflux::cli
