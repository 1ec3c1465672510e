// A sandbox PostgreSQL cluster archiving into a REST test repository, as `archive enable` sets it
// up for a user: the server runs wal-push as its own OS user, reaching the repository over HTTP
// with a password file that user owns. The one set-up of the tests that restore and replay
// archived WAL (pitr, pitr_timeline, restore_history, history_property).
#pragma once

#include <memory>
#include <string>

#include "core/status.h"
#include "support/hasteward_env.h"
#include "support/rest_test_server.h"
#include "support/sandbox_cluster.h"

namespace hasteward::testing {

struct ArchivedCluster {
  std::unique_ptr<RestTestServer> server;
  std::unique_ptr<SandboxCluster> cluster;
  std::string password_file;
};

// Starts the sandbox cluster of `options`, a REST server under hs.Path("rest") whose repository
// `hs` then uses (initialized), writes the password file at hs.Path("password") and runs
// `archive enable` for the cluster.
core::Result<ArchivedCluster> StartArchivedCluster(HastewardEnv& hs,
                                                   const SandboxCluster::Options& options,
                                                   const std::string& password);

}  // namespace hasteward::testing
