#include "pitr/binlog/binlog_receiver.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>

#include "catalog/binlog/binlog_stream_store.h"
#include "core/log.h"
#include "core/poll_until.h"
#include "pitr/binlog/binlog_stream_runs.h"

namespace hasteward::pitr {

namespace {

using Clock = std::chrono::steady_clock;  // the type of core::Clock::Monotonic()

// At most this much is taken from the writer before it is stored: a commit storm is stored in
// bounded pieces, and the first commits of it do not wait for the last.
constexpr size_t kMaxBatchBytes = 8ULL << 20;
constexpr char kBinlogMagic[] =
    "\xfe"
    "bin";
constexpr uint64_t kFirstEventOffset = 4;

uint64_t NowNs(const core::Clock& clock) {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(clock.Now().time_since_epoch()).count());
}

double UnixSeconds(const core::Clock& clock) {
  return std::chrono::duration<double>(clock.Now().time_since_epoch()).count();
}

bool Reconnectable(const core::Status& status) {
  return status.retryable() || status.code() == core::ErrorCode::kUnreachable ||
         status.code() == core::ErrorCode::kStorage || status.code() == core::ErrorCode::kTimeout ||
         status.code() == core::ErrorCode::kLocked;
}

// Stores the runs as one binlog snapshot of `writer`.
core::Result<StoredBinlogPieces> StoreRuns(repo::Repository& repo, const platform::Cluster& cluster,
                                           const std::vector<BinlogPieceBytes>& runs,
                                           const BinlogArchiveOptions& options) {
  repo::SnapshotWriterOptions writer_options;
  writer_options.compression = options.compression;
  writer_options.clock = options.clock;
  return StoreBinlogPieces(repo, cluster, runs, runs.front().piece.identity.instance,
                           writer_options);
}

// Moves the stored pieces into binlog snapshots on a thread of its own, every `every`: a snapshot
// (packs, index, tree, snapshot file, binlog index) costs several repository writes, which the
// commits waiting for the next acknowledgement must not wait for.
class Consolidator {
 public:
  Consolidator(repo::Repository& repo, const platform::Cluster& cluster,
               const BinlogArchiveOptions& options, catalog::BinlogStreamStore& store,
               std::chrono::milliseconds every)
      : repo_(repo), cluster_(cluster), options_(options), store_(store), every_(every) {
    thread_ = std::thread([this] { Loop(); });
  }
  Consolidator(const Consolidator&) = delete;
  Consolidator& operator=(const Consolidator&) = delete;
  ~Consolidator() { Stop(); }

  void Add(catalog::StreamedBinlogPiece piece) {
    std::lock_guard lock(mu_);
    pending_.push_back(std::move(piece));
  }
  uint64_t snapshots() const { return snapshots_.load(); }

  // Ends the thread, then moves what is left (the end of a session). Pieces a failed move leaves
  // stay in the store: the next session moves them first.
  core::Status Finish() {
    Stop();
    return Round();
  }

 private:
  void Stop() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) {
      thread_.join();
    }
  }

  void Loop() {
    std::unique_lock lock(mu_);
    while (!stop_) {
      cv_.wait_for(lock, every_, [this] { return stop_; });
      if (stop_) {
        return;
      }
      lock.unlock();
      core::Status moved = Round();
      if (!moved.ok()) {
        core::LogWarn("binlog receiver: streamed pieces stay until the next consolidation: " +
                      moved.message());
      }
      lock.lock();
    }
  }

  core::Status Round() {
    std::vector<catalog::StreamedBinlogPiece> taken;
    {
      std::lock_guard lock(mu_);
      taken.swap(pending_);
    }
    if (taken.empty()) {
      return core::Status::Ok();
    }
    std::vector<std::string> objects;
    objects.reserve(taken.size());
    for (const auto& piece : taken) {
      objects.push_back(piece.object);
    }
    core::Status stored =
        StoreRuns(repo_, cluster_, MergeStreamedRuns(taken, {}), options_).status();
    if (!stored.ok()) {
      std::lock_guard lock(mu_);
      pending_.insert(pending_.begin(), std::make_move_iterator(taken.begin()),
                      std::make_move_iterator(taken.end()));
      return stored;
    }
    ++snapshots_;
    return store_.Remove(objects);
  }

  repo::Repository& repo_;
  const platform::Cluster& cluster_;
  const BinlogArchiveOptions& options_;
  catalog::BinlogStreamStore& store_;
  std::chrono::milliseconds every_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::vector<catalog::StreamedBinlogPiece> pending_;
  std::atomic<uint64_t> snapshots_{0};
  std::thread thread_;
};

