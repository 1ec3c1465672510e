#include "repo/restore/tree_restorer.h"

#include <algorithm>
#include <cerrno>
#include <memory>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/atomic_file.h"
#include "core/fd.h"
#include "core/temp_dir.h"

namespace hasteward::repo {

namespace {

struct timespec ToTimespec(const GoTime& time) {
  struct timespec ts {};
  ts.tv_sec = static_cast<time_t>(time.unix_seconds);
  ts.tv_nsec = time.nanos;
  return ts;
}

// Sets mode, times (and owner) through an open fd, so a symlink swapped in meanwhile cannot
// redirect them.
core::Status ApplyAttributes(int fd, const Node& node, const std::string& path,
                             const TreeRestoreOptions& options) {
  if (options.restore_owner && ::fchown(fd, node.uid, node.gid) != 0)
    return core::ErrnoStatus("chown '" + path + "'", errno);
  if (::fchmod(fd, PosixFromGoMode(node.mode)) != 0)
    return core::ErrnoStatus("chmod '" + path + "'", errno);
  struct timespec times[2] = {ToTimespec(node.mtime), ToTimespec(node.mtime)};
  if (::futimens(fd, times) != 0)
    return core::ErrnoStatus("set times of '" + path + "'", errno);
  if (options.sync && ::fsync(fd) != 0)
    return core::ErrnoStatus("fsync '" + path + "'", errno);
  return core::Status::Ok();
}

class TreeRestorer {
 public:
  TreeRestorer(Repository& repo, const TreeRestoreOptions& options)
      : repo_(repo), options_(options) {}

  core::Status RestoreDir(const Id& tree, const std::string& dir);
  core::Status RestoreFile(const Node& node, const std::string& path);
  const TreeRestoreSummary& summary() const { return summary_; }

 private:
  core::Status RestoreNode(const Node& node, const std::string& dir);
  core::Status RestoreSymlink(const Node& node, const std::string& path);

  Repository& repo_;
  const TreeRestoreOptions& options_;
  TreeRestoreSummary summary_;
};

core::Status TreeRestorer::RestoreDir(const Id& tree, const std::string& dir) {
  HS_ASSIGN_OR_RETURN(core::Bytes json, repo_.LoadBlob(tree, BlobType::kTree));
  HS_ASSIGN_OR_RETURN(std::vector<Node> nodes, ParseTreeJson(core::AsString(json)));
  for (const auto& node : nodes)
    HS_TRY(RestoreNode(node, dir));
  return core::Status::Ok();
}

core::Status TreeRestorer::RestoreNode(const Node& node, const std::string& dir) {
  if (node.name.empty() || node.name == "." || node.name == ".." ||
      node.name.find('/') != std::string::npos) {
    return core::Corruption("tree node name '" + node.name + "' would leave the target directory");
  }
  std::string path = dir + "/" + node.name;
  if (node.type == "file")
    return RestoreFile(node, path);
  if (node.type == "symlink")
    return RestoreSymlink(node, path);
  if (node.type != "dir" || !node.subtree) {
    return core::Usage("'" + path + "' is a " + node.type + " node, which restore does not create",
                       "restore it with 'restic restore' if you need it");
  }
  if (::mkdir(path.c_str(), 0700) != 0)
    return core::ErrnoStatus("create directory '" + path + "'", errno);
  ++summary_.dirs;
  HS_TRY(RestoreDir(*node.subtree, path));
  // Mode and time last: creating the children changed the directory's mtime (and a read-only
  // mode would have refused them).
  core::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd.valid())
    return core::ErrnoStatus("open directory '" + path + "'", errno);
  return ApplyAttributes(fd.get(), node, path, options_);
}

core::Status TreeRestorer::RestoreFile(const Node& node, const std::string& path) {
  core::UniqueFd fd(
      ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd.valid())
    return core::ErrnoStatus("create '" + path + "'", errno);
  core::FdSink sink(fd.get());
  HS_ASSIGN_OR_RETURN(uint64_t written, DumpFile(repo_, node, sink, options_.dump));
  if (written != node.size) {
    return core::Corruption("'" + path + "' restored " + std::to_string(written) + " bytes, the " +
                            "snapshot records " + std::to_string(node.size));
  }
  ++summary_.files;
  summary_.bytes += written;
  return ApplyAttributes(fd.get(), node, path, options_);
}

core::Status TreeRestorer::RestoreSymlink(const Node& node, const std::string& path) {
  if (::symlink(node.linktarget.c_str(), path.c_str()) != 0)
    return core::ErrnoStatus("create symlink '" + path + "'", errno);
  if (options_.restore_owner && ::lchown(path.c_str(), node.uid, node.gid) != 0)
    return core::ErrnoStatus("chown '" + path + "'", errno);
  struct timespec times[2] = {ToTimespec(node.mtime), ToTimespec(node.mtime)};
  if (::utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0)
    return core::ErrnoStatus("set times of '" + path + "'", errno);
  ++summary_.symlinks;
  return core::Status::Ok();
}

core::Status RequireEmptyDir(const std::string& dir) {
  HS_TRY(core::MakeDirs(dir, 0700));
  std::unique_ptr<DIR, int (*)(DIR*)> handle(::opendir(dir.c_str()), ::closedir);
  if (!handle)
    return core::ErrnoStatus("open directory '" + dir + "'", errno);
  while (const struct dirent* entry = ::readdir(handle.get())) {
    std::string name = entry->d_name;
    if (name != "." && name != "..") {
      return core::Usage("restore target '" + dir + "' is not empty",
                         "restore into a new or empty directory; nothing is overwritten");
    }
  }
  return core::Status::Ok();
}

// The node at `path` ("" = a directory node standing for the root tree).
core::Result<Node> FindNode(Repository& repo, const Snapshot& snapshot, const std::string& path) {
  Node current;
  current.type = "dir";
  current.subtree = snapshot.tree;
  size_t start = 0;
  while (start < path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string::npos)
      slash = path.size();
    std::string part = path.substr(start, slash - start);
    start = slash + 1;
    if (part.empty())
      continue;
    if (current.type != "dir" || !current.subtree)
      return core::NotFound("path '" + path + "' not found in the snapshot");
    HS_ASSIGN_OR_RETURN(core::Bytes json, repo.LoadBlob(*current.subtree, BlobType::kTree));
    HS_ASSIGN_OR_RETURN(std::vector<Node> nodes, ParseTreeJson(core::AsString(json)));
    auto it = std::find_if(nodes.begin(), nodes.end(),
                           [&part](const Node& node) { return node.name == part; });
    if (it == nodes.end())
      return core::NotFound("path '" + path + "' not found in the snapshot");
    current = std::move(*it);
  }
  return current;
}

}  // namespace

core::Result<TreeRestoreSummary> RestoreTree(Repository& repo, const Snapshot& snapshot,
                                             const std::string& path, const std::string& target_dir,
                                             const TreeRestoreOptions& options) {
  HS_ASSIGN_OR_RETURN(Node node, FindNode(repo, snapshot, path));
  HS_TRY(RequireEmptyDir(target_dir));
  TreeRestorer restorer(repo, options);
  if (node.type == "dir" && node.subtree) {
    HS_TRY(restorer.RestoreDir(*node.subtree, target_dir));
  } else if (node.type == "file") {
    HS_TRY(restorer.RestoreFile(node, target_dir + "/" + node.name));
  } else {
    return core::Usage("'" + path + "' is a " + node.type + " node; restore a file or directory");
  }
  if (options.sync)
    HS_TRY(core::FsyncDir(target_dir));
  return restorer.summary();
}

}  // namespace hasteward::repo
