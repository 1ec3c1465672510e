#include "verify/evidence.h"

#include "repo/repository.h"

namespace hasteward::verify {

std::map<std::string, VerificationState> IndexVerifications(
    const std::vector<repo::Snapshot>& snapshots) {
  std::map<std::string, VerificationState> index;
  for (const auto& s : snapshots) {
    if (repo::TypeOf(s) != repo::SnapshotType::kVerification)
      continue;
    std::string target = s.TagValue(kTagVerifies);
    std::string verdict = s.TagValue(kTagVerdict);
    if (target.empty() || verdict.empty())
      continue;
    auto it = index.find(target);
    if (it != index.end() && s.time < it->second.time)
      continue;
    index[target] = VerificationState{verdict, s.time, repo::IdToHex(s.id)};
  }
  return index;
}

std::string DescribeVerification(const std::map<std::string, VerificationState>& index,
                                 const std::string& backup_id) {
  auto it = index.find(backup_id);
  if (it == index.end())
    return "never";
  return it->second.verdict == "ok" ? "verified ok" : "failed";
}

core::Result<GateDecision> DecideVerification(const std::vector<repo::Snapshot>& backups,
                                              const std::map<std::string, VerificationState>& index,
                                              const std::string& ref, bool force) {
  if (backups.empty()) {
    return core::NotFound("no backup to verify", "run `hasteward backup` for the cluster first");
  }
  HS_ASSIGN_OR_RETURN(repo::Snapshot snap, repo::Repository::FindSnapshot(backups, ref));
  GateDecision d;
  std::string id = repo::IdToHex(snap.id);
  auto it = index.find(id);
  if (it != index.end() && !force) {
    d.already_verified = true;
    d.reason = "snapshot " + id.substr(0, 8) + " already verified (" + it->second.verdict +
               ", evidence " + it->second.verification_id.substr(0, 8) + ")";
  } else {
    d.reason = it == index.end() ? "snapshot " + id.substr(0, 8) + " has no verification yet"
                                 : "snapshot " + id.substr(0, 8) + " verified again (--force)";
  }
  d.target = std::move(snap);
  return d;
}

}  // namespace hasteward::verify
