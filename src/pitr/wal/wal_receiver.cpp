#include "pitr/wal/wal_receiver.h"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include <sys/mman.h>
#include <unistd.h>

#include "catalog/wal/wal_catalog.h"
#include "catalog/wal/wal_stream_store.h"
#include "core/clock.h"
#include "core/fd.h"
#include "core/log.h"
#include "core/poll_until.h"
#include "engine/triage.h"

namespace hasteward::pitr {

namespace {

std::chrono::steady_clock::time_point Now() {
  return core::SystemClock::Get().Monotonic();
}

// A segment being received: its bytes from its start, how far they were received and stored,
// and the pieces that hold the stored part.
struct OpenSegment {
  uint32_t timeline = 0;
  uint64_t number = 0;
  core::Bytes bytes;
  uint32_t received = 0;
  uint32_t durable = 0;
  size_t stores_since_merge = 0;  // pieces written since the last merge was asked for
};

// Work for the consolidation thread.
struct Consolidation {
  enum class Kind { kArchive, kMerge } kind = Kind::kArchive;
  std::string name;  // kArchive: the archive file name
  uint32_t timeline = 0;
  uint64_t segment = 0;
  core::Bytes bytes;  // kArchive: the file; kMerge: the segment's stored bytes from its start
};

// An anonymous in-memory file: PushOpenWal takes descriptors, as wal-push hands them over.
core::Result<core::UniqueFd> MemoryFile(const std::string& name, core::ByteView bytes) {
  core::UniqueFd fd(::memfd_create(name.c_str(), MFD_CLOEXEC));
  if (!fd.valid()) {
    return core::ErrnoStatus("memfd_create", errno);
  }
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd.get(), bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return core::ErrnoStatus("write an in-memory copy of '" + name + "'", errno);
    }
    done += static_cast<size_t>(n);
  }
  return fd;
}

bool TransientStore(const core::Status& status) {
  return status.code() == core::ErrorCode::kStorage ||
         status.code() == core::ErrorCode::kUnreachable ||
         status.code() == core::ErrorCode::kTimeout;
}

constexpr std::chrono::seconds kRetryPause{1};
// How long the end of a run waits for the consolidator's queue.
constexpr std::chrono::seconds kDrainBound{30};

