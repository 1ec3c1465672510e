#include "support/cluster_env.h"

#include <utility>

#include <gtest/gtest.h>

#include "core/subprocess.h"
#include "support/trim.h"

namespace hasteward::testing {

ClusterEnv::ClusterEnv(const HastewardEnv& env, Binding binding, const SandboxCluster* sandbox)
    : env_(&env), binding_(std::move(binding)), sandbox_(sandbox) {}

ClusterEnv ClusterEnv::On(const HastewardEnv& env, const SandboxCluster& sandbox,
                          const std::string& engine, std::vector<std::string> flags) {
  return ClusterEnv(env,
                    {.engine = engine,
                     .cluster = sandbox.cluster().name,
                     .ns = sandbox.cluster().ns,
                     .inventory = sandbox.inventory_path(),
                     .state_dir = sandbox.state_dir(),
                     .flags = std::move(flags)},
                    &sandbox);
}

std::pair<std::vector<std::string>, HastewardEnv::EnvVars> ClusterEnv::Invocation(
    std::vector<std::string> args, const HastewardEnv::EnvVars& extra_env) const {
  if (args.empty() || args.front() != "repo") {
    args.insert(args.end(), {"-e", binding_.engine, "-c", binding_.cluster, "-n", binding_.ns});
    args.insert(args.end(), binding_.flags.begin(), binding_.flags.end());
  }
  HastewardEnv::EnvVars vars;
  if (!binding_.inventory.empty())
    vars["HASTEWARD_INVENTORY"] = binding_.inventory;
  if (!binding_.state_dir.empty())
    vars["HASTEWARD_STATE_DIR"] = binding_.state_dir;
  for (const auto& [name, value] : extra_env)
    vars[name] = value;
  return {std::move(args), std::move(vars)};
}

CmdResult ClusterEnv::Hs(std::vector<std::string> args,
                         const HastewardEnv::EnvVars& extra_env) const {
  auto [argv, vars] = Invocation(std::move(args), extra_env);
  return env_->Run(std::move(argv), "", vars);
}

core::Result<std::unique_ptr<HeldCommand>> ClusterEnv::Start(
    std::vector<std::string> args, const std::string& failpoint, const std::string& err_file,
    const HastewardEnv::EnvVars& extra_env) const {
  auto [argv, vars] = Invocation(std::move(args), extra_env);
  HastewardEnv::EnvVars env = env_->vars();
  for (const auto& [name, value] : vars)
    env[name] = value;
  return HeldCommand::Start(argv, env, failpoint, err_file);
}

core::Result<std::unique_ptr<core::Subprocess>> ClusterEnv::Spawn(
    std::vector<std::string> args, const std::string& err_file,
    const HastewardEnv::EnvVars& extra_env) const {
  auto [argv, vars] = Invocation(std::move(args), extra_env);
  core::SubprocessOptions options;
  options.argv = std::move(argv);
  options.argv.insert(options.argv.begin(), HastewardBin());
  options.env_set = env_->vars();
  for (const auto& [name, value] : vars)
    options.env_set[name] = value;
  options.new_process_group = true;
  options.stdout_mode = core::StdioMode::kNull;
  options.stderr_mode = core::StdioMode::kFile;
  options.stderr_file = err_file;
  return core::Subprocess::Start(options);
}

std::string ClusterEnv::Sql(const std::string& sql, int ordinal,
                            const std::string& database) const {
  if (sandbox_ == nullptr) {
    ADD_FAILURE() << "ClusterEnv::Sql needs a sandbox cluster (ClusterEnv::On) for " << sql;
    return "";
  }
  return SqlOn(*sandbox_, sql, ordinal, database);
}

std::string SqlOn(const SandboxCluster& cluster, const std::string& sql, int ordinal,
                  const std::string& database) {
  auto rows = cluster.Sql(ordinal, sql, database);
  EXPECT_TRUE(rows.ok()) << rows.status().ToString() << " for " << sql;
  return rows.ok() ? Trim(*rows) : "";
}

}  // namespace hasteward::testing
