#include "repo/restore/tree_restorer.h"

#include <algorithm>
#include <cerrno>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/atomic_file.h"
#include "core/fd.h"
#include "core/temp_dir.h"
#include "repo/restore/restore_work_queue.h"
#include "repo/restore/tar_dumper.h"

namespace hasteward::repo {

namespace {

constexpr size_t kMinInFlightPerFile = size_t{4} * 1024 * 1024;
// Write-back is started every this many bytes of a file (and at its end), so the disk writes
// while later files are decoded and the closing syncfs finds little left to flush.
constexpr uint64_t kWritebackStride = uint64_t{16} * 1024 * 1024;
// Files queued per worker: enough that a worker finishing a small file finds the next one ready.
constexpr size_t kQueuedFilesPerWorker = 8;

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
  return core::Status::Ok();
}

// Writes a restored file, starts its write-back as it goes (sync_file_range without waiting), and
// hands the same bytes to the caller's check, if any. With `drop_behind`, the pages of a stride
// whose write-back was started one stride earlier are waited for and dropped from the page cache,
// so a large file reuses a few strides' worth of pages instead of taking new ones for every byte.
class RestoredFileSink : public core::ByteSink {
 public:
  RestoredFileSink(int fd, std::string path, std::unique_ptr<core::ByteSink> check,
                   bool drop_behind)
      : file_(fd),
        fd_(fd),
        path_(std::move(path)),
        check_(std::move(check)),
        drop_behind_(drop_behind) {}

  core::Status Write(core::ByteView data) override {
    if (check_ != nullptr)
      HS_TRY(check_->Write(data));
    HS_TRY(file_.Write(data));
    written_ += data.size();
    if (written_ - writeback_started_ >= kWritebackStride)
      return StartWriteback();
    return core::Status::Ok();
  }
  // Ends the file: starts the write-back of its tail and closes the check.
  core::Status Close() override {
    HS_TRY(StartWriteback());
    return check_ != nullptr ? check_->Close() : core::Status::Ok();
  }

 private:
  // Starting write-back is only a hint to the kernel: an error here (a filesystem without the
  // call) changes nothing, since the closing syncfs is what makes the tree durable and reports
  // write-back errors.
  core::Status StartWriteback() {
    if (written_ == writeback_started_)
      return core::Status::Ok();
    if (drop_behind_)
      HS_TRY(DropWrittenBack());
    ::sync_file_range(fd_, static_cast<off_t>(writeback_started_),
                      static_cast<off_t>(written_ - writeback_started_), SYNC_FILE_RANGE_WRITE);
    writeback_started_ = written_;
    return core::Status::Ok();
  }

  // Waits for the write-back started a stride ago (by now mostly done) and drops those pages:
  // they are clean, so dropping loses nothing, and the kernel hands them to the next stride.
  // Why: allocating a page-cache page for every restored byte cost more than writing it (on a VM
  // whose host reclaims free guest memory, 47 % of a 1.5 GB restore was the kernel's first touch
  // of new pages), and the server started on the tree reads only what it needs.
  core::Status DropWrittenBack() {
    if (writeback_started_ == dropped_)
      return core::Status::Ok();
    auto offset = static_cast<off_t>(dropped_);
    auto length = static_cast<off_t>(writeback_started_ - dropped_);
    if (::sync_file_range(fd_, offset, length,
                          SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE |
                              SYNC_FILE_RANGE_WAIT_AFTER) != 0) {
      int error = errno;
      // A filesystem without the call keeps its pages; an I/O error is the restore's failure.
      if (error != EINVAL && error != ENOSYS && error != ESPIPE && error != EOPNOTSUPP)
        return core::ErrnoStatus("write '" + path_ + "' back to disk", error);
      drop_behind_ = false;
      return core::Status::Ok();
    }
    ::posix_fadvise(fd_, offset, length, POSIX_FADV_DONTNEED);  // a hint; nothing to lose
    dropped_ = writeback_started_;
    return core::Status::Ok();
  }