// Archives whole segments (and history files, and a timeline's last partial segment) as wal-push
// does, then removes the pieces they replace; merges a segment's many pieces into one. On its own
// thread: a commit never waits for it. Its first error stops the receiver (Check).
class Consolidator {
 public:
  Consolidator(repo::Repository& repo, const platform::Cluster& cluster,
               const engine::Archiving& archiving, catalog::WalStreamStore& store,
               const WalPushOptions& push, std::string system_id)
      : repo_(repo),
        cluster_(cluster),
        archiving_(archiving),
        store_(store),
        push_(push),
        system_id_(std::move(system_id)),
        thread_([this] { Loop(); }) {}
  ~Consolidator() {
    {
      std::lock_guard lock(mu_);
      closing_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }
  Consolidator(const Consolidator&) = delete;
  Consolidator& operator=(const Consolidator&) = delete;

  void Add(Consolidation work) {
    {
      std::lock_guard lock(mu_);
      queue_.push_back(std::move(work));
    }
    wake_.notify_all();
  }
  core::Status Check() {
    std::lock_guard lock(mu_);
    return error_;
  }
  uint64_t archived() {
    std::lock_guard lock(mu_);
    return archived_;
  }
  // Waits until the queue is done (the end of Run: what is whole gets archived before exit), at
  // most `bound`: a whole segment left behind keeps its pieces and the next start archives it.
  void Drain(std::chrono::milliseconds bound) {
    std::unique_lock lock(mu_);
    idle_.wait_for(lock, bound, [&] { return (queue_.empty() && !busy_) || !error_.ok(); });
  }

 private:
  void Loop() {
    for (;;) {
      Consolidation work;
      {
        std::unique_lock lock(mu_);
        wake_.wait(lock, [&] { return closing_ || !queue_.empty(); });
        if (queue_.empty()) {
          return;
        }
        work = std::move(queue_.front());
        queue_.pop_front();
        busy_ = true;
      }
      core::Status done = Do(work);
      if (!done.ok() && TransientStore(done)) {
        // The repository is away: the work waits at the head of the queue (its bytes are in the
        // pieces meanwhile) and is tried again.
        // One line per ten attempts: an outage of minutes is not a screen of warnings.
        if (waits_++ % 10 == 0) {
          core::LogWarn("archiving the received WAL waits for the repository: " + done.message());
        }
        std::unique_lock lock(mu_);
        queue_.push_front(std::move(work));
        busy_ = false;
        wake_.wait_for(lock, kRetryPause, [&] { return closing_; });
        if (closing_) {
          return;
        }
        continue;
      }
      waits_ = 0;
      {
        std::lock_guard lock(mu_);
        busy_ = false;
        if (!done.ok() && error_.ok()) {
          error_ = done;
        }
        archived_ += done.ok() && work.kind == Consolidation::Kind::kArchive ? 1 : 0;
      }
      idle_.notify_all();
    }
  }

  core::Status Do(const Consolidation& work) {
    if (work.kind == Consolidation::Kind::kMerge) {
      return MergeTail(work);
    }
    HS_ASSIGN_OR_RETURN(core::UniqueFd fd, MemoryFile(work.name, work.bytes));
    core::Status pushed =
        PushOpenWal(repo_, cluster_, archiving_, OpenWalFile{work.name, std::move(fd)}, {}, push_)
            .status();
    HS_TRY(pushed.Wrap("archive the received '" + work.name + "'"));
    // Every piece of the segment goes, the merges' included: nothing writes to it any more.
    return store_.Remove(store_.Pieces(work.timeline, work.segment));
  }

  // Merges the segment's newest pieces into one, choosing them so that piece sizes grow
  // geometrically from the newest to the oldest (a run of pieces is merged while it is at least
  // as large as the next older piece): a segment keeps a few dozen pieces at most, and each byte
  // is rewritten a logarithmic number of times, not once per merge.
  core::Status MergeTail(const Consolidation& work) {
    std::vector<catalog::WalPiece> pieces = store_.Pieces(work.timeline, work.segment);
    std::erase_if(pieces, [&](const catalog::WalPiece& p) { return p.end > work.bytes.size(); });
    if (pieces.size() < 2) {
      return core::Status::Ok();
    }
    size_t first = pieces.size() - 1;
    uint64_t run = pieces[first].end - pieces[first].start;
    while (first > 0 && run >= pieces[first - 1].end - pieces[first - 1].start) {
      --first;
      run += pieces[first].end - pieces[first].start;
    }
    if (first + 1 == pieces.size()) {
      first = pieces.size() - 2;  // at least two pieces become one
    }
    const uint32_t from = pieces[first].start;
    const uint32_t to = pieces.back().end;
    for (size_t i = first; i < pieces.size(); ++i) {
      if (pieces[i].start < from) {
        return core::Status::Ok();  // overlapping pieces (a resumed receiver's): left as they are
      }
    }
    // The merged piece is durable before the ones it replaces go.
    HS_TRY(store_
               .Write(work.timeline, work.segment, from,
                      core::ByteView(work.bytes.data() + from, to - from), system_id_)
               .status());
    return store_.Remove(std::vector<catalog::WalPiece>(
        pieces.begin() + static_cast<ptrdiff_t>(first), pieces.end()));
  }

  repo::Repository& repo_;
  const platform::Cluster& cluster_;
  const engine::Archiving& archiving_;
  catalog::WalStreamStore& store_;
  WalPushOptions push_;
  std::string system_id_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::condition_variable idle_;
  std::deque<Consolidation> queue_;
  bool closing_ = false;
  bool busy_ = false;
  uint64_t waits_ = 0;  // failed attempts of the work at the head (the loop's thread only)
  uint64_t archived_ = 0;
  core::Status error_;
  std::thread thread_;
};

// The one writable instance triage finds.
core::Result<platform::Instance> FindPrimary(const engine::ClusterHandle& target) {
  HS_ASSIGN_OR_RETURN(engine::TriageReport report,
                      target.engine().Triage(target.platform(), target.cluster()));
  std::vector<platform::Instance> writable;
  for (const auto& health : report.instances) {
    if (health.writable) {
      writable.push_back(health.instance);
    }
  }
  if (writable.size() != 1) {
    core::Status s(core::ErrorCode::kUnreachable,
                   "the WAL receiver found " + std::to_string(writable.size()) +
                       " writable instances in '" + target.QualifiedName() + "', not one",
                   "it streams from the primary only; it retries until triage finds one");
    s.SetRetryable();
    return s;
  }
  return writable.front();
}

class Receiver {
 public:
  Receiver(repo::Repository& repo, const platform::Cluster& cluster,
           const engine::Archiving& archiving, const WalReceiverOptions& options)
      : repo_(repo), cluster_(cluster), archiving_(archiving), options_(options) {}

