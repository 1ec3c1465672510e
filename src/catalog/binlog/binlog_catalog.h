// catalog/binlog/binlog_catalog: what a MariaDB cluster's binlog archive holds, read from its
// type=wal snapshots. Each snapshot holds pieces — runs of whole transactions cut from one binlog
// file — and a manifest naming, per piece, the file's identity (instance, server id, creation time,
// file name: a server whose numbering started again, or another Galera node, never collides), the
// byte range, the GTID range, the time span and the GTID state after it. Concatenating one file's
// pieces in order gives that file's bytes from its start (`restic dump` + `cat` rebuilds it).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/status.h"
#include "platform/platform.h"
#include "repo/repository.h"

namespace hasteward::catalog {

// "<ns>/<cluster>/binlog": the directory of pieces and the manifest in every binlog snapshot.
std::string BinlogPath(const platform::Cluster& cluster);
constexpr const char* kBinlogManifestName = "manifest.json";
// The tag every binlog snapshot carries beside type=wal (PostgreSQL's WAL snapshots have none).
constexpr const char* kBinlogArchiveTag = "archive=binlog";

// Which file a piece was cut from.
struct BinlogFileIdentity {
  std::string instance;  // the instance it was read from
  uint32_t server_id = 0;
  uint32_t created = 0;  // the file's format description timestamp
  std::string file;      // "mariadb-bin.000003"
  // "<instance>.<server_id>.<created>.<file>": the key pieces of one file share.
  std::string Key() const;
  bool operator<(const BinlogFileIdentity& other) const { return Key() < other.Key(); }
};

struct BinlogPiece {
  BinlogFileIdentity identity;
  uint64_t start = 0;  // file offsets [start, end)
  uint64_t end = 0;
  size_t transactions = 0;
  std::string first_gtid;  // empty when the piece holds only the file's header / end
  std::string last_gtid;
  uint32_t first_time = 0;
  uint32_t last_time = 0;
  std::string gtid_list_at_file_start;  // the state before the file's first transaction
  std::string gtid_state_after;         // the state after the piece's last transaction
  bool sealed = false;                  // the piece ends the file
  uint64_t archived_at_ns = 0;          // when the archiver stored it
  // The piece's file name in the snapshot: "<key>.<start>-<end>" with 16-digit offsets, so a
  // listing sorts pieces of one file by offset.
  std::string PieceName() const;
};

// The native base backup a restore brought back, as its rewind records it.
struct BinlogRestoredBase {
  std::string snapshot;       // the snapshot's full ID (hex)
  int64_t taken_unix = 0;     // the snapshot's time (unix seconds)
  std::string gtid_position;  // its GTID position
};

// A restore moved the cluster back to `state` at `at_ns`: transactions archived before then beyond
// that state belong to the abandoned future (the restored cluster writes the same GTIDs again with
// other content) and are never replayed or counted again.
struct BinlogRewind {
  uint64_t at_ns = 0;
  std::string state;
  // A restore to a time target: the source was at `state` at this time (unix seconds, the source's
  // clock), proven by its plan from an archived transaction committed after it. That transaction
  // is the abandoned future once the rewind is recorded, so a rerun of the same restore (killed
  // after the record) has it from here.
  std::optional<int64_t> reached_at_unix;
  // The base the restore brought back (none in rewinds recorded before restores named it): that
  // base, and the archived transactions of its history up to its position, are live again even
  // where an earlier rewind had abandoned them (binlog_chain.h, BaseAbandoned).
  std::optional<BinlogRestoredBase> base;
};

nlohmann::json PieceToJson(const BinlogPiece& piece);
nlohmann::json RewindToJson(const BinlogRewind& rewind);
core::Result<BinlogPiece> PieceFromJson(const nlohmann::json& json);
// kCorruption when a field is missing or mistyped.
core::Result<BinlogRewind> RewindFromJson(const nlohmann::json& json);

// One archived file: its pieces in offset order.
struct ArchivedBinlogFile {
  BinlogFileIdentity identity;
  std::vector<BinlogPiece> pieces;
  // Where the archive of this file ends (0 when nothing is archived).
  uint64_t End() const { return pieces.empty() ? 0 : pieces.back().end; }
  bool Sealed() const { return !pieces.empty() && pieces.back().sealed; }
};

struct BinlogIndexRecords;

// The records of the cluster's binlog snapshots (type=wal, tagged archive=binlog) whose IDs are
// not in `seen`, which then holds them: each manifest's pieces with their stored files, and its
// rewinds. The pack index must be loaded. kCorruption when a manifest cannot be read or lists a
// piece its snapshot does not hold: the archive's continuity would be unknown.
core::Result<BinlogIndexRecords> ScanBinlogSnapshots(repo::Repository& repo,
                                                     const platform::Cluster& cluster,
                                                     std::set<std::string>* seen);

class BinlogCatalog {
 public:
  // What the cluster's binlog archive holds, from its binlog piece index (binlog_index.h), which
  // is built from the snapshots first when missing and rebuilt when damaged or naming a snapshot
  // that is gone; from the snapshots alone when the index cannot be written (REST, read-only
  // credentials). The pack index must be loaded. A piece in several snapshots (a retried cycle)
  // is listed once. Errors: storage and corruption errors of the repository.
  static core::Result<BinlogCatalog> Load(repo::Repository& repo, const platform::Cluster& cluster);
  // Reads every binlog snapshot's manifest (ScanBinlogSnapshots): the index's rebuild, and what
  // the index must always answer like.
  static core::Result<BinlogCatalog> LoadFromSnapshots(repo::Repository& repo,
                                                       const platform::Cluster& cluster);
  // Adds what was stored since Load or the last Refresh (by another archiver, or a restore's
  // rewind): the index files not read yet, or the snapshots not read yet when the catalog came
  // from them. The caller loads the pack index again first. Errors as Load.
  core::Status Refresh(repo::Repository& repo, const platform::Cluster& cluster);
  // Adds the records (pieces with their stored files, rewinds); what the catalog holds already
  // is ignored.
  void AddRecords(const BinlogIndexRecords& records);

