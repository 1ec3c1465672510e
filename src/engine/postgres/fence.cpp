#include "engine/postgres/fence.h"

#include "engine/repair_exec.h"

namespace hasteward::engine::postgres {

namespace {

constexpr char kStandbySignal[] = "standby.signal";

}  // namespace

core::Status PersistFence(platform::InstanceHandle& handle, const std::string& reason) {
  // standby.signal first: it is what keeps the server read-only; the marker only explains it.
  HS_TRY(handle.WriteDataFile(kStandbySignal, "", 0600));
  return handle.WriteDataFile(kFenceMarkerFile, reason + "\n", 0600);
}

core::Status LiftFence(platform::InstanceHandle& handle, bool writable) {
  const platform::Instance& instance = handle.instance();
  std::vector<std::string> args = {instance.data_dir + "/" + kFenceMarkerFile};
  if (writable)
    args.push_back(instance.data_dir + "/" + kStandbySignal);
  return RunScript(handle, {.what = "lift the fence of '" + instance.name + "'",
                            .text = "rm -f -- \"$@\" && sync -- \"$(dirname \"$1\")\"",
                            .args = args})
      .status();
}

std::optional<std::string> ReadFence(platform::InstanceHandle& handle) {
  if (handle.instance().data_dir.empty())
    return std::nullopt;
  auto text = handle.ReadDataFile(kFenceMarkerFile);
  if (!text.ok())
    return std::nullopt;
  std::string reason = *text;
  while (!reason.empty() && (reason.back() == '\n' || reason.back() == '\r'))
    reason.pop_back();
  return reason;
}

namespace {
constexpr char kSwitchoverFrom[] = "switchover from '";
constexpr char kSwitchoverTo[] = "' to '";
constexpr char kSwitchoverInProgress[] = "' in progress";
}  // namespace

std::string SwitchoverFenceReason(const std::string& old_primary, const std::string& candidate) {
  return kSwitchoverFrom + old_primary + kSwitchoverTo + candidate + kSwitchoverInProgress +
         " (an interrupted run leaves it here: run the same switchover again to finish it, see "
         "`hasteward triage`)";
}

std::optional<std::string> InterruptedSwitchoverCandidate(const std::string& reason) {
  if (reason.rfind(kSwitchoverFrom, 0) != 0)
    return std::nullopt;
  size_t to = reason.find(kSwitchoverTo);
  size_t end = to == std::string::npos ? to : reason.find(kSwitchoverInProgress, to);
  if (end == std::string::npos)
    return std::nullopt;
  size_t start = to + std::string(kSwitchoverTo).size();
  return reason.substr(start, end - start);
}

}  // namespace hasteward::engine::postgres
