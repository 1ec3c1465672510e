// operator/crd/crd_source: `serve`'s side of the BackupPolicy and BackupRepository resources on a
// platform that stores them (kubernetes): reads them through the catalog when the platform's watch
// reports a change and at every resync, hands `serve` the merged config when it differs
// (crd_catalog.h), and keeps their status current while this replica leads (crd_status.h).
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "operator/crd/crd_catalog.h"
#include "operator/crd/crd_status.h"
#include "platform/registry.h"

namespace hasteward::op {

class CrdSource {
 public:
  using SteadyTime = std::chrono::steady_clock::time_point;

  // nullptr when the platform stores no operator resources (local: the config file is all).
  // `resync`: how often the resources and their Secrets are read even without a change.
  static core::Result<std::unique_ptr<CrdSource>> Open(const ServeConfig& file,
                                                       const platform::PlatformOptions& where,
                                                       std::chrono::milliseconds resync);
  ~CrdSource();
  CrdSource(const CrdSource&) = delete;
  CrdSource& operator=(const CrdSource&) = delete;

  // The first read: the merged config to start with (the file alone when the read failed; then
  // the next Poll reads again soon).
  ServeConfig Start(SteadyTime now);
  // The merged config when a read (change reported or resync due) found it different; nullopt
  // otherwise, and when the read failed (the previous config stays).
  std::optional<ServeConfig> Poll(SteadyTime now);
  // Brings the statuses up to date with `managed` (the scheduled clusters); call while leading.
  void Report(const std::vector<ManagedCluster>& managed);
  // A backup went into repository `name` (its snapshot count changed). Thread-safe.
  void RepositoryWritten(const std::string& name) { reporter_->RepositoryWritten(name); }

 private:
  CrdSource(const ServeConfig& file, std::unique_ptr<platform::Platform> platform,
            std::unique_ptr<platform::OperatorResources> resources,
            std::chrono::milliseconds resync);
  bool Read();  // true when the state was read

  ServeConfig file_;
  std::unique_ptr<platform::Platform> platform_;
  std::unique_ptr<platform::OperatorResources> resources_;
  std::chrono::milliseconds resync_;
  CrdCatalog catalog_;
  std::unique_ptr<CrdStatusReporter> reporter_;
  CrdState state_;
  ServeConfig merged_;
  std::string merged_fingerprint_;
  SteadyTime next_read_{};
  bool report_due_ = true;
  std::string reported_managed_;
};

}  // namespace hasteward::op