  // Adds pieces just stored (the archiver keeps its catalog between cycles).
  void Add(const std::vector<BinlogPiece>& pieces);

  const ArchivedBinlogFile* Find(const BinlogFileIdentity& identity) const;
  const std::map<std::string, ArchivedBinlogFile>& files() const { return files_; }
  size_t snapshots() const { return seen_snapshots_.size(); }
  // The instance of the most recently archived piece ("" when empty): the archive follows it
  // while it can.
  const std::string& last_instance() const { return last_instance_; }
  // The GTID states after every archived piece (the caller merges them with the engine's rules).
  std::vector<std::string> States() const;
  void AddRewind(const BinlogRewind& rewind) { rewinds_.push_back(rewind); }
  const std::vector<BinlogRewind>& rewinds() const { return rewinds_; }
  // When the newest piece was stored (0 when empty): the archive was current then.
  uint64_t last_archived_at_ns() const { return last_archived_at_ns_; }
  // The time to stamp what is stored next (a piece, a rewind): `now_ns`, or just after the newest
  // piece or rewind the catalog holds when this host's clock is behind the host that stored it.
  // What was stored after another record saw it is then always newer, whichever clocks are
  // skewed: a rewind orders after every piece it abandons, and the pieces of the history after
  // it order after the rewind.
  uint64_t NextStampNs(uint64_t now_ns) const;
  // The stored file of a piece listed by Load (nullptr for pieces only added by Add).
  const repo::Node* NodeOf(const BinlogPiece& piece) const;
  // Adds a piece the binlog receiver streamed, with its bytes (binlog_stream_store.h): no
  // snapshot holds it yet.
  void AddStreamed(const BinlogPiece& piece, std::string bytes);
  // The bytes of a piece added by AddStreamed (nullptr for any other).
  const std::string* StreamedBytesOf(const BinlogPiece& piece) const;

 private:
  std::map<std::string, ArchivedBinlogFile> files_;  // by identity key
  std::map<std::string, repo::Node> nodes_;          // by piece name
  std::map<std::string, std::string> streamed_;      // by piece name: AddStreamed's bytes
  std::vector<BinlogRewind> rewinds_;
  std::set<std::string> seen_snapshots_;  // ids of the snapshots whose records are held
  std::set<std::pair<std::string, uint64_t>> seen_rewinds_;  // (snapshot id, at_ns)
  bool from_index_ = false;                                  // else from the snapshots
  std::set<std::string> read_index_files_;                   // names, when from the index
  std::string last_instance_;
  uint64_t last_archived_at_ns_ = 0;
};

}  // namespace hasteward::catalog
