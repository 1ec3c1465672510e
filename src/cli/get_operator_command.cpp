// `get policies`, `get repositories`, `get status`: the operator's config and state as tables or
// JSON, read from the same files `serve` uses.
#include <cstdio>
#include <cstdlib>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/table.h"
#include "core/redact.h"
#include "operator/config.h"
#include "operator/status_view.h"

namespace hasteward::cli {

namespace {

core::Result<op::ServeConfig> LoadConfig(const std::string& flag) {
  std::string path = flag;
  if (path.empty() && std::getenv("HASTEWARD_CONFIG") != nullptr)
    path = std::getenv("HASTEWARD_CONFIG");
  if (path.empty())
    return core::Usage("no config given", "pass --config FILE or set HASTEWARD_CONFIG");
  return op::LoadServeConfig(path);
}

std::string Or(const std::string& s, const char* dash = "-") {
  return s.empty() ? dash : s;
}

core::Status Policies(const GlobalOptions& g, const std::string& path) {
  HS_ASSIGN_OR_RETURN(auto config, LoadConfig(path));
  auto arr = nlohmann::ordered_json::array();
  Table t({"NAME", "MODE", "BACKUP", "TRIAGE", "VERIFY", "REPOSITORIES", "RETENTION"});
  for (const auto& p : config.policies) {
    std::string repos;
    for (const auto& r : p.repositories)
      repos += (repos.empty() ? "" : ",") + r;
    std::string retention;
    for (const auto& a : p.retention.ToResticArgs())
      retention += (retention.empty() ? "" : " ") + a;
    arr.push_back({{"name", p.name},
                   {"mode", p.mode},
                   {"backupSchedule", p.backup_schedule},
                   {"triageSchedule", p.triage_schedule},
                   {"verifySchedule", p.verify_schedule},
                   {"repositories", p.repositories},
                   {"retention", retention}});
    t.AddRow({p.name, p.mode, Or(p.backup_schedule), Or(p.triage_schedule), Or(p.verify_schedule),
              Or(repos), Or(retention)});
  }
  std::printf("%s", g.WantsJson() ? (arr.dump() + "\n").c_str() : t.Render().c_str());
  return core::Status::Ok();
}

core::Status Repositories(const GlobalOptions& g, const std::string& path) {
  HS_ASSIGN_OR_RETURN(auto config, LoadConfig(path));
  auto arr = nlohmann::ordered_json::array();
  Table t({"NAME", "REPOSITORY", "PASSWORD FILE"});
  for (const auto& r : config.repositories) {
    std::string location = core::RedactUrlCredentials(r.location);
    arr.push_back({{"name", r.name}, {"repository", location}, {"passwordFile", r.password_file}});
    t.AddRow({r.name, location, Or(r.password_file)});
  }
  std::printf("%s", g.WantsJson() ? (arr.dump() + "\n").c_str() : t.Render().c_str());
  return core::Status::Ok();
}

nlohmann::ordered_json JobJson(const op::JobStatus& j) {
  return {{"outcome", j.outcome},
          {"last_run", op::FormatUnix(j.last_run)},
          {"next_run", op::FormatUnix(j.next_run)},
          {"snapshot_id", j.snapshot_id},
          {"error", j.error}};
}

core::Status Status(const GlobalOptions& g, const std::string& path) {
  // Without an operator config: the last triage of every known cluster (status_command.cpp).
  if (path.empty() && std::getenv("HASTEWARD_CONFIG") == nullptr)
    return ShowLastTriages(g);
  HS_ASSIGN_OR_RETURN(auto config, LoadConfig(path));
  HS_ASSIGN_OR_RETURN(auto store, op::StateStore::Open(op::StateFilePath(config)));
  HS_ASSIGN_OR_RETURN(auto rows, op::BuildStatus(config, store->Snapshot()));
  auto arr = nlohmann::ordered_json::array();
  Table t({"NAMESPACE", "CLUSTER", "POLICY", "MODE", "TRIAGE", "REPAIR", "LAST BACKUP", "BACKUP",
           "VERIFIED", "NEXT BACKUP"});
  for (const auto& r : rows) {
    arr.push_back({{"namespace", r.ns},
                   {"cluster", r.name},
                   {"policy", r.policy},
                   {"mode", r.mode},
                   {"backup", JobJson(r.backup)},
                   {"verify", JobJson(r.verify)},
                   {"triage", JobJson(r.triage)},
                   {"repair", JobJson(r.repair)}});
    t.AddRow({r.ns, r.name, r.policy, r.mode, Or(r.triage.outcome, "unknown"), Or(r.repair.outcome),
              op::FormatUnix(r.backup.last_run), Or(r.backup.outcome),
              Or(r.verify.outcome, "never"), op::FormatUnix(r.backup.next_run)});
  }
  std::printf("%s", g.WantsJson() ? (arr.dump() + "\n").c_str() : t.Render().c_str());
  return core::Status::Ok();
}

}  // namespace

void AddOperatorGetCommands(CLI::App& get, GlobalOptions& g, CommandOutcome& out) {
  auto config = std::make_shared<std::string>();
  auto add = [&](const char* name, const char* help,
                 core::Status (*fn)(const GlobalOptions&, const std::string&)) {
    auto* cmd = get.add_subcommand(name, help);
    cmd->add_option("--config", *config, "Operator config YAML (env HASTEWARD_CONFIG)");
    cmd->callback([&g, &out, config, fn] { out.status = fn(g, *config); });
  };
  add("policies", "List the operator's backup policies", &Policies);
  add("repositories", "List the operator's backup repositories", &Repositories);
  add("status", "Show each managed cluster's triage, backup and verification state", &Status);
}

}  // namespace hasteward::cli
