// platform/sandbox: the public API of `hasteward sandbox` (real local clusters for tests and
// demos, served by the local platform). The builders behind it live in platform/sandbox/.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"
#include "platform/platform.h"

namespace hasteward::platform::sandbox {

// What `hasteward sandbox up` makes: a real local cluster from Debian's packages, every instance
// in its own data directory and loopback port under state_dir/<ns>/<name>/, recorded in the
// inventory so every other command finds it by namespace and name.
struct SandboxSpec {
  std::string name;
  std::string ns = "default";
  EngineKind engine = EngineKind::kPostgres;
  int instances = 3;                       // primary + (instances-1) replicas, or Galera nodes
  std::string replication_mode = "async";  // MariaDB replication: async | semisync
  std::string state_dir;                   // "" = DefaultStateDir() (platform/state_dir.h)
  std::string inventory_path;              // "" = DefaultInventoryPath()
};

// Creates, starts and registers the cluster; on failure removes whatever it made.
// kAlreadyExists when a cluster of that namespace/name is in the inventory.
core::Result<Cluster> Up(const SandboxSpec& spec);

// Stops every instance and removes exactly the directories Up made, then the inventory entry.
// Idempotent: a cluster that is not in the inventory is ok.
core::Status Down(const std::string& inventory_path, const std::string& ns,
                  const std::string& name);

// Makes `credentials` the ones the inventory records for the sandbox: the user, and the password
// (resolved now; none = an empty one) written into the sandbox's own password file (mode 0600,
// removed by Down), so the file the inventory names keeps working without naming the source's.
// For a sandbox whose data another cluster's native backup replaced: the restored data brings
// that cluster's roles and passwords. kNotFound without such a cluster; kSafetyStop when the
// cluster is not a sandbox.
core::Status AdoptCredentials(const std::string& inventory_path, const std::string& ns,
                              const std::string& name, const Credentials& credentials);

// A shell command line opening the engine's client (psql, mariadb) on the cluster's first
// instance with its credentials, the password read from its file: what `restore --into-sandbox`
// prints. Never holds the password itself.
std::string ConnectCommand(const Cluster& cluster);

// Cluster options Up records (beside "replication_mode" for MariaDB).
inline constexpr char kOptionSandbox[] = "sandbox";        // "true"
inline constexpr char kOptionSandboxDir[] = "sandboxDir";  // the directory Down removes

struct SandboxStatus {
  Cluster cluster;
  std::vector<bool> running;  // per instance, in cluster.instances order
};

// The sandbox clusters of the inventory and whether each instance's server is running.
core::Result<std::vector<SandboxStatus>> List(const std::string& inventory_path);

}  // namespace hasteward::platform::sandbox