  core::Status Run(engine::WalStreamSource& source, const std::string& primary) {
    const engine::WalStreamOrigin& origin = source.origin();
    progress_.primary = primary;
    progress_.system_id = origin.system_id;
    // resume: the stored pieces say where the repository ends.
    HS_ASSIGN_OR_RETURN(catalog::WalStreamStore store,
                        catalog::WalStreamStore::Open(repo_, cluster_));
    store_ = &store;
    HS_TRY(Resume(origin));
    Consolidator consolidator(repo_, cluster_, archiving_, store, options_.push, origin.system_id);
    consolidator_ = &consolidator;
    HS_TRY(ArchiveLeftWholeSegments(origin.system_id));
    HS_TRY(ArchiveHistory(source, timeline_));
    HS_ASSIGN_OR_RETURN(auto stream, source.Start(timeline_, received_));
    core::LogInfo("receiving WAL", {{"primary", primary},
                                    {"timeline", std::to_string(timeline_)},
                                    {"from", archiving_.FormatPosition(received_)}});
    Publish();  // where the repository ends, before the first store
    core::Status streamed = Stream(*stream, source);
    // What is whole is archived before the receiver ends; a later start resumes the rest.
    consolidator.Drain(kDrainBound);
    HS_TRY(streamed);
    return consolidator.Check();
  }

 private:
  uint64_t SegmentBytes() const { return archiving_.SegmentBytes(); }

  // Where streaming starts: the slot's restart position (the new slot's: now), continued from
  // what the pieces of that segment already hold.
  core::Status Resume(const engine::WalStreamOrigin& origin) {
    const bool slot_known = origin.slot_restart != 0;
    timeline_ = slot_known ? origin.slot_timeline : origin.timeline;
    const uint64_t from = slot_known ? origin.slot_restart : origin.position;
    OpenSegment segment;
    segment.timeline = timeline_;
    segment.number = from / SegmentBytes();
    segment.bytes.assign(SegmentBytes(), 0);
    auto stored = store_->Read(timeline_, segment.number, SegmentBytes(), origin.system_id);
    if (stored.ok()) {
      segment.bytes = std::move(stored->bytes);
      segment.received = segment.durable = stored->durable_end;
    } else if (stored.status().code() != core::ErrorCode::kNotFound) {
      return stored.status();
    }
    // The server keeps the whole segment that holds the slot's position: streaming from its start
    // (or from where the pieces end) leaves no hole in the segment.
    received_ = durable_ = segment.number * SegmentBytes() + segment.received;
    open_.push_back(std::move(segment));
    progress_.timeline = timeline_;
    progress_.received = received_;
    progress_.durable = durable_;
    return core::Status::Ok();
  }

  // A receiver killed after a segment became whole but before it was archived left only its
  // pieces: archived now (a segment archived before with the same bytes only loses its pieces).
  core::Status ArchiveLeftWholeSegments(const std::string& system_id) {
    for (const auto& [timeline, number] : store_->Segments()) {
      if (timeline == open_.front().timeline && number == open_.front().number) {
        continue;
      }
      HS_ASSIGN_OR_RETURN(catalog::StreamedSegment stored,
                          store_->Read(timeline, number, SegmentBytes(), system_id));
      if (stored.durable_end != SegmentBytes() && timeline < timeline_) {
        // An older timeline's last segment (the receiver followed a promotion from another
        // connection): archived as the ".partial" file the server itself would leave.
        consolidator_->Add({Consolidation::Kind::kArchive,
                            archiving_.SegmentFileName(timeline, number) + ".partial", timeline,
                            number, std::move(stored.bytes)});
        continue;
      }
      if (stored.durable_end != SegmentBytes()) {
        core::LogWarn("the WAL stream holds part of segment " +
                      archiving_.SegmentFileName(timeline, number) +
                      " that is not being received: kept for a restore");
        continue;
      }
      consolidator_->Add({Consolidation::Kind::kArchive,
                          archiving_.SegmentFileName(timeline, number), timeline, number,
                          std::move(stored.bytes)});
    }
    return core::Status::Ok();
  }

