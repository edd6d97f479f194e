// The small tables of our own beside the model files — a run directory's index (checkpoints.arrow)
// and a sharded step's index (index.arrow) — written with a file checksum, as model files are, and
// trusted only when it holds (private to the library). They stay plain Legolas tables: the checksum
// is one more schema metadata entry (kChecksumsMetadataKey) that any Arrow reader may ignore.
#pragma once

#include <filesystem>

#include "legolasflux/legolas/table_io.hpp"

namespace legolasflux::detail {

// Writes `table` as a Legolas table of `sv` (atomically; fsynced when `durable`) with a checksum of
// every byte of the file (it has no weights, so nothing is left out).
void write_checksummed_table(const std::filesystem::path& path, const arrow::Table& table,
                             const legolas::SchemaVersion& sv, bool durable);

// What a table that records no checksum is. The run index can be rebuilt from its step files, so
// one without a checksum is refused (and rebuilt); a shard index cannot, and the ones written
// before index checksums existed must still load: one without the key is read as such — unless a
// schema metadata value looks like the checksums value, when its key was damaged.
enum class Unchecksummed { Refuse, AcceptOlder };

// Reads a table written so and checks it as legolas::read does, its checksum first: a
// CorruptionError naming the file when the checksum does not match or when the file records none
// (a damaged key, or a file written by another program or an older version; see Unchecksummed);
// FormatError when it does not parse; IoError when it cannot be read.
legolas::ReadResult read_checksummed_table(const std::filesystem::path& path,
                                           Unchecksummed unchecksummed = Unchecksummed::Refuse);

}  // namespace legolasflux::detail
