// A real HTTP proxy of ours on loopback that forwards to a server (Ceph RGW, the REST test server)
// and injects faults into a configurable fraction of requests with a seeded RNG. It also counts
// requests by method, so benchmarks can compare request counts of different clients.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "core/status.h"
#include "support/http_wire.h"

namespace hasteward::testing {

class FaultProxy {
 public:
  enum class Fault {
    kError500,         // forwards, then answers 500 InternalError instead (the request did happen)
    kError503,         // answers 503 SlowDown without forwarding
    kSlow,             // delays the request by `slow_delay`, then forwards
    kReset,            // resets the client connection without forwarding
    kTruncateBody,     // forwards, then sends the response head and half its body and closes
    kResetMidRequest,  // forwards the head and half the request body upstream, then resets both
  };

  struct Options {
    int upstream_port = 0;
    double fault_rate = 0.0;  // fraction of requests that get a fault
    std::vector<Fault> faults = {Fault::kError500, Fault::kError503, Fault::kSlow, Fault::kReset,
                                 Fault::kTruncateBody};
    uint32_t seed = 1;
    std::chrono::milliseconds slow_delay{300};
  };

  struct Stats {
    uint64_t requests = 0;
    uint64_t faults = 0;
    uint64_t bytes_up = 0;                      // request bytes forwarded upstream
    uint64_t bytes_down = 0;                    // response bytes sent to clients
    std::map<std::string, uint64_t> by_method;  // "GET" → count (faulted requests included)
  };

  // Listens on 127.0.0.1:<free port>. Thread-safe; serves any number of connections.
  static core::Result<std::unique_ptr<FaultProxy>> Start(Options options);
  int port() const { return server_->port(); }
  Stats stats() const;
  void SetFaultRate(double rate);

 private:
  explicit FaultProxy(Options o) : options_(std::move(o)), rng_(options_.seed) {}
  void Serve(HttpConn& client);
  std::optional<Fault> Draw(const std::string& method);
  // Sends the request upstream (reconnecting once) and reads the response; false on failure.
  bool Forward(std::unique_ptr<HttpConn>& upstream, const HttpHead& head,
               const std::string& request, std::string* response, HttpHead* response_head);
  void Count(uint64_t up, uint64_t down);

  Options options_;
  mutable std::mutex mu_;
  std::mt19937 rng_;
  Stats stats_;
  std::unique_ptr<LoopbackServer> server_;
};

}  // namespace hasteward::testing
