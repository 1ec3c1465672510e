#pragma once

#include <memory>
#include <string>

#include "platform/platform.h"
#include "platform/state_dir.h"

namespace hasteward::platform {

// Clusters described by an inventory YAML file (plain hosts and sandbox clusters). Commands run
// locally, as the instance's os_user when running as root.
class LocalPlatform : public Platform {
 public:
  // Loads the inventory ("" = DefaultInventoryPath()); a missing file is an empty inventory.
  // Malformed YAML is kUsage naming the file and line.
  static core::Result<std::unique_ptr<LocalPlatform>> Open(const std::string& inventory_path);

  core::Result<std::vector<Cluster>> ListClusters() override;
  core::Result<Cluster> FindCluster(const std::string& ns, const std::string& name) override;
  std::string name() const override { return "local"; }
  core::Result<std::unique_ptr<InstanceHandle>> OpenInstance(const Cluster& c,
                                                             const Instance& i) override;

  // Inventory editing (used by sandbox; atomic rewrite of the file).
  core::Status AddCluster(const Cluster& c);
  core::Status RemoveCluster(const std::string& ns, const std::string& name);
  // Replaces the entry of c's namespace/name in one rewrite; kNotFound when there is none.
  core::Status ReplaceCluster(const Cluster& c);

  const std::string& path() const { return path_; }

 private:
  explicit LocalPlatform(std::string path) : path_(std::move(path)) {}
  std::string path_;
  std::vector<Cluster> clusters_;
};

}  // namespace hasteward::platform
