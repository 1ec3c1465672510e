// pitr/wal/wal_receiver: `hasteward wal-receive`, the synchronous WAL receiver of a PostgreSQL
// cluster (docs/pitr.md, "Recovery point zero"). It streams the primary's WAL over a replication
// connection (engine/wal_stream.h) and stores it in the repository; the flush position it reports
// to the primary is only ever what the repository holds. With synchronous_standby_names naming it
// (archive enable --sync), the primary acknowledges a commit only once its WAL is stored, so a
// lost site loses no acknowledged commit.
//
// One loop, one step per line:
//   receive       every message the server has sent, without waiting once one arrived (the
//                 commits that waited together are stored together: group commit);
//   store         the bytes received since the last store as one piece per segment
//                 (catalog/wal/wal_stream_store.h): one repository write acknowledges them all;
//   report        received = flushed = the stored end, to the primary;
//   consolidate   (a thread of its own) a segment that became whole is archived as the ordinary
//                 WAL snapshot wal-push writes, then its pieces are removed; a segment with many
//                 pieces has them merged into one.
// Timeline ends (a promotion on the server) store the next timeline's history file and go on.
// A restart resumes from the stored pieces (the slot keeps the WAL the receiver has not
// confirmed). A repository outage stops the reading (the slot keeps the WAL) and retries the
// store; after `fallback_after` the primary stops waiting for the receiver, until it caught up.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "core/status.h"
#include "engine/cluster_handle.h"
#include "engine/wal_stream.h"
#include "pitr/wal/wal_archive.h"
#include "repo/repository.h"

namespace hasteward::pitr {

struct WalReceiverOptions {
  // How long one wait for the server lasts; the server's keepalives and the stop check happen at
  // least this often.
  std::chrono::milliseconds wait{200};
  // A status update at least this often while idle (the server's wal_sender_timeout is 60 s).
  std::chrono::milliseconds status_interval{10000};
  // A segment's pieces are merged once this many were written since the last merge.
  size_t merge_after = 64;
  // When the repository refuses stores this long, the primary stops waiting for the receiver
  // (engine::WalStreamSource::FallBack: commits go on asynchronously, an alert is logged and
  // counted) until the receiver caught up again; zero: never (commits wait for the repository).
  std::chrono::milliseconds fallback_after{10000};
  // How often a store is tried again during an outage.
  std::chrono::milliseconds outage_retry{1000};
  WalPushOptions push;
  // Polled between waits: true ends Run with OK.
  std::function<bool()> stop;
  // Called after each store with the durable position (status file, metrics, tests).
  std::function<void(const struct WalReceiverProgress&)> progress;
};

struct WalReceiverProgress {
  std::string primary;  // the instance streamed from
  std::string system_id;
  uint32_t timeline = 0;
  uint64_t received = 0;  // positions
  uint64_t durable = 0;
  uint64_t pieces_written = 0;
  uint64_t segments_archived = 0;
  uint64_t store_micros = 0;  // the last store's duration
  // False while the receiver's fallback has the primary commit without waiting for it.
  bool synchronous = true;
  uint64_t fallbacks = 0;        // times it fell back
  bool repository_down = false;  // stores fail now
};

// Streams from the cluster's primary (the one writable instance triage finds) until `stop`, a
// lost connection (kUnreachable, retryable: the caller reconnects) or an error that needs a
// person. Nothing is acknowledged that is not stored.
core::Status RunWalReceiver(repo::Repository& repo, const engine::ClusterHandle& target,
                            const WalReceiverOptions& options);

// The same on an open source (`primary` names it in messages): what RunWalReceiver runs once it
// connected, and what tests drive with a scripted source.
core::Status RunWalReceiverOn(repo::Repository& repo, const platform::Cluster& cluster,
                              const engine::Archiving& archiving, engine::WalStreamSource& source,
                              const std::string& primary, const WalReceiverOptions& options);

}  // namespace hasteward::pitr
