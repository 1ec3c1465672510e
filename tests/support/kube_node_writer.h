// What the real-node tier's switchover tests share: a writer pod that commits one id at a time
// through a database Service and prints "ack N" for each commit the server acknowledged, and a
// sampler of how many instances are writable at once.
#pragma once

#include <atomic>
#include <functional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "support/kube_node.h"

namespace hasteward::testing {

class AckWriterPod {
 public:
  // Starts pod `name` in `ns` from `image` running `commit` (a shell command that inserts the id
  // "$i" and exits 0 only when the commit was acknowledged) in a loop, every 50 ms, until stopped;
  // `env` (a container's env list) carries its credentials.
  static core::Result<AckWriterPod> Start(const KubeNode& node, const std::string& ns,
                                          const std::string& name, const std::string& image,
                                          const std::string& commit, const nlohmann::json& env);
  // The ids acknowledged so far, in order (the pod's log).
  std::vector<int> Acknowledged() const;
  // Waits (bounded) until `count` more ids than `since` were acknowledged.
  bool WaitForMore(size_t since, size_t count) const;
  // Ends the loop and waits for its last line (the log, and Acknowledged, stay readable).
  void Stop();

 private:
  AckWriterPod(const KubeNode* node, std::string ns, std::string name)
      : node_(node), ns_(std::move(ns)), name_(std::move(name)) {}
  const KubeNode* node_;
  std::string ns_;
  std::string name_;
};

// The ids acknowledged but not stored.
int CountLost(const std::vector<int>& acknowledged, const std::set<int>& stored);

// Calls `writable` (the number of writable instances) in a thread until Stop: the samples taken
// and how many found more than one.
class WritableSampler {
 public:
  explicit WritableSampler(std::function<int()> writable);
  ~WritableSampler();
  WritableSampler(const WritableSampler&) = delete;
  WritableSampler& operator=(const WritableSampler&) = delete;
  void Stop();
  int samples() const { return samples_; }
  int two_writable() const { return two_writable_; }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<int> samples_{0};
  std::atomic<int> two_writable_{0};
  std::thread thread_;
};

}  // namespace hasteward::testing
