#include "engine/postgres/incremental_stream.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/crc32c.h"
#include "core/failpoint.h"
#include "core/fd.h"
#include "core/log.h"
#include "core/pread_full.h"
#include "engine/postgres/data_dir_listing.h"
#include "engine/postgres/native_stream.h"
#include "engine/postgres/triage_timeline.h"
#include "engine/postgres/wal_names.h"

namespace hasteward::engine::postgres {

namespace {

constexpr char kControlFile[] = "global/pg_control";
constexpr uint64_t kLoggedFileBytes = uint64_t{1} << 20;

// The forks whose pages an incremental backup may take from the parent. The free space map
// is one: its pages are mostly not WAL-logged, so a server after crash recovery runs on a stale
// one as well, and PostgreSQL treats it as a hint it corrects (a page read as damaged is zeroed,
// a page offered with too little space is updated on use). The visibility map is not: a heap
// record clears its bit naming only the heap page, and a stale bit would let an index-only scan
// skip a changed heap page; its files are small (a page per 32,672 heap pages) and read whole.
bool ReusableFork(ForkNumber fork) {
  return fork == ForkNumber::kMain || fork == ForkNumber::kInit || fork == ForkNumber::kFsm;
}

// The names of the timeline history files in the data directory's pg_wal, in order.
core::Result<std::vector<std::string>> HistoryFiles(const std::string& data_dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(data_dir + "/pg_wal", ec)) {
    std::string name = entry.path().filename().string();
    auto file = ParseWalFileName(name);
    if (file.ok() && file->kind == ArchiveFileKind::kHistory) {
      names.push_back(std::move(name));
    }
  }
  if (ec) {
    return core::Status(core::ErrorCode::kDumpFailed,
                        "cannot list " + data_dir + "/pg_wal: " + ec.message());
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

core::Result<std::unique_ptr<PgIncrementalStream>> PgIncrementalStream::Open(
    IncrementalStreamStart start) {
  std::unique_ptr<PgIncrementalStream> stream(new PgIncrementalStream(std::move(start)));
  HS_ASSIGN_OR_RETURN(stream->listing_, ListDataDirectory(stream->start_.data_dir));
  struct stat st {};
  if (::stat(stream->start_.data_dir.c_str(), &st) != 0) {
    return stream->Failed(std::string("cannot stat the data directory: ") + std::strerror(errno));
  }
  stream->owner_.uid = st.st_uid;
  stream->owner_.gid = st.st_gid;
  return stream;
}

core::Status PgIncrementalStream::Failed(const std::string& cause) const {
  return core::Status(core::ErrorCode::kDumpFailed, "the base backup failed: " + cause,
                      "the backup was not saved; check the database server's log and retry");
}

void PgIncrementalStream::CloseMember() {
  // The files an incremental read still read much of, for whoever wonders why it read much.
  if (open_ && !from_memory_ && start_.changes && member_read_ >= kLoggedFileBytes) {
    core::LogInfo("read " + std::to_string(member_read_) + " of " + std::to_string(size_) +
                  " bytes of " + path_);
  }
  member_read_ = 0;
  if (open_ && listed_) {
    bool whole = !skipped_ && offset_ == size_;
    manifest_.AddFile(path_, size_, mtime_, whole ? std::optional<uint32_t>(crc_) : std::nullopt);
  }
  open_ = false;
  fd_.Reset();
  memory_.clear();
}

core::Result<std::optional<NativeMember>> PgIncrementalStream::FileMember(core::TarEntry entry) {
  std::string full = start_.data_dir + "/" + entry.path;
  int fd = ::open(full.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) {
      return std::optional<NativeMember>();  // dropped meanwhile: the backup's WAL drops it too
    }
    return Failed("cannot open " + full + ": " + std::strerror(errno));
  }
  fd_ = core::UniqueFd(fd);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    return Failed("cannot stat " + full + ": " + std::strerror(errno));
  }
  // The size now, not the listing's: a relation extended since is read to its current end (the
  // WAL replay of the backup repairs any page either way).
  entry.size = static_cast<uint64_t>(st.st_size);
  entry.mtime = st.st_mtime;
  open_ = true;
  from_memory_ = false;
  listed_ = true;
  path_ = entry.path;
  size_ = entry.size;
  offset_ = 0;
  mtime_ = entry.mtime;
  crc_ = 0;
  skipped_ = false;
  NativeMember member{std::move(entry), 0, {}};
  if (IsRelationPath(member.entry.path)) {
    member.block_size = start_.block_size;
    std::optional<RelationFile> relation = RelationFileOf(member.entry.path);
    if (start_.changes && relation && ReusableFork(relation->fork.fork)) {
      const ChangedBlocks* changed = &start_.changes->Blocks();
      RelationFork fork = relation->fork;
      uint32_t first = relation->first_block;
      member.page_may_differ = [changed, fork, first](uint64_t page) {
        return changed->MayHaveChanged(fork, first + static_cast<uint32_t>(page));
      };
    }
  }
  return std::optional<NativeMember>(std::move(member));
}

NativeMember PgIncrementalStream::MemoryMember(const std::string& path, std::string content,
                                               bool listed) {
  core::TarEntry entry;
  entry.path = path;
  entry.type = core::TarEntryType::kFile;
  entry.mode = 0600;
  entry.mtime = core::SystemClock::Get().NowUnixSeconds();
  entry.uid = owner_.uid;
  entry.gid = owner_.gid;
  entry.size = content.size();
  open_ = true;
  from_memory_ = true;
  listed_ = listed;
  path_ = path;
  size_ = content.size();
  offset_ = 0;
  mtime_ = entry.mtime;
  crc_ = 0;
  skipped_ = false;
  memory_ = std::move(content);
  return NativeMember{std::move(entry), 0, {}};
}

core::Status PgIncrementalStream::Stop() {
  // Every data file is read, pg_backup_stop not yet called: a test changes the server here (its
  // upstream promoted, so a standby follows a new timeline) to meet the stop as production would.
  core::Failpoint("native-backup-stopping");
  // wait_for_archive false, as BASE_BACKUP's WAIT false: the tree carries the WAL from start to
  // stop itself (read from pg_wal below), and with `true` a failing archive_command would hold
  // the backup forever (the server waits for the segment to be archived, warning each minute).
  HS_ASSIGN_OR_RETURN(
      SqlRows rows,
      start_.session->Query(
          "SELECT lsn::text AS lsn, labelfile, spcmapfile FROM pg_backup_stop(false)"));
  if (rows.empty()) {
    return Failed("pg_backup_stop returned nothing");
  }
  std::string stop_text = rows.GetOr(0, "lsn");
  std::string label = rows.GetOr(0, "labelfile");
  std::string map = rows.GetOr(0, "spcmapfile");
  std::optional<uint64_t> stop = ParseLsn(stop_text);
  std::map<std::string, std::string> label_facts = ParseBackupLabel(label);
  std::optional<uint64_t> label_start = ParseLsn(label_facts["start_lsn"]);
  if (!stop || !label_start || *label_start != start_.start_lsn ||
      label_facts["timeline"] != std::to_string(start_.timeline)) {
    return Failed("backup_label does not match pg_backup_start (" + label + ")");
  }
  HS_TRY(CheckStoppedOnStartTimeline());
  start_.facts["stop_lsn"] = stop_text;
  stop_lsn_ = *stop;
  tail_.emplace_back("backup_label", label);
  if (!map.empty()) {
    tail_.emplace_back("tablespace_map", map);
  }
  // The WAL from the start to the stop, as BASE_BACKUP's WAL option adds it.
  uint64_t last = (*stop > 0 ? *stop - 1 : 0) / kWalSegmentBytes;
  if (*stop % kWalSegmentBytes != 0) {
    last = *stop / kWalSegmentBytes;
  }
  wal_segment_next_ = start_.start_lsn / kWalSegmentBytes;
  for (uint64_t segment = wal_segment_next_; segment <= last; ++segment) {
    tail_.emplace_back("pg_wal/" + WalSegmentFileName(start_.timeline, segment), std::string());
  }
  // The timeline history files, as BASE_BACKUP sends them: a restore of a backup on a later
  // timeline needs its ancestry to follow, and the history says where this one forked.
  HS_ASSIGN_OR_RETURN(std::vector<std::string> histories, HistoryFiles(start_.data_dir));
  for (const std::string& name : histories) {
    HS_ASSIGN_OR_RETURN(std::string text,
                        core::ReadFileToString(start_.data_dir + "/pg_wal/" + name));
    tail_.emplace_back("pg_wal/" + name, std::move(text));
  }
  return core::Status::Ok();
}

core::Status PgIncrementalStream::CheckStoppedOnStartTimeline() {
  // A standby whose upstream failed over during the backup follows the new timeline: the WAL from
  // the start to the stop then lies on two timelines, and a tree holding only the start
  // timeline's names would be recorded whole and fail at restore.
  HS_ASSIGN_OR_RETURN(
      std::optional<std::string> now,
      start_.session->QueryValue(
          "SELECT CASE WHEN pg_is_in_recovery() THEN (SELECT min_recovery_end_timeline FROM "
          "pg_control_recovery()) ELSE (SELECT timeline_id FROM pg_control_checkpoint()) "
          "END::text"));
  const std::string start_timeline = std::to_string(start_.timeline);
  if (now && *now != "0" && *now != start_timeline) {
    return core::Status(core::ErrorCode::kDumpFailed,
                        "the server moved from timeline " + start_timeline + " to " + *now +
                            " during the backup (its upstream was promoted)",
                        "the backup was not saved; take it again, now on the new timeline");
  }
  return core::Status::Ok();
}

core::Result<std::string> PgIncrementalStream::ReadTreeSegment(const std::string& name,
                                                               uint64_t segment) {
  std::string why;
  std::unique_ptr<WalSegmentReader> file = OpenSegmentFrom(start_.wal_sources, name, why);
  if (!file) {
    return Failed("the WAL the backup needs is gone: " + why);
  }
  // The restore replays up to the stop and finds the end of the WAL at the zeros after its page
  // (as after any last record): what the server wrote past the stop is not part of this backup,
  // and need not be read.
  const uint64_t segment_start = segment * kWalSegmentBytes;
  uint64_t wanted = kWalSegmentBytes;
  if (stop_lsn_ < segment_start + kWalSegmentBytes) {
    wanted = (stop_lsn_ - segment_start + kWalPageBytes - 1) / kWalPageBytes * kWalPageBytes;
  }
  auto bytes = file->Read(0, static_cast<size_t>(wanted));
  if (!bytes.ok()) {
    return Failed("the WAL the backup needs cannot be read: " + bytes.status().message());
  }
  if (bytes->size() != wanted) {
    return Failed("the WAL segment " + name + " ended after " + std::to_string(bytes->size()) +
                  " bytes");
  }
  start_.wal_bytes_read += bytes->size();
  start_.facts["wal_bytes_read"] = std::to_string(start_.wal_bytes_read);
  bytes->resize(kWalSegmentBytes, '\0');
  return std::move(*bytes);
}

core::Result<std::optional<NativeMember>> PgIncrementalStream::Next() {
  CloseMember();
  while (phase_ == Phase::kData) {
    if (next_ >= listing_.size()) {
      phase_ = Phase::kControl;
      break;
    }
    core::TarEntry entry = listing_[next_++];
    if (entry.type != core::TarEntryType::kFile) {
      return std::optional<NativeMember>(NativeMember{std::move(entry), 0, {}});
    }
    HS_ASSIGN_OR_RETURN(auto member, FileMember(std::move(entry)));
    if (member) {
      return member;
    }
  }
  if (phase_ == Phase::kControl) {
    // pg_control last among the data files: a backup from a standby ends where the copied
    // pg_control's minimum recovery point says.
    phase_ = Phase::kTail;
    std::string full = start_.data_dir + "/" + kControlFile;
    struct stat st {};
    if (::lstat(full.c_str(), &st) != 0) {
      return Failed("the data directory has no " + std::string(kControlFile));
    }
    core::TarEntry entry;
    entry.path = kControlFile;
    entry.mode = st.st_mode & 07777;
    entry.uid = st.st_uid;
    entry.gid = st.st_gid;
    HS_ASSIGN_OR_RETURN(auto member, FileMember(std::move(entry)));
    if (!member) {
      return Failed("the data directory has no " + std::string(kControlFile));
    }
    return member;
  }
  if (phase_ == Phase::kTail) {
    if (tail_.empty()) {
      HS_TRY(Stop());
    }
    if (tail_next_ < tail_.size()) {
      auto& [path, content] = tail_[tail_next_++];
      bool wal = path.rfind("pg_wal/", 0) == 0;
      if (wal && content.empty()) {  // a segment, read now (a history file came with its text)
        HS_ASSIGN_OR_RETURN(content, ReadTreeSegment(path.substr(7), wal_segment_next_++));
      }
      // BASE_BACKUP's manifest lists backup_label and tablespace_map, never the WAL.
      return std::optional<NativeMember>(MemoryMember(path, std::move(content), !wal));
    }
    phase_ = Phase::kDone;
    std::string manifest =
        manifest_.Finish(start_.timeline, FormatLsn(start_.start_lsn), start_.facts["stop_lsn"]);
    return std::optional<NativeMember>(MemoryMember("backup_manifest", std::move(manifest), false));
  }
  return std::optional<NativeMember>();
}

core::Result<size_t> PgIncrementalStream::ReadContent(std::span<uint8_t> buf) {
  if (!open_ || offset_ >= size_) {
    return size_t{0};
  }
  size_t n = static_cast<size_t>(std::min<uint64_t>(buf.size(), size_ - offset_));
  if (from_memory_) {
    std::memcpy(buf.data(), memory_.data() + offset_, n);
  } else {
    auto got = core::PreadFull(fd_.get(), buf.first(n), offset_, "read " + path_);
    if (!got.ok()) {
      return Failed("cannot " + got.status().message());
    }
    // Truncated while read: zeros, as BASE_BACKUP pads, and the WAL replay truncates it again.
    std::memset(buf.data() + *got, 0, n - *got);
    bytes_read_ += n;
    member_read_ += n;
  }
  crc_ = core::Crc32cExtend(crc_, core::ByteView(buf.data(), n));
  offset_ += n;
  return n;
}

core::Status PgIncrementalStream::SkipContent(uint64_t n) {
  if (!open_ || from_memory_ || n > size_ - offset_) {
    return core::Internal("SkipContent beyond the current file");
  }
  offset_ += n;
  skipped_ = true;
  return core::Status::Ok();
}

}  // namespace hasteward::engine::postgres
