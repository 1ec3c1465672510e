// The local platform's InstanceHandle: the server runs on this machine, commands run as the
// instance's OS user (when HASteward runs as root), and the data directory is a local path.
#pragma once

#include "platform/instance_handle.h"

namespace hasteward::platform {

class LocalInstance : public InstanceHandle {
 public:
  using InstanceHandle::InstanceHandle;

  Capabilities capabilities() const override;
  Endpoint endpoint() const override;
  core::Result<std::unique_ptr<core::Subprocess>> Exec(core::SubprocessOptions options) override;
  core::Result<std::string> ReadDataFile(const std::string& relative_path) override;
  core::Status WriteDataFile(const std::string& relative_path, const std::string& content,
                             unsigned mode) override;
  core::Status Start(std::chrono::milliseconds timeout) override;
  using InstanceHandle::Start;
  core::Status StartNewCluster(std::chrono::milliseconds timeout) override;
  core::Status Stop(std::chrono::milliseconds timeout) override;
  core::Status Fence(std::chrono::milliseconds timeout) override;
  core::Result<bool> IsRunning() override;
};

}  // namespace hasteward::platform