// What is being received of one binlog file: its bytes from `offset` not stored yet.
struct OpenFile {
  std::string name;
  std::optional<engine::BinlogFileHeader> header;  // known once the file's head arrived
  uint32_t server_id = 0;
  uint32_t created = 0;
  uint64_t offset = 0;  // what is stored ends here
  std::string pending;  // bytes from `offset`
  std::string state;    // the GTID state at `offset`
  std::string gtid_list;
};

class Session {
 public:
  Session(repo::Repository& repo, platform::Platform& platform, const platform::Cluster& cluster,
          engine::BinlogArchiving& binlogs, const BinlogReceiverOptions& options,
          BinlogReceiverProgress& progress)
      : repo_(repo),
        platform_(platform),
        cluster_(cluster),
        binlogs_(binlogs),
        options_(options),
        progress_(progress) {}

  core::Status Run() {
    // Tidy: what an earlier session streamed goes into a snapshot before the catch-up reads the
    // archive's end.
    HS_TRY(ConsolidateBinlogStream(repo_, cluster_, options_.archive).status());
    // Catch up: the archive holds every whole transaction the writer had.
    HS_ASSIGN_OR_RETURN(BinlogResumePoint point, CatchUp());
    // Require: the writer waits for this receiver from now on.
    HS_TRY(binlogs_.RequireAcknowledgement(platform_, cluster_, point.writer,
                                           options_.fallback_after));
    HS_ASSIGN_OR_RETURN(auto store, catalog::BinlogStreamStore::Open(repo_, cluster_));
    store_.emplace(std::move(store));
    // Stream from exactly where the archive ends.
    Begin(point);
    HS_ASSIGN_OR_RETURN(stream_,
                        binlogs_.OpenBinlogStream(platform_, cluster_, writer_, file_.name,
                                                  std::max(file_.offset, kFirstEventOffset)));
    core::LogInfo("binlog receiver: streaming " + file_.name + " from " +
                  std::to_string(file_.offset) + " on '" + writer_.instance.name + "'");
    last_state_ = Clock::time_point{};
    snapshots_before_ = progress_.snapshots;
    consolidator_.emplace(repo_, cluster_, options_.archive, *store_, options_.consolidate_every);
    core::Status streamed = Stream();
    // What was stored is kept either way; moved into a snapshot when the repository allows.
    core::Status consolidated = consolidator_->Finish();
    if (!consolidated.ok()) {
      core::LogWarn("binlog receiver: streamed pieces stay for the next session: " +
                    consolidated.message());
    }
    return streamed;
  }

 private:
  core::Result<BinlogResumePoint> CatchUp() {
    BinlogArchiver archiver(repo_, platform_, cluster_, binlogs_, options_.archive);
    while (true) {
      HS_ASSIGN_OR_RETURN(BinlogCycleResult cycle, archiver.RunCycle());
      if (cycle.files_cut_short == 0) {
        break;
      }
    }
    stamp_ns_ = archiver.catalog()->NextStampNs(NowNs(*options_.archive.clock));
    return archiver.ResumePoint();
  }

  void Begin(const BinlogResumePoint& point) {
    writer_ = point.writer;
    file_ = OpenFile{};
    file_.name = point.identity.file;
    file_.header = point.header;
    file_.server_id = point.identity.server_id;
    file_.created = point.identity.created;
    file_.offset = point.offset;
    file_.state = point.state_before;
    file_.gtid_list = point.header.gtid_list;
    if (file_.offset == 0) {
      file_.pending = kBinlogMagic;
    }
    progress_.writer = writer_.instance.name;
    progress_.file = file_.name;
    progress_.durable = file_.offset;
    progress_.durable_state = file_.state;
  }