  // The history file of a timeline past the first, as the server has it: a receiver that starts
  // on a promoted server (after a switchover) stores it before any segment of that timeline.
  core::Status ArchiveHistory(engine::WalStreamSource& source, uint32_t timeline) {
    if (timeline <= 1) {
      return core::Status::Ok();
    }
    HS_ASSIGN_OR_RETURN(std::string history, source.TimelineHistory(timeline));
    return ArchiveFile(archiving_.HistoryFileName(timeline), core::AsBytes(history));
  }

  core::Status ArchiveFile(const std::string& name, core::ByteView bytes) {
    HS_ASSIGN_OR_RETURN(core::UniqueFd fd, MemoryFile(name, bytes));
    core::Status pushed = PushOpenWal(repo_, cluster_, archiving_, OpenWalFile{name, std::move(fd)},
                                      {}, options_.push)
                              .status();
    return pushed.Wrap("archive the received '" + name + "'");
  }

  // Errors of the repository that may pass (an outage, a network cut): waited out.
  static bool Transient(const core::Status& status) { return TransientStore(status); }

  // During an outage nothing more is read (the slot keeps the WAL; memory stays bounded) and the
  // store is tried again now and then; the server still hears from the receiver (its
  // wal_sender_timeout). After fallback_after the primary stops waiting (an alert), so its stall
  // is bounded by fallback_after plus one failed store.
  core::Status RideOutOutage(engine::WalStream& stream, engine::WalStreamSource& source) {
    core::PollUntil([&] { return options_.stop && options_.stop(); }, options_.outage_retry,
                    std::chrono::milliseconds(50));
    HS_TRY(stream.Report(received_, durable_, false));
    core::Status stored = StoreReceived();
    if (stored.ok()) {
      core::LogInfo("the repository takes the receiver's stores again",
                    {{"durable", archiving_.FormatPosition(durable_)}});
      outage_since_.reset();
      progress_.repository_down = false;
      return stream.Report(received_, durable_, false);
    }
    if (!Transient(stored)) {
      return stored;
    }
    if (progress_.synchronous && options_.fallback_after.count() > 0 &&
        Now() - *outage_since_ >= options_.fallback_after) {
      HS_TRY(source.FallBack());
      progress_.synchronous = false;
      ++progress_.fallbacks;
      may_restore_ = true;
      core::LogError("ALERT: the repository refused the receiver's stores for " +
                     std::to_string(options_.fallback_after.count()) +
                     " ms: the primary commits without waiting for the repository until the "
                     "receiver caught up (recovery point no longer zero): " +
                     stored.message());
      Publish();
    }
    return core::Status::Ok();
  }

  // Caught up (within a small distance of what the server last said it has): the primary waits
  // for the receiver again where the receiver's fallback (now or before a restart) stopped it.
  core::Status RestoreWhenCaughtUp(engine::WalStreamSource& source) {
    constexpr uint64_t kCaughtUpBytes = uint64_t{1} << 20;
    if (!may_restore_ || durable_ + kCaughtUpBytes < server_end_) {
      return core::Status::Ok();
    }
    HS_ASSIGN_OR_RETURN(bool restored, source.Restore());
    may_restore_ = false;
    if (restored) {
      progress_.synchronous = true;
      core::LogInfo("the primary waits for the receiver again (recovery point zero)",
                    {{"durable", archiving_.FormatPosition(durable_)}});
      Publish();
    }
    return core::Status::Ok();
  }

  void Publish() {
    if (options_.progress) {
      options_.progress(progress_);
    }
  }

