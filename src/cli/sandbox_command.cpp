// `hasteward sandbox up|down|list`: real throwaway clusters from Debian's packages.
#include <chrono>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "core/clock.h"
#include "platform/registry.h"
#include "platform/sandbox.h"
#include "platform/state_dir.h"

namespace hasteward::cli {

namespace {

struct SandboxFlags {
  int instances = 3;
  std::string replication_mode = "async";
  std::string state_dir;
};

// Sandbox clusters are local servers recorded in the local platform's inventory.
core::Status RequireLocalPlatform(const GlobalOptions& g) {
  if (!g.platform.empty() && g.platform != platform::kDefaultPlatform) {
    return core::Usage("sandbox clusters live on the local platform, not '" + g.platform + "'",
                       "drop --platform / HASTEWARD_PLATFORM for sandbox commands");
  }
  return core::Status::Ok();
}

core::Status RequireCluster(const GlobalOptions& g) {
  HS_TRY(RequireLocalPlatform(g));
  if (g.cluster.empty()) {
    return core::Usage("no cluster name given", "pass -c NAME (or set HASTEWARD_CLUSTER)");
  }
  return core::Status::Ok();
}

nlohmann::json InstanceJson(const platform::Instance& i, bool running) {
  return {{"name", i.name},     {"ordinal", i.ordinal},
          {"host", i.host},     {"port", i.port},
          {"socket", i.socket}, {"dataDir", i.data_dir},
          {"running", running}, {"role", i.labels.count("role") ? i.labels.at("role") : ""}};
}

nlohmann::json ClusterJson(const platform::Cluster& c, const std::vector<bool>& running) {
  nlohmann::json j = {{"name", c.name},
                      {"namespace", c.ns},
                      {"engine", platform::EngineKindName(c.engine)},
                      {"instances", nlohmann::json::array()}};
  for (size_t n = 0; n < c.instances.size(); ++n) {
    j["instances"].push_back(InstanceJson(c.instances[n], n < running.size() && running[n]));
  }
  return j;
}

core::Status RunUp(const GlobalOptions& g, const SandboxFlags& f) {
  HS_TRY(RefuseDryRun(g, "sandbox up", "it starts real servers",
                      "run it without --dry-run; 'hasteward sandbox down' removes it again"));
  HS_TRY(RequireCluster(g));
  HS_ASSIGN_OR_RETURN(auto engine, platform::ParseEngineKind(g.engine.empty() ? "cnpg" : g.engine));
  platform::sandbox::SandboxSpec spec{g.cluster,          g.ns,        engine,     f.instances,
                                      f.replication_mode, f.state_dir, g.inventory};
  const auto& clock = core::SystemClock::Get();
  auto start = clock.Monotonic();
  HS_ASSIGN_OR_RETURN(platform::Cluster c, platform::sandbox::Up(spec));
  double secs = std::chrono::duration<double>(clock.Monotonic() - start).count();
  std::vector<bool> running(c.instances.size(), true);
  if (g.WantsJson()) {
    auto j = ClusterJson(c, running);
    j["seconds"] = secs;
    std::printf("%s\n", j.dump().c_str());
  } else if (!g.quiet) {
    std::printf("sandbox %s/%s (%s) up in %.1fs:\n", c.ns.c_str(), c.name.c_str(),
                platform::EngineKindName(c.engine), secs);
    for (const auto& i : c.instances) {
      std::printf("  %-20s %s:%d  %s\n", i.name.c_str(), i.host.c_str(), i.port,
                  i.data_dir.c_str());
    }
  }
  return core::Status::Ok();
}

core::Status RunDown(const GlobalOptions& g) {
  HS_TRY(RefuseDryRun(g, "sandbox down", "it removes the cluster's processes and directories",
                      "run 'hasteward sandbox list' to see what exists"));
  HS_TRY(RequireCluster(g));
  HS_TRY(platform::sandbox::Down(g.inventory, g.ns, g.cluster));
  if (!g.quiet && !g.WantsJson()) {
    std::printf("sandbox %s/%s removed\n", g.ns.c_str(), g.cluster.c_str());
  }
  return core::Status::Ok();
}

core::Status RunList(const GlobalOptions& g) {
  HS_TRY(RequireLocalPlatform(g));
  std::string inventory = g.inventory.empty() ? platform::DefaultInventoryPath() : g.inventory;
  HS_ASSIGN_OR_RETURN(auto list, platform::sandbox::List(inventory));
  if (g.WantsJson()) {
    nlohmann::json j = nlohmann::json::array();
    for (const auto& s : list)
      j.push_back(ClusterJson(s.cluster, s.running));
    std::printf("%s\n", j.dump().c_str());
    return core::Status::Ok();
  }
  std::printf("%-12s %-20s %-8s %-20s %-6s %-8s %s\n", "NAMESPACE", "CLUSTER", "ENGINE", "INSTANCE",
              "PORT", "ROLE", "STATE");
  for (const auto& s : list) {
    for (size_t n = 0; n < s.cluster.instances.size(); ++n) {
      const auto& i = s.cluster.instances[n];
      std::string role = i.labels.count("role") ? i.labels.at("role") : "node";
      std::printf("%-12s %-20s %-8s %-20s %-6d %-8s %s\n", s.cluster.ns.c_str(),
                  s.cluster.name.c_str(), platform::EngineKindName(s.cluster.engine),
                  i.name.c_str(), i.port, role.c_str(), s.running[n] ? "running" : "stopped");
    }
  }
  return core::Status::Ok();
}

}  // namespace

void RegisterSandboxCommand(CLI::App& app, GlobalOptions& g, CommandOutcome& out) {
  auto* cmd = app.add_subcommand("sandbox", "Real local database clusters for tests and demos");
  cmd->require_subcommand(1);
  cmd->fallthrough();
  static SandboxFlags flags;
  auto* up = cmd->add_subcommand("up", "Create and start a sandbox cluster (-e ENGINE -c NAME)");
  up->fallthrough();
  up->add_option("--instances", flags.instances, "Instances (primary + replicas, or nodes)");
  up->add_option("--replication-mode", flags.replication_mode, "MariaDB: async|semisync")
      ->check(CLI::IsMember({"async", "semisync"}));
  up->add_option("--state-dir", flags.state_dir, "Where data lives (env HASTEWARD_STATE_DIR)");
  up->callback([&g, &out] { out.status = RunUp(g, flags); });
  auto* down = cmd->add_subcommand("down", "Stop a sandbox cluster and remove everything it made");
  down->fallthrough();
  down->callback([&g, &out] { out.status = RunDown(g); });
  auto* list = cmd->add_subcommand("list", "List sandbox clusters, their ports and state");
  list->fallthrough();
  list->callback([&g, &out] { out.status = RunList(g); });
}

}  // namespace hasteward::cli
