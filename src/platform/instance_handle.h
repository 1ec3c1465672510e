// One instance of a cluster as engines and jobs use it, whatever platform it lives on: where to
// connect, how to run a command where it lives, how to read and write a file in its data
// directory, how to start, stop and fence it, and what the platform can do with it
// (capabilities.h). Obtained from Platform::OpenInstance; holds copies of the cluster and instance
// descriptions, so it stays valid on its own.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/subprocess.h"
#include "platform/capabilities.h"
#include "platform/cluster.h"

namespace hasteward::platform {

// Where clients connect. `socket` is optional (PostgreSQL: the socket directory).
struct Endpoint {
  std::string host;
  int port = 0;
  std::string socket;
};

class InstanceHandle {
 public:
  static constexpr std::chrono::seconds kDefaultStartTimeout{120};
  static constexpr std::chrono::seconds kDefaultStopTimeout{60};

  InstanceHandle(Cluster cluster, Instance instance)
      : cluster_(std::move(cluster)), instance_(std::move(instance)) {}
  virtual ~InstanceHandle() = default;
  InstanceHandle(const InstanceHandle&) = delete;
  InstanceHandle& operator=(const InstanceHandle&) = delete;

  const Cluster& cluster() const { return cluster_; }
  const Instance& instance() const { return instance_; }

  virtual Capabilities capabilities() const = 0;
  virtual Endpoint endpoint() const = 0;

  // Starts options.argv where the instance lives, as the instance's OS user. The options' argv,
  // env and stdio are honoured; the platform fills in whatever makes it run "there".
  virtual core::Result<std::unique_ptr<core::Subprocess>> Exec(core::SubprocessOptions options) = 0;
  // Exec to completion with stdin closed: exit status, stdout and stderr. A non-zero exit is
  // not an error here (the caller reads the status).
  core::Result<core::RunOutput> Run(std::vector<std::string> argv);

  // A file under the data directory, by a path relative to it ("grastate.dat",
  // "pg_wal/000000010000000000000001"). Absolute paths and ".." are kUsage. A missing file is
  // kNotFound.
  virtual core::Result<std::string> ReadDataFile(const std::string& relative_path) = 0;
  // Replaces the file atomically and durably (a reader sees the old or the new content, never a
  // mix, and a crash after return keeps the new one), owned by the instance's OS user, `mode`.
  virtual core::Status WriteDataFile(const std::string& relative_path, const std::string& content,
                                     unsigned mode) = 0;

  // Starts the server and waits until it accepts connections; ok at once when it does. Also
  // lifts a fence.
  virtual core::Status Start(std::chrono::milliseconds timeout) = 0;
  core::Status Start() { return Start(kDefaultStartTimeout); }
  // Galera: starts the stopped node so that it forms a new Primary component on its own
  // (`--wsrep-new-cluster` after its start command) and waits until it accepts connections.
  // The caller must have made sure no other node runs and this node holds the newest data.
  virtual core::Status StartNewCluster(std::chrono::milliseconds timeout) = 0;
  // Stops the server and waits until it is gone; ok when not running. kTimeout when it still
  // runs after `timeout` (the stop command and the wait together). On a platform with
  // kOperatorOwnsLifecycle the server may come back: use Fence to keep it down.
  virtual core::Status Stop(std::chrono::milliseconds timeout) = 0;
  // Stops the server and keeps it down until Start, whoever owns its lifecycle.
  virtual core::Status Fence(std::chrono::milliseconds timeout) = 0;
  // Whether the server process is running (not whether it is healthy).
  virtual core::Result<bool> IsRunning() = 0;

  // Where a destructive step keeps copies of data-directory files before it changes them: each
  // kept file is `dir/<prefix><file name>` (dir is created when absent), as Exec sees paths.
  struct KeptCopies {
    std::string dir;
    std::string prefix;
    std::string PathOf(const std::string& file) const { return dir + "/" + prefix + file; }
  };
  // Copies must last as long as the data: the default (the host keeps what is beside the data
  // directory) is the directory `<data_dir>.hasteward-kept-<stamp>`, no prefix. A platform whose
  // only persistent storage is the data directory itself (kubernetes) overrides it.
  virtual KeptCopies KeptCopiesOf(const std::string& stamp) const;

  // How long Exec may wait for a place to run commands while the server is stopped (kubernetes:
  // the helper pod mounting a scaled-away pod's volume must start first). Repair sets its
  // --heal-timeout here; kDefaultStartTimeout otherwise.
  void set_exec_start_timeout(std::chrono::milliseconds timeout) { exec_start_timeout_ = timeout; }
  std::chrono::milliseconds exec_start_timeout() const { return exec_start_timeout_; }

  // Checks a path given to ReadDataFile/WriteDataFile: relative, non-empty, no ".." component.
  static core::Status CheckRelativeDataPath(const std::string& relative_path);

 private:
  Cluster cluster_;
  Instance instance_;
  std::chrono::milliseconds exec_start_timeout_ = kDefaultStartTimeout;
};

}  // namespace hasteward::platform
