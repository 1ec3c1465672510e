#include "pitr/wal/wal_supply.h"

#include <algorithm>
#include <set>
#include <utility>

#include <unistd.h>

#include "catalog/base_backup_record.h"
#include "catalog/wal/archived_file_reader.h"
#include "core/log.h"
#include "core/os_user.h"
#include "core/subprocess.h"
#include "core/tar_writer.h"
#include "engine/repair_exec.h"
#include "jobs/native_backup.h"
#include "pitr/wal/wal_fetch_server.h"
#include "repo/crypto/crypto.h"

namespace hasteward::pitr {

namespace {

// Beside the data directory, on the same volume.
constexpr char kWalDirSuffix[] = ".hasteward-wal";

// $1 the WAL directory, $2 "new" for the first stream (the directory made afresh: a killed
// restore's leftovers never stand in for a file this one checked), anything else to add to it.
constexpr char kUntarWal[] =
    "set -e; if [ \"$2\" = new ]; then rm -rf -- \"$1\"; mkdir -m 0700 -- \"$1\"; fi; "
    "cd -- \"$1\"; tar -x -f -";

// $1 the WAL directory.
constexpr char kRemoveWalDir[] = "rm -rf -- \"$1\"";

// The first instance with a data directory: where the proof reads when any instance will do.
core::Result<const platform::Instance*> AnyInstanceWithDataDir(
    const engine::ClusterHandle& target) {
  for (const auto& instance : target.cluster().instances) {
    if (!instance.data_dir.empty()) {
      return &instance;
    }
  }
  return core::Usage("no instance of '" + target.QualifiedName() +
                     "' has a data directory in the inventory");
}

// The instance's files are on this machine: the server fetches with `hasteward wal-fetch`, served
// by a fetch server in this process that keeps the repository open and reads ahead
// (wal_fetch_server.h), so the server's calls do not each open the repository again. It is only
// a speed-up: without it (no socket could be made) the plain restore_command works.
class FetchServerSupply : public WalSupply {
 public:
  FetchServerSupply(const platform::Instance& reading, std::string configured,
                    std::unique_ptr<FetchServer> server)
      : reading_(reading), configured_(std::move(configured)), server_(std::move(server)) {}

  const platform::Instance& ReadingInstance() const override { return reading_; }
  std::string RestoreCommand() const override {
    return server_ ? server_->RestoreCommand(configured_) : configured_;
  }
  std::string ReadCommand() const override { return RestoreCommand(); }
  core::Status CheckReplaying(const platform::Instance& /*replaying*/) const override {
    return core::Status::Ok();  // any instance's server reaches the socket on this machine
  }
  core::Status Provide(const std::vector<const catalog::ArchivedFile*>& /*files*/) override {
    return core::Status::Ok();  // fetched from the repository when the server asks
  }
  core::Status ProvideStreamed(const std::vector<engine::ArchiveFile>& /*segments*/) override {
    return core::Status::Ok();  // wal-fetch assembles a streamed segment from its pieces itself
  }
  void Finish() override {
    if (!server_) {
      return;
    }
    WalAgentCounters served = server_->Stop();
    core::LogInfo("replay fetched through the restore's fetch server",
                  {{"fetched", std::to_string(served.fetched)},
                   {"from_prefetch", std::to_string(served.fetched_from_prefetch)}});
    server_.reset();
  }

