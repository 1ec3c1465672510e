#pragma once

#include <memory>

#include "cli/cli.h"
#include "repo/repository.h"

namespace hasteward::cli {

// Opens the repository named by the global flags with the given password source.
core::Result<std::unique_ptr<repo::Repository>> OpenRepository(const GlobalOptions& g);

}  // namespace hasteward::cli
