#include "pitr/binlog/binlog_archive.h"

#include <algorithm>
#include <chrono>
#include <vector>

#include <nlohmann/json.hpp>

#include "catalog/binlog/binlog_index_append.h"
#include "core/failpoint.h"
#include "jobs/jobs.h"
#include "pitr/binlog/binlog_tags.h"
#include "repo/backup/snapshot_writer.h"
#include "repo/format/go_json.h"

namespace hasteward::pitr {

namespace {

// Enough for a file's header events (format description, Gtid_list, checkpoint) in practice;
// more is read when a header is longer.
constexpr uint64_t kHeaderProbeBytes = 64ULL * 1024;
// A single transaction may exceed the per-cycle read; the read grows up to this.
constexpr uint64_t kMaxReadBytes = 1ULL << 30;

}  // namespace

std::string ArchivedState(const catalog::BinlogCatalog& catalog,
                          const engine::BinlogArchiving& binlogs) {
  const catalog::BinlogRewind* latest = nullptr;
  for (const auto& rewind : catalog.rewinds()) {
    if (latest == nullptr || rewind.at_ns > latest->at_ns) {
      latest = &rewind;
    }
  }
  std::vector<std::string> states;
  if (latest != nullptr) {
    states.push_back(latest->state);
  }
  for (const auto& [key, file] : catalog.files()) {
    for (const auto& piece : file.pieces) {
      if (latest == nullptr || piece.archived_at_ns > latest->at_ns) {
        states.push_back(piece.gtid_state_after);
      }
    }
  }
  return binlogs.MergeGtidStates(states);
}

core::Status RecordBinlogRewind(repo::Repository& repo, const platform::Cluster& cluster,
                                const catalog::BinlogRewind& rewind) {
  HS_ASSIGN_OR_RETURN(auto snapshot_writer, repo::SnapshotWriter::Open(repo, {}));
  nlohmann::json manifest = {{"version", 1},
                             {"pieces", nlohmann::json::array()},
                             {"rewinds", nlohmann::json::array({catalog::RewindToJson(rewind)})}};
  std::string text = manifest.dump(1);
  core::MemorySource source(core::Bytes(text.begin(), text.end()));
  repo::NodeAttributes attributes;
  attributes.permissions = 0600;
  auto added = snapshot_writer->AddFile(
      catalog::BinlogPath(cluster) + "/" + catalog::kBinlogManifestName, source, attributes);
  if (!added.ok()) {
    snapshot_writer->Abort();
    return added.TakeStatus().Wrap("store the binlog rewind");
  }
  repo::CommitOptions commit;
  commit.tags = jobs::SnapshotTags(cluster, repo::SnapshotType::kWal, "");
  commit.tags.emplace_back(catalog::kBinlogArchiveTag);
  commit.tags.push_back(std::string(kBinlogRewindTag) + "=yes");
  // Repeated from the manifest for prune, which decides from the listing
  // (pitr/binlog/binlog_tags.h).
  commit.tags.push_back(std::string(kBinlogRewindAtTag) + "=" + std::to_string(rewind.at_ns));
  commit.tags.push_back(std::string(kBinlogRewindStateTag) + "=" + StateToTag(rewind.state));
  commit.hostname = cluster.ns + "-" + cluster.name;
  commit.paths = {"/" + catalog::BinlogPath(cluster)};
  HS_ASSIGN_OR_RETURN(repo::BackupSummary summary, snapshot_writer->Commit(commit));
  // Indexed before a restore goes on: an archiver's next cycle must see the rewind.
  HS_ASSIGN_OR_RETURN(catalog::BinlogIndexRecords records,
                      catalog::CommittedBinlogRecords(
                          repo, cluster, {summary.snapshot_id, summary.tree_id, {}, {rewind}}));
  return catalog::AppendToBinlogIndex(repo, cluster, records);
}

core::Result<std::vector<BinlogArchiver::FileHead>> BinlogArchiver::ReadHeads(
    const engine::BinlogWriter& writer) {
  HS_ASSIGN_OR_RETURN(auto files, binlogs_.ListFiles(platform_, cluster_, writer));
  std::vector<FileHead> heads;
  for (const auto& info : files) {
    uint64_t probe = kHeaderProbeBytes;
    while (true) {
      HS_ASSIGN_OR_RETURN(std::string head,
                          binlogs_.ReadFile(platform_, cluster_, writer, info.name, 0, probe));
      auto header = binlogs_.ReadHeader(head);
      if (!header.ok()) {
        return header.TakeStatus().Wrap("read the header of binlog '" + info.name + "' on '" +
                                        writer.instance.name + "'");
      }
      if (header->has_value()) {
        heads.push_back(FileHead{info, **header});
        break;
      }
      if (head.size() < probe) {
        break;  // being created: the next cycle reads it
      }
      probe *= 2;
    }
  }
  return heads;
}

core::Result<std::optional<BinlogPieceBytes>> BinlogArchiver::NextPiece(
    const engine::BinlogWriter& writer, const FileHead& head,
    const catalog::ArchivedBinlogFile* archived, BinlogCycleResult* result) {
  const uint64_t start = archived == nullptr ? 0 : archived->End();
  if (start >= head.info.size) {
    return std::optional<BinlogPieceBytes>();
  }
  const uint64_t scan_from = std::max(start, head.header.header_end);
  uint64_t read = options_.read_bytes;
  std::string bytes;
  engine::BinlogRun run;
  while (true) {
    HS_ASSIGN_OR_RETURN(
        bytes, binlogs_.ReadFile(platform_, cluster_, writer, head.info.name, start, read));
    if (bytes.size() < scan_from - start) {
      return core::Status(core::ErrorCode::kUnreachable,
                          "binlog '" + head.info.name + "' on '" + writer.instance.name +
                              "' is shorter than its header",
                          "the server may have purged it; the next cycle lists the files again");
    }
    // The file is named: a damaged binlog stops the archive at that file every run, loudly
    // (Percona's collector stopped silently, percona-xtradb-cluster-operator #1423).
    auto scanned =
        binlogs_.ScanRun(std::string_view(bytes).substr(scan_from - start), scan_from, head.header);
    if (!scanned.ok()) {
      core::Status damaged = scanned.TakeStatus();
      return damaged.Wrap("binlog '" + head.info.name + "' of '" + writer.instance.name + "'");
    }
    run = std::move(*scanned);
    bool whole_transaction_found = run.complete_end > scan_from || run.sealed;
    bool more_in_file = start + bytes.size() < head.info.size;
    if (whole_transaction_found || !more_in_file || read >= kMaxReadBytes) {
      break;
    }
    read *= 2;  // one transaction is bigger than the read
  }
  if (start + bytes.size() < head.info.size) {
    ++result->files_cut_short;
  }
  const uint64_t end = run.complete_end;
  // The size was listed before the read: a file growing under load is read past it, and then
  // nothing of what was listed is behind (subtracting would wrap around to 2^64).
  const uint64_t archived_to = std::max(start, end);
  if (archived_to < head.info.size) {
    result->bytes_behind += head.info.size - archived_to;
    ++result->files_behind;
  }
  // Nothing whole yet (a file's start holds only its header until the first commit).
  if (end <= start || (start == 0 && run.transactions == 0 && !run.sealed)) {
    return std::optional<BinlogPieceBytes>();
  }
  BinlogPieceBytes piece;
  piece.piece.identity = {writer.instance.name, head.header.server_id, head.header.created,
                          head.info.name};
  piece.piece.start = start;
  piece.piece.end = end;
  piece.piece.transactions = run.transactions;
  piece.piece.first_gtid = run.first_gtid;
  piece.piece.last_gtid = run.last_gtid;
  piece.piece.first_time = run.first_time;
  piece.piece.last_time = run.last_time;
  piece.piece.gtid_list_at_file_start = head.header.gtid_list;
  const std::string& before =
      archived == nullptr ? head.header.gtid_list : archived->pieces.back().gtid_state_after;
  piece.piece.gtid_state_after = binlogs_.AdvanceGtidState(before, run.gtids);
  piece.piece.sealed = run.sealed;
  piece.bytes = bytes.substr(0, end - start);
  return std::optional<BinlogPieceBytes>(std::move(piece));
}

core::Result<StoredBinlogPieces> StoreBinlogPieces(repo::Repository& repo,
                                                   const platform::Cluster& cluster,
                                                   const std::vector<BinlogPieceBytes>& batch,
                                                   const std::string& writer_instance,
                                                   const repo::SnapshotWriterOptions& options) {
  HS_ASSIGN_OR_RETURN(auto snapshot_writer, repo::SnapshotWriter::Open(repo, options));
  const std::string dir = catalog::BinlogPath(cluster);
  nlohmann::json manifest = {{"version", 1}, {"pieces", nlohmann::json::array()}};
  for (const auto& piece : batch) {
    repo::NodeAttributes attributes;
    attributes.permissions = 0600;
    if (piece.piece.last_time > 0) {
      attributes.mtime = repo::LocalTimeFromUnix(piece.piece.last_time, 0);
    }
    core::MemorySource source(core::Bytes(piece.bytes.begin(), piece.bytes.end()));
    auto added = snapshot_writer->AddFile(dir + "/" + piece.piece.PieceName(), source, attributes);
    if (!added.ok()) {
      snapshot_writer->Abort();
      return added.TakeStatus().Wrap("store binlog piece " + piece.piece.PieceName());
    }
    manifest["pieces"].push_back(catalog::PieceToJson(piece.piece));
  }
  std::string manifest_text = manifest.dump(1);
  core::MemorySource manifest_source(core::Bytes(manifest_text.begin(), manifest_text.end()));
  repo::NodeAttributes manifest_attributes;
  manifest_attributes.permissions = 0600;
  auto added = snapshot_writer->AddFile(dir + "/" + catalog::kBinlogManifestName, manifest_source,
                                        manifest_attributes);
  if (!added.ok()) {
    snapshot_writer->Abort();
    return added.TakeStatus().Wrap("store the binlog manifest");
  }
  repo::CommitOptions commit;
  commit.tags = jobs::SnapshotTags(cluster, repo::SnapshotType::kWal, "");
  commit.tags.emplace_back(catalog::kBinlogArchiveTag);
  commit.tags.push_back("binlog_writer=" + writer_instance);
  commit.tags.push_back(std::string(kBinlogPiecesTag) + "=" + std::to_string(batch.size()));
  for (const auto& piece : batch) {
    commit.tags.push_back(BinlogPieceTag(piece.piece));  // prune decides from these
  }
  commit.hostname = cluster.ns + "-" + cluster.name;
  commit.paths = {"/" + dir};
  HS_ASSIGN_OR_RETURN(repo::BackupSummary summary, snapshot_writer->Commit(commit));
  catalog::CommittedBinlog committed{summary.snapshot_id, summary.tree_id, {}, {}};
  for (const auto& piece : batch) {
    committed.pieces.push_back(piece.piece);
  }
  // The pieces count as archived once the index names them: a failure here fails the cycle, and
  // the next one stores the same range again (a retried cycle, which readers list once), rather
  // than leave pieces that status and restores would not see.
  HS_ASSIGN_OR_RETURN(catalog::BinlogIndexRecords records,
                      catalog::CommittedBinlogRecords(repo, cluster, committed));
  HS_TRY(catalog::AppendToBinlogIndex(repo, cluster, records));
  return StoredBinlogPieces{repo::IdToHex(summary.snapshot_id), std::move(records)};
}

bool BinlogArchiver::HasBytesToArchive(const std::vector<FileHead>& heads, size_t i,
                                       const catalog::ArchivedBinlogFile* archived,
                                       const std::string& archived_state) const {
  if (archived != nullptr && archived->Sealed()) {
    return false;
  }
  // A file this archive never saw (the first cycle, a new writer, another Galera node) whose
  // every transaction is archived already: the next file starts from a state the archive holds.
  return !(archived == nullptr && i + 1 < heads.size() && !archived_state.empty() &&
           binlogs_.StateIncludes(archived_state, heads[i + 1].header.gtid_list));
}

core::Result<BinlogResumePoint> BinlogArchiver::ResumePoint() {
  if (!catalog_) {
    return core::Status(core::ErrorCode::kInternal, "ResumePoint before a cycle");
  }
  HS_ASSIGN_OR_RETURN(engine::BinlogWriter writer,
                      binlogs_.FindWriter(platform_, cluster_, catalog_->last_instance()));
  HS_ASSIGN_OR_RETURN(std::vector<FileHead> heads, ReadHeads(writer));
  const std::string archived_state = ArchivedState(*catalog_, binlogs_);
  for (size_t i = 0; i < heads.size(); ++i) {
    catalog::BinlogFileIdentity identity{writer.instance.name, heads[i].header.server_id,
                                         heads[i].header.created, heads[i].info.name};
    const catalog::ArchivedBinlogFile* archived = catalog_->Find(identity);
    if (!HasBytesToArchive(heads, i, archived, archived_state)) {
      continue;
    }
    BinlogResumePoint point{writer, identity, heads[i].header, 0, heads[i].header.gtid_list};
    if (archived != nullptr) {
      point.offset = archived->End();
      point.state_before = archived->pieces.back().gtid_state_after;
    }
    return point;
  }
  return core::Status(core::ErrorCode::kUnreachable,
                      "'" + writer.instance.name + "' lists no binlog file to continue from",
                      "the server may be rotating its binlog; the receiver tries again");
}

core::Result<BinlogCycleResult> BinlogArchiver::RunCycle() {
  // Every cycle sees what others stored meanwhile: another archiver (a leader handover) or a
  // restore's rewind, which changes what the archive reaches.
  HS_TRY(repo_.LoadIndex());
  if (!catalog_) {
    HS_ASSIGN_OR_RETURN(catalog::BinlogCatalog loaded,
                        catalog::BinlogCatalog::Load(repo_, cluster_));
    catalog_ = std::move(loaded);
  } else {
    HS_TRY(catalog_->Refresh(repo_, cluster_));
  }
  HS_ASSIGN_OR_RETURN(engine::BinlogWriter writer,
                      binlogs_.FindWriter(platform_, cluster_, catalog_->last_instance()));
  const auto listed_ns = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(options_.clock->Now().time_since_epoch())
          .count());
  HS_ASSIGN_OR_RETURN(std::vector<FileHead> heads, ReadHeads(writer));
  // Tests hold the cycle here while the server writes on (the listed sizes fall behind the files).
  core::Failpoint("binlog-archive-listed");
  const std::string archived_state = ArchivedState(*catalog_, binlogs_);
  // Ordered after every piece and rewind the catalog holds, whatever this host's clock says.
  const uint64_t now_ns = catalog_->NextStampNs(static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(options_.clock->Now().time_since_epoch())
          .count()));
  BinlogCycleResult result;
  result.writer = writer.instance.name;
  result.listed_at_ns = listed_ns;
  std::vector<BinlogPieceBytes> batch;
  for (size_t i = 0; i < heads.size(); ++i) {
    catalog::BinlogFileIdentity identity{writer.instance.name, heads[i].header.server_id,
                                         heads[i].header.created, heads[i].info.name};
    const catalog::ArchivedBinlogFile* archived = catalog_->Find(identity);
    if (!HasBytesToArchive(heads, i, archived, archived_state)) {
      continue;
    }
    HS_ASSIGN_OR_RETURN(auto piece, NextPiece(writer, heads[i], archived, &result));
    if (piece) {
      piece->piece.archived_at_ns = now_ns + batch.size();  // distinct, ordered within the cycle
      batch.push_back(std::move(*piece));
    }
  }
  if (!batch.empty()) {
    repo::SnapshotWriterOptions writer_options;
    writer_options.compression = options_.compression;
    writer_options.clock = options_.clock;
    HS_ASSIGN_OR_RETURN(
        StoredBinlogPieces stored,
        StoreBinlogPieces(repo_, cluster_, batch, writer.instance.name, writer_options));
    result.snapshot_id = stored.snapshot_id;
    for (const auto& piece : batch) {
      result.bytes += piece.bytes.size();
      result.transactions += piece.piece.transactions;
    }
    result.pieces = batch.size();
    catalog_->AddRecords(stored.records);
  }
  result.archived_state = ArchivedState(*catalog_, binlogs_);
  for (const auto& [key, file] : catalog_->files()) {
    for (const auto& piece : file.pieces) {
      result.last_transaction_time = std::max(result.last_transaction_time, piece.last_time);
    }
  }
  return result;
}

}  // namespace hasteward::pitr
