#include "engine/postgres/native_stream.h"

#include <algorithm>
#include <cstring>
#include <regex>

#include "core/clock.h"
#include "core/text.h"
#include "engine/postgres/data_dir_listing.h"
#include "engine/postgres/triage_timeline.h"
#include "engine/postgres/wal_names.h"

namespace hasteward::engine::postgres {

namespace {

// The manifest's WAL-Ranges section is its last; a tail this long holds it for any timeline
// history a cluster plausibly has.
constexpr size_t kManifestTailBytes = size_t{64} * 1024;
constexpr size_t kSmallFileBytes = size_t{64} * 1024;

}  // namespace

std::map<std::string, std::string> ParseBackupLabel(const std::string& label) {
  std::map<std::string, std::string> facts;
  std::smatch m;
  static const std::regex kStart(R"(START WAL LOCATION: ([0-9A-Fa-f]+/[0-9A-Fa-f]+))");
  static const std::regex kTimeline(R"(START TIMELINE: (\d+))");
  if (std::regex_search(label, m, kStart)) {
    facts["start_lsn"] = m[1];
  }
  if (std::regex_search(label, m, kTimeline)) {
    facts["timeline"] = m[1];
  }
  return facts;
}

std::map<std::string, std::string> ParseManifestWalRange(const std::string& manifest_tail) {
  std::map<std::string, std::string> facts;
  static const std::regex kRange(
      R"re(\{\s*"Timeline":\s*(\d+),\s*"Start-LSN":\s*"([0-9A-Fa-f/]+)",\s*"End-LSN":\s*"([0-9A-Fa-f/]+)"\s*\})re");
  // The backup ended on the range of the newest timeline. PostgreSQL lists the ranges newest first
  // (the order of the end timeline's history file): taking the last one, a backup of a standby
  // whose upstream was promoted before it recorded the old timeline and its switch point as its
  // stop, and a point-in-time restore from it chose it for a target before its real end (the
  // server never became consistent; history property seed 2518).
  unsigned long newest = 0;
  for (auto it = std::sregex_iterator(manifest_tail.begin(), manifest_tail.end(), kRange);
       it != std::sregex_iterator(); ++it) {
    unsigned long timeline = std::stoul((*it)[1]);
    if (timeline >= newest) {
      newest = timeline;
      facts["timeline"] = (*it)[1];
      facts["stop_lsn"] = (*it)[3];
    }
  }
  return facts;
}

core::Result<std::string> SystemIdentifierFromControl(const std::string& pg_control) {
  if (pg_control.size() < 8) {
    return core::Status(core::ErrorCode::kCorruption,
                        "pg_control is " + std::to_string(pg_control.size()) + " bytes",
                        "the base backup is damaged; take it again");
  }
  uint64_t id = 0;
  for (int i = 7; i >= 0; --i) {
    id = (id << 8) | static_cast<uint8_t>(pg_control[static_cast<size_t>(i)]);
  }
  return std::to_string(id);
}

std::string TimelineHistoryFact(uint32_t timeline, const std::string& history_text) {
  if (timeline <= 1) {
    return std::string();
  }
  return FormatHistory(ParseTimelineHistory(history_text));
}

bool IsRelationPath(const std::string& path) {
  return path.rfind("base/", 0) == 0 || path.rfind("global/", 0) == 0;
}

core::Status PgNativeStream::Incomplete(const std::string& cause) const {
  return core::Status(core::ErrorCode::kDumpFailed, "the base backup is incomplete: " + cause,
                      "the backup was not saved; check the database server's log and retry");
}

core::Status PgNativeStream::Complete() {
  if (!files_.count(Kept::kLabel)) {
    return Incomplete("the archive holds no backup_label");
  }
  if (!files_.count(Kept::kManifest)) {
    return Incomplete("the archive holds no backup_manifest");
  }
  if (!files_.count(Kept::kControl)) {
    return Incomplete("the archive holds no global/pg_control");
  }
  for (auto& [key, value] : ParseBackupLabel(files_[Kept::kLabel])) {
    metadata_[key] = value;
  }
  for (auto& [key, value] : ParseManifestWalRange(files_[Kept::kManifest])) {
    metadata_[key] = value;
  }
  // The ancestry of the backup's timeline, which the discard gate compares histories with.
  const auto timeline =
      static_cast<uint32_t>(std::strtoul(metadata_["timeline"].c_str(), nullptr, 10));
  if (timeline > 1 && histories_.count(timeline)) {
    metadata_["timeline_history"] = TimelineHistoryFact(timeline, histories_[timeline]);
  }
  if (!metadata_.count("start_lsn") || !metadata_.count("stop_lsn")) {
    return Incomplete("backup_label or backup_manifest lacks the WAL range");
  }
  HS_ASSIGN_OR_RETURN(metadata_["system_identifier"],
                      SystemIdentifierFromControl(files_[Kept::kControl]));
  metadata_["pg_version"] = core::TrimTrailingSpace(files_[Kept::kVersion]);
  return core::Status::Ok();
}

void PgNativeStream::OwnServerFiles(core::TarEntry& entry) {
  // pg_basebackup writes the backup_manifest it appends with made-up owner ids (uid 2048, gid
  // 1024, no names); the server's own members carry the data directory's owner. A restore as root
  // must give every file to the server's user, or pg_verifybackup and the server cannot read it.
  if (entry.path == "backup_manifest") {
    if (owner_) {
      entry.uid = owner_->uid;
      entry.gid = owner_->gid;
      entry.user = owner_->user;
      entry.group = owner_->group;
    }
  } else if (!owner_) {
    owner_ = entry;
  }
}

core::Result<std::optional<NativeMember>> PgNativeStream::Next() {
  if (done_) {
    return std::optional<NativeMember>();
  }
  kept_ = Kept::kNone;
  if (manifest_) {
    // The manifest member was the last.
    HS_TRY(Complete());
    done_ = true;
    return std::optional<NativeMember>();
  }
  HS_ASSIGN_OR_RETURN(auto entry, reader_.Next());
  // The standby's recovery mode stays behind (data_dir_listing.h says why); the reader skips the
  // member's content.
  while (entry && entry->type == core::TarEntryType::kFile && IsRecoverySignalFile(entry->path)) {
    HS_ASSIGN_OR_RETURN(entry, reader_.Next());
  }
  if (!entry) {
    // The reader drained the archive: the tool's exit status or the server's end of the backup
    // has been checked by now.
    manifest_ = archive_->TakeManifest();
    if (manifest_) {
      return std::optional<NativeMember>(ManifestMember());
    }
    HS_TRY(Complete());
    done_ = true;
    return std::optional<NativeMember>();
  }
  NativeMember member{std::move(*entry), 0, {}};
  OwnServerFiles(member.entry);
  const std::string& path = member.entry.path;
  if (member.entry.type == core::TarEntryType::kFile) {
    if (IsRelationPath(path)) {
      member.block_size = block_size_;
    }
    if (path == "backup_label") {
      kept_ = Kept::kLabel;
    } else if (path == "backup_manifest") {
      kept_ = Kept::kManifest;
    } else if (path == "global/pg_control") {
      kept_ = Kept::kControl;
    } else if (path == "PG_VERSION") {
      kept_ = Kept::kVersion;
    } else if (auto file = ParseWalFileName(path.substr(path.rfind('/') + 1));
               path.rfind("pg_wal/", 0) == 0 && file.ok() &&
               file->kind == ArchiveFileKind::kHistory) {
      kept_ = Kept::kHistory;
      history_timeline_ = file->timeline;
      histories_[history_timeline_].clear();
    }
    if (kept_ != Kept::kNone) {
      files_[kept_].clear();
    }
  }
  return std::optional<NativeMember>(std::move(member));
}

NativeMember PgNativeStream::ManifestMember() {
  core::TarEntry entry;
  entry.path = "backup_manifest";
  entry.type = core::TarEntryType::kFile;
  entry.mode = 0600;
  entry.mtime = core::SystemClock::Get().NowUnixSeconds();
  entry.size = manifest_->size();
  OwnServerFiles(entry);
  kept_ = Kept::kManifest;
  files_[kept_] = manifest_->size() > kManifestTailBytes
                      ? manifest_->substr(manifest_->size() - kManifestTailBytes)
                      : *manifest_;
  return NativeMember{std::move(entry), 0, {}};
}

core::Result<size_t> PgNativeStream::ReadContent(std::span<uint8_t> buf) {
  if (manifest_) {
    size_t n = std::min(buf.size(), manifest_->size() - manifest_offset_);
    std::memcpy(buf.data(), manifest_->data() + manifest_offset_, n);
    manifest_offset_ += n;
    return n;
  }
  HS_ASSIGN_OR_RETURN(size_t n, reader_.ReadContent(buf));
  if (kept_ != Kept::kNone && n > 0) {
    std::string& kept = kept_ == Kept::kHistory ? histories_[history_timeline_] : files_[kept_];
    kept.append(reinterpret_cast<const char*>(buf.data()), n);
    size_t limit = kept_ == Kept::kManifest ? kManifestTailBytes : kSmallFileBytes;
    if (kept.size() > limit) {
      kept.erase(0, kept.size() - limit);
    }
  }
  return n;
}

}  // namespace hasteward::engine::postgres
