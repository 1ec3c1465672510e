#include <cstdio>

#include <nlohmann/json.hpp>

#include "catalog/base_backup_record.h"
#include "cli/commands.h"
#include "cli/repo_access.h"
#include "cli/snapshot_filter.h"
#include "cli/table.h"
#include "pitr/pitr.h"
#include "verify/evidence.h"

namespace hasteward::cli {

namespace {

struct GetFlags {
  std::string type;
};

std::string Dash(const std::string& s) {
  return s.empty() ? "-" : s;
}

using VerificationIndex = std::map<std::string, verify::VerificationState>;

// How a backup or capture was taken: "native" (physical, tag method=native) or "dump" (logical;
// dump snapshots carry no method tag); "-" for verification evidence.
std::string MethodOf(const repo::Snapshot& s) {
  if (repo::TypeOf(s) == repo::SnapshotType::kVerification)
    return "-";
  const auto facts = catalog::TagFacts(s.tags);
  auto method = facts.find("method");
  return method == facts.end() || method->second.empty() ? "dump" : method->second;
}

// The verification state of a cluster backup; "-" for other types and for snapshots without a type
// tag (`backup --stdin`, restic's own), which name no cluster to verify into.
std::string VerificationOf(const VerificationIndex& index, const repo::Snapshot& s) {
  if (s.TagValue("type").empty() || repo::TypeOf(s) != repo::SnapshotType::kBackup)
    return "-";
  return verify::DescribeVerification(index, repo::IdToHex(s.id));
}

nlohmann::ordered_json SnapshotJson(const repo::Snapshot& s, const VerificationIndex& index) {
  nlohmann::ordered_json j;
  j["id"] = repo::IdToHex(s.id);
  j["short_id"] = repo::IdToHex(s.id).substr(0, 8);
  j["time"] = s.time.Format();
  j["hostname"] = s.hostname;
  j["paths"] = s.paths;
  j["tags"] = s.tags;
  j["engine"] = s.TagValue("engine");
  j["cluster"] = s.TagValue("cluster");
  j["namespace"] = s.TagValue("namespace");
  j["type"] = s.TagValue("type");
  j["method"] = MethodOf(s);
  j["job"] = s.TagValue("job");
  j["verification"] = VerificationOf(index, s);
  if (repo::TypeOf(s) == repo::SnapshotType::kVerification) {
    j["verifies"] = s.TagValue(verify::kTagVerifies);
    j["verdict"] = s.TagValue(verify::kTagVerdict);
  }
  return j;
}

core::Status RunGetBackups(const GlobalOptions& g, const GetFlags& f) {
  SnapshotFilter filter = SnapshotFilter::FromGlobals(g);
  if (!f.type.empty()) {  // without -t every type is listed
    HS_ASSIGN_OR_RETURN(filter.type, repo::ParseTypeSelector(f.type));
  }
  HS_ASSIGN_OR_RETURN(auto r, OpenRepository(g));
  HS_ASSIGN_OR_RETURN(auto snaps, r->ListSnapshots());
  auto selected = filter.Apply(snaps);
  if (f.type.empty()) {
    // WAL snapshots are pieces of the continuous archive, not backups: `-t wal` or `-t all`
    // lists them (a month of archiving would bury the backups otherwise).
    std::erase_if(selected, [](const repo::Snapshot& s) {
      return repo::TypeOf(s) == repo::SnapshotType::kWal;
    });
  }
  VerificationIndex index = verify::IndexVerifications(snaps);
  if (g.WantsJson()) {
    auto arr = nlohmann::ordered_json::array();
    for (const auto& s : selected)
      arr.push_back(SnapshotJson(s, index));
    std::printf("%s\n", arr.dump().c_str());
    return core::Status::Ok();
  }
  Table t({"ID", "TIME", "ENGINE", "NAMESPACE", "CLUSTER", "TYPE", "METHOD", "JOB", "VERIFIED",
           "HOST", "PATH"});
  for (const auto& s : selected) {
    auto c = s.time.ToCivil();
    char when[32];
    std::snprintf(when, sizeof(when), "%04d-%02d-%02d %02d:%02d:%02d", c.year, c.month, c.day,
                  c.hour, c.minute, c.second);
    t.AddRow({repo::IdToHex(s.id).substr(0, 8), when, Dash(s.TagValue("engine")),
              Dash(s.TagValue("namespace")), Dash(s.TagValue("cluster")), Dash(s.TagValue("type")),
              MethodOf(s), Dash(s.TagValue("job")), VerificationOf(index, s), s.hostname,
              s.paths.empty() ? "-" : s.paths[0]});
  }
  std::printf("%s%zu snapshot(s)\n", t.Render().c_str(), selected.size());
  return core::Status::Ok();
}

}  // namespace

void AddListBackupsCommand(CLI::App& parent, const std::string& name, GlobalOptions& g,
                           CommandOutcome& out) {
  auto flags = std::make_shared<GetFlags>();
  auto* backups = parent.add_subcommand(name, "List backups (snapshots) in the repository");
  backups->add_option("-t,--type", flags->type, "backup|diverged|verification|wal|all");
  backups->callback([&g, &out, flags] { out.status = RunGetBackups(g, *flags); });
}

void RegisterGetCommand(CLI::App& app, GlobalOptions& g, CommandOutcome& out) {
  auto* get = app.add_subcommand("get", "Show backups, status, policies and repositories");
  get->require_subcommand(1);
  AddListBackupsCommand(*get, "backups", g, out);
  AddOperatorGetCommands(*get, g, out);
}

}  // namespace hasteward::cli
