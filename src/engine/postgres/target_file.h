// A file of an instance's data directory read wherever the instance lives: through ReadDataFile
// where the platform offers it (kDataDirFiles), else through a `cat` run there (a pod's exec).
#pragma once

#include <string>

#include "core/status.h"
#include "platform/instance_handle.h"

namespace hasteward::engine::postgres {

// The bytes of `relative_path` (relative to the data directory); kNotFound when it does not exist.
core::Result<std::string> ReadTargetFile(platform::InstanceHandle& handle,
                                         const std::string& relative_path);

}  // namespace hasteward::engine::postgres
