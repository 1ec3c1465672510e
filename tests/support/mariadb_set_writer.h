// A client that writes a set of unique ids into a MariaDB replication cluster from its own thread
// while the test changes the primary (the set test of a switchover or failover). One autocommit
// INSERT per id; an id counts as acknowledged only when its INSERT returned success. On any error
// it moves on to the next instance (a read-only one refuses, a dead one does not answer) and
// writes the next id — never the same id twice, so an id present twice afterwards was duplicated
// by the cluster, not by a client retry. Afterwards: every acknowledged id must be on the new
// primary (lost = 0) and none twice.
//
//   MariadbSetWriter writer({.endpoints = {{"127.0.0.1", 3306}, ...}, .user = "app", ...});
//   writer.Start();
//   ... switchover ...
//   writer.Stop();
#pragma once

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/status.h"

namespace hasteward::testing {

class MariadbSetWriter {
 public:
  struct Options {
    std::vector<std::pair<std::string, int>> endpoints;  // host, port of every instance
    std::string user;
    std::string password;
    std::string table;  // "db.t" with columns (seq AUTO_INCREMENT PRIMARY KEY, id BIGINT)
    std::chrono::milliseconds retry_pause{20};
    // Pause after each acknowledged INSERT: a steady load instead of one CPU's worth (0 = none).
    std::chrono::milliseconds pace{0};
    // Ask @@global.read_only before every write and move on while it is ON, as an application
    // behind a proxy that routes writes by read_only does: an account that bypasses read_only
    // would otherwise write on a replica.
    bool writable_only = false;
    // Ask @@global.read_only only when (re)connecting, as a connection pool behind a proxy that
    // routes new connections by read_only does: it keeps writing on a connection until an error
    // ends it (an account that bypasses read_only then writes on a fenced primary).
    bool writable_on_connect = false;
    // Connect as the partition observer (support/partition_network.h): no network cut reaches
    // the writer, so it keeps writing to whichever instance accepts, on every side of a partition.
    bool as_observer = false;
  };

  explicit MariadbSetWriter(Options options) : options_(std::move(options)) {}
  ~MariadbSetWriter() { Stop(); }
  MariadbSetWriter(const MariadbSetWriter&) = delete;
  MariadbSetWriter& operator=(const MariadbSetWriter&) = delete;

  // Starts the writer thread on endpoints[0].
  void Start();
  // Stops and joins the thread. Idempotent.
  void Stop();

  // Ids whose INSERT returned success (a copy; safe while running).
  std::set<long> acknowledged() const;
  long attempts() const { return attempts_.load(); }
  long failures() const { return failures_.load(); }
  // Waits until at least `count` more ids were acknowledged, or `timeout`; false on timeout.
  bool WaitForAcknowledged(long count, std::chrono::milliseconds timeout) const;
  // The longest time between two acknowledged inserts (a stall, a write outage).
  std::chrono::milliseconds longest_gap() const;

 private:
  void Run();

  Options options_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<long> attempts_{0};
  std::atomic<long> failures_{0};
  mutable std::mutex mutex_;
  std::set<long> acknowledged_;
  std::chrono::steady_clock::time_point last_ack_{};
  std::chrono::milliseconds longest_gap_{0};
};

// Compares what the writer was told with the rows of `table` on an instance: `ids` as returned
// by "SELECT id FROM table" (one per line). lost = acknowledged ids missing; duplicated = ids
// present more than once.
struct SetCheck {
  long acknowledged = 0;
  long lost = 0;
  long duplicated = 0;
  long present = 0;
};
SetCheck CheckSet(const std::set<long>& acknowledged, const std::string& ids);

}  // namespace hasteward::testing
