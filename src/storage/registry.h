#pragma once

#include <memory>
#include <string>

#include "core/status.h"
#include "storage/backend.h"

namespace hasteward::storage {

// Opens a backend from a location: a plain path or "local:<path>" (local filesystem),
// "s3:<endpoint>/<bucket>[/prefix]", "rest:<url>". Unknown schemes are a usage error.
core::Result<std::unique_ptr<Backend>> OpenBackend(const std::string& location);

}  // namespace hasteward::storage
