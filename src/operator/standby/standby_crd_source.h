// operator/standby/standby_crd_source: `serve`'s side of the StandbyCluster resources on a platform
// that stores them (kubernetes): while this replica leads, a thread of its own lists them when the
// platform's watch reports a change and at every resync, turns each into a dr::StandbySpec with its
// Secrets (standby_crd_specs.h), runs each through a StandbyRunner of its own (the same discovery,
// conditions and retention floor cursor as a config-file standby), and writes each one's status
// back (standby_crd_status.h), only when it changed.
//
// Decisions, and why:
// - One runner per resource, beside the config file's runner rather than inside it: a resource
//   that changes or goes away stops (and restarts) only its own standby.
// - A config-file standby of the same name wins (as for policies and repositories): the file is the
//   operator owner's explicit word; the resource's Ready says OverriddenByConfig.
// - An invalid resource, or one whose Secret cannot be read, is not run and says why in its Ready
//   condition; the others are unaffected. A failed listing changes nothing: an API server away for
//   a minute must not stop every standby.
// - Stopping a runner waits for a discovery in flight (bounded by the storage retry bound), on this
//   thread, never on serve's loop.
// - The status is written with a JSON merge patch on the status subresource, without a
//   resourceVersion: it owns the whole status and never conflicts (409) with a spec edit.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "operator/config.h"
#include "operator/standby/standby_runner.h"
#include "platform/registry.h"

namespace hasteward::op {

class StandbyCrdSource {
 public:
  // nullptr when the platform stores no operator resources (local: the config file is all).
  // `resync`: how often the resources and their Secrets are read even without a change.
  static core::Result<std::unique_ptr<StandbyCrdSource>> Open(
      const ServeConfig& file, const platform::PlatformOptions& where,
      std::chrono::milliseconds resync);
  ~StandbyCrdSource();  // Stop()
  StandbyCrdSource(const StandbyCrdSource&) = delete;
  StandbyCrdSource& operator=(const StandbyCrdSource&) = delete;

  // Starts reading the resources, running their standbys and writing their status; call once this
  // replica leads (one writer of each cursor and status). Idempotent.
  void StartActing();
  // Stops every standby it runs and its thread (waiting for a discovery in flight); nothing starts
  // again. Idempotent.
  void Stop();
  // The progress of every standby it runs, by name. Thread-safe.
  std::vector<StandbyProgress> Progress() const;

 private:
  struct Entry;
  StandbyCrdSource(std::set<std::string> file_standbys,
                   std::unique_ptr<platform::Platform> platform,
                   std::unique_ptr<platform::OperatorResources> resources,
                   std::chrono::milliseconds resync);
  void Run();
  // Lists the resources and starts, restarts or stops runners to match; false when listing failed.
  bool Reconcile();
  void WriteStatuses();
  // One discovery (dr::CheckStandby), its report kept for the status when `epoch` is current.
  core::Result<dr::StandbyReport> Check(const dr::StandbySpec& spec, uint64_t epoch);

  std::set<std::string> file_standbys_;
  std::unique_ptr<platform::Platform> platform_;
  std::unique_ptr<platform::OperatorResources> resources_;
  std::chrono::milliseconds resync_;
  mutable std::mutex mu_;  // guards entries_ and reports_ (entries_ changes on the thread only)
  std::condition_variable cv_;
  bool stopping_ = false;
  std::map<std::string, std::unique_ptr<Entry>> entries_;
  std::map<std::string, nlohmann::json> reports_;
  uint64_t next_epoch_ = 0;  // name -> last discovery's report (ToJson)
  std::thread thread_;
};

}  // namespace hasteward::op
