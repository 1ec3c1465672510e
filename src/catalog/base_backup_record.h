// catalog: the catalogue of backups — what the repository records about each base backup, read
// and written in one place. A native backup's facts (positions, timeline history or GTID state,
// system identifier, server version, checksum state, block size, parent, how it read) are stored
// as "key=value" snapshot tags; this layer encodes a typed BaseBackupRecord to those tags and
// decodes it back, including tags written by earlier releases and list values that restic split
// at their commas. Kinds differ in their positions: catalog/postgres (WAL positions, timeline
// histories) and catalog/mariadb (GTID lists) hold them; callers use the front-door headers
// catalog/base_backup_record.h and catalog/positions.h. Depends on repo, engine (front doors),
// platform and core; never on jobs or above.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "catalog/positions.h"
#include "core/status.h"
#include "engine/archiving.h"
#include "platform/platform.h"
#include "repo/snapshot/snapshot.h"

namespace hasteward::catalog {

// How a native backup read the data directory ("read" tag): everything, or only what changed
// since its parent. kUnrecorded: a backup that always reads everything (no "read" tag).
enum class ReadMode { kUnrecorded, kFull, kIncremental };
const char* ReadModeName(ReadMode mode);  // "", "full", "incremental"

// How an incremental backup proved its parent an ancestor of the data it read ("parent_proof"
// tag). kUnrecorded: a backup that proved nothing — every incremental of a release before the
// proof, whose parent may lie on another history (verify/incremental_audit names them).
// kWal: the parent's stored WAL at its start was read back from the live server, byte for byte.
enum class ParentProof { kUnrecorded, kWal };
const char* ParentProofName(ParentProof proof);  // "", "wal"

// One base backup as the repository records it. Facts without a typed field are kept in
// `other`, so a record decoded from newer tags encodes them back unchanged.
struct BaseBackupRecord {
  // The snapshot's identity (tags engine=, namespace=, cluster=, type=; written for every
  // snapshot type by jobs::SnapshotTags, so decoded here but not encoded).
  std::optional<platform::EngineKind> engine;
  std::string ns;
  std::string cluster;
  std::string type;
  std::string job;
  repo::GoTime time;            // the snapshot's time (the job's start), from the snapshot
  bool native = false;          // method=native
  std::string source_instance;  // the instance it was read from
  // PostgreSQL: where the backup started and stopped, on `timeline`.
  std::optional<uint32_t> timeline;
  std::optional<uint64_t> start_lsn;
  std::optional<uint64_t> stop_lsn;
  std::vector<engine::TimelineBranch> timeline_history;  // the timeline's ancestors, oldest first
  std::string system_identifier;
  // MariaDB / Galera: the GTID state the backup holds.
  std::optional<std::string> gtid_position;
  std::optional<std::string> gtid_slave_pos;
  // The server's version, under the key its engine writes: "pg_version" ("15") or
  // "mariadb_version" ("10.11"); both empty when not recorded.
  std::string server_version;
  std::string version_key;
  std::optional<bool> data_checksums;  // PostgreSQL's data_checksums, "on"/"off"
  // How it read (incremental-capable backups).
  std::optional<uint64_t> block_size;  // the data-file block size a child must share
  ReadMode read = ReadMode::kUnrecorded;
  std::string reason;  // why everything was read (read=full)
  std::string parent;  // the parent snapshot's hex ID (read=incremental)
  ParentProof parent_proof = ParentProof::kUnrecorded;
  std::optional<uint64_t> incremental_run;  // incremental reads in a row this backup ends
  std::optional<uint64_t> bytes_read;       // of data files
  std::optional<uint64_t> wal_bytes_read;   // of WAL, to find the changed blocks
  std::optional<uint64_t> changed_blocks;
  std::map<std::string, std::string> other;  // every other key=value fact, as written

  // The start and stop as typed WAL positions; nullopt when the timeline or the LSN is missing.
  std::optional<WalPosition> start() const;
  std::optional<WalPosition> stop() const;
};

// Every "key=value" tag as a map, with list values that were split at their commas (GTID lists,
// the timeline history) joined back. The one parser of snapshot tags into facts.
std::map<std::string, std::string> TagFacts(const std::vector<std::string>& tags);

// The record of a facts map (the engine's metadata, or TagFacts). kCorruption naming the fact
// that does not parse, with a hint.
core::Result<BaseBackupRecord> RecordOfFacts(const std::map<std::string, std::string>& facts);
// The record a snapshot's tags hold (TagFacts, then RecordOfFacts), with its time.
core::Result<BaseBackupRecord> DecodeBaseBackup(const repo::Snapshot& snapshot);

// The facts of a record as the engine reads them (the inverse of RecordOfFacts, without the
// identity tags).
std::map<std::string, std::string> FactsOf(const BaseBackupRecord& record);
// The tags that store the record: method=native when native, then every fact as "key=value",
// in key order. The repository's writer splits them at commas like restic; DecodeBaseBackup
// joins them again.
std::vector<std::string> EncodeTags(const BaseBackupRecord& record);

// Whether a snapshot holds a native backup (tag method=native).
bool IsNativeBackup(const repo::Snapshot& snapshot);
bool IsNativeBackup(const std::vector<std::string>& tags);

// The newest timeline the snapshots of PostgreSQL system `system` record, their own or one of
// their history: a restore of that system starts its new history above it, so no two recorded
// histories share a timeline. 0 when none (or `system` is empty).
uint32_t NewestRecordedTimeline(const std::vector<repo::Snapshot>& snapshots,
                                const std::string& system);

}  // namespace hasteward::catalog