  core::Status Stream(engine::WalStream& stream, engine::WalStreamSource& source) {
    std::chrono::steady_clock::time_point last_status = Now();
    while (!(options_.stop && options_.stop())) {
      HS_TRY(consolidator_->Check());
      if (outage_since_) {
        HS_TRY(RideOutOutage(stream, source));
        continue;
      }
      // receive: wait for one message, then take every one already there (group commit).
      bool reply = false;
      HS_ASSIGN_OR_RETURN(engine::WalStreamEvent event, stream.Next(options_.wait));
      while (event.kind != engine::WalStreamEventKind::kNothing) {
        server_end_ = std::max(server_end_, event.server_end);
        if (event.kind == engine::WalStreamEventKind::kTimelineEnd) {
          HS_TRY(StoreReceived());
          HS_TRY(stream.Report(received_, durable_, false));
          HS_TRY(FollowTimeline(stream, event));
          break;
        }
        if (event.kind == engine::WalStreamEventKind::kData) {
          HS_TRY(Take(event));
        }
        reply = reply || event.reply_requested;
        HS_ASSIGN_OR_RETURN(event, stream.Next(std::chrono::milliseconds(0)));
      }
      // store, then report: the primary hears of nothing the repository does not hold.
      const bool stored = received_ > durable_;
      if (core::Status s = StoreReceived(); !s.ok()) {
        if (!Transient(s)) {
          return s;
        }
        core::LogWarn("the repository refused a store; retrying: " + s.message());
        outage_since_ = Now();
        progress_.repository_down = true;
        Publish();
        continue;
      }
      if (stored || reply || Now() - last_status >= options_.status_interval) {
        HS_TRY(stream.Report(received_, durable_, false));
        last_status = Now();
      }
      // Every status interval the fallback mark is read again: serve's watchdog may have released
      // the primary's commits while this receiver was away or hung.
      if (Now() - last_mark_check_ >= options_.status_interval) {
        may_restore_ = true;
        last_mark_check_ = Now();
      }
      HS_TRY(RestoreWhenCaughtUp(source));
    }
    return StoreReceived();
  }

  // Copies a data message into the open segments (it may cross into the next segment).
  core::Status Take(const engine::WalStreamEvent& event) {
    if (event.start != received_) {
      return core::Internal("the WAL stream jumped from " + archiving_.FormatPosition(received_) +
                            " to " + archiving_.FormatPosition(event.start));
    }
    size_t done = 0;
    while (done < event.data.size()) {
      OpenSegment& segment = open_.back();
      if (segment.received == SegmentBytes()) {
        open_.push_back(NextSegment(segment));
        continue;
      }
      const size_t room = SegmentBytes() - segment.received;
      const size_t n = std::min(room, event.data.size() - done);
      std::copy_n(event.data.begin() + static_cast<ptrdiff_t>(done), n,
                  segment.bytes.begin() + segment.received);
      segment.received += static_cast<uint32_t>(n);
      done += n;
    }
    received_ += event.data.size();
    return core::Status::Ok();
  }

  OpenSegment NextSegment(const OpenSegment& full) const {
    OpenSegment next;
    next.timeline = full.timeline;
    next.number = full.number + 1;
    next.bytes.assign(SegmentBytes(), 0);
    return next;
  }

  // Stores what was received since the last store: one piece per open segment; a segment that is
  // whole goes to the consolidator.
  core::Status StoreReceived() {
    if (received_ == durable_) {
      return core::Status::Ok();
    }
    const auto started = Now();
    for (OpenSegment& segment : open_) {
      if (segment.received == segment.durable) {
        continue;
      }
      HS_TRY(store_
                 ->Write(segment.timeline, segment.number, segment.durable,
                         core::ByteView(segment.bytes.data() + segment.durable,
                                        segment.received - segment.durable),
                         progress_.system_id)
                 .status());
      ++segment.stores_since_merge;
      segment.durable = segment.received;
      ++progress_.pieces_written;
    }
    durable_ = received_;
    // consolidate: whole segments are archived; a segment with many pieces has them merged.
    while (open_.size() > 1 || (open_.front().durable == SegmentBytes())) {
      OpenSegment whole = std::move(open_.front());
      open_.erase(open_.begin());
      if (open_.empty()) {
        open_.push_back(NextSegment(whole));
      }
      consolidator_->Add({Consolidation::Kind::kArchive,
                          archiving_.SegmentFileName(whole.timeline, whole.number), whole.timeline,
                          whole.number, std::move(whole.bytes)});
    }
    OpenSegment& current = open_.front();
    if (current.stores_since_merge > options_.merge_after) {
      consolidator_->Add(
          {Consolidation::Kind::kMerge, "", current.timeline, current.number,
           core::Bytes(current.bytes.begin(), current.bytes.begin() + current.durable)});
      current.stores_since_merge = 0;
    }
    progress_.timeline = timeline_;
    progress_.received = received_;
    progress_.durable = durable_;
    progress_.segments_archived = consolidator_->archived();
    progress_.store_micros = static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(Now() - started).count());
    Publish();
    return core::Status::Ok();
  }

