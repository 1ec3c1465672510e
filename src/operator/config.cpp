#include "operator/config.h"

#include <algorithm>
#include <set>

#include <yaml-cpp/yaml.h>

#include "core/cron.h"
#include "core/fd.h"
#include "platform/registry.h"
#include "platform/state_dir.h"

namespace hasteward::op {

namespace {

core::Status CheckKeys(const YAML::Node& node, const std::set<std::string>& known,
                       const std::string& where) {
  if (!node.IsMap())
    return core::Usage(where + " must be a mapping");
  for (const auto& kv : node) {
    auto key = kv.first.as<std::string>();
    if (!known.count(key)) {
      // NOLINTNEXTLINE(performance-inefficient-string-concatenation): error path, runs once
      return core::Usage("unknown key '" + key + "' in " + where,
                         "see docs/operator.md for the config format");
    }
  }
  return core::Status::Ok();
}

std::string Str(const YAML::Node& n, const char* key, std::string fallback = "") {
  return n[key] ? n[key].as<std::string>() : std::move(fallback);
}

core::Status CheckSchedule(const std::string& expr, const std::string& where) {
  if (expr.empty())
    return core::Status::Ok();
  auto c = core::CronSchedule::Parse(expr);
  return c.ok() ? core::Status::Ok() : c.TakeStatus().Wrap(where);
}

core::Status ParseRetention(const YAML::Node& n, repo::RetentionPolicy& r,
                            const std::string& where) {
  if (!n)
    return core::Status::Ok();
  HS_TRY(CheckKeys(
      n, {"keepLast", "keepHourly", "keepDaily", "keepWeekly", "keepMonthly", "keepYearly"},
      where));
  r.keep_last = n["keepLast"].as<int>(0);
  r.keep_hourly = n["keepHourly"].as<int>(0);
  r.keep_daily = n["keepDaily"].as<int>(0);
  r.keep_weekly = n["keepWeekly"].as<int>(0);
  r.keep_monthly = n["keepMonthly"].as<int>(0);
  r.keep_yearly = n["keepYearly"].as<int>(0);
  return r.Validate();
}

core::Status ParseRepository(const YAML::Node& n, ServeConfig& c) {
  HS_TRY(CheckKeys(n, {"name", "repository", "path", "url", "passwordFile"}, "a repository"));
  RepositorySpec r{Str(n, "name"), Str(n, "repository", Str(n, "path", Str(n, "url"))),
                   Str(n, "passwordFile"), nullptr};
  if (r.name.empty() || r.location.empty()) {
    return core::Usage("a repository needs 'name' and 'repository' (or 'path'/'url')");
  }
  c.repositories.push_back(std::move(r));
  return core::Status::Ok();
}

core::Status ParsePolicy(const YAML::Node& n, ServeConfig& c) {
  HS_TRY(CheckKeys(n,
                   {"name", "backupSchedule", "triageSchedule", "verifySchedule", "mode",
                    "repositories", "retention", "pitr", "pitrSync", "backupMethod"},
                   "a policy"));
  PolicySpec p;
  p.name = Str(n, "name");
  if (p.name.empty())
    return core::Usage("a policy needs a 'name'");
  std::string where = "policy '" + p.name + "'";
  p.backup_schedule = Str(n, "backupSchedule");
  p.triage_schedule = Str(n, "triageSchedule");
  p.verify_schedule = Str(n, "verifySchedule");
  p.mode = Str(n, "mode", "triage");
  if (n["repositories"])
    p.repositories = n["repositories"].as<std::vector<std::string>>();
  HS_TRY(ParseRetention(n["retention"], p.retention, where + " retention"));
  p.pitr = n["pitr"].as<bool>(false);
  p.pitr_sync = n["pitrSync"].as<bool>(false);
  HS_ASSIGN_OR_RETURN(p.backup_method, ParseBackupMethod(Str(n, "backupMethod"), where));
  c.policies.push_back(std::move(p));
  return core::Status::Ok();
}

core::Status ParseCluster(const YAML::Node& n, ServeConfig& c) {
  HS_TRY(CheckKeys(n,
                   {"namespace", "name", "policy", "backupSchedule", "triageSchedule",
                    "verifySchedule", "mode", "pitr", "pitrSync", "backupMethod", "exclude"},
                   "a cluster"));
  ClusterSpec s;
  s.ns = Str(n, "namespace", "default");
  s.name = Str(n, "name");
  if (s.name.empty())
    return core::Usage("a cluster needs a 'name'");
  s.policy = Str(n, "policy", "default");
  s.backup_schedule = Str(n, "backupSchedule");
  s.triage_schedule = Str(n, "triageSchedule");
  s.verify_schedule = Str(n, "verifySchedule");
  s.mode = Str(n, "mode");
  if (n["pitr"])
    s.pitr = n["pitr"].as<bool>();
  if (n["pitrSync"])
    s.pitr_sync = n["pitrSync"].as<bool>();
  HS_ASSIGN_OR_RETURN(s.backup_method, ParseBackupMethod(Str(n, "backupMethod"),
                                                         "cluster '" + s.ns + "/" + s.name + "'"));
  s.exclude = n["exclude"].as<bool>(false);
  c.clusters.push_back(std::move(s));
  return core::Status::Ok();
}

core::Status ParseLeaderElection(const YAML::Node& n, platform::LeaderElectionSettings& s) {
  if (!n)
    return core::Status::Ok();
  HS_TRY(CheckKeys(n,
                   {"leaseName", "namespace", "leaseDurationSeconds", "renewDeadlineSeconds",
                    "retryPeriodSeconds"},
                   "leaderElection"));
  s.lease_name = Str(n, "leaseName", s.lease_name);
  s.ns = Str(n, "namespace");
  // Fractions of a second are accepted so tests can elect fast.
  auto millis = [&n](const char* key, std::chrono::milliseconds fallback) {
    return n[key] ? std::chrono::milliseconds(static_cast<int64_t>(n[key].as<double>() * 1000))
                  : fallback;
  };
  s.lease_duration = millis("leaseDurationSeconds", s.lease_duration);
  s.renew_deadline = millis("renewDeadlineSeconds", s.renew_deadline);
  s.retry_period = millis("retryPeriodSeconds", s.retry_period);
  return s.Validate();
}

core::Status ParseDiscovery(const YAML::Node& n, DiscoverySpec& d) {
  if (!n)
    return core::Status::Ok();
  HS_TRY(CheckKeys(n, {"annotations", "resyncSeconds", "namespace"}, "discovery"));
  d.annotations = n["annotations"].as<bool>(false);
  d.ns = n["namespace"].as<std::string>("");
  // Fractions of a second are accepted so tests can resync fast.
  if (n["resyncSeconds"]) {
    const double seconds = n["resyncSeconds"].as<double>();
    if (seconds <= 0)
      return core::Usage("discovery.resyncSeconds must be positive");
    d.resync = std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
  }
  return core::Status::Ok();
}

// The operator opens its platform only when it starts serving; a misspelt name is caught here,
// with the config's other mistakes.
core::Status CheckPlatform(const std::string& name) {
  auto names = platform::PlatformNames();
  if (name.empty() || std::find(names.begin(), names.end(), name) != names.end()) {
    return core::Status::Ok();
  }
  std::string known;
  for (const auto& n : names)
    known += (known.empty() ? "" : ", ") + n;
  return core::Usage("unknown platform '" + name + "' in the config",
                     "set platform: to one of: " + known);
}

core::Status ParseDocument(const YAML::Node& root, ServeConfig& c) {
  HS_TRY(CheckKeys(root,
                   {"platform", "inventory", "stateFile", "repositories", "policies", "clusters",
                    "leaderElection", "discovery", "pitrStatusSeconds", "standbys", "walAgentDir"},
                   "the config"));
  c.platform = Str(root, "platform");
  HS_TRY(CheckPlatform(c.platform));
  c.inventory = Str(root, "inventory");
  c.state_file = Str(root, "stateFile");
  HS_TRY(ParseLeaderElection(root["leaderElection"], c.leader_election));
  HS_TRY(ParseDiscovery(root["discovery"], c.discovery));
  if (root["pitrStatusSeconds"]) {
    // Fractions of a second are accepted so tests can refresh fast.
    const double seconds = root["pitrStatusSeconds"].as<double>();
    if (seconds <= 0)
      return core::Usage("pitrStatusSeconds must be positive");
    c.pitr_status_refresh = std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
  }
  if (root["walAgentDir"])
    c.wal_agent_dir = root["walAgentDir"].IsNull() ? "" : root["walAgentDir"].as<std::string>();
  for (const auto& n : root["repositories"])
    HS_TRY(ParseRepository(n, c));
  for (const auto& n : root["policies"])
    HS_TRY(ParsePolicy(n, c));
  for (const auto& n : root["clusters"])
    HS_TRY(ParseCluster(n, c));
  if (root["standbys"]) {
    // The entries are standby declarations: the standby file's own parser reads them, so the
    // two formats cannot drift apart.
    YAML::Node declarations;
    declarations["standbys"] = root["standbys"];
    HS_ASSIGN_OR_RETURN(c.standbys,
                        dr::ParseStandbySpecs(YAML::Dump(declarations), c.source + " standbys"));
  }
  return core::Status::Ok();
}

}  // namespace

core::Result<ServeConfig> ParseServeConfig(const std::string& text, const std::string& source) {
  ServeConfig c;
  c.source = source;
  try {
    HS_TRY(ParseDocument(YAML::Load(text), c));
  } catch (const YAML::Exception& e) {
    return core::Usage("config '" + source + "': " + e.what(), "fix the YAML");
  }
  auto resolved = ResolveClusters(c);
  if (!resolved.ok())
    return resolved.TakeStatus().Wrap("config '" + source + "'");
  return c;
}

core::Result<ServeConfig> LoadServeConfig(const std::string& path) {
  auto text = core::ReadFileToString(path);
  if (!text.ok()) {
    return core::Usage("cannot read config '" + path + "'",
                       "pass --config FILE (docs/operator.md)");
  }
  return ParseServeConfig(*text, path);
}

core::Result<ManagedCluster> ResolveCluster(const ServeConfig& config, const ClusterSpec& s) {
  const PolicySpec* p = nullptr;
  for (const auto& cand : config.policies)
    p = cand.name == s.policy ? &cand : p;
  if (p == nullptr) {
    return core::Usage("cluster '" + s.ns + "/" + s.name + "' names unknown policy '" + s.policy +
                       "'");
  }
  ManagedCluster m{s.ns,
                   s.name,
                   p->name,
                   s.backup_schedule.empty() ? p->backup_schedule : s.backup_schedule,
                   s.triage_schedule.empty() ? p->triage_schedule : s.triage_schedule,
                   s.verify_schedule.empty() ? p->verify_schedule : s.verify_schedule,
                   s.mode.empty() ? p->mode : s.mode,
                   {},
                   p->retention,
                   s.pitr.value_or(p->pitr),
                   BackupMethodOver(p->backup_method, s.backup_method)};
  m.pitr_sync = s.pitr_sync.value_or(p->pitr_sync);
  std::string where = "cluster '" + m.Key() + "'";
  if (m.pitr_sync && !m.pitr) {
    return core::Usage(where + " has pitrSync on but pitr off",
                       "the synchronous receiver stores into the archive: turn pitr on too");
  }
  if (m.mode != "triage" && m.mode != "repair") {
    return core::Usage(where + ": mode '" + m.mode + "' is not triage or repair");
  }
  HS_TRY(CheckSchedule(m.backup_schedule, where + " backupSchedule"));
  HS_TRY(CheckSchedule(m.triage_schedule, where + " triageSchedule"));
  HS_TRY(CheckSchedule(m.verify_schedule, where + " verifySchedule"));
  for (const auto& name : p->repositories) {
    const RepositorySpec* r = nullptr;
    for (const auto& cand : config.repositories)
      r = cand.name == name ? &cand : r;
    if (r == nullptr)
      return core::Usage("policy '" + p->name + "' names unknown repository '" + name + "'");
    m.repositories.push_back(*r);
  }
  if (m.repositories.empty() && !(m.backup_schedule.empty() && m.verify_schedule.empty())) {
    return core::Usage(where +
                       " has backup or verify schedules but its policy names no repository");
  }
  if (m.repositories.empty() && m.pitr) {
    return core::Usage(where + " has pitr on but its policy names no repository",
                       "name a repository in the policy: the archive goes to the first one");
  }
  if (m.repositories.empty() && m.mode == "repair") {
    // A repair takes an escrow backup first; the operator never heals without one.
    return core::Usage(where + " is in mode repair but its policy names no repository",
                       "name a repository in the policy: the repair's escrow backup goes there");
  }
  return m;
}

core::Result<std::vector<ManagedCluster>> ResolveClusters(const ServeConfig& config) {
  std::vector<ManagedCluster> out;
  std::set<std::string> seen;
  for (const auto& s : config.clusters) {
    HS_ASSIGN_OR_RETURN(ManagedCluster m, ResolveCluster(config, s));
    if (!seen.insert(m.Key()).second)
      return core::Usage("cluster '" + m.Key() + "' is listed twice");
    if (!s.exclude)
      out.push_back(std::move(m));
  }
  return out;
}

std::string StateFilePath(const ServeConfig& config) {
  return config.state_file.empty() ? platform::DefaultStateDir() + "/serve-state.json"
                                   : config.state_file;
}

}  // namespace hasteward::op