  core::Status Stream() {
    while (true) {
      if (options_.stop && options_.stop()) {
        return core::Status::Ok();
      }
      HS_ASSIGN_OR_RETURN(engine::BinlogStreamEvent first, stream_->Next(options_.wait));
      size_t taken = 0;
      bool drained = true;  // the batch ended because nothing more had arrived
      // Receive: every event already there, without waiting once one arrived.
      for (engine::BinlogStreamEvent event = std::move(first);
           event.kind != engine::BinlogStreamEventKind::kNothing;) {
        taken += event.bytes.size();
        HS_TRY(Take(event));
        if (taken >= kMaxBatchBytes) {
          drained = false;
          break;
        }
        HS_ASSIGN_OR_RETURN(event, stream_->Next(std::chrono::milliseconds(0)));
      }
      const double received_at = UnixSeconds(*options_.archive.clock);
      // Store, then acknowledge only what the repository holds.
      HS_TRY(Cut(file_, /*sealed_by_rotate=*/false));
      HS_TRY(StorePending());
      if (drained) {
        progress_.covered_at = received_at;
      }
      // An acknowledgement of a position covers every commit before it: one per store.
      if (stored_any_ && (stored_file_ != acked_file_ || stored_end_ != acked_offset_)) {
        HS_TRY(stream_->Acknowledge(stored_file_, stored_end_));
        acked_file_ = stored_file_;
        acked_offset_ = stored_end_;
        ++progress_.acknowledged;
      }
      HS_TRY(Periodic());
    }
  }

  // One event or rotate, in file order.
  core::Status Take(const engine::BinlogStreamEvent& event) {
    if (event.kind == engine::BinlogStreamEventKind::kRotate) {
      const uint64_t at = file_.offset + file_.pending.size();
      if (event.file == file_.name && (event.position == at || at <= kFirstEventOffset)) {
        return core::Status::Ok();  // the dump's first fake rotate, or the rotate repeated
      }
      if (event.position != kFirstEventOffset) {
        return core::Status(core::ErrorCode::kUnreachable,
                            "the writer moved the dump to " + event.file + " at " +
                                std::to_string(event.position) + ", not a file's start",
                            "the receiver starts again from where the repository ends");
      }
      // The old file ends with its rotate event: everything of it is whole now.
      HS_TRY(Cut(file_, /*sealed_by_rotate=*/true));
      if (!file_.pending.empty()) {
        return core::Status(core::ErrorCode::kCorruption,
                            "binlog " + file_.name + " of '" + writer_.instance.name +
                                "' ends with " + std::to_string(file_.pending.size()) +
                                " bytes of no whole transaction");
      }
      OpenFile next;
      next.name = event.file;
      next.pending = kBinlogMagic;
      file_ = std::move(next);
      return core::Status::Ok();
    }
    const uint64_t expected = file_.offset + file_.pending.size();
    if (event.position < event.bytes.size() || event.position - event.bytes.size() != expected) {
      return core::Status(core::ErrorCode::kUnreachable,
                          "the writer sent an event of " + file_.name + " at " +
                              std::to_string(event.position - event.bytes.size()) +
                              ", the receiver is at " + std::to_string(expected),
                          "the receiver starts again from where the repository ends");
    }
    file_.pending += event.bytes;
    return core::Status::Ok();
  }