 private:
  const platform::Instance& reading_;
  std::string configured_;
  std::unique_ptr<FetchServer> server_;
};

std::unique_ptr<FetchServer> StartFetchServer(const WalSupplyRequest& request) {
  FetchServerOptions options;
  options.client_uid = ::geteuid();
  options.client_gid = ::getegid();
  std::string os_user;
  for (const auto& instance : request.target->cluster().instances) {
    if (!instance.os_user.empty()) {
      os_user = instance.os_user;
      break;
    }
  }
  // The server runs wal-fetch as its own OS user when this process is root (core/os_user.h).
  if (!os_user.empty() && core::RunningAsRoot()) {
    auto user = core::LookupOsUser(os_user);
    if (!user.ok()) {
      core::LogWarn("replaying without a fetch server: " + user.status().ToString());
      return nullptr;
    }
    options.client_uid = user->uid;
    options.client_gid = user->gid;
  }
  auto started = FetchServer::Start(*request.repo, *request.archive_cluster, *request.archiving,
                                    *request.catalog, options);
  if (!started.ok()) {
    core::LogWarn("replaying without a fetch server: " + started.status().ToString());
    return nullptr;
  }
  return std::move(*started);
}

// A file's bytes as the archive holds them, refused unless they have the size and SHA-256 its
// push recorded (files indexed from the snapshots carry no SHA-256: their blobs' IDs, checked as
// they are read, are what vouches for them).
core::Result<core::Bytes> CheckedArchivedBytes(repo::Repository& repo,
                                               const catalog::ArchivedFile& archived) {
  core::MemorySink bytes;
  HS_TRY(catalog::DumpArchived(repo, archived, bytes));
  const std::string& name = archived.file.name;
  const bool size_differs = bytes.data().size() != archived.node.size;
  if (size_differs ||
      (!archived.sha256.empty() && repo::IdToHex(repo::Sha256(bytes.data())) != archived.sha256)) {
    return core::Status(core::ErrorCode::kVerifyFailed,
                        "the archived '" + name + "' read back with another " +
                            (size_differs ? "size" : "SHA-256") + " than its push recorded",
                        "nothing was changed; check the repository ('hasteward repo check "
                        "--read-data', 'hasteward pitr status')");
  }
  return core::Bytes(bytes.data());
}

// The target's files are where it lives (a pod): the files the replay needs are streamed into a
// directory beside its data directory before the server starts, and restore_command copies them.
class StreamedWalDir final : public WalSupply {
 public:
  StreamedWalDir(const WalSupplyRequest& request, std::unique_ptr<platform::InstanceHandle> handle)
      : repo_(*request.repo),
        archive_cluster_(*request.archive_cluster),
        archiving_(*request.archiving),
        handle_(std::move(handle)),
        dir_(handle_->instance().data_dir + kWalDirSuffix) {}
  ~StreamedWalDir() override { RemoveDir(); }
  StreamedWalDir(const StreamedWalDir&) = delete;
  StreamedWalDir& operator=(const StreamedWalDir&) = delete;

  const platform::Instance& ReadingInstance() const override { return handle_->instance(); }
  // %f is a bare file name the server chose. Why $PWD: the server runs the command in its data
  // directory, so it finds the directory beside it by the path it sees itself, whatever the pod
  // calls it.
  std::string RestoreCommand() const override {
    return "cp -- \"$PWD" + std::string(kWalDirSuffix) + "/%f\" \"%p\"";
  }
  std::string ReadCommand() const override { return "cp -- '" + dir_ + "/%f' \"%p\""; }
  core::Status CheckReplaying(const platform::Instance& replaying) const override {
    if (replaying.name == handle_->instance().name) {
      return core::Status::Ok();
    }
    // The plan read before the restore stopped what a killed run left (StopUnfinishedRestores).
    return core::Status(core::ErrorCode::kSafetyStop,
                        "the base is restored into '" + replaying.name +
                            "', but the archived WAL " + "was streamed into the pod of '" +
                            handle_->instance().name +
                            "', which the plan named before the restore began",
                        "nothing was changed; run the same restore again");
  }
  core::Status Provide(const std::vector<const catalog::ArchivedFile*>& files) override;
  core::Status ProvideStreamed(const std::vector<engine::ArchiveFile>& segments) override;
  void Finish() override { RemoveDir(); }

 private:
  // One file of the tar Untar writes: its name, mtime and bytes, each read when its turn comes.
  struct TarFile {
    std::string name;
    int64_t mtime = 0;
    std::function<core::Result<core::Bytes>()> read;
  };
  // Streams `files` as one tar into `tar -x` in the pod's directory (made afresh the first time).
  core::Status Untar(const std::string& what, const std::vector<TarFile>& files);
  core::Status Stream(const std::vector<TarFile>& files, core::ByteSink& sink);
  void RemoveDir() {
    if (!made_) {
      return;
    }
    made_ = false;
    auto removed = engine::RunScript(
        *handle_,
        {.what = "remove the streamed WAL directory", .text = kRemoveWalDir, .args = {dir_}});
    if (!removed.ok()) {
      core::LogWarn("the streamed WAL directory '" + dir_ + "' on '" + handle_->instance().name +
                    "' was left: " + removed.status().ToString());
    }
  }

