#include "jobs/hydration_space.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "core/fd.h"
#include "repo/mount/snapshot_tree.h"

namespace hasteward::jobs {

namespace {

std::string Mib(uint64_t bytes) {
  return std::to_string((bytes + (uint64_t{1} << 20) - 1) >> 20) + " MiB";
}

}  // namespace

uint64_t HydrationBytesNeeded(uint64_t tree_bytes) {
  return tree_bytes + std::max(kHydrationMinMarginBytes, tree_bytes / 10);
}

uint64_t AvailableBytes(const struct statvfs& st) {
  return static_cast<uint64_t>(st.f_bavail) * static_cast<uint64_t>(st.f_frsize);
}

core::Status CheckHydrationSpace(uint64_t tree_bytes, uint64_t available_bytes,
                                 const std::string& where) {
  const uint64_t needed = HydrationBytesNeeded(tree_bytes);
  if (needed <= available_bytes)
    return core::Status::Ok();
  return core::StorageError("not enough free space for the instant restore's local copy in '" +
                            where + "': the snapshot holds " + Mib(tree_bytes) + ", which with " +
                            "the margin for the instance's writes needs " + Mib(needed) + ", and " +
                            Mib(available_bytes) + " are free")
      .WithHint("nothing was changed; free " + Mib(needed - available_bytes) +
                " there, or restore without --instant (the restore then needs the snapshot's "
                "size only)");
}

core::Result<uint64_t> TreeBytes(repo::Repository& repo, const repo::Snapshot& snapshot,
                                 const std::string& tree_path) {
  HS_ASSIGN_OR_RETURN(std::unique_ptr<repo::SnapshotTree> tree,
                      repo::SnapshotTree::Open(repo, snapshot, tree_path));
  uint64_t total = 0;
  std::vector<repo::Node> dirs = {tree->root()};
  while (!dirs.empty()) {
    repo::Node dir = std::move(dirs.back());
    dirs.pop_back();
    HS_ASSIGN_OR_RETURN(std::vector<repo::Node> entries, tree->List(dir));
    for (auto& entry : entries) {
      if (entry.type == "dir") {
        dirs.push_back(std::move(entry));
      } else if (entry.type == "file") {
        total += entry.size;
      }
    }
  }
  return total;
}

core::Status CheckHydrationFits(repo::Repository& repo, const repo::Snapshot& snapshot,
                                const std::string& tree_path, const std::string& dir) {
  HS_ASSIGN_OR_RETURN(uint64_t tree_bytes, TreeBytes(repo, snapshot, tree_path));
  struct statvfs st {};
  if (::statvfs(dir.c_str(), &st) != 0)
    return core::ErrnoStatus("read the free space of '" + dir + "'", errno);
  return CheckHydrationSpace(tree_bytes, AvailableBytes(st), dir);
}

bool IsOutOfSpace(const core::Status& status) {
  const std::string& text = status.message();
  return text.find(std::strerror(ENOSPC)) != std::string::npos ||
         text.find(std::strerror(EDQUOT)) != std::string::npos;
}

}  // namespace hasteward::jobs
