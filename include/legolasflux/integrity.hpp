// Verifying files as they were written: one call for a file, a run directory of CheckpointManager
// (step files, sharded step directories, the index) or a sharded step directory.
//
//   for (const legolasflux::FileIntegrity& f : legolasflux::verify("runs/digits"))
//       if (f.status == legolasflux::Integrity::Damaged) std::cerr << f.file << ": " << f.problem << "\n";
//
// Each file is checked as a reader checks it, all the way: Arrow validity (ValidationLevel::Full);
// every checksum it records under kChecksumsMetadataKey — the file checksum (every byte but the
// weight values) and the weights' checksums, for uncompressed, LZ4 and Zstandard files alike
// (docs/format.md, "Integrity"); and Legolas compliance with its schema when it names one declared
// in legolas::default_registry() (the built-in schemas are declared first: declare_builtin_schemas, model.hpp).
// `legolasflux verify PATH...` is this call (docs/cli.md).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace legolasflux {

enum class Integrity {
    Ok,           // sound, and every checksum it records matches
    NoChecksums,  // sound, but it records no checksums (written elsewhere, by Julia say): not an error
    Damaged,      // not sound, or cannot be read: `problem` says why
};

struct FileIntegrity {
    std::filesystem::path file;
    Integrity status = Integrity::Ok;
    std::string schema;   // the qualified identifier the file names (legolas_schema_qualified); empty when none
    std::string problem;  // when Damaged: what is wrong, in the words of the readers' errors, without the path
};

struct VerifyOptions {
    // Hash every weight value and compare with the recorded checksums. Off: the file checksum only
    // (every byte but the weight values; compressed values are not decoded), which is cheap —
    // unless it does not apply (a stream, a file without it, a file rewritten by another writer
    // that kept the metadata), when the values are checked anyway.
    bool values = true;
    // Threads that hash a large file's values (0: one per core).
    int threads = 0;
};

// One file (of any name: a stream too). Never throws for what the file holds: a file that cannot be
// read is Damaged with the system's message.
FileIntegrity verify_file(const std::filesystem::path& file, const VerifyOptions& options = {});

// A file (as verify_file), or a directory: every `*.arrow` file under it, in name order,
// subdirectories included. Names starting with '.' are left out, files and directories alike:
// temporaries of saves in progress or killed (`.<name>.tmp-…`), the lock `.checkpoints.lock`, the
// pending and deleted sharded steps (`.step-….sharded.pending`, `.deleting`). So are files set
// aside as damaged (`*.arrow.damaged`): they are known to be damaged and no longer part of the
// run. IoError when `path` does not exist or a directory cannot be listed.
std::vector<FileIntegrity> verify(const std::filesystem::path& path, const VerifyOptions& options = {});

// "ok", "no checksums", "damaged": how `legolasflux verify` prints a status.
std::string to_string(Integrity status);

}  // namespace legolasflux
