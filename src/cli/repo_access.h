#pragma once

#include <memory>

#include "cli/cli.h"
#include "repo/repository.h"
#include "storage/registry.h"

namespace hasteward::cli {

// Opens the repository named by the global flags with the given password source.
core::Result<std::unique_ptr<repo::Repository>> OpenRepository(const GlobalOptions& g);

// The storage options the global flags ask for: defaults, plus --s3-credentials-file.
storage::OpenOptions BackendOptions(const GlobalOptions& g);

// Reports the backend requests a command made, by kind (issue: cost-aware I/O). Prints one line
// on stderr for remote backends (always with --json, as a JSON object), nothing for quiet runs.
void ReportRequests(const GlobalOptions& g, repo::Repository& r);

}  // namespace hasteward::cli
