#include "dr/standby_state.h"

#include <cerrno>
#include <filesystem>

#include <fcntl.h>
#include <nlohmann/json.hpp>
#include <sys/file.h>
#include <sys/stat.h>

#include "core/atomic_file.h"
#include "core/fd.h"

namespace hasteward::dr {

std::string EncodeStandbyState(const StandbyState& state) {
  nlohmann::json conditions = nlohmann::json::array();
  for (const auto& condition : state.conditions) {
    conditions.push_back({{"type", ConditionTypeName(condition.type)},
                          {"status", ConditionStatusName(condition.status)},
                          {"reason", condition.reason},
                          {"message", condition.message},
                          {"lastTransitionTime", condition.last_transition}});
  }
  nlohmann::json json = {
      {"name", state.name}, {"lastDiscovery", state.last_discovery}, {"conditions", conditions}};
  if (state.verification) {
    json["verification"] = VerificationRecordJson(*state.verification);
  }
  return json.dump(2) + "\n";
}

core::Result<StandbyState> DecodeStandbyState(const std::string& text) {
  auto json = nlohmann::json::parse(text, nullptr, false);
  if (json.is_discarded() || !json.is_object()) {
    return core::Corruption("standby state is not a JSON object");
  }
  StandbyState state;
  try {
    state.name = json.value("name", "");
    state.last_discovery = json.value("lastDiscovery", int64_t{0});
    for (const auto& item : json.value("conditions", nlohmann::json::array())) {
      auto type = ParseConditionType(item.at("type").get<std::string>());
      auto status = ParseConditionStatus(item.at("status").get<std::string>());
      if (!type || !status) {
        continue;  // a condition type a newer version added
      }
      state.conditions.push_back({*type, *status, item.value("reason", ""),
                                  item.value("message", ""),
                                  item.value("lastTransitionTime", int64_t{0})});
    }
    if (json.contains("verification")) {
      HS_ASSIGN_OR_RETURN(state.verification, ParseVerificationRecord(json["verification"]));
    }
  } catch (const nlohmann::json::exception& error) {
    return core::Corruption(std::string("standby state is malformed: ") + error.what());
  }
  return state;
}

core::Result<StandbyState> LoadStandbyState(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0 && errno == ENOENT) {
    return StandbyState{};
  }
  auto text = core::ReadFileToString(path);
  if (!text.ok()) {
    return text.TakeStatus().Wrap("read standby state '" + path + "'");
  }
  auto state = DecodeStandbyState(*text);
  if (!state.ok()) {
    return core::Status(
        core::ErrorCode::kCorruption, "standby state '" + path + "': " + state.status().message(),
        "remove the file: the conditions' transition times and the last "
        "verification are lost ('standby verify' restores the newest backup again)");
  }
  return state;
}

core::Status SaveStandbyState(const std::string& path, const StandbyState& state) {
  core::AtomicFileOptions options;
  options.parent_dir_mode = 0700;
  std::string text = EncodeStandbyState(state);
  return core::WriteFileAtomically(path, core::AsBytes(text), options)
      .Wrap("write standby state '" + path + "'");
}

core::Status UpdateStandbyState(const std::string& path,
                                const std::function<void(StandbyState&)>& change) {
  std::error_code error;
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  // The lock file sits beside the state file, whose directory is private (as SaveStandbyState
  // makes it).
  if (!parent.empty() && std::filesystem::create_directories(parent, error)) {
    std::filesystem::permissions(parent, std::filesystem::perms::owner_all, error);
  }
  const std::string lock_path = path + ".lock";
  core::UniqueFd lock(::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!lock.valid()) {
    return core::ErrnoStatus("open standby state lock '" + lock_path + "'", errno);
  }
  while (::flock(lock.get(), LOCK_EX) != 0) {
    if (errno != EINTR) {
      return core::ErrnoStatus("lock standby state '" + lock_path + "'", errno);
    }
  }
  // The lock is released when `lock` closes, whatever happens below.
  HS_ASSIGN_OR_RETURN(StandbyState state, LoadStandbyState(path));
  change(state);
  return SaveStandbyState(path, state);
}

}  // namespace hasteward::dr
