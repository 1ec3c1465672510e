// A real sandbox cluster for tests: made in a private temp state dir and inventory by Create,
// taken down (processes, ports, directories) by the destructor.
//
//   auto pg = SandboxCluster::Create({.engine = platform::EngineKind::kPostgres});
//   ASSERT_TRUE(pg.ok()) << pg.status().ToString();
//   auto rows = (*pg)->Sql(0, "SELECT 1;");
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "core/status.h"
#include "core/temp_dir.h"
#include "platform/platform.h"

namespace hasteward::testing {

// Runs SQL on instance `ordinal` of any inventory cluster over TCP as its admin user with the stock
// client; see SandboxCluster::Sql.
core::Result<std::string> RunClusterSql(const platform::Cluster& cluster, int ordinal,
                                        const std::string& sql, const std::string& database = "");

class SandboxCluster {
 public:
  struct Options {
    platform::EngineKind engine = platform::EngineKind::kPostgres;
    int instances = 3;
    std::string replication_mode = "async";  // MariaDB: async | semisync
    std::string name;                        // "" = derived from the engine
    std::string ns = "test";
  };

  static core::Result<std::unique_ptr<SandboxCluster>> Create(const Options& options);
  ~SandboxCluster();
  SandboxCluster(const SandboxCluster&) = delete;
  SandboxCluster& operator=(const SandboxCluster&) = delete;

  const platform::Cluster& cluster() const { return cluster_; }
  const platform::Instance& instance(int ordinal) const;
  const std::string& inventory_path() const { return inventory_path_; }
  const std::string& state_dir() const { return state_dir_; }
  // The admin/superuser password (from the cluster's password file).
  std::string password() const;

  // Runs SQL on instance `ordinal` over TCP as the cluster's admin user with the stock client
  // (psql / mariadb); returns stdout (psql: unaligned tuples, '|' separated; mariadb: batch, tab
  // separated, no headers). `database` "" = postgres / none.
  core::Result<std::string> Sql(int ordinal, const std::string& sql,
                                const std::string& database = "") const;

  // The last `lines` lines of instance `ordinal`'s server log, for a failure message: the server
  // directories go with the cluster, so a failed assertion is the only place the log survives.
  std::string LogTail(int ordinal, size_t lines = 40) const;

  // Takes the cluster down now (the destructor does it too). Idempotent.
  core::Status Down();

 private:
  SandboxCluster(core::TempDir dir, std::string state_dir, std::string inventory)
      : dir_(std::move(dir)),
        state_dir_(std::move(state_dir)),
        inventory_path_(std::move(inventory)) {}

  core::TempDir dir_;
  std::string state_dir_;
  std::string inventory_path_;
  platform::Cluster cluster_;
  bool up_ = false;
};

}  // namespace hasteward::testing
