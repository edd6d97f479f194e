#include <iostream>
#include <string>

#include "commands.hpp"
#include "legolasflux/errors.hpp"
#include "legolasflux/model.hpp"

int main(int argc, char** argv) {
    using namespace legolasflux::cli;
    CLI::App app{"legolasflux: inspect, validate and convert LegolasFlux model files and Arrow files"};
    app.require_subcommand(1);
    app.set_version_flag("--version", "legolasflux 0.1.0");
    int exit_code = kOk;
    // Our own schemas beyond legolas-flux.model@1: `validate`, `schema` and `verify` know them.
    legolasflux::declare_builtin_schemas();
    add_arrow_commands(app, exit_code);
    add_legolas_commands(app, exit_code);
    add_model_commands(app, exit_code);
    add_diff_command(app, exit_code);
    add_convert_commands(app, exit_code);
    add_gc_command(app, exit_code);
    add_checkpoints_command(app, exit_code);
    add_sharded_commands(app, exit_code);
    add_verify_command(app, exit_code);
    // CLI11 takes an unknown first word for a missing subcommand ("A subcommand is required"):
    // name it, and what the commands are.
    if (argc > 1 && argv[1][0] != '-') {
        const std::string word = argv[1];
        std::string names;
        bool known = false;
        for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
            known |= sub->get_name() == word;
            names += (names.empty() ? "" : ", ") + sub->get_name();
        }
        if (!known) {
            std::cerr << "legolasflux: error: unknown command '" << word << "' (commands: " << names
                      << "; legolasflux --help says what each does)\n";
            return kUsage;
        }
    }
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int rc = app.exit(e);
        return rc == 0 ? kOk : kUsage;
    } catch (const legolasflux::Error& e) {
        std::cerr << "legolasflux: error: " << e.what() << "\n";
        return kInvalidInput;
    } catch (const std::exception& e) {
        std::cerr << "legolasflux: error: " << e.what() << "\n";
        return kInvalidInput;
    }
    return exit_code;
}
