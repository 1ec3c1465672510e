#pragma once

#include <memory>
#include <string>

#include "cli/cli.h"
#include "engine/archiving.h"
#include "engine/engine.h"
#include "platform/platform.h"

namespace hasteward::cli {

// The cluster a server's archive/restore command names with -e/-c/-n, without reading an
// inventory (the server's OS user need not read it), and its engine's archiving.
struct WalIdentity {
  platform::Cluster cluster;  // engine, namespace and name only
  std::unique_ptr<engine::Engine> engine;
  engine::Archiving* archiving = nullptr;
};

// kUsage without -e or -c, or for an engine without archiving.
core::Result<WalIdentity> OpenWalIdentity(const GlobalOptions& g);

// The archive_command / restore_command for `cluster`'s servers: this binary, the repository, the
// password file and the S3 credentials file of the global flags (made absolute). kUsage without a
// password file, or without a credentials file for an s3: repository, or (unless --dry-run) when an
// instance's OS user cannot run the binary or read those files (pitr/wal/server_user_access.h).
// `agent_socket` ("" = none) is the archive agent wal-push hands its files to
// (pitr/wal/wal_agent.h).
core::Result<engine::ArchiveCommands> ServerArchiveCommands(const GlobalOptions& g,
                                                            const platform::Cluster& cluster,
                                                            const std::string& agent_socket = "");

}  // namespace hasteward::cli