  core::FdSink file_;
  int fd_;
  std::string path_;  // for messages
  std::unique_ptr<core::ByteSink> check_;
  bool drop_behind_;
  uint64_t written_ = 0;
  uint64_t writeback_started_ = 0;
  uint64_t dropped_ = 0;
};

int FileWorkers(const TreeRestoreOptions& options) {
  if (options.file_workers > 0)
    return options.file_workers;
  return std::max(2, static_cast<int>(std::thread::hardware_concurrency()));
}

// Each worker's share of the fetch budget, so parallel files stay within the caller's bound.
DumpOptions PerFileDumpOptions(const TreeRestoreOptions& options, int workers) {
  DumpOptions per_file = options.dump;
  if (workers > 1) {
    per_file.max_in_flight_bytes = std::max(
        kMinInFlightPerFile, options.dump.max_in_flight_bytes / static_cast<size_t>(workers));
    per_file.progress = nullptr;  // per-file progress from several threads would interleave
  }
  return per_file;
}

// Restores a tree in three steps. The walk (this thread) creates directories and symlinks and
// queues files; workers write the files in parallel, since a data directory is mostly many files
// each too small to keep the fetch pipeline of one file busy; directory modes and times come last,
// deepest first, because creating a child changes its directory's mtime.
class TreeRestorer {
 public:
  TreeRestorer(Repository& repo, const TreeRestoreOptions& options, std::string target_dir)
      : repo_(repo),
        target_dir_(std::move(target_dir)),
        options_(options),
        workers_(FileWorkers(options)),
        per_file_(PerFileDumpOptions(options, workers_)) {}

  core::Status RestoreRoot(const Id& tree, const std::string& dir);
  core::Status RestoreFile(const Node& node, const std::string& path);
  TreeRestoreSummary summary() const {
    std::lock_guard<std::mutex> lock(summary_mutex_);
    return summary_;
  }

 private:
  core::Status Walk(const Id& tree, const std::string& dir, RestoreWorkQueue& queue);
  core::Status WalkNode(Node node, const std::string& dir, RestoreWorkQueue& queue);
  core::Status RestoreSymlink(const Node& node, const std::string& path);
  core::Status ApplyDirectoryAttributes();
  void RunWorker(RestoreWorkQueue& queue);

  Repository& repo_;
  std::string target_dir_;
  const TreeRestoreOptions& options_;
  int workers_;
  DumpOptions per_file_;
  // Post-order (children before their parent), the order their attributes are applied in.
  std::vector<std::pair<Node, std::string>> directories_;
  mutable std::mutex summary_mutex_;
  TreeRestoreSummary summary_;
};

core::Status TreeRestorer::RestoreRoot(const Id& tree, const std::string& dir) {
  RestoreWorkQueue queue(static_cast<size_t>(workers_) * kQueuedFilesPerWorker);
  {
    std::vector<std::jthread> threads;
    threads.reserve(static_cast<size_t>(workers_));
    for (int worker = 0; worker < workers_; ++worker)
      threads.emplace_back([this, &queue] { RunWorker(queue); });
    core::Status walked = Walk(tree, dir, queue);
    if (walked.ok()) {
      queue.Close();
    } else {
      queue.Fail(std::move(walked));
    }
  }  // joins the workers
  HS_TRY(queue.error());
  return ApplyDirectoryAttributes();
}

void TreeRestorer::RunWorker(RestoreWorkQueue& queue) {
  while (std::optional<FileRestoreWork> work = queue.Pop()) {
    core::Status restored = RestoreFile(work->node, work->path);
    if (!restored.ok()) {
      queue.Fail(std::move(restored));
      return;
    }
  }
}

core::Status TreeRestorer::Walk(const Id& tree, const std::string& dir, RestoreWorkQueue& queue) {
  HS_ASSIGN_OR_RETURN(core::Bytes json, repo_.LoadBlob(tree, BlobType::kTree));
  HS_ASSIGN_OR_RETURN(std::vector<Node> nodes, ParseTreeJson(core::AsString(json)));
  for (auto& node : nodes)
    HS_TRY(WalkNode(std::move(node), dir, queue));
  return core::Status::Ok();
}

core::Status TreeRestorer::WalkNode(Node node, const std::string& dir, RestoreWorkQueue& queue) {
  if (node.name.empty() || node.name == "." || node.name == ".." ||
      node.name.find('/') != std::string::npos) {
    return core::Corruption("tree node name '" + node.name + "' would leave the target directory");
  }
  std::string path = dir + "/" + node.name;
  if (node.type == "file") {
    // A worker's failure closes the queue; its error is the one reported.
    if (!queue.Push(FileRestoreWork{std::move(node), std::move(path)}))
      return queue.error();
    return core::Status::Ok();
  }
  if (node.type == "symlink")
    return RestoreSymlink(node, path);
  if (node.type != "dir" || !node.subtree) {
    return core::Usage("'" + path + "' is a " + node.type + " node, which restore does not create",
                       "restore it with 'restic restore' if you need it");
  }
  if (::mkdir(path.c_str(), 0700) != 0)
    return core::ErrnoStatus("create directory '" + path + "'", errno);
  {
    std::lock_guard<std::mutex> lock(summary_mutex_);
    ++summary_.dirs;
  }
  HS_TRY(Walk(*node.subtree, path, queue));
  directories_.emplace_back(std::move(node), std::move(path));
  return core::Status::Ok();
}

core::Status TreeRestorer::ApplyDirectoryAttributes() {
  for (const auto& [node, path] : directories_) {
    core::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd.valid())
      return core::ErrnoStatus("open directory '" + path + "'", errno);
    HS_TRY(ApplyAttributes(fd.get(), node, path, options_));
  }
  return core::Status::Ok();
}

