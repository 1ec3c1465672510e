#pragma once

#include <memory>
#include <string>

#include "platform/platform.h"

namespace hasteward::platform {

// $HASTEWARD_STATE_DIR, else $XDG_STATE_HOME/hasteward, else ~/.local/state/hasteward.
std::string DefaultStateDir();

// $HASTEWARD_INVENTORY, else <DefaultStateDir()>/inventory.yaml.
std::string DefaultInventoryPath();

// Clusters described by an inventory YAML file (plain hosts and sandbox clusters). Commands run
// locally, as the instance's os_user when running as root.
class LocalPlatform : public Platform {
 public:
  // Loads the inventory; a missing file is an empty inventory. Malformed YAML is kUsage naming
  // the file and line.
  static core::Result<std::unique_ptr<LocalPlatform>> Open(const std::string& inventory_path);

  core::Result<std::vector<Cluster>> ListClusters() override;
  core::Result<Cluster> FindCluster(const std::string& ns, const std::string& name) override;
  core::Status StartInstance(const Cluster& c, const Instance& i) override;
  core::Status BootstrapInstance(const Cluster& c, const Instance& i) override;
  core::Status StopInstanceWithin(const Cluster& c, const Instance& i,
                                  std::chrono::milliseconds timeout) override;
  core::Result<bool> IsRunning(const Cluster& c, const Instance& i) override;
  core::Result<std::unique_ptr<core::Subprocess>> Exec(const Cluster& c, const Instance& i,
                                                       core::SubprocessOptions options) override;

  // Inventory editing (used by sandbox; atomic rewrite of the file).
  core::Status AddCluster(const Cluster& c);
  core::Status RemoveCluster(const std::string& ns, const std::string& name);

  const std::string& path() const { return path_; }

 private:
  explicit LocalPlatform(std::string path) : path_(std::move(path)) {}
  std::string path_;
  std::vector<Cluster> clusters_;
};

}  // namespace hasteward::platform
