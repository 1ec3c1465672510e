// Two sandbox "sites" for the DR standby stories (tests/integration/*standby_activation_test.cpp):
// each site is its own sandbox cluster (own state dir and inventory) with its own hasteward
// environment, and both share one S3 repository on Ceph RGW, the only link between them (issue
// #15). Each site's hasteward has the S3 keys in its environment; a database server's wal-push /
// wal-fetch get them from a credentials file (S3CredentialsFileFor), since a server inherits no
// credential variables. The helpers write a standby declaration, run `standby activate`, read its
// persisted record, and provision the source's credentials at the DR site.
//
//   auto sites = StandbySites::Start({.engine = EngineKind::kMariadb, .instances = 2, ...});
//   std::string config = (*sites)->Declare((*sites)->dr(), (*sites)->source(), "shop-dr", "");
//   auto run = (*sites)->Activate((*sites)->dr(), config, "2026-11-23T10:00:00Z");
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "core/temp_dir.h"
#include "support/ceph_rgw_server.h"
#include "support/command.h"
#include "support/hasteward_env.h"
#include "support/sandbox_cluster.h"

namespace hasteward::testing {

// One site: a sandbox cluster and the hasteward environment on its state dir and inventory.
struct StandbySite {
  std::unique_ptr<SandboxCluster> cluster;
  std::unique_ptr<HastewardEnv> env;

  // `hasteward <args> -e ENGINE -c NAME -n NS` for this site's cluster.
  CmdResult Hs(std::vector<std::string> args) const;
  std::string Port(int ordinal = 0) const;
};

class StandbySites {
 public:
  struct Options {
    platform::EngineKind engine = platform::EngineKind::kPostgres;
    int instances = 1;
    std::string name = "shop";  // the cluster's name at both sites
    std::string password;       // the repository's
    std::string temp_prefix;    // "hs-activate-" -> hs-activate-src-*, hs-activate-dr-*
    // A repository in a local directory both sites reach (this machine's filesystem) instead of
    // the shared Ceph RGW: what a DR site on shared storage reads. The repository is root's: a
    // PostgreSQL server's wal-push reaches it through a WAL agent (support/receiver_sites.h).
    bool local_repository = false;
  };

  // Both sites (namespaces "src" and "dr") on the process's shared Ceph RGW (started on first use,
  // once per test binary), and `repo init` from the source.
  static core::Result<std::unique_ptr<StandbySites>> Start(const Options& options);
  ~StandbySites();
  StandbySites(const StandbySites&) = delete;
  StandbySites& operator=(const StandbySites&) = delete;

  StandbySite& source() { return source_; }
  StandbySite& dr() { return dr_; }
  std::string RepositoryLocation() const { return location_; }

  // A password file at `site`, readable by the OS user of `reader`'s first instance (a
  // PostgreSQL server's wal-push / wal-fetch read it).
  std::string PasswordFileFor(StandbySite& site, StandbySite& reader) const;
  // The RGW's keys as an AWS credentials file at `site`, readable by the same OS user (what
  // --s3-credentials-file and a declaration's s3CredentialsFile name).
  std::string S3CredentialsFileFor(StandbySite& site, StandbySite& reader) const;

  // The account a standby's write probe logs in to the source with (source.probeCredentials);
  // an empty user declares none, and the probe is a TCP check.
  struct ProbeAccount {
    std::string user;
    std::string password;  // written to a file at the declaring site
  };

  // Standby `name` at site `at`, following `from`'s cluster and restoring into `at`'s (with `at`'s
  // password and S3 credentials files), probing
  // `from`'s first instance (`probe_port` "" = its port; "1" = nothing listens), as `probe_account`
  // when it names a user. `extra` is inserted as-is before `stateFile` (e.g. "  activation:
  // {acceptUnverified: true}\n").
  std::string Declare(StandbySite& at, StandbySite& from, const std::string& name,
                      const std::string& extra, const std::string& probe_port = "",
                      const ProbeAccount& probe_account = {}) const;

  // `standby activate` of the declaration `config` (named after its file) with `--confirm token`.
  static CmdResult Activate(StandbySite& at, const std::string& config, const std::string& token,
                            const HastewardEnv::EnvVars& extra_env = {});

  // The persisted activation record of standby `name` at `at` (null when there is none).
  static nlohmann::json Record(StandbySite& at, const std::string& name);
  // The phases of the record's transitions, in order.
  static std::vector<std::string> Phases(const nlohmann::json& record);

  // A physical restore brings the source's users and passwords: the DR site's inventory must hold
  // the source's credentials (provisioned ahead, as a replicated secret would be).
  static core::Status ShareCredentials(StandbySite& from, StandbySite& to);
  // MariaDB: the DR site runs with the source's credentials (a replicated secret), as
  // docs/standby.md requires: the physical restore brings the source's users to the restored
  // primary, and its replicas are rebuilt by a client that logs in with the inventory's
  // credentials. Set on `dr`'s primary (replicated to its replicas), then in its inventory's files
  // (ShareCredentials); waits until instance 1 takes the source's admin password.
  static core::Status AdoptSourceCredentials(StandbySite& source, StandbySite& dr);

 private:
  StandbySites() = default;
  Options options_;
  StandbySite source_;
  StandbySite dr_;
  CephRgwServer* rgw_ = nullptr;  // the process's shared server, outlives the sites
  std::string location_;
  std::unique_ptr<core::TempDir> local_repository_;  // local_repository: its directory
};

}  // namespace hasteward::testing
