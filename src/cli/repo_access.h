#pragma once

#include <memory>

#include "cli/cli.h"
#include "repo/repository.h"
#include "storage/registry.h"

namespace hasteward::cli {

// Opens the repository named by the global flags with the given password source.
core::Result<std::unique_ptr<repo::Repository>> OpenRepository(const GlobalOptions& g);

// The same for a synchronous receiver (wal-receive, archive binlog --sync): a store that fails
// fails within 3 s (the storage layer's retries otherwise last minutes), so the receiver's own
// retry loop and its fallback bound the primary's wait instead.
core::Result<std::unique_ptr<repo::Repository>> OpenReceiverRepository(const GlobalOptions& g);

// The storage options the global flags ask for: defaults, plus --s3-credentials-file.
storage::OpenOptions BackendOptions(const GlobalOptions& g);

// Reports the backend requests a command made, by kind (issue: cost-aware I/O). Prints one line
// on stderr for remote backends (always with --json, as a JSON object), nothing for quiet runs.
void ReportRequests(const GlobalOptions& g, repo::Repository& r);

}  // namespace hasteward::cli
