// The description of a cluster and its instances that a platform resolves: engine, instances
// (host, port or socket, data directory, OS user, how to start and stop), and credentials held by
// reference (file or env var) and resolved only when a connection is made; they never appear in
// logs, argv or error messages. Depends only on core.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/status.h"

namespace hasteward::platform {

enum class EngineKind { kPostgres, kMariadb, kGalera };

// Parses "cnpg"/"postgres"/"postgresql", "mariadb"/"mysql", "galera"; kUsage on anything else.
core::Result<EngineKind> ParseEngineKind(const std::string& name);
const char* EngineKindName(EngineKind kind);  // "cnpg", "mariadb", "galera"

// A secret given by reference. Exactly one of file/env/fetch is set.
struct SecretRef {
  SecretRef() = default;
  // Written {file, env} across the inventory and sandbox code.
  SecretRef(std::string file_path, std::string env_name)
      : file(std::move(file_path)), env(std::move(env_name)) {}
  // A secret the platform fetches when a connection is made.
  static SecretRef Fetched(std::function<core::Result<std::string>()> fetcher) {
    SecretRef ref;
    ref.fetch = std::move(fetcher);
    return ref;
  }

  std::string file;  // path to a file holding the secret (trailing newline stripped)
  std::string env;   // name of an environment variable holding it
  // Asks the platform for it (a Kubernetes Secret read through the API), so it is never on disk.
  std::function<core::Result<std::string>()> fetch;
  core::Result<std::string> Resolve() const;
  bool empty() const { return file.empty() && env.empty() && !fetch; }
};

struct Credentials {
  std::string user;
  SecretRef password;  // empty: no password (e.g. peer/trust auth over a socket)
};

// Who writes a server's own settings (port, listen address, socket, name) into its configuration
// once HASteward has replaced its data directory: HASteward, from the inventory; or the operator,
// whose instance manager writes the configuration on every start (CloudNativePG: what HASteward
// appended overrode its listen_addresses = '*' with the pod's address, and the server no longer
// answered on localhost, where every port-forward arrives: found on the real operator, issue 51).
enum class SettingsOwner { kHasteward, kOperator };

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
  SettingsOwner settings_owner = SettingsOwner::kHasteward;
};

struct Cluster {
  std::string name;
  std::string ns = "default";
  EngineKind engine = EngineKind::kPostgres;
  std::vector<Instance> instances;
  Credentials credentials;                     // superuser / admin credentials
  Credentials replication;                     // replication user (optional)
  std::map<std::string, std::string> options;  // engine options, e.g. "replication_mode"="semisync"
  // What the cluster's owner noted on it for tools like HASteward (Kubernetes: the CR's
  // metadata.annotations; local: the inventory's `annotations:`). The operator reads its opt-in
  // annotations here (operator/crd/cluster_annotations.h).
  std::map<std::string, std::string> annotations;

  const Instance* FindInstance(int ordinal) const;
};

}  // namespace hasteward::platform
