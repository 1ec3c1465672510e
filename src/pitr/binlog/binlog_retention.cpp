#include "pitr/binlog/binlog_retention.h"

#include <algorithm>
#include <map>
#include <optional>

#include "catalog/base_backup_record.h"
#include "catalog/binlog/binlog_catalog.h"
#include "engine/binlog_archiving.h"
#include "engine/engine.h"
#include "pitr/binlog/binlog_tags.h"
#include "repo/maintenance/retention_time.h"

namespace hasteward::pitr {

namespace {

std::optional<std::string> TagValue(const repo::SnapshotMeta& snapshot, const std::string& key) {
  const std::string prefix = key + "=";
  for (const std::string& tag : snapshot.tags) {
    if (tag.rfind(prefix, 0) == 0) {
      return tag.substr(prefix.size());
    }
  }
  return std::nullopt;
}

// A kept native base: where its replay starts.
struct KeptBase {
  std::string short_id;
  std::string position;  // its GTID position
  int64_t unix_seconds = 0;
};

// The kept native bases, oldest first; nullopt when one has no readable position or time (it
// cannot say what it needs, so nothing may go).
std::optional<std::vector<KeptBase>> KeptBases(const std::vector<const repo::SnapshotMeta*>& kept) {
  std::vector<KeptBase> bases;
  for (const repo::SnapshotMeta* backup : kept) {
    if (!catalog::IsNativeBackup(backup->tags)) {
      continue;  // a dump replays nothing
    }
    std::optional<std::string> position = catalog::GtidTagValue(backup->tags, "gtid_position");
    auto time = repo::ParseRfc3339Nano(backup->time_rfc3339);
    if (!position || !time.ok()) {
      return std::nullopt;
    }
    bases.push_back({backup->id.substr(0, 8), *position, time->unix_seconds()});
  }
  std::sort(bases.begin(), bases.end(), [](const KeptBase& left, const KeptBase& right) {
    return left.unix_seconds < right.unix_seconds;
  });
  return bases;
}

struct TaggedPiece {
  size_t snapshot = 0;  // index into the pieces given to Decide
  BinlogPieceFacts facts;
};

// What the archive's tags say.
struct TaggedArchive {
  // Per snapshot, why it stays whatever the bases need (untagged, a rewind, not a binlog piece).
  std::vector<std::optional<std::string>> always_kept;
  std::vector<catalog::BinlogRewind> rewinds;
  std::map<std::string, std::vector<TaggedPiece>> files;  // by file key, in offset order
  std::optional<size_t> newest;                           // the newest snapshot holding pieces
};

// The pieces of one snapshot from its tags; nullopt when they do not describe all its pieces.
std::optional<std::vector<BinlogPieceFacts>> PiecesOf(const repo::SnapshotMeta& snapshot) {
  std::optional<std::string> count_text = TagValue(snapshot, kBinlogPiecesTag);
  if (!count_text) {
    return std::nullopt;
  }
  std::vector<BinlogPieceFacts> pieces;
  const std::string prefix = std::string(kBinlogPieceTag) + "=";
  for (const std::string& tag : snapshot.tags) {
    if (tag.rfind(prefix, 0) != 0) {
      continue;
    }
    std::optional<BinlogPieceFacts> facts = ParseBinlogPieceTag(tag.substr(prefix.size()));
    if (!facts) {
      return std::nullopt;
    }
    pieces.push_back(std::move(*facts));
  }
  if (pieces.empty() || std::to_string(pieces.size()) != *count_text) {
    return std::nullopt;
  }
  return pieces;
}

std::optional<catalog::BinlogRewind> RewindOf(const repo::SnapshotMeta& snapshot) {
  std::optional<std::string> at = TagValue(snapshot, kBinlogRewindAtTag);
  std::optional<std::string> state = TagValue(snapshot, kBinlogRewindStateTag);
  if (!at || !state || at->empty() || at->find_first_not_of("0123456789") != std::string::npos ||
      at->size() > 19) {
    return std::nullopt;
  }
  return catalog::BinlogRewind{std::stoull(*at), StateFromTag(*state), std::nullopt, std::nullopt};
}

TaggedArchive ReadTags(const std::vector<const repo::SnapshotMeta*>& pieces) {
  TaggedArchive archive;
  archive.always_kept.resize(pieces.size());
  std::optional<repo::SnapshotTime> newest_time;
  for (size_t index = 0; index < pieces.size(); ++index) {
    const repo::SnapshotMeta& snapshot = *pieces[index];
    if (std::find(snapshot.tags.begin(), snapshot.tags.end(), catalog::kBinlogArchiveTag) ==
        snapshot.tags.end()) {
      archive.always_kept[index] = "not a binlog archive snapshot";
      continue;
    }
    if (TagValue(snapshot, kBinlogRewindTag)) {
      // Kept for ever: see the header. An older rewind without its tags only makes retention
      // keep more (it is not used to call anything abandoned).
      archive.always_kept[index] = "records a point-in-time restore's rewind (kept for ever)";
      if (std::optional<catalog::BinlogRewind> rewind = RewindOf(snapshot)) {
        archive.rewinds.push_back(*rewind);
      }
      continue;
    }
    std::optional<std::vector<BinlogPieceFacts>> facts = PiecesOf(snapshot);
    auto time = repo::ParseRfc3339Nano(snapshot.time_rfc3339);
    if (!facts || !time.ok()) {
      archive.always_kept[index] =
          "its tags do not describe its pieces (archived before prune "
          "could decide binlog pieces)";
      continue;
    }
    for (auto& piece : *facts) {
      std::vector<TaggedPiece>& file = archive.files[piece.file_key];
      file.push_back({index, std::move(piece)});
    }
    if (!newest_time || time->After(*newest_time)) {
      newest_time = *time;
      archive.newest = index;
    }
  }
  for (auto& [key, file] : archive.files) {
    std::stable_sort(file.begin(), file.end(),
                     [](const TaggedPiece& left, const TaggedPiece& right) {
                       return left.facts.start < right.facts.start;
                     });
  }
  return archive;
}

// Why `base` replays something from the piece, or nullopt when every transaction of the piece it
// could replay is in its position (a later rewind to a state it includes abandoned the rest).
std::optional<std::string> NeededBy(const KeptBase& base, const BinlogPieceFacts& piece,
                                    const std::vector<catalog::BinlogRewind>& rewinds,
                                    const engine::BinlogArchiving& binlogs) {
  if (binlogs.StateIncludes(base.position, piece.state_after)) {
    return std::nullopt;
  }
  for (const catalog::BinlogRewind& rewind : rewinds) {
    if (piece.archived_at_ns < rewind.at_ns && binlogs.StateIncludes(base.position, rewind.state)) {
      return std::nullopt;
    }
  }
  return "transactions after base " + base.short_id + "'s GTID position " +
         (base.position.empty() ? "(empty)" : base.position);
}

// Why a file must stay whole, or nullopt.
std::optional<std::string> FileNeeded(const std::vector<TaggedPiece>& file,
                                      const std::vector<KeptBase>& bases,
                                      const std::vector<catalog::BinlogRewind>& rewinds,
                                      const engine::BinlogArchiving& binlogs) {
  for (const TaggedPiece& piece : file) {
    for (const KeptBase& base : bases) {
      if (auto why = NeededBy(base, piece.facts, rewinds, binlogs)) {
        return why;
      }
    }
  }
  for (const TaggedPiece& piece : file) {
    if (piece.facts.last_time > 0 &&
        static_cast<int64_t>(piece.facts.last_time) >= bases.front().unix_seconds) {
      return "transactions from base " + bases.front().short_id +
             "'s time on (a restore reads them to place a time target)";
    }
  }
  return std::nullopt;
}

bool Sealed(const std::vector<TaggedPiece>& file) {
  return std::any_of(file.begin(), file.end(),
                     [](const TaggedPiece& piece) { return piece.facts.sealed; });
}

using Decisions = std::vector<std::optional<repo::ArchivePieceDecision>>;

void Keep(Decisions* decisions, size_t snapshot, const std::string& reason) {
  if (!(*decisions)[snapshot]) {
    (*decisions)[snapshot] = repo::ArchivePieceDecision{true, reason};
  }
}

// Keeps more of the files that are not needed so that none is left for the archiver to continue
// without its start: an open file with any kept piece keeps all, a sealed one every piece after
// its first kept one. Repeats until nothing changes (a kept snapshot may hold several files).
void KeepFilesConsistent(const TaggedArchive& archive, Decisions* decisions) {
  bool changed = true;
  while (changed) {
    changed = false;
    for (const auto& [key, file] : archive.files) {
      auto first_kept = std::find_if(file.begin(), file.end(), [&](const TaggedPiece& piece) {
        return (*decisions)[piece.snapshot] && (*decisions)[piece.snapshot]->keep;
      });
      if (first_kept == file.end()) {
        continue;
      }
      const bool sealed = Sealed(file);
      for (auto piece = sealed ? first_kept : file.begin(); piece != file.end(); ++piece) {
        if (!(*decisions)[piece->snapshot]) {
          Keep(decisions, piece->snapshot,
               sealed ? "holds the end of '" + key + "', whose earlier pieces stay"
                      : "holds part of '" + key +
                            "', which is not sealed and stays whole while any piece stays");
          changed = true;
        }
      }
    }
  }
}

}  // namespace

std::vector<repo::ArchivePieceDecision> DecideBinlogPieces(
    const engine::BinlogArchiving& binlogs,
    const std::vector<const repo::SnapshotMeta*>& kept_backups,
    const std::vector<const repo::SnapshotMeta*>& pieces) {
  std::optional<std::vector<KeptBase>> bases = KeptBases(kept_backups);
  if (!bases || bases->empty()) {
    // Nothing says where replay starts: nothing proves a piece unneeded, so all stay.
    return repo::KeepEveryPiece(pieces.size(),
                                "no kept native base backup with a readable GTID position");
  }
  const TaggedArchive archive = ReadTags(pieces);
  Decisions decisions(pieces.size());
  for (size_t index = 0; index < pieces.size(); ++index) {
    if (archive.always_kept[index]) {
      Keep(&decisions, index, *archive.always_kept[index]);
    }
  }
  for (const auto& [key, file] : archive.files) {
    std::optional<std::string> why = FileNeeded(file, *bases, archive.rewinds, binlogs);
    // The open file of the newest snapshot is the one the archiver continues: without its start,
    // what it appends next could not be read.
    bool active = !Sealed(file) && archive.newest &&
                  std::any_of(file.begin(), file.end(), [&](const TaggedPiece& piece) {
                    return piece.snapshot == *archive.newest;
                  });
    if (!why && active) {
      why = "the file the archiver continues";
    }
    if (why) {
      for (const TaggedPiece& piece : file) {
        Keep(&decisions, piece.snapshot, "holds '" + key + "' (kept whole): " + *why);
      }
    }
  }
  KeepFilesConsistent(archive, &decisions);
  std::vector<repo::ArchivePieceDecision> out;
  out.reserve(pieces.size());
  for (auto& decision : decisions) {
    out.push_back(decision ? *decision
                           : repo::ArchivePieceDecision{
                                 false,
                                 "every transaction in it is in every kept native base "
                                 "(oldest " +
                                     bases->front().short_id + ") or abandoned by a restore"});
  }
  return out;
}

}  // namespace hasteward::pitr