  // The whole transactions of `file`'s pending bytes become a piece to store.
  core::Status Cut(OpenFile& file, bool sealed_by_rotate) {
    if (!file.header) {
      HS_ASSIGN_OR_RETURN(auto header, binlogs_.ReadHeader(file.pending));
      if (!header) {
        return core::Status::Ok();  // the head is still arriving
      }
      file.header = *header;
      file.server_id = header->server_id;
      file.created = header->created;
      file.state = header->gtid_list;
      file.gtid_list = header->gtid_list;
    }
    const uint64_t scan_from = std::max(file.offset, file.header->header_end);
    if (file.offset + file.pending.size() < scan_from) {
      return core::Status::Ok();
    }
    HS_ASSIGN_OR_RETURN(
        engine::BinlogRun run,
        binlogs_.ScanRun(std::string_view(file.pending).substr(scan_from - file.offset), scan_from,
                         *file.header));
    if (sealed_by_rotate && !run.sealed) {
      return core::Status(core::ErrorCode::kCorruption,
                          "binlog " + file.name + " of '" + writer_.instance.name +
                              "' was rotated but does not end with its rotate event");
    }
    const uint64_t end = run.complete_end;
    if (end <= file.offset || (file.offset == 0 && run.transactions == 0 && !run.sealed)) {
      return core::Status::Ok();
    }
    catalog::BinlogPiece piece;
    piece.identity = {writer_.instance.name, file.server_id, file.created, file.name};
    piece.start = file.offset;
    piece.end = end;
    piece.transactions = run.transactions;
    piece.first_gtid = run.first_gtid;
    piece.last_gtid = run.last_gtid;
    piece.first_time = run.first_time;
    piece.last_time = run.last_time;
    piece.gtid_list_at_file_start = file.gtid_list;
    piece.gtid_state_after = binlogs_.AdvanceGtidState(file.state, run.gtids);
    piece.sealed = run.sealed;
    piece.archived_at_ns = stamp_ns_ = std::max(stamp_ns_ + 1, NowNs(*options_.archive.clock));
    to_store_.push_back({piece, "", file.pending.substr(0, end - file.offset)});
    file.pending.erase(0, end - file.offset);
    file.offset = end;
    file.state = piece.gtid_state_after;
    return core::Status::Ok();
  }

  // Each cut piece is one repository write; an outage is retried here (the writer's timeout
  // bounds its commits' wait meanwhile).
  core::Status StorePending() {
    for (auto& pending : to_store_) {
      const auto started = options_.archive.clock->Monotonic();
      while (true) {
        auto written = store_->Write(pending.piece, pending.bytes);
        if (written.ok()) {
          consolidator_->Add(std::move(*written));
          break;
        }
        if (!Reconnectable(written.status())) {
          return written.TakeStatus();
        }
        if (!progress_.repository_down) {
          core::LogWarn("binlog receiver: the repository refuses stores; commits wait at most " +
                        std::to_string(options_.fallback_after.count()) +
                        " ms each, then go on asynchronously: " + written.status().message());
        }
        progress_.repository_down = true;
        Report();
        core::PollUntil([this] { return options_.stop && options_.stop(); }, options_.outage_retry,
                        std::chrono::milliseconds(50));
        if (options_.stop && options_.stop()) {
          return written.TakeStatus();
        }
      }
      progress_.repository_down = false;
      progress_.store_micros =
          static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                    options_.archive.clock->Monotonic() - started)
                                    .count());
      ++progress_.pieces_written;
      stored_any_ = true;
      stored_file_ = pending.piece.identity.file;
      stored_end_ = pending.piece.end;
      progress_.file = stored_file_;
      progress_.durable = stored_end_;
      progress_.durable_state = pending.piece.gtid_state_after;
      Report();
    }
    to_store_.clear();
    return core::Status::Ok();
  }

  // The writer's semi-sync state every couple of seconds.
  core::Status Periodic() {
    const auto now = options_.archive.clock->Monotonic();
    if (now - last_state_ >= options_.state_every) {
      last_state_ = now;
      auto state = binlogs_.AcknowledgementState(platform_, cluster_, writer_);
      if (state.ok()) {
        if (!state->takes_writes) {
          return core::Status(core::ErrorCode::kUnreachable,
                              "'" + writer_.instance.name +
                                  "' no longer takes the cluster's writes (a switchover, a "
                                  "failover, a Galera node change)",
                              "the receiver follows the instance that writes now");
        }
        if (!state->enabled) {
          // A restarted writer forgot the setting: it waits for the receiver again.
          HS_TRY(binlogs_.RequireAcknowledgement(platform_, cluster_, writer_,
                                                 options_.fallback_after));
        }
        // Another semi-synchronous replica's acknowledgement releases a commit too: then a
        // client may be told "committed" before the repository holds it.
        const bool only_acknowledger = state->clients <= 1;
        const bool synchronous =
            state->enabled && state->active && state->after_sync && only_acknowledger;
        if (progress_.synchronous && !synchronous) {
          core::LogWarn(
              "ALERT binlog receiver: '" + writer_.instance.name +
              (only_acknowledger
                   ? "' commits without waiting for the repository (semi-sync fell back after "
                     "its timeout); it waits again once the receiver caught up"
                   : "' also takes semi-sync acknowledgements from " +
                         std::to_string(state->clients - 1) +
                         " replica(s): a commit may be acknowledged before the repository "
                         "holds it (set rpl_semi_sync_slave_enabled = OFF on the replicas)"));
        }
        progress_.synchronous = synchronous;
        progress_.fallbacks = state->fallbacks;
        Report();
      }
    }
    return core::Status::Ok();
  }

  void Report() {
    if (consolidator_) {
      progress_.snapshots = snapshots_before_ + consolidator_->snapshots();
    }
    if (options_.progress) {
      options_.progress(progress_);
    }
  }

  repo::Repository& repo_;
  platform::Platform& platform_;
  const platform::Cluster& cluster_;
  engine::BinlogArchiving& binlogs_;
  const BinlogReceiverOptions& options_;
  BinlogReceiverProgress& progress_;
  engine::BinlogWriter writer_;
  OpenFile file_;
  std::optional<catalog::BinlogStreamStore> store_;
  std::unique_ptr<engine::BinlogStream> stream_;
  std::vector<catalog::StreamedBinlogPiece> to_store_;  // cut, not stored yet
  std::optional<Consolidator> consolidator_;            // takes the stored pieces into snapshots
  uint64_t snapshots_before_ = 0;                       // consolidations of earlier sessions
  uint64_t stamp_ns_ = 0;
  bool stored_any_ = false;
  std::string stored_file_;
  uint64_t stored_end_ = 0;
  std::string acked_file_;
  uint64_t acked_offset_ = 0;
  Clock::time_point last_state_;
};

}  // namespace

