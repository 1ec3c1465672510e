#include "operator/crd/crd_source.h"

#include <algorithm>

namespace hasteward::op {

namespace {

constexpr std::chrono::seconds kRetryAfterFailedRead{10};

}  // namespace

core::Result<std::unique_ptr<CrdSource>> CrdSource::Open(const ServeConfig& file,
                                                         const platform::PlatformOptions& where,
                                                         std::chrono::milliseconds resync) {
  HS_ASSIGN_OR_RETURN(auto platform, platform::OpenPlatform(where));
  HS_ASSIGN_OR_RETURN(auto resources, platform->OpenOperatorResources());
  if (!resources)
    return std::unique_ptr<CrdSource>();
  return std::unique_ptr<CrdSource>(
      new CrdSource(file, std::move(platform), std::move(resources), resync));
}

CrdSource::CrdSource(const ServeConfig& file, std::unique_ptr<platform::Platform> platform,
                     std::unique_ptr<platform::OperatorResources> resources,
                     std::chrono::milliseconds resync)
    : file_(file),
      platform_(std::move(platform)),
      resources_(std::move(resources)),
      resync_(resync),
      catalog_(*resources_),
      reporter_(std::make_unique<CrdStatusReporter>(*resources_, resync)),
      merged_(file) {}

CrdSource::~CrdSource() {
  reporter_.reset();  // joins its thread before the resources it writes through go
}

bool CrdSource::Read() {
  auto state = catalog_.Read();
  if (!state)
    return false;
  state_ = std::move(*state);
  merged_ = MergeCrds(file_, state_);
  report_due_ = true;
  return true;
}

ServeConfig CrdSource::Start(SteadyTime now) {
  catalog_.TakeChange();  // the read below covers what happened so far
  next_read_ = now + (Read() ? resync_
                             : std::min<std::chrono::milliseconds>(resync_, kRetryAfterFailedRead));
  merged_fingerprint_ = ConfigFingerprint(merged_);
  return merged_;
}

std::optional<ServeConfig> CrdSource::Poll(SteadyTime now) {
  const bool changed = catalog_.TakeChange();
  if (!changed && now < next_read_)
    return std::nullopt;
  next_read_ = now + resync_;
  if (!Read())
    return std::nullopt;
  std::string fingerprint = ConfigFingerprint(merged_);
  if (fingerprint == merged_fingerprint_)
    return std::nullopt;
  merged_fingerprint_ = std::move(fingerprint);
  return merged_;
}

void CrdSource::Report(const std::vector<ManagedCluster>& managed) {
  std::string keys;
  for (const auto& cluster : managed)
    keys += cluster.Key() + "=" + cluster.policy + ",";
  if (!report_due_ && keys == reported_managed_)
    return;
  report_due_ = false;
  reported_managed_ = std::move(keys);
  reporter_->Update(file_, state_, merged_, managed);
}

}  // namespace hasteward::op
