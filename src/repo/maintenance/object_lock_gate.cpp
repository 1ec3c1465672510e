#include "repo/maintenance/object_lock_gate.h"

#include <algorithm>
#include <optional>

#include "core/clock.h"
#include "core/utc_time.h"
#include "repo/crypto/crypto.h"

namespace hasteward::repo {
namespace {

using storage::FileType;
using storage::Handle;
using TimePoint = storage::ObjectLock::TimePoint;

// The files that are still retained and the latest date among them.
struct Locked {
  size_t count = 0;
  std::optional<TimePoint> last;
};

core::Status Add(storage::ObjectLock& lock, const Handle& h, Locked* locked) {
  auto until = lock.RetainUntil(h);
  if (!until.ok() && until.status().code() == core::ErrorCode::kNotFound)
    return core::Status::Ok();  // already gone: nothing to keep
  HS_TRY(until.status());
  if (!until->has_value())
    return core::Status::Ok();
  ++locked->count;
  if (!locked->last.has_value() || **until > *locked->last)
    locked->last = **until;
  return core::Status::Ok();
}

std::string Iso(TimePoint when) {
  return core::Rfc3339Utc(
      std::chrono::duration_cast<std::chrono::seconds>(when.time_since_epoch()).count());
}

// "30d", "12h", "45s": the shortest exact form.
std::string PeriodText(std::chrono::seconds period) {
  auto n = period.count();
  if (n % 86400 == 0)
    return std::to_string(n / 86400) + "d";
  if (n % 3600 == 0)
    return std::to_string(n / 3600) + "h";
  return std::to_string(n) + "s";
}

}  // namespace

core::Status RefuseLockedDeletes(Repository& repo, const std::vector<std::string>& snapshot_ids,
                                 const GcPlan& gc) {
  storage::ObjectLock* lock = repo.backend().ObjectLocking();
  if (lock == nullptr)
    return core::Status::Ok();
  HS_ASSIGN_OR_RETURN(auto period, lock->Period());
  if (!period.has_value())
    return core::Status::Ok();
  Locked snapshots, packs;
  for (const auto& id : snapshot_ids)
    HS_TRY(Add(*lock, Handle{FileType::kSnapshot, id}, &snapshots));
  for (const PackDecision& pack : gc.packs) {
    if (pack.action == PackAction::kRemove || pack.action == PackAction::kRepack)
      HS_TRY(Add(*lock, Handle{FileType::kPack, IdToHex(pack.id)}, &packs));
  }
  for (const auto& file : gc.unreferenced)
    HS_TRY(Add(*lock, Handle{FileType::kPack, file.name}, &packs));
  if (snapshots.count == 0 && packs.count == 0)
    return core::Status::Ok();
  TimePoint last = std::max(snapshots.last.value_or(TimePoint()), packs.last.value_or(TimePoint()));
  std::string what = "prune must delete " + std::to_string(snapshots.count) + " snapshot(s) and " +
                     std::to_string(packs.count) + " pack(s) still under object lock (the last " +
                     "until " + Iso(last) + "); nothing was changed";
  std::string after = "run prune again after " + Iso(last) + " (docs/object-lock.md)";
  // Why refuse rather than keep the locked snapshots: a policy that forgets what the lock keeps
  // would be reported as applied while the storage still holds (and restores) those snapshots.
  if (snapshots.count > 0) {
    return core::Status(core::ErrorCode::kSafetyStop, what,
                        "the repository's object lock keeps every snapshot for " +
                            PeriodText(*period) +
                            ": use a retention policy that keeps each "
                            "snapshot at least that long (e.g. --keep-within " +
                            PeriodText(*period) + "), or " + after);
  }
  return core::Status(core::ErrorCode::kSafetyStop, what, after);
}

core::Result<RetentionRenewal> ExtendReferencedRetention(
    Repository& repo, const std::vector<std::string>& kept_snapshots, const GcPlan& gc) {
  RetentionRenewal renewal;
  storage::ObjectLock* lock = repo.backend().ObjectLocking();
  if (lock == nullptr)
    return renewal;
  HS_ASSIGN_OR_RETURN(auto period, lock->Period());
  if (!period.has_value())
    return renewal;
  std::vector<Handle> referenced = {Handle{FileType::kConfig, ""}};
  HS_ASSIGN_OR_RETURN(auto keys, repo.ListFiles(FileType::kKey));
  for (const auto& key : keys)
    referenced.push_back(Handle{FileType::kKey, key.name});
  for (const auto& id : kept_snapshots)
    referenced.push_back(Handle{FileType::kSnapshot, id});
  for (const PackDecision& pack : gc.packs) {
    if (pack.action == PackAction::kKeep)
      referenced.push_back(Handle{FileType::kPack, IdToHex(pack.id)});
  }
  const TimePoint now = core::SystemClock::Get().Now();
  const TimePoint until = now + *period;
  const TimePoint renew_before = now + *period / 2;
  for (const Handle& h : referenced) {
    auto current = lock->RetainUntil(h);
    if (!current.ok() && current.status().code() == core::ErrorCode::kNotFound)
      continue;  // nothing to retain (a pack the storage lacks is planned as "drop", not kept)
    HS_TRY(current.status());
    ++renewal.checked;
    if (current->has_value() && **current >= renew_before)
      continue;
    HS_TRY(lock->Extend(h, until));
    ++renewal.extended;
    renewal.until = until;
  }
  return renewal;
}

}  // namespace hasteward::repo
