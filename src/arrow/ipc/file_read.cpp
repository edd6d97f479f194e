// Bringing a whole file into memory: by mapping it (the default: arrays read from it are then views
// into the page cache, so opening costs the metadata only) or by reading it into one aligned
// allocation (common/file_bytes.hpp does both).
#include "common/file_bytes.hpp"
#include "legolasflux/arrow/ipc.hpp"

namespace legolasflux::arrow {

Buffer read_whole_file(const std::filesystem::path& path, FileAccess access) {
    common::FileBytes bytes = common::read_file_bytes(path, access == FileAccess::Map);
    return Buffer(std::move(bytes.owner), bytes.data, bytes.size);
}

}  // namespace legolasflux::arrow
