// The legolasflux command-line tool: one binary, one group of subcommands per layer.
//
// Exit codes (docs/cli.md):
//   0  success (for `validate`: the file is valid)
//   1  the input is invalid, corrupt or unsupported, or an I/O error occurred (message on stderr)
//   2  the command line is wrong (usage on stderr)
#pragma once

#include <CLI/CLI.hpp>
#include <filesystem>
#include <functional>

namespace legolasflux::cli {

enum ExitCode : int { kOk = 0, kInvalidInput = 1, kUsage = 2 };

// Each group adds its subcommands to `app`; the callback of the chosen subcommand sets the exit code.
void add_arrow_commands(CLI::App& app, int& exit_code);
// `validate` and `schema`: Legolas schema versions of schema-tagged Arrow files.
void add_legolas_commands(CLI::App& app, int& exit_code);
// `inspect`: what a LegolasFlux model file holds.
void add_model_commands(CLI::App& app, int& exit_code);
// `diff A B`: what changed between two model files (exit codes as diff(1): 0 same, 1 differ, 2 trouble).
void add_diff_command(CLI::App& app, int& exit_code);
// `convert` (.arrow ↔ .safetensors) and `export` (one weight as NumPy .npy).
void add_convert_commands(CLI::App& app, int& exit_code);
// `gc DIR`: removes the temporaries of killed saves.
void add_gc_command(CLI::App& app, int& exit_code);
// `checkpoints DIR`: the committed checkpoints of a run directory.
void add_checkpoints_command(CLI::App& app, int& exit_code);
// `verify PATH...`: whether files (or every file of a directory) are as they were written.
void add_verify_command(CLI::App& app, int& exit_code);

// `consolidate STEP_DIR OUT.arrow`: a sharded checkpoint as one model row.
void add_sharded_commands(CLI::App& app, int& exit_code);
// What `inspect` shows of a sharded step directory.
void inspect_sharded_step(const std::filesystem::path& dir, bool json);
}  // namespace legolasflux::cli
