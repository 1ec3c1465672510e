#include "platform/local/local_platform.h"

#include <cerrno>
#include <filesystem>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include "core/fd.h"
#include "core/temp_dir.h"
#include "platform/local/inventory.h"
#include "platform/local/local_instance.h"

namespace hasteward::platform {

namespace {

// An exclusive flock on "<inventory>.lock" for a read-modify-write of the inventory, so two
// sandbox commands running at once do not lose each other's entries.
class InventoryLock {
 public:
  static core::Result<InventoryLock> Acquire(const std::string& inventory_path) {
    std::string dir = std::filesystem::path(inventory_path).parent_path().string();
    if (!dir.empty())
      HS_TRY(EnsureDir(dir));
    std::string path = inventory_path + ".lock";
    core::UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
    if (!fd.valid()) {
      return core::ErrnoStatus("open inventory lock '" + path + "'", errno);
    }
    if (::flock(fd.get(), LOCK_EX) != 0) {
      return core::ErrnoStatus("lock inventory '" + inventory_path + "'", errno);
    }
    return InventoryLock(std::move(fd));
  }

 private:
  explicit InventoryLock(core::UniqueFd fd) : fd_(std::move(fd)) {}
  core::UniqueFd fd_;  // closing it releases the lock
};

std::string KnownClusters(const std::vector<Cluster>& clusters) {
  std::string s;
  for (const auto& c : clusters) {
    s += (s.empty() ? "" : ", ") + c.ns + "/" + c.name;
  }
  return s.empty() ? "none" : s;
}

}  // namespace

core::Result<std::unique_ptr<LocalPlatform>> LocalPlatform::Open(
    const std::string& inventory_path) {
  std::string path = inventory_path.empty() ? DefaultInventoryPath() : inventory_path;
  HS_ASSIGN_OR_RETURN(auto clusters, LoadInventory(path));
  std::unique_ptr<LocalPlatform> p(new LocalPlatform(path));
  p->clusters_ = std::move(clusters);
  return p;
}

core::Result<std::vector<Cluster>> LocalPlatform::ListClusters() {
  return clusters_;
}

core::Result<Cluster> LocalPlatform::FindCluster(const std::string& ns, const std::string& name) {
  for (const auto& c : clusters_) {
    if (c.ns == ns && c.name == name) {
      return c;
    }
  }
  return core::NotFound("cluster '" + ns + "/" + name + "' is not in inventory '" + path_ + "'",
                        "known clusters: " + KnownClusters(clusters_) +
                            "; check -n/-c, --inventory, or run `hasteward sandbox up`");
}

core::Result<std::unique_ptr<InstanceHandle>> LocalPlatform::OpenInstance(const Cluster& c,
                                                                          const Instance& i) {
  return std::unique_ptr<InstanceHandle>(std::make_unique<LocalInstance>(c, i));
}

core::Status LocalPlatform::AddCluster(const Cluster& c) {
  HS_ASSIGN_OR_RETURN(auto lock, InventoryLock::Acquire(path_));
  HS_ASSIGN_OR_RETURN(clusters_, LoadInventory(path_));
  for (const auto& existing : clusters_) {
    if (existing.ns == c.ns && existing.name == c.name) {
      return core::Status(
          core::ErrorCode::kAlreadyExists,
          "cluster '" + c.ns + "/" + c.name + "' is already in inventory '" + path_ + "'",
          "choose another name, or remove the existing cluster first");
    }
  }
  clusters_.push_back(c);
  return SaveInventory(path_, clusters_);
}

core::Status LocalPlatform::RemoveCluster(const std::string& ns, const std::string& name) {
  HS_ASSIGN_OR_RETURN(auto lock, InventoryLock::Acquire(path_));
  HS_ASSIGN_OR_RETURN(clusters_, LoadInventory(path_));
  std::erase_if(clusters_, [&](const Cluster& c) { return c.ns == ns && c.name == name; });
  return SaveInventory(path_, clusters_);
}

core::Status LocalPlatform::ReplaceCluster(const Cluster& c) {
  HS_ASSIGN_OR_RETURN(auto lock, InventoryLock::Acquire(path_));
  HS_ASSIGN_OR_RETURN(clusters_, LoadInventory(path_));
  for (auto& existing : clusters_) {
    if (existing.ns == c.ns && existing.name == c.name) {
      existing = c;
      return SaveInventory(path_, clusters_);
    }
  }
  return core::Status(core::ErrorCode::kNotFound,
                      "cluster '" + c.ns + "/" + c.name + "' is not in inventory '" + path_ + "'",
                      "run 'hasteward sandbox list' to see the clusters it holds");
}

}  // namespace hasteward::platform
