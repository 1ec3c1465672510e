#include "repo/snapshot/snapshot_type.h"

#include <array>
#include <utility>

namespace hasteward::repo {
namespace {

constexpr std::array<std::pair<SnapshotType, std::string_view>, 4> kNames{{
    {SnapshotType::kBackup, "backup"},
    {SnapshotType::kDiverged, "diverged"},
    {SnapshotType::kVerification, "verification"},
    {SnapshotType::kWal, "wal"},
}};

}  // namespace

std::string_view SnapshotTypeName(SnapshotType type) {
  for (const auto& [value, name] : kNames) {
    if (value == type)
      return name;
  }
  return "unknown";
}

std::optional<SnapshotType> ParseSnapshotType(std::string_view text) {
  for (const auto& [value, name] : kNames) {
    if (name == text)
      return value;
  }
  return std::nullopt;
}

std::optional<SnapshotType> TypeOf(const Snapshot& snapshot) {
  const std::string tag = snapshot.TagValue("type");
  if (tag.empty())
    return SnapshotType::kBackup;
  return ParseSnapshotType(tag);
}

std::string TypeTag(SnapshotType type) {
  return "type=" + std::string(SnapshotTypeName(type));
}

core::Result<SnapshotTypeSelector> ParseTypeSelector(std::string_view text) {
  if (text == "all")
    return SnapshotTypeSelector{};
  if (auto type = ParseSnapshotType(text))
    return SnapshotTypeSelector{*type};
  return core::Usage("unknown snapshot type '" + std::string(text) + "'",
                     "use -t backup, -t diverged, -t verification, -t wal or -t all");
}

bool MatchesType(const Snapshot& snapshot, const SnapshotTypeSelector& selector) {
  if (!selector)
    return true;
  return TypeOf(snapshot) == *selector;
}

}  // namespace hasteward::repo
