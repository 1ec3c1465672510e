// pitr/wal/wal_archive: the server's archive_command and restore_command. wal-push stores a file
// the server finished (and the others it has already queued) as one type=wal snapshot; wal-fetch
// gives one back and prefetches the next segments.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/fd.h"
#include "core/status.h"
#include "engine/archiving.h"
#include "platform/platform.h"
#include "repo/backup/chunk_buffer_pool.h"
#include "repo/compress/zstd_codec.h"
#include "repo/repository.h"

namespace hasteward::pitr {

struct WalPushOptions {
  // Files in one snapshot at most: the requested one plus up to limit-1 the server has queued.
  size_t batch_limit = 64;
  repo::CompressionOptions compression;
  const core::Clock* clock = &core::SystemClock::Get();
  // Chunk buffers kept from one push to the next (the agent keeps one pool for its lifetime);
  // null: each push maps its own.
  std::shared_ptr<repo::ChunkBufferPool> chunk_buffers;
};

// A pool for WalPushOptions::chunk_buffers sized for pushes of whole segments: every buffer a
// segment's blobs pass through stays mapped from one push to the next.
std::shared_ptr<repo::ChunkBufferPool> NewWalChunkBufferPool();

struct WalPushResult {
  size_t stored = 0;              // files written into the new snapshot (0: already archived)
  bool already_archived = false;  // the requested file was archived before, with the same bytes
  std::string snapshot_id;        // hex, when a snapshot was written
};

// Archives the file at `path` (the server's %p). Returns only once the file is durable in the
// repository (its snapshot committed), or was archived before with identical bytes. A file
// archived before with other bytes is kSafetyStop and nothing is written: an archive is never
// overwritten, history files included. Queued files (Archiving::QueuedFiles) not yet archived
// join the snapshot, so the server's later calls for them find them archived; they are never
// acknowledged here. Errors leave no snapshot (the server retries).
core::Result<WalPushResult> PushWal(repo::Repository& repo, const platform::Cluster& cluster,
                                    const engine::Archiving& archiving, const std::string& path,
                                    const WalPushOptions& options);

// A file handed over open: the archive agent (pitr/wal/wal_agent.h) receives descriptors from
// wal-push, never paths it would have to trust.
struct OpenWalFile {
  std::string name;  // the server's %f: a WAL segment or history file name
  core::UniqueFd fd;
};

// PushWal for files already open: `requested` is archived (same contract as PushWal); `queued`
// are the files the server has queued, stored in the same snapshot when not archived yet.
core::Result<WalPushResult> PushOpenWal(repo::Repository& repo, const platform::Cluster& cluster,
                                        const engine::Archiving& archiving, OpenWalFile requested,
                                        std::vector<OpenWalFile> queued,
                                        const WalPushOptions& options);

struct WalFetchOptions {
  size_t prefetch = 8;  // following segments fetched ahead into the prefetch directory
  int threads = 4;
};

struct WalFetchResult {
  bool from_prefetch = false;  // served from an earlier call's prefetch, without the repository
  bool from_ahead = false;     // the agent had already written it into its fill-ahead file
  // Not whole in the archive: the part a synchronous receiver stored, zero-filled.
  bool from_stream = false;
  size_t prefetched = 0;
};

// The part of segment `file` a synchronous WAL receiver stored and the archive does not hold
// whole (catalog/wal/wal_stream_store.h), zero-filled to the segment's size as PostgreSQL leaves
// a partial segment: replay ends at its first empty page. nullopt when no piece holds its start.
// Errors: storage, and kCorruption for pieces that disagree or are not this cluster's.
core::Result<std::optional<core::Bytes>> StreamedSegmentBytes(repo::Repository& repo,
                                                              const platform::Cluster& cluster,
                                                              const engine::Archiving& archiving,
                                                              const engine::ArchiveFile& file);

using RepositoryOpener = std::function<core::Result<std::unique_ptr<repo::Repository>>()>;

// Writes the archived file `name` to `destination` (the server's %f and %p): from the prefetch
// directory when an earlier call fetched it ahead, else from the repository (opened only then),
// followed by the next `prefetch` archived segments of its timeline. kNotFound when it is not
// archived: the server then ends recovery (or looks in its own pg_wal).
core::Result<WalFetchResult> FetchWal(const RepositoryOpener& open_repository,
                                      const platform::Cluster& cluster,
                                      const engine::Archiving& archiving, const std::string& name,
                                      const std::string& destination,
                                      const WalFetchOptions& options);

}  // namespace hasteward::pitr
