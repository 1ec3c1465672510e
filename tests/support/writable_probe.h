// "Never two instances accepting writes at the same moment", measured: one thread per instance
// asks it every 10 ms to accept a write (a row inserted and rolled back, as an account without any
// read_only bypass), over a connection opened as the partition observer (support/
// partition_network.h: never cut). Each accepted probe is a window [sent, answered]; consecutive
// accepted probes of one instance merge into one writable stretch, and Overlap() names two
// instances whose stretches overlap in time (each of them accepted a write within a window the
// other also accepted one in).
//
//   auto probe = WritableProbe::Start({{"pg-0", PostgresWriteProbe(cluster, cluster.instances[0])},
//   ...});
//   ... switchover under a partition ...
//   probe->Stop();
//   EXPECT_EQ(probe->Overlap(), "");
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "platform/cluster.h"

namespace hasteward::testing {

class WritableProbe {
 public:
  // Made once in the instance's probing thread (it owns its connection); each call is one probe:
  // true when the instance accepted the write now.
  using Probe = std::function<bool()>;
  using ProbeFactory = std::function<Probe()>;
  using Clock = std::chrono::steady_clock;

  static std::unique_ptr<WritableProbe> Start(
      std::vector<std::pair<std::string, ProbeFactory>> instances,
      std::chrono::milliseconds every = std::chrono::milliseconds(10));
  ~WritableProbe();
  WritableProbe(const WritableProbe&) = delete;
  WritableProbe& operator=(const WritableProbe&) = delete;

  // Stops and joins the threads (idempotent).
  void Stop();
  // "" when no two instances were writable at the same moment; otherwise both names and times.
  std::string Overlap() const;
  // Probes sent to / accepted by instance `name` so far.
  size_t Sent(const std::string& name) const;
  size_t Accepted(const std::string& name) const;

 private:
  struct Stretch {
    Clock::time_point from;
    Clock::time_point to;
  };
  struct Instance {
    std::string name;
    ProbeFactory factory;
    std::thread thread;
    size_t sent = 0;
    size_t accepted = 0;
    bool last_accepted = false;
    std::vector<Stretch> stretches;
  };

  WritableProbe() = default;
  void Loop(Instance* instance, std::chrono::milliseconds every);
  const Instance* Find(const std::string& name) const;

  std::vector<std::unique_ptr<Instance>> instances_;
  std::atomic<bool> stop_{false};
  mutable std::mutex mu_;
  Clock::time_point started_;
};

// PostgreSQL: INSERT INTO `table` (one bigint column, created by the test on the primary) in a
// transaction rolled back, as the cluster's admin user over TCP.
WritableProbe::ProbeFactory PostgresWriteProbe(const platform::Cluster& cluster,
                                               const platform::Instance& instance,
                                               const std::string& table);
// MariaDB: the same as `user` (no SUPER, no READ ONLY ADMIN: read_only refuses it).
WritableProbe::ProbeFactory MariadbWriteProbe(const platform::Instance& instance,
                                              const std::string& user, const std::string& password,
                                              const std::string& table);

}  // namespace hasteward::testing