core::Status TreeRestorer::RestoreFile(const Node& node, const std::string& path) {
  core::UniqueFd fd(
      ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd.valid())
    return core::ErrnoStatus("create '" + path + "'", errno);
  std::unique_ptr<core::ByteSink> check;
  if (options_.file_check)
    check = options_.file_check(path.substr(target_dir_.size() + 1));
  RestoredFileSink sink(fd.get(), path, std::move(check), options_.drop_written_pages);
  HS_ASSIGN_OR_RETURN(uint64_t written, DumpFile(repo_, node, sink, per_file_));
  if (written != node.size) {
    return core::Corruption("'" + path + "' restored " + std::to_string(written) + " bytes, the " +
                            "snapshot records " + std::to_string(node.size));
  }
  HS_TRY(sink.Close());
  HS_TRY(ApplyAttributes(fd.get(), node, path, options_));
  std::lock_guard<std::mutex> lock(summary_mutex_);
  ++summary_.files;
  summary_.bytes += written;
  return core::Status::Ok();
}

core::Status TreeRestorer::RestoreSymlink(const Node& node, const std::string& path) {
  if (::symlink(node.linktarget.c_str(), path.c_str()) != 0)
    return core::ErrnoStatus("create symlink '" + path + "'", errno);
  if (options_.restore_owner && ::lchown(path.c_str(), node.uid, node.gid) != 0)
    return core::ErrnoStatus("chown '" + path + "'", errno);
  struct timespec times[2] = {ToTimespec(node.mtime), ToTimespec(node.mtime)};
  if (::utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0)
    return core::ErrnoStatus("set times of '" + path + "'", errno);
  std::lock_guard<std::mutex> lock(summary_mutex_);
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

}  // namespace

core::Result<TreeRestoreSummary> RestoreTree(Repository& repo, const Snapshot& snapshot,
                                             const std::string& path, const std::string& target_dir,
                                             const TreeRestoreOptions& options) {
  HS_ASSIGN_OR_RETURN(Node node, FindNode(repo, snapshot, path));
  HS_TRY(RequireEmptyDir(target_dir));
  // Opened before the first write: syncfs reports the write-back errors of the filesystem since
  // this descriptor was opened (Linux >= 5.8), so a failed write-back of any restored file shows.
  core::UniqueFd target(::open(target_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!target.valid())
    return core::ErrnoStatus("open directory '" + target_dir + "'", errno);
  TreeRestorer restorer(repo, options, target_dir);
  if (node.type == "dir" && node.subtree) {
    HS_TRY(restorer.RestoreRoot(*node.subtree, target_dir));
  } else if (node.type == "file") {
    HS_TRY(restorer.RestoreFile(node, target_dir + "/" + node.name));
  } else {
    return core::Usage("'" + path + "' is a " + node.type + " node; restore a file or directory");
  }
  // One flush of the filesystem instead of an fsync per file: a data directory holds thousands
  // of files, and each fsync is a journal commit of its own.
  if (options.sync && ::syncfs(target.get()) != 0)
    return core::ErrnoStatus("flush the restored files under '" + target_dir + "' to disk", errno);
  return restorer.summary();
}

}  // namespace hasteward::repo
