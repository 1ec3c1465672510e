#include "pitr/restore_point.h"

#include "pitr/archive.h"

namespace hasteward::pitr {

bool UntilFlags::any() const {
  if (!time.empty()) {
    return true;
  }
  for (const auto& [flag, value] : positions) {
    if (!value.empty()) {
      return true;
    }
  }
  return false;
}

core::Result<repo::GoTime> ParseUntilTime(const std::string& flag, const std::string& text) {
  auto time = repo::ParseGoTime(text);
  if (!time.ok()) {
    return core::Usage(flag + " '" + text + "' is not an RFC 3339 time",
                       "write it with its zone, e.g. 2026-11-22T16:40:01.5Z or "
                       "2026-11-22T17:40:01+01:00");
  }
  return *time;
}

core::Result<RestorePoint> ParseUntil(const UntilFlags& flags, const Archive& archive) {
  std::vector<std::string> given;
  if (!flags.time.empty()) {
    given.push_back("--until");
  }
  for (const auto& [flag, value] : flags.positions) {
    if (!value.empty()) {
      given.push_back(flag);
    }
  }
  const std::string own = archive.position_flag();
  if (given.empty()) {
    return core::Usage("no point to restore to", "pass --until TIME or " + own + " POSITION");
  }
  if (given.size() > 1) {
    return core::Usage(given[0] + " and " + given[1] + " both name the point to restore to",
                       "pass one of them");
  }
  if (!flags.time.empty()) {
    HS_ASSIGN_OR_RETURN(repo::GoTime time, ParseUntilTime("--until", flags.time));
    return RestorePoint::Time(time);
  }
  if (given[0] != own) {
    // One archive kind per engine: a position of another kind's syntax cannot be meant.
    return core::Usage(given[0] + " does not apply to this cluster's archive",
                       "pass --until TIME or " + own + " POSITION");
  }
  const std::string& position = flags.positions.at(own);
  HS_TRY(archive.CheckPosition(position));
  return RestorePoint::Position(position);
}

}  // namespace hasteward::pitr
