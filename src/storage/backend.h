// storage: where repository files live. One small interface (Backend) that every driver implements
// — local filesystem, S3, restic's REST server — plus decorators for cross-cutting behaviour
// (retry, concurrency limits, request counting) and a registry that opens a backend from a location
// string
// ("/path", "local:/path", "s3:http://host/bucket/prefix", "rest:http://host/path"). It knows file
// types and names but nothing about their content (no crypto, no packs); it depends only on core.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/byte_stream.h"
#include "core/status.h"
#include "storage/object_lock.h"

namespace hasteward::storage {

// The restic repository's object kinds. The backend maps them to paths (config, keys/<id>,
// data/<id[0:2]>/<id>, index/<id>, snapshots/<id>, locks/<id>). One kind is HASteward's own:
// kStandbyCursor, a DR standby's retention floor (hasteward/standby-cursors/<standby>.json,
// docs/standby.md), beside restic's layout where stock restic never looks (it lists only its own
// directories, so `restic check` passes with cursors present). kArchiveIndex is the other: the
// index of a cluster's archived WAL (hasteward/archive-index/<name>, docs/pitr.md), kept beside the
// snapshots it summarises so wal-push, wal-fetch and status need not read them all; its merged
// buckets live apart in kArchiveBucket (hasteward/archive-buckets/<name>), so listing the index's
// summaries and deltas does not list one file per 256 segments. kWalStream holds the pieces a
// synchronous WAL receiver made durable before the segment they belong to was whole
// (hasteward/wal-stream/<name>, docs/pitr.md "Recovery point zero"): a few per segment, removed
// once the whole segment is archived.
enum class FileType {
  kConfig,
  kKey,
  kSnapshot,
  kIndex,
  kPack,
  kLock,
  kStandbyCursor,
  kArchiveIndex,
  kArchiveBucket,
  kWalStream
};

const char* FileTypeDir(FileType t);  // "data", "keys", ... ("" for config)

// Object kinds written under retention when the repository has a lock period: the ones restic's
// data lives in and that nothing but prune (or `repo key passwd`) deletes. Locks stay removable
// (every command removes its own); index files are derived from the packs (restic `rebuild-index`
// rebuilds them) and are rewritten by every prune, so locking them would hold off every prune
// for the lock period after the newest backup; HASteward's own files are rewritten in place.
bool IsRetainedType(FileType t);

// Whether `name` is a valid object name for type `t`: 64 lowercase hex chars for restic's kinds,
// `<standby>.json` (lowercase letters, digits, '-' and '.', at most 63 before ".json") for
// kStandbyCursor, `<stem>.idx` (lowercase letters, digits and '-', not starting with '-', at most
// 128 characters in all) for kArchiveIndex and kArchiveBucket, and the same stem ending in
// `.piece` for kWalStream. Listings skip other names (temp files of interrupted writes).
bool IsValidName(FileType t, const std::string& name);

struct Handle {
  FileType type = FileType::kConfig;
  std::string name;  // 64 lowercase hex chars (see IsValidName); ignored for kConfig
};

struct FileInfo {
  std::string name;
  uint64_t size = 0;
};

// Counters of requests by kind, reported at the end of a command (`--json` too).
struct RequestCounts {
  uint64_t save = 0, load = 0, stat = 0, list = 0, remove = 0, retries = 0;
  uint64_t bytes_written = 0, bytes_read = 0;
};

// The hint of a delete the storage refused for lack of rights (docs/append-only.md).
inline constexpr char kDeleteRefusedHint[] =
    "these credentials are append-only (they may add files but not delete them): run prune (or "
    "another command that deletes) where the repository is writable with delete rights "
    "(docs/append-only.md)";

// The status of a delete the storage refused for lack of rights: restic's rest-server in
// --append-only mode and S3 to a user without s3:DeleteObject answer 403; a local directory
// answers EPERM/EACCES. kStorage (exit 14, which covers permissions), never retryable, with
// kDeleteRefusedHint. `what` names the request ("DELETE 'snapshots/ab12…' in '…': HTTP 403").
core::Status DeleteRefused(const std::string& what);
// True for a status DeleteRefused made (also after Wrap).
bool IsDeleteRefused(const core::Status& status);

// The driver contract. Every method is thread-safe: the repository calls them from worker threads.
// Errors: a missing object is ErrorCode::kNotFound; other failures are kStorage with retryable()
// set when retrying may help (timeouts, resets, 5xx) and clear when it cannot (ENOSPC, 403).
class Backend {
 public:
  virtual ~Backend() = default;

  // Human-readable location ("/srv/repo", "s3:http://127.0.0.1:7480/bucket/p").
  virtual std::string Location() const = 0;

  // Creates the repository's directory skeleton (idempotent). Called by `repo init` only.
  virtual core::Status Create() = 0;

  // Stores the whole object atomically and durably: after Save returns ok the object is complete
  // and survives a crash; after a failure (or a crash during Save) the object is absent, never
  // partial. Saving an existing name replaces it (names are content hashes, so the content is
  // equal).
  virtual core::Status Save(const Handle& h, core::ByteView data) = 0;

  // Reads `length` bytes from `offset` (length 0 = to the end) into `out` (replacing its content).
  // A short object is an error (kCorruption-free: kStorage), never a silently short buffer.
  virtual core::Status Load(const Handle& h, uint64_t offset, uint64_t length,
                            core::Bytes* out) = 0;

  virtual core::Result<FileInfo> Stat(const Handle& h) = 0;

  // Calls fn for every object of the type, in no particular order; stops at the first error fn
  // returns. A listing failure is an error, never an empty list.
  virtual core::Status List(FileType t, const std::function<core::Status(const FileInfo&)>& fn) = 0;

  // Removes the object; removing a missing object is ok (idempotent). A delete the storage
  // refuses for lack of rights (append-only credentials) is DeleteRefused, also for a missing
  // object: both servers judge the rights before they look for the object (delete_probe.h).
  virtual core::Status Remove(const Handle& h) = 0;

  // How many requests the backend serves well in parallel (local: many, S3: a few per core).
  virtual int Connections() const { return 4; }

  // True when a List that starts after a Save has returned always includes that object. Lockers
  // then need no settle delay between writing their lock and checking for rivals: of two
  // processes that write-then-list, the later lister always sees the earlier writer. Stores that
  // do not promise it (some S3-compatible servers) keep the delay.
  virtual bool ListSeesCompletedWrites() const { return false; }

  virtual RequestCounts Counts() const { return {}; }

  // The store's object-lock capability (object_lock.h); nullptr when it has none (local, REST).
  // Decorators forward their inner backend's. Owned by the backend.
  virtual ObjectLock* ObjectLocking() { return nullptr; }
};

}  // namespace hasteward::storage
