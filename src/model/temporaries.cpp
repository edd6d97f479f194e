#include "legolasflux/temporaries.hpp"

#include "common/temporary_files.hpp"

namespace legolasflux {

namespace {

// The common layer cannot see public headers but errors.hpp, so it has an enum of its own.
TemporaryKept public_reason(common::KeptBecause why) {
    switch (why) {
        case common::KeptBecause::Locked: return TemporaryKept::Locked;
        case common::KeptBecause::WriterRunning: return TemporaryKept::WriterRunning;
        case common::KeptBecause::TooRecent: return TemporaryKept::TooRecent;
        case common::KeptBecause::NotRegularFile: return TemporaryKept::NotRegularFile;
        case common::KeptBecause::OtherOwner: return TemporaryKept::OtherOwner;
        case common::KeptBecause::Failed: return TemporaryKept::Failed;
    }
    return TemporaryKept::Failed;
}

}  // namespace

std::string_view to_string(TemporaryKept reason) {
    switch (reason) {
        case TemporaryKept::Locked: return "locked";
        case TemporaryKept::WriterRunning: return "writer_running";
        case TemporaryKept::TooRecent: return "too_recent";
        case TemporaryKept::NotRegularFile: return "not_regular_file";
        case TemporaryKept::OtherOwner: return "other_owner";
        case TemporaryKept::Failed: return "failed";
    }
    return "failed";
}

CollectedTemporaries collect_stale_temporaries(const std::filesystem::path& dir,
                                               const TemporaryCollectOptions& options) {
    common::CollectOptions common_options;
    common_options.dry_run = options.dry_run;
    common_options.old_format_min_age = options.old_format_min_age;
    CollectedTemporaries out;
    for (auto& t : common::collect_temporaries(dir, common_options)) {
        TemporaryFile file{dir / t.name, std::move(t.parts.target), t.parts.pid, t.size,
                           std::nullopt, std::move(t.error)};
        if (t.kept) {
            file.kept = public_reason(*t.kept);
            out.kept.push_back(std::move(file));
        } else {
            out.removed.push_back(std::move(file));
        }
    }
    return out;
}

}  // namespace legolasflux
