#include "repo/maintenance/retention_plan.h"

#include <algorithm>
#include <map>
#include <optional>

#include <nlohmann/json.hpp>

#include "repo/maintenance/archive_retention.h"
#include "repo/maintenance/retention_pins.h"

namespace hasteward::repo {
namespace {

constexpr const char* kTagKeys[] = {"engine", "cluster", "namespace", "type", "job"};

// The HASteward tags of one snapshot, or why it is unmanaged.
struct ManagedTags {
  std::string engine, cluster, namespace_name;
  SnapshotType type = SnapshotType::kBackup;
  std::string job;
};

std::optional<std::string> ReadManagedTags(const SnapshotMeta& sn, ManagedTags* out) {
  std::map<std::string, std::string> values;
  for (const std::string& tag : sn.tags) {
    const size_t eq = tag.find('=');
    if (eq == std::string::npos)
      continue;
    const std::string key = tag.substr(0, eq);
    if (std::find(std::begin(kTagKeys), std::end(kTagKeys), key) == std::end(kTagKeys))
      continue;
    const std::string value = tag.substr(eq + 1);
    auto [it, inserted] = values.emplace(key, value);
    if (!inserted && it->second != value)
      return "conflicting tags '" + key + "='";
  }
  for (const char* key : {"engine", "cluster", "namespace", "type"}) {
    if (values[key].empty())
      return std::string("missing tag '") + key + "='";
  }
  // Backups and diverged captures are retained by policy, archive pieces follow the kept
  // backups; verification reports (and types a newer HASteward may write) are left alone rather
  // than guessed at.
  std::optional<SnapshotType> type = ParseSnapshotType(values["type"]);
  if (type != SnapshotType::kBackup && type != SnapshotType::kDiverged &&
      type != SnapshotType::kWal)
    return "unknown type '" + values["type"] + "'";
  *out = {values["engine"], values["cluster"], values["namespace"], *type, values["job"]};
  if (out->type == SnapshotType::kDiverged && out->job.empty())
    return "diverged snapshot without a 'job=' tag";
  if (out->type == SnapshotType::kBackup)
    out->job.clear();  // a job tag on a backup does not group it
  return std::nullopt;
}

bool InScope(const ManagedTags& t, const PruneOptions& o) {
  // Archive pieces are decided with their cluster's backups.
  if (o.type == PruneType::kBackup && t.type != SnapshotType::kBackup &&
      t.type != SnapshotType::kWal)
    return false;
  if (t.type == SnapshotType::kWal && o.type == PruneType::kDiverged)
    return false;
  if (o.type == PruneType::kDiverged && t.type != SnapshotType::kDiverged)
    return false;
  if (!o.engine.empty() && t.engine != o.engine)
    return false;
  if (!o.cluster.empty() && t.cluster != o.cluster)
    return false;
  return o.namespace_name.empty() || t.namespace_name == o.namespace_name;
}

struct Member {
  size_t index;  // into the input
  SnapshotTime time;
};

// One retention unit: a backup snapshot or a diverged job group.
struct Unit {
  std::vector<Member> members;  // listing order
  size_t newest = 0;            // index into members
};

struct GroupBuilder {
  PlanGroup group;
  std::vector<Unit> units;                 // order of first appearance
  std::map<std::string, size_t> job_unit;  // job tag -> index into units
};

void AddToGroup(GroupBuilder* g, size_t index, const SnapshotTime& time, const std::string& job) {
  if (job.empty()) {
    g->units.push_back(Unit{{Member{index, time}}, 0});
    return;
  }
  auto [it, inserted] = g->job_unit.emplace(job, g->units.size());
  if (inserted)
    g->units.push_back(Unit{});
  Unit& unit = g->units[it->second];
  unit.members.push_back(Member{index, time});
  if (time.After(unit.members[unit.newest].time))
    unit.newest = unit.members.size() - 1;
}

// A backup a standby's live cursor needs stays whatever the policy decided (retention_pins.h);
// the pin's reason is added to the policy's, so a report shows both.
void ApplyPin(const PlanGroup& group, const SnapshotMeta& backup, const PruneOptions& options,
              RetentionDecision* decision) {
  if (options.pins == nullptr)
    return;
  const std::string cluster_key = group.engine + "/" + group.namespace_name + "/" + group.cluster;
  if (std::optional<std::string> why = options.pins->PinReason(cluster_key, backup.id)) {
    decision->keep = true;
    decision->reasons.push_back(*why);
  }
}

void DecideGroup(GroupBuilder* g, const std::vector<SnapshotMeta>& snapshots,
                 const std::vector<std::string>& jobs, const PruneOptions& options) {
  std::vector<RetentionItem> items;
  items.reserve(g->units.size());
  for (const Unit& unit : g->units) {
    RetentionItem item{unit.members[unit.newest].time, {}};
    for (const Member& m : unit.members)
      item.member_tags.push_back(snapshots[m.index].tags);
    items.push_back(std::move(item));
  }
  const RetentionResult result = ApplyRetentionPolicy(items, options.policy, options.now);
  g->group.units = g->units.size();
  for (size_t unit_index : result.order) {
    RetentionDecision decision = result.decisions[unit_index];
    if (g->group.type == SnapshotType::kBackup)
      ApplyPin(g->group, snapshots[g->units[unit_index].members.front().index], options, &decision);
    std::vector<Member> members = g->units[unit_index].members;
    std::stable_sort(members.begin(), members.end(),
                     [](const Member& a, const Member& b) { return a.time.After(b.time); });
    if (decision.keep)
      ++g->group.kept_units;
    for (const Member& m : members) {
      const SnapshotMeta& sn = snapshots[m.index];
      g->group.snapshots.push_back(
          PlannedSnapshot{sn.id, sn.time_rfc3339, jobs[m.index], decision.keep, decision.reasons});
    }
  }
}

std::string ShortId(const std::string& id) {
  return id.substr(0, 8);
}

core::Status SafetyCheck(const std::vector<PlanGroup>& groups) {
  std::vector<const PlanGroup*> emptied;
  for (const PlanGroup& g : groups) {
    // Removing every archive piece is the archive retention's decision (none is needed by a
    // kept backup), not a policy that forgot a --keep rule.
    if (g.type == SnapshotType::kWal)
      continue;
    if (g.units > 0 && g.kept_units == 0)
      emptied.push_back(&g);
  }
  if (emptied.empty())
    return core::Status::Ok();
  const PlanGroup& first = *emptied.front();
  std::string message = "policy would remove all " + std::to_string(first.snapshots.size()) +
                        " snapshots of '" + first.Key() + "'";
  if (emptied.size() > 1) {
    message += " and of " + std::to_string(emptied.size() - 1) + " more group(s)";
  }
  return core::Status(core::ErrorCode::kSafetyStop, message,
                      "keep at least one snapshot (e.g. --keep-last 1), or pass --allow-empty "
                      "to remove them all");
}

struct ArchivePiece {
  size_t index;  // into the input
  SnapshotTime time;
};

// The archive pieces of one cluster, decided from the snapshots its backup group keeps. A
// cluster without a planned backup group passes no kept backup: the archive retention then keeps
// every piece.
PlanGroup DecideArchive(const PlanGroup& key, std::vector<ArchivePiece> pieces,
                        const std::vector<PlanGroup>& backup_groups,
                        const std::map<std::string, size_t>& index_of_id,
                        const std::vector<SnapshotMeta>& snapshots,
                        const ArchiveRetention& archive) {
  std::vector<const SnapshotMeta*> kept;
  for (const PlanGroup& g : backup_groups) {
    if (g.type != SnapshotType::kBackup || g.engine != key.engine || g.cluster != key.cluster ||
        g.namespace_name != key.namespace_name)
      continue;
    for (const PlannedSnapshot& planned : g.snapshots) {
      if (planned.keep)
        kept.push_back(&snapshots[index_of_id.at(planned.id)]);
    }
  }
  std::stable_sort(pieces.begin(), pieces.end(), [](const ArchivePiece& a, const ArchivePiece& b) {
    return a.time.After(b.time);
  });
  std::vector<const SnapshotMeta*> metas;
  metas.reserve(pieces.size());
  for (const ArchivePiece& piece : pieces)
    metas.push_back(&snapshots[piece.index]);
  std::vector<ArchivePieceDecision> decisions = archive.Decide(key.engine, kept, metas);
  PlanGroup group = key;
  group.units = pieces.size();
  for (size_t i = 0; i < pieces.size(); ++i) {
    // A decision missing from a faulty implementation keeps the piece.
    ArchivePieceDecision decision =
        i < decisions.size() ? decisions[i] : ArchivePieceDecision{true, "no decision"};
    if (decision.keep)
      ++group.kept_units;
    group.snapshots.push_back(PlannedSnapshot{
        metas[i]->id, metas[i]->time_rfc3339, "", decision.keep, {decision.reason}});
  }
  return group;
}

}  // namespace

core::Result<PruneType> ParsePruneType(std::string_view text) {
  if (text == "backup")
    return PruneType::kBackup;
  if (text == "diverged")
    return PruneType::kDiverged;
  if (text == "all")
    return PruneType::kAll;
  return core::Usage("unknown snapshot type '" + std::string(text) + "'",
                     "use -t backup, -t diverged or -t all");
}

std::string PlanGroup::Key() const {
  return engine + "/" + namespace_name + "/" + cluster + "/" + std::string(SnapshotTypeName(type));
}

core::Result<RetentionPlan> PlanRetention(const std::vector<SnapshotMeta>& snapshots,
                                          const PruneOptions& options) {
  HS_TRY(options.policy.Validate());
  RetentionPlan plan;
  std::map<std::string, GroupBuilder> builders;
  std::map<std::string, std::pair<PlanGroup, std::vector<ArchivePiece>>> archives;
  std::map<std::string, size_t> index_of_id;
  std::vector<std::string> jobs(snapshots.size());
  for (size_t i = 0; i < snapshots.size(); ++i) {
    const SnapshotMeta& sn = snapshots[i];
    ManagedTags tags;
    if (std::optional<std::string> why = ReadManagedTags(sn, &tags)) {
      plan.unmanaged.push_back({sn.id, sn.time_rfc3339, *why});
      continue;
    }
    if (tags.type == SnapshotType::kWal && options.archive == nullptr) {
      plan.unmanaged.push_back(
          {sn.id, sn.time_rfc3339, "archive piece (type=wal): no archive retention to decide it"});
      continue;
    }
    index_of_id.emplace(sn.id, i);
    core::Result<SnapshotTime> time = ParseRfc3339Nano(sn.time_rfc3339);
    if (!time.ok()) {
      plan.unmanaged.push_back({sn.id, sn.time_rfc3339, time.status().message()});
      continue;
    }
    if (!InScope(tags, options)) {
      ++plan.out_of_scope;
      continue;
    }
    PlanGroup key_group{tags.engine, tags.cluster, tags.namespace_name, tags.type, {}, 0, 0};
    if (tags.type == SnapshotType::kWal) {
      auto& [group, pieces] = archives[key_group.Key()];
      group = key_group;
      pieces.push_back(ArchivePiece{i, *time});
      continue;
    }
    GroupBuilder& g = builders[key_group.Key()];
    if (g.group.engine.empty())  // the group's first member (every managed snapshot has an engine)
      g.group = key_group;
    jobs[i] = tags.job;
    AddToGroup(&g, i, *time, tags.job);
  }
  for (auto& [key, g] : builders) {
    DecideGroup(&g, snapshots, jobs, options);
    plan.groups.push_back(std::move(g.group));
  }
  for (auto& [key, archive] : archives) {
    PlanGroup decided = DecideArchive(archive.first, std::move(archive.second), plan.groups,
                                      index_of_id, snapshots, *options.archive);
    plan.groups.push_back(std::move(decided));
  }
  // Sorted by Key() as documented: a cluster's wal group sits after its backup group.
  std::stable_sort(plan.groups.begin(), plan.groups.end(),
                   [](const PlanGroup& a, const PlanGroup& b) { return a.Key() < b.Key(); });
  if (!options.allow_empty)
    HS_TRY(SafetyCheck(plan.groups));
  return plan;
}

std::vector<std::string> RetentionPlan::KeepIds() const {
  std::vector<std::string> out;
  for (const PlanGroup& g : groups) {
    for (const PlannedSnapshot& s : g.snapshots) {
      if (s.keep)
        out.push_back(s.id);
    }
  }
  return out;
}

std::vector<std::string> RetentionPlan::RemoveIds() const {
  std::vector<std::string> out;
  for (const PlanGroup& g : groups) {
    for (const PlannedSnapshot& s : g.snapshots) {
      if (!s.keep)
        out.push_back(s.id);
    }
  }
  return out;
}

nlohmann::json RetentionPlan::ToJson() const {
  nlohmann::json out = nlohmann::json::object();
  out["groups"] = nlohmann::json::array();
  size_t keep = 0, remove = 0;
  for (const PlanGroup& g : groups) {
    nlohmann::json jg = {{"engine", g.engine},
                         {"cluster", g.cluster},
                         {"namespace", g.namespace_name},
                         {"type", SnapshotTypeName(g.type)},
                         {"units", g.units},
                         {"kept_units", g.kept_units}};
    jg["keep"] = nlohmann::json::array();
    jg["remove"] = nlohmann::json::array();
    jg["snapshots"] = nlohmann::json::array();
    for (const PlannedSnapshot& s : g.snapshots) {
      nlohmann::json js = {{"id", s.id}, {"short_id", ShortId(s.id)}, {"time", s.time}};
      if (!s.job.empty())
        js["job"] = s.job;
      js["action"] = s.keep ? "keep" : "remove";
      js["reasons"] = s.reasons;
      jg["snapshots"].push_back(std::move(js));
      jg[s.keep ? "keep" : "remove"].push_back(s.id);
      ++(s.keep ? keep : remove);
    }
    out["groups"].push_back(std::move(jg));
  }
  out["unmanaged"] = nlohmann::json::array();
  for (const UnmanagedSnapshot& u : unmanaged) {
    out["unmanaged"].push_back(
        {{"id", u.id}, {"short_id", ShortId(u.id)}, {"time", u.time}, {"reason", u.reason}});
  }
  out["summary"] = {{"keep", keep},
                    {"remove", remove},
                    {"unmanaged", unmanaged.size()},
                    {"out_of_scope", out_of_scope}};
  return out;
}

std::string RetentionPlan::ToText() const {
  std::string out;
  for (const PlanGroup& g : groups) {
    const char* unit = g.type == SnapshotType::kDiverged ? "job groups" : "snapshots";
    out += "group " + g.Key() + ": keep " + std::to_string(g.kept_units) + " of " +
           std::to_string(g.units) + " " + unit + "\n";
    for (const PlannedSnapshot& s : g.snapshots) {
      out += std::string(s.keep ? "  keep    " : "  remove  ") + ShortId(s.id) + "  " + s.time;
      if (!s.job.empty())
        out += "  job=" + s.job;
      for (size_t i = 0; i < s.reasons.size(); ++i)
        out += (i ? ", " : "  ") + s.reasons[i];
      out += "\n";
    }
  }
  if (!unmanaged.empty()) {
    out += "not managed by hasteward, never touched: " + std::to_string(unmanaged.size()) + "\n";
    for (const UnmanagedSnapshot& u : unmanaged) {
      out += "  " + ShortId(u.id) + "  " + u.time + "  " + u.reason + "\n";
    }
  }
  if (out_of_scope > 0) {
    out += std::to_string(out_of_scope) + " snapshot(s) outside the selected type/scope\n";
  }
  return out;
}

}  // namespace hasteward::repo
