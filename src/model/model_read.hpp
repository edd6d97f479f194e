// The model file reader behind read_model_row and open_model_row (private to the library).
#pragma once

#include <optional>
#include <string>

#include "deferred.hpp"
#include "legolasflux/arrow/ipc.hpp"
#include "legolasflux/model.hpp"

namespace legolasflux::detail {

// Reads the model row in `bytes` (a whole model file or stream) and checks it as read_model_row
// does; `source` names it in error messages, `prefix` says whether the Arrow reader's errors need
// the name added. With `deferral`, the weights' large compressed values are left undecoded
// (deferred.hpp; any other deferred buffer makes it read again without deferring): their checksums
// are not verified, the row's weights are placeholders, and `deferral->buffers` says what was
// left.
ModelRow read_model_from(const arrow::Buffer& bytes, const std::string& source, bool prefix,
                         const std::optional<legolas::SchemaVersion>& wanted, const ModelReadOptions& options,
                         arrow::IpcFileInfo* info = nullptr, Deferral* deferral = nullptr);

}  // namespace legolasflux::detail