  repo::Repository& repo_;
  const platform::Cluster& archive_cluster_;
  const engine::Archiving& archiving_;
  std::unique_ptr<platform::InstanceHandle> handle_;
  std::string dir_;
  std::set<std::string> supplied_;
  bool made_ = false;
  uint64_t bytes_ = 0;
};

core::Status StreamedWalDir::Provide(const std::vector<const catalog::ArchivedFile*>& files) {
  std::vector<TarFile> missing;
  for (const catalog::ArchivedFile* file : files) {
    if (supplied_.count(file->file.name) == 0) {
      missing.push_back({file->file.name, file->node.mtime.unix_seconds, [this, file] {
                           return CheckedArchivedBytes(repo_, *file);
                         }});
    }
  }
  return Untar("archived WAL files", missing);
}

core::Status StreamedWalDir::ProvideStreamed(const std::vector<engine::ArchiveFile>& segments) {
  std::vector<TarFile> missing;
  for (const engine::ArchiveFile& segment : segments) {
    if (supplied_.count(segment.name) == 0) {
      missing.push_back({segment.name, 0, [this, segment]() -> core::Result<core::Bytes> {
                           HS_ASSIGN_OR_RETURN(
                               std::optional<core::Bytes> bytes,
                               StreamedSegmentBytes(repo_, archive_cluster_, archiving_, segment));
                           if (!bytes) {
                             // The plan saw its pieces: gone since is damage, not "not archived".
                             return core::Status(
                                 core::ErrorCode::kCorruption,
                                 "the streamed WAL segment '" + segment.name +
                                     "' the plan replays has no pieces any more",
                                 "nothing was changed; run 'hasteward pitr status' and restore "
                                 "again");
                           }
                           return std::move(*bytes);
                         }});
    }
  }
  return Untar("streamed WAL segments", missing);
}

core::Status StreamedWalDir::Untar(const std::string& kind, const std::vector<TarFile>& files) {
  if (files.empty()) {
    return core::Status::Ok();
  }
  const std::string what = "stream " + std::to_string(files.size()) + " " + kind + " into '" +
                           dir_ + "' on '" + handle_->instance().name + "'";
  core::SubprocessOptions untar;
  untar.argv = {"sh", "-c", kUntarWal, "hasteward-untar-wal", dir_, made_ ? "add" : "new"};
  untar.stdin_mode = core::StdioMode::kPipe;
  untar.stdout_mode = core::StdioMode::kNull;
  untar.helper = true;
  auto started = handle_->Exec(untar);
  if (!started.ok()) {
    return started.TakeStatus().Wrap(what);
  }
  // From here the directory may exist: removed on every way out (Finish, the destructor).
  made_ = true;
  core::ProcessSink sink(std::move(started).value());
  core::Status streamed = Stream(files, sink);
  // After a failed stream too: tar then reads a cut archive and fails.
  core::Status closed = sink.Close();
  if (!streamed.ok()) {
    return streamed.code() == core::ErrorCode::kVerifyFailed ? streamed : streamed.Wrap(what);
  }
  HS_TRY(closed.Wrap(what));
  for (const TarFile& file : files) {
    supplied_.insert(file.name);
  }
  core::LogInfo("streamed " + kind + " into the target's pod",
                {{"files", std::to_string(files.size())},
                 {"bytes_total", std::to_string(bytes_)},
                 {"dir", dir_}});
  return core::Status::Ok();
}

core::Status StreamedWalDir::Stream(const std::vector<TarFile>& files, core::ByteSink& sink) {
  core::TarWriter tar(sink);
  for (const TarFile& file : files) {
    HS_ASSIGN_OR_RETURN(core::Bytes bytes, file.read());
    core::TarEntry entry;
    entry.path = file.name;
    entry.type = core::TarEntryType::kFile;
    entry.mode = 0600;
    entry.mtime = file.mtime;
    entry.size = bytes.size();
    HS_TRY(tar.Begin(entry));
    HS_TRY(tar.Content().Write(bytes));
    HS_TRY(tar.End());
    bytes_ += bytes.size();
  }
  return tar.Finish();
}

// The instance the engine restores the base into, as its plan (read-only, with its refusals)
// names it now: the one that replays, so the one the WAL goes to.
core::Result<std::unique_ptr<platform::InstanceHandle>> ReplayingInstance(
    const WalSupplyRequest& request) {
  const engine::ClusterHandle& target = *request.target;
  engine::NativeBackup* native = target.engine().native_backup();
  if (native == nullptr) {
    return engine::Unsupported(target.engine(), "native restores");
  }
  HS_ASSIGN_OR_RETURN(
      engine::NativeRestorePlan plan,
      native->PlanNativeRestore(target.platform(), target.cluster(),
                                catalog::TagFacts(request.base->tags), request.native));
  return target.platform().OpenInstance(target.cluster(), plan.target);
}

}  // namespace

core::Result<std::unique_ptr<WalSupply>> WalSupplyFor(const WalSupplyRequest& request) {
  const engine::ClusterHandle& target = *request.target;
  HS_ASSIGN_OR_RETURN(const platform::Instance* any, AnyInstanceWithDataDir(target));
  HS_ASSIGN_OR_RETURN(auto handle, target.platform().OpenInstance(target.cluster(), *any));
  // Why by capability: where the server's restore_command runs on this machine it can reach the
  // fetch server's socket and read from the repository as it replays; elsewhere only what was put
  // beside the instance's data directory through its exec is within its reach.
  if (handle->capabilities().Has(platform::Capability::kLocalFilesystem)) {
    if (!request.configured_command) {
      return core::Internal(
          "a WAL point-in-time restore needs the restored server's fetch command");
    }
    HS_ASSIGN_OR_RETURN(std::string configured, request.configured_command());
    return std::unique_ptr<WalSupply>(std::make_unique<FetchServerSupply>(
        *any, std::move(configured), StartFetchServer(request)));
  }
  HS_ASSIGN_OR_RETURN(auto replaying, ReplayingInstance(request));
  return std::unique_ptr<WalSupply>(
      std::make_unique<StreamedWalDir>(request, std::move(replaying)));
}

std::vector<const catalog::ArchivedFile*> ReplayedFiles(const PointPlan& plan,
                                                        const catalog::WalCatalog& catalog,
                                                        const engine::Archiving& archiving) {
  const BaseWindow window = WindowOf(plan.base, catalog, archiving);
  std::vector<const catalog::ArchivedFile*> files;
  std::set<const catalog::ArchivedFile*> seen;
  auto add = [&](const catalog::ArchivedFile* file) {
    if (file != nullptr && seen.insert(file).second) {
      files.push_back(file);
    }
  };
  for (const catalog::TimelineRange& range : window.path.ranges) {
    if (range.timeline <= plan.timeline) {
      add(catalog.Find(archiving.HistoryFileName(range.timeline)));
    }
  }
  add(catalog.Find(archiving.HistoryFileName(plan.timeline)));
  for (const catalog::SegmentRange& range : window.segments) {
    const auto archived = catalog.Segments(range.timeline);
    const uint64_t last = std::min(range.last.value_or(plan.last_segment), plan.last_segment);
    for (auto it = archived.lower_bound(range.first); it != archived.end() && it->first <= last;
         ++it) {
      add(it->second);
    }
  }
  // A target in the parent's copy of the switch segment (PointPlan::stop_before_switch) lies
  // outside the parent's range, which ends before that segment.
  const auto last_timeline = catalog.Segments(plan.last_timeline);
  auto last = last_timeline.find(plan.last_segment);
  if (last != last_timeline.end()) {
    add(last->second);
  }
  return files;
}

std::vector<engine::ArchiveFile> ReplayedStreamedSegments(
    const PointPlan& plan, const catalog::WalCatalog& catalog, const engine::Archiving& archiving,
    const std::set<std::pair<uint32_t, uint64_t>>& streamed) {
  std::vector<engine::ArchiveFile> tail;
  for (const auto& [timeline, segment] : streamed) {
    const std::string name = archiving.SegmentFileName(timeline, segment);
    if (timeline == plan.last_timeline && segment <= plan.last_segment &&
        catalog.Find(name) == nullptr) {
      tail.push_back({name, engine::ArchiveFileKind::kSegment, timeline, segment});
    }
  }
  return tail;
}

}  // namespace hasteward::pitr
