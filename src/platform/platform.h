// platform: where database instances live and how to reach them. A Platform resolves a cluster
// (namespace + name) to its instances — host, port or socket, data directory, OS user, how to stop
// and start it — and runs commands "on" an instance (locally for plain hosts and the sandbox; a
// later Kubernetes platform will use pod exec). Engines reach instances only through this
// interface, so they never know whether a cluster is a local sandbox, a plain host or a pod.
// Credentials are held by reference (file or env var) and resolved only when a connection is made;
// they never appear in logs, argv or error messages. Depends only on core.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/subprocess.h"

namespace hasteward::platform {

enum class EngineKind { kPostgres, kMariadb, kGalera };

// Parses "cnpg"/"postgres"/"postgresql", "mariadb"/"mysql", "galera"; kUsage on anything else.
core::Result<EngineKind> ParseEngineKind(const std::string& name);
const char* EngineKindName(EngineKind kind);  // "cnpg", "mariadb", "galera"

// A secret given by reference. Exactly one of file/env is set.
struct SecretRef {
  std::string file;  // path to a file holding the secret (trailing newline stripped)
  std::string env;   // name of an environment variable holding it
  core::Result<std::string> Resolve() const;
  bool empty() const { return file.empty() && env.empty(); }
};

struct Credentials {
  std::string user;
  SecretRef password;  // empty: no password (e.g. peer/trust auth over a socket)
};

struct Instance {
  std::string name;  // e.g. "pg-0"
  int ordinal = 0;   // 0, 1, 2 ... (the HASteward -i N)
  std::string host = "127.0.0.1";
  int port = 0;
  std::string socket;  // unix socket path (or directory for PostgreSQL), optional
  std::string data_dir;
  std::string os_user;  // the OS user that owns data_dir and runs the server ("" = current)
  std::string bin_dir;  // where the server binaries live (PostgreSQL: /usr/lib/postgresql/15/bin)
  std::vector<std::string> start_command;  // argv; empty = platform default for the engine
  std::vector<std::string> stop_command;
  std::string config_file;  // my.cnf / postgresql.conf path when relevant
  std::string log_file;
  std::map<std::string, std::string> labels;  // free-form (e.g. role hint "primary")
};

struct Cluster {
  std::string name;
  std::string ns = "default";
  EngineKind engine = EngineKind::kPostgres;
  std::vector<Instance> instances;
  Credentials credentials;                     // superuser / admin credentials
  Credentials replication;                     // replication user (optional)
  std::map<std::string, std::string> options;  // engine options, e.g. "replication_mode"="semisync"

  const Instance* FindInstance(int ordinal) const;
};

// Where clusters are. Implementations: LocalPlatform (inventory file; plain hosts and sandbox),
// later KubernetesPlatform. Thread-safe for concurrent reads.
class Platform {
 public:
  virtual ~Platform() = default;

  virtual core::Result<std::vector<Cluster>> ListClusters() = 0;
  // kNotFound (with a hint listing known clusters) when the cluster is unknown.
  virtual core::Result<Cluster> FindCluster(const std::string& ns, const std::string& name) = 0;

  // Starts/stops one instance and waits until it is up (accepting connections) / down.
  virtual core::Status StartInstance(const Cluster& c, const Instance& i) = 0;
  // Galera: starts one stopped node so that it forms a new Primary component on its own
  // (`mariadbd --wsrep-new-cluster`, added to the instance's start command or to the platform
  // default when the inventory gives none), and waits until it accepts connections. The caller
  // must have made sure that no other node runs and that this node holds the newest data.
  virtual core::Status BootstrapInstance(const Cluster& c, const Instance& i) = 0;
  core::Status StopInstance(const Cluster& c, const Instance& i) {
    return StopInstanceWithin(c, i, kDefaultStopTimeout);
  }
  // Stops within `timeout` (the stop command and the wait for the process to exit together);
  // kTimeout when the server is still running then. Repair's --delete-timeout arrives here.
  virtual core::Status StopInstanceWithin(const Cluster& c, const Instance& i,
                                          std::chrono::milliseconds timeout) = 0;
  static constexpr std::chrono::seconds kDefaultStopTimeout{60};
  // Whether the instance's server process is running (not whether it is healthy).
  virtual core::Result<bool> IsRunning(const Cluster& c, const Instance& i) = 0;

  // Runs a command where the instance lives, as the instance's OS user. The options' argv,
  // env and stdio are honoured; uid/gid are filled in by the platform.
  virtual core::Result<std::unique_ptr<core::Subprocess>> Exec(const Cluster& c, const Instance& i,
                                                               core::SubprocessOptions options) = 0;
};

}  // namespace hasteward::platform