core::Result<size_t> ConsolidateBinlogStream(repo::Repository& repo,
                                             const platform::Cluster& cluster,
                                             const BinlogArchiveOptions& options) {
  HS_TRY(repo.LoadIndex());
  HS_ASSIGN_OR_RETURN(auto store, catalog::BinlogStreamStore::Open(repo, cluster));
  if (store.objects().empty()) {
    return size_t{0};
  }
  HS_ASSIGN_OR_RETURN(catalog::BinlogCatalog catalog, catalog::BinlogCatalog::Load(repo, cluster));
  HS_ASSIGN_OR_RETURN(std::vector<catalog::StreamedBinlogPiece> streamed, store.ReadAll());
  // Only what no snapshot holds yet is stored (a piece a snapshot holds in part, trimmed).
  HS_TRY(catalog::AddStreamedPieces(catalog, streamed).status());
  std::vector<catalog::StreamedBinlogPiece> missing;
  for (const auto& [key, file] : catalog.files()) {
    for (const auto& piece : file.pieces) {
      if (const std::string* bytes = catalog.StreamedBytesOf(piece)) {
        missing.push_back({piece, "", *bytes});
      }
    }
  }
  if (!missing.empty()) {
    std::vector<BinlogPieceBytes> runs = MergeStreamedRuns(std::move(missing), catalog.rewinds());
    HS_TRY(StoreRuns(repo, cluster, runs, options).status());
  }
  HS_TRY(store.Remove(store.objects()));
  return streamed.size();
}

core::Status RunBinlogReceiver(repo::Repository& repo, platform::Platform& platform,
                               const platform::Cluster& cluster, engine::BinlogArchiving& binlogs,
                               const BinlogReceiverOptions& options) {
  BinlogReceiverProgress progress;
  while (!(options.stop && options.stop())) {
    Session session(repo, platform, cluster, binlogs, options, progress);
    core::Status ran = session.Run();
    if (options.stop && options.stop()) {
      return core::Status::Ok();
    }
    if (!ran.ok() && !Reconnectable(ran)) {
      return ran;
    }
    // A lost writer, a switchover, an outage: the next session finds the writer again and
    // continues from the repository's end (the writer keeps its binlog).
    core::LogWarn("binlog receiver: starting again: " + ran.message());
    progress.synchronous = false;
    if (options.progress) {
      options.progress(progress);
    }
    core::PollUntil([&options] { return options.stop && options.stop(); }, options.retry,
                    std::chrono::milliseconds(100));
  }
  return core::Status::Ok();
}

}  // namespace hasteward::pitr
