#include "operator/runtime/child_job.h"

#include <array>

#include "core/fd.h"
#include "core/temp_dir.h"
#include "engine/client_tools.h"

namespace hasteward::op {

namespace {

// Consents a person gives one command of theirs (re-clone a healthy instance, heal without an
// escrow backup): a job the operator starts on its own never inherits them from serve's
// environment, where they would apply to every repair it runs from then on.
constexpr std::array<const char*, 2> kConsentVariables = {"HASTEWARD_FORCE", "HASTEWARD_NO_ESCROW"};

}  // namespace

ChildCommand MakeClusterChild(const std::string& exe, const std::vector<std::string>& verb,
                              const ManagedCluster& cluster, const RepositorySpec& repo,
                              const platform::PlatformOptions& platform,
                              const std::string& log_format) {
  ChildCommand c;
  c.argv = {exe};
  c.argv.insert(c.argv.end(), verb.begin(), verb.end());
  c.argv.insert(c.argv.end(), {"-c", cluster.name, "-n", cluster.ns, "--json", "--progress",
                               "never", "--log-format", log_format});
  c.env = {{"HASTEWARD_BACKUPS_PATH", repo.location}};
  if (repo.secrets) {
    // A BackupRepository's Secrets: the password through an inherited memory file (RunChild),
    // the storage environment (envSecretRef) beside the location.
    c.password = repo.secrets->password;
    for (const auto& [name, value] : repo.secrets->env)
      c.env[name] = value;
  } else {
    c.argv.insert(c.argv.end(), {"--restic-password-file", repo.password_file});
  }
  if (!platform.name.empty())
    c.argv.insert(c.argv.end(), {"--platform", platform.name});
  if (!platform.inventory_path.empty())
    c.argv.insert(c.argv.end(), {"--inventory", platform.inventory_path});
  return c;
}

core::Result<ChildOutcome> RunChild(const ChildCommand& command, const std::atomic<bool>& abort) {
  HS_ASSIGN_OR_RETURN(core::TempDir dir, core::TempDir::Create("hasteward-job-"));
  core::SubprocessOptions o;
  o.argv = command.argv;
  engine::ToolSecrets secrets;  // outlives the child's start: its fd must stay open until then
  if (!command.password.empty()) {
    HS_ASSIGN_OR_RETURN(std::string path, secrets.Add("repository-password", command.password));
    o.argv.insert(o.argv.end(), {"--restic-password-file", path});
    o.inherit_fds = secrets.fds();
  }
  o.env_set = command.env;
  o.env_unset.assign(kConsentVariables.begin(), kConsentVariables.end());
  o.stdout_mode = core::StdioMode::kFile;
  o.stdout_file = dir.path() + "/stdout";
  o.stderr_mode = core::StdioMode::kPipe;
  HS_ASSIGN_OR_RETURN(auto child, core::Subprocess::Start(o));
  ChildOutcome out;
  while (true) {
    if (auto st = child->WaitFor(std::chrono::milliseconds(100))) {
      out.status = *st;
      break;
    }
    if (abort) {
      child->Signal(command.abort_signal);
      std::optional<core::ExitStatus> st;
      if (command.abort_signal != SIGKILL)
        st = child->WaitFor(command.abort_grace);
      if (!st) {
        child->Signal(SIGKILL);
        st = child->Wait();
      }
      out.status = *st;
      out.aborted = true;
      break;
    }
  }
  out.err_tail = child->StderrTail();
  auto text = core::ReadFileToString(o.stdout_file);
  if (text.ok())
    out.out = std::move(text).value();
  return out;
}

}  // namespace hasteward::op
