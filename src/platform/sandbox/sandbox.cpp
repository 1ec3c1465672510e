#include "platform/sandbox.h"

#include <filesystem>
#include <regex>

#include <sys/stat.h>
#include <unistd.h>

#include "core/fd.h"
#include "core/log.h"
#include "core/mount_table.h"
#include "core/os_user.h"
#include "core/process_info.h"
#include "core/temp_dir.h"
#include "platform/local/engine_profile.h"
#include "platform/local/instance_control.h"
#include "platform/local/local_platform.h"
#include "platform/sandbox/sandbox_build.h"
#include "platform/state_dir.h"

namespace hasteward::platform::sandbox {

namespace {

constexpr int kMaxInstances = 9;
constexpr std::chrono::seconds kTeardownStopTimeout{20};
constexpr std::chrono::seconds kKillGrace{5};

core::Status Validate(const SandboxSpec& spec) {
  static const std::regex kName("[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?");
  if (!std::regex_match(spec.name, kName)) {
    return core::Usage("invalid sandbox cluster name '" + spec.name + "'",
                       "use lowercase letters, digits and '-' (like a Kubernetes name)");
  }
  if (!std::regex_match(spec.ns, kName)) {
    return core::Usage("invalid namespace '" + spec.ns + "'",
                       "use lowercase letters, digits and '-'");
  }
  if (spec.instances < 1 || spec.instances > kMaxInstances) {
    return core::Usage("--instances must be between 1 and " + std::to_string(kMaxInstances));
  }
  if (spec.replication_mode != "async" && spec.replication_mode != "semisync") {
    return core::Usage("unknown replication mode '" + spec.replication_mode + "'",
                       "use async or semisync");
  }
  if (spec.replication_mode == "semisync" && !LocalProfile(spec.engine).has_replication_mode) {
    return core::Usage("--replication-mode semisync applies to the mariadb engine only");
  }
  return core::Status::Ok();
}

std::string MarkerText(const std::string& ns, const std::string& name) {
  return "hasteward sandbox " + ns + "/" + name + "\n";
}

// Stops every instance with its stop argv, kills what is left (servers, SST helpers: every
// process whose command line names the cluster directory), then removes the directory.
core::Status Teardown(EngineKind engine, const std::vector<Instance>& instances,
                      const std::string& cluster_dir) {
  for (const auto& i : instances) {
    core::Status st = StopLocalInstance(engine, i, kTeardownStopTimeout);
    if (!st.ok()) {
      core::LogWarn("stop failed, killing", {{"instance", i.name}, {"error", st.message()}});
      if (auto pid = RunningPid(engine, i))
        core::TerminateProcess(*pid, kKillGrace);
    }
  }
  for (pid_t pid : core::ProcessesMentioning(cluster_dir + "/")) {
    core::LogWarn("killing leftover process", {{"pid", std::to_string(pid)}});
    core::TerminateProcess(pid, kKillGrace);
  }
  auto left = core::ProcessesMentioning(cluster_dir + "/");
  if (!left.empty()) {
    return core::Internal("process " + std::to_string(left[0]) + " of sandbox '" + cluster_dir +
                          "' survived SIGKILL");
  }
  // An instant restore into the sandbox that was killed leaves its snapshot's FUSE mount and the
  // overlay on it below the directory; removing through them would fail or reach into the mount.
  HS_TRY(core::DetachMountsUnder(cluster_dir));
  HS_TRY(core::RemoveAll(cluster_dir));
  for (const auto& i : instances) {
    if (std::string fallback = SocketFallbackDirOf(i.socket); !fallback.empty())
      HS_TRY(core::RemoveAll(fallback));
  }
  ::rmdir(std::filesystem::path(cluster_dir).parent_path().c_str());  // the ns dir, when empty
  return core::Status::Ok();
}

core::Status PrepareDirs(SandboxBuild& b, const std::string& state_dir) {
  struct stat st {};
  if (::stat(b.cluster_dir.c_str(), &st) == 0) {
    return core::Status(core::ErrorCode::kAlreadyExists,
                        "sandbox directory '" + b.cluster_dir + "' already exists",
                        "run `hasteward sandbox down` for it, or remove the directory");
  }
  if (::stat(state_dir.c_str(), &st) != 0) {
    HS_TRY(core::MakeDirs(state_dir, 0755));
  }
  HS_TRY(CheckReachable(b.cluster_dir, b.os_user));
  HS_TRY(MakeOwnedDir(state_dir + "/" + b.spec.ns, 0755, ""));
  HS_TRY(MakeOwnedDir(b.cluster_dir, 0755, ""));
  return WriteFile(b.cluster_dir + "/" + kMarkerFile, MarkerText(b.spec.ns, b.spec.name), 0644);
}

}  // namespace

core::Result<Cluster> Up(const SandboxSpec& spec_in) {
  SandboxSpec spec = spec_in;
  HS_TRY(Validate(spec));
  std::string state_dir = spec.state_dir.empty() ? DefaultStateDir() : spec.state_dir;
  if (spec.inventory_path.empty())
    spec.inventory_path = DefaultInventoryPath();
  HS_ASSIGN_OR_RETURN(auto platform, LocalPlatform::Open(spec.inventory_path));
  if (platform->FindCluster(spec.ns, spec.name).ok()) {
    return core::Status(core::ErrorCode::kAlreadyExists,
                        "cluster '" + spec.ns + "/" + spec.name + "' already exists",
                        "pick another name, or run `hasteward sandbox down -n " + spec.ns + " -c " +
                            spec.name + "` first");
  }
  const LocalEngineProfile& profile = LocalProfile(spec.engine);
  SandboxBuild b;
  b.spec = spec;
  b.cluster_dir = state_dir + "/" + spec.ns + "/" + spec.name;
  if (core::RunningAsRoot())
    b.os_user = profile.server_os_user;
  b.cluster.name = spec.name;
  b.cluster.ns = spec.ns;
  b.cluster.engine = spec.engine;
  b.cluster.options[kOptionSandbox] = "true";
  b.cluster.options[kOptionSandboxDir] = b.cluster_dir;
  if (profile.has_replication_mode)
    b.cluster.options["replication_mode"] = spec.replication_mode;
  core::Status st = PrepareDirs(b, state_dir);
  if (st.ok())
    st = profile.build_sandbox(b);
  if (st.ok())
    st = platform->AddCluster(b.cluster);
  if (!st.ok()) {
    if (st.code() != core::ErrorCode::kAlreadyExists) {
      core::Status td = Teardown(spec.engine, b.cluster.instances, b.cluster_dir);
      if (!td.ok())
        core::LogError("cleanup after failed sandbox up", {{"error", td.message()}});
    }
    return st.Wrap("sandbox up '" + spec.ns + "/" + spec.name + "'");
  }
  return b.cluster;
}

core::Status Down(const std::string& inventory_path, const std::string& ns,
                  const std::string& name) {
  std::string path = inventory_path.empty() ? DefaultInventoryPath() : inventory_path;
  HS_ASSIGN_OR_RETURN(auto platform, LocalPlatform::Open(path));
  auto found = platform->FindCluster(ns, name);
  if (!found.ok()) {
    return found.status().code() == core::ErrorCode::kNotFound ? core::Status::Ok()
                                                               : found.TakeStatus();
  }
  const Cluster& c = *found;
  auto dir = c.options.find(kOptionSandboxDir);
  if (dir == c.options.end() || dir->second.empty()) {
    return core::Status(core::ErrorCode::kSafetyStop,
                        "cluster '" + ns + "/" + name + "' is not a sandbox",
                        "sandbox down only removes clusters made by sandbox up");
  }
  auto marker = core::ReadFileToString(dir->second + "/" + kMarkerFile);
  struct stat st {};
  bool dir_exists = ::stat(dir->second.c_str(), &st) == 0;
  if (dir_exists && (!marker.ok() || *marker != MarkerText(ns, name))) {
    return core::Status(
        core::ErrorCode::kSafetyStop,
        "directory '" + dir->second + "' does not belong to sandbox '" + ns + "/" + name + "'",
        "fix sandboxDir in the inventory, or remove the directory by hand");
  }
  HS_TRY(Teardown(c.engine, c.instances, dir->second));
  return platform->RemoveCluster(ns, name);
}

core::Status AdoptCredentials(const std::string& inventory_path, const std::string& ns,
                              const std::string& name, const Credentials& credentials) {
  std::string path = inventory_path.empty() ? DefaultInventoryPath() : inventory_path;
  HS_ASSIGN_OR_RETURN(auto platform, LocalPlatform::Open(path));
  HS_ASSIGN_OR_RETURN(Cluster c, platform->FindCluster(ns, name));
  if (c.options.count(kOptionSandboxDir) == 0 || c.credentials.password.file.empty()) {
    return core::Status(core::ErrorCode::kSafetyStop,
                        "cluster '" + ns + "/" + name + "' is not a sandbox",
                        "only a sandbox's own password file is rewritten");
  }
  std::string password;
  if (!credentials.password.empty()) {
    HS_ASSIGN_OR_RETURN(password, credentials.password.Resolve());
  }
  // The sandbox's own file rather than a reference to the source's: a Kubernetes secret has no
  // file, and the source's file may move or change while the sandbox lives.
  HS_TRY(WriteFile(c.credentials.password.file, password + "\n", 0600));
  c.credentials.user = credentials.user;
  return platform->ReplaceCluster(c);
}

std::string ConnectCommand(const Cluster& cluster) {
  if (cluster.instances.empty())
    return "";
  return LocalProfile(cluster.engine)
      .connect_command(cluster.instances.front(), cluster.credentials);
}

core::Result<std::vector<SandboxStatus>> List(const std::string& inventory_path) {
  HS_ASSIGN_OR_RETURN(auto platform, LocalPlatform::Open(inventory_path));
  HS_ASSIGN_OR_RETURN(auto clusters, platform->ListClusters());
  std::vector<SandboxStatus> out;
  for (auto& c : clusters) {
    if (c.options.count(kOptionSandbox) == 0)
      continue;
    SandboxStatus s;
    for (const auto& i : c.instances)
      s.running.push_back(RunningPid(c.engine, i).has_value());
    s.cluster = std::move(c);
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace hasteward::platform::sandbox
