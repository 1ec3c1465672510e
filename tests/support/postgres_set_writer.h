// A client that inserts unique ids into a PostgreSQL cluster through a switchover or failover
// (the "set test"): one thread, one insert per transaction, reconnecting to whichever instance
// accepts writes after an error. Only ids whose COMMIT returned success count as acknowledged; an
// id whose insert failed is never retried (its fate is unknown), so a duplicate in the table is a
// real fault, not the writer's. Check() then compares the acknowledged ids with the table on one
// instance: lost = acknowledged but absent, duplicates = ids present more than once.
//
//   auto writer = PostgresSetWriter::Start({.cluster = cluster});
//   ... switchover ...
//   (*writer)->Stop();
//   auto outcome = (*writer)->Check(new_primary_ordinal);   // expect lost == 0, duplicates == 0
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/status.h"
#include "platform/cluster.h"

namespace hasteward::testing {

class PostgresSetWriter {
 public:
  struct Options {
    platform::Cluster cluster;
    std::string table = "hasteward_set";  // (re)created in database "postgres", no unique key
    // "on": a commit is acknowledged once the synchronous standbys (synchronous_standby_names of
    // the primary) have flushed it; "off" (the sandbox default): once the primary has it in memory.
    std::string synchronous_commit = "off";
    // Connect as the partition observer (support/partition_network.h): no network cut reaches
    // the writer, so it keeps writing to whichever instance accepts, on every side of a partition.
    bool as_observer = false;
  };
  struct Outcome {
    size_t acknowledged = 0;
    size_t present = 0;     // distinct ids in the table
    size_t lost = 0;        // acknowledged, not in the table
    size_t duplicates = 0;  // ids in the table more than once
    std::string first_lost;
  };

  // Creates the table on the current primary and starts writing.
  static core::Result<std::unique_ptr<PostgresSetWriter>> Start(const Options& options);
  ~PostgresSetWriter();
  PostgresSetWriter(const PostgresSetWriter&) = delete;
  PostgresSetWriter& operator=(const PostgresSetWriter&) = delete;

  // Stops the thread (idempotent).
  void Stop();
  size_t acknowledged() const;
  // The longest time between two acknowledged inserts (the write outage).
  std::chrono::milliseconds longest_gap() const;
  // Blocks until `count` more inserts were acknowledged than now, or `timeout`; false on timeout.
  bool WaitForMore(size_t count, std::chrono::milliseconds timeout) const;
  // Compares the acknowledged ids with the table on instance `ordinal`. Call after Stop().
  core::Result<Outcome> Check(int ordinal) const;
  // The same on instance `ordinal` of another cluster (a DR site's, restored from the repository).
  core::Result<Outcome> CheckOn(const platform::Cluster& cluster, int ordinal) const;

 private:
  explicit PostgresSetWriter(Options options) : options_(std::move(options)) {}
  void Loop();

  Options options_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  mutable std::mutex mu_;
  std::vector<int64_t> acked_;
  std::chrono::milliseconds longest_gap_{0};
};

}  // namespace hasteward::testing