  // The server ended the timeline at event.switch_position (a promotion): its history file is
  // archived, the old timeline's last segment is archived as its ".partial" file, the new
  // timeline's copy of that segment starts with the same bytes, and streaming goes on there.
  core::Status FollowTimeline(engine::WalStream& stream, const engine::WalStreamEvent& event) {
    HS_ASSIGN_OR_RETURN(std::string history, stream.TimelineHistory(event.next_timeline));
    HS_TRY(ArchiveFile(archiving_.HistoryFileName(event.next_timeline), core::AsBytes(history)));
    if (event.switch_position != received_) {
      return core::Internal("timeline " + std::to_string(timeline_) + " ended at " +
                            archiving_.FormatPosition(event.switch_position) +
                            ", but the receiver holds it to " +
                            archiving_.FormatPosition(received_));
    }
    OpenSegment last = std::move(open_.back());
    open_.clear();
    OpenSegment next;
    next.timeline = event.next_timeline;
    next.number = last.number;
    next.bytes = last.bytes;
    next.received = last.received;
    if (last.received == SegmentBytes()) {
      next = NextSegment(last);
      next.timeline = event.next_timeline;
    }
    if (last.received > 0 && last.received < SegmentBytes()) {
      consolidator_->Add({Consolidation::Kind::kArchive,
                          archiving_.SegmentFileName(last.timeline, last.number) + ".partial",
                          last.timeline, last.number, std::move(last.bytes)});
    } else if (last.received == SegmentBytes()) {
      consolidator_->Add({Consolidation::Kind::kArchive,
                          archiving_.SegmentFileName(last.timeline, last.number), last.timeline,
                          last.number, std::move(last.bytes)});
    }
    timeline_ = event.next_timeline;
    open_.push_back(std::move(next));
    // The new timeline's copy of the segment holds its first bytes at once: stored now.
    HS_TRY(StoreReceived());
    core::LogInfo("following timeline " + std::to_string(timeline_),
                  {{"from", archiving_.FormatPosition(received_)}});
    return stream.Restart(timeline_, received_);
  }

  repo::Repository& repo_;
  const platform::Cluster& cluster_;
  const engine::Archiving& archiving_;
  const WalReceiverOptions& options_;
  catalog::WalStreamStore* store_ = nullptr;
  Consolidator* consolidator_ = nullptr;
  std::vector<OpenSegment> open_;
  std::optional<std::chrono::steady_clock::time_point> outage_since_;
  uint64_t server_end_ = 0;  // the server's WAL end as it last reported it
  // Check (once caught up) whether a fallback, this receiver's or an earlier one's, is to undo.
  bool may_restore_ = true;
  std::chrono::steady_clock::time_point last_mark_check_ = Now();
  uint32_t timeline_ = 0;
  uint64_t received_ = 0;
  uint64_t durable_ = 0;
  WalReceiverProgress progress_;
};

}  // namespace

core::Status RunWalReceiverOn(repo::Repository& repo, const platform::Cluster& cluster,
                              const engine::Archiving& archiving, engine::WalStreamSource& source,
                              const std::string& primary, const WalReceiverOptions& options) {
  Receiver receiver(repo, cluster, archiving, options);
  return receiver.Run(source, primary);
}

core::Status RunWalReceiver(repo::Repository& repo, const engine::ClusterHandle& target,
                            const WalReceiverOptions& options) {
  engine::Archiving* archiving = target.engine().archiving();
  if (archiving == nullptr) {
    return engine::Unsupported(target.engine(), "a synchronous WAL receiver");
  }
  // connect: the primary, its slot and where its WAL stands.
  HS_ASSIGN_OR_RETURN(platform::Instance primary, FindPrimary(target));
  HS_ASSIGN_OR_RETURN(auto handle, target.platform().OpenInstance(target.cluster(), primary));
  HS_ASSIGN_OR_RETURN(auto source, archiving->OpenWalStream(*handle));
  return RunWalReceiverOn(repo, target.cluster(), *archiving, *source, primary.name, options);
}

}  // namespace hasteward::pitr
