// A HastewardEnv bound to one cluster: the one way tests run `hasteward <verb> -e E -c C -n NS`
// on a cluster's inventory and state dir, and query it.
//
//   ClusterEnv shop = ClusterEnv::On(hs, *pg, "cnpg", {"--password-file", password_file});
//   ASSERT_EQ(shop.Hs({"backup", "--method", "native"}).exit_code, 0);
//   EXPECT_EQ(shop.Sql("SELECT count(*) FROM rows"), "3");
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/subprocess.h"
#include "support/command.h"
#include "support/hasteward_env.h"
#include "support/held_command.h"
#include "support/sandbox_cluster.h"

namespace hasteward::testing {

class ClusterEnv {
 public:
  struct Binding {
    std::string engine;  // the -e value: cnpg | mariadb | galera
    std::string cluster;
    std::string ns;
    std::string inventory;           // "" = the HastewardEnv's own
    std::string state_dir;           // "" = the HastewardEnv's own
    std::vector<std::string> flags;  // appended after the cluster flags (e.g. --password-file F)
  };

  // `env` (and `sandbox`, if given) must outlive this binding.
  ClusterEnv(const HastewardEnv& env, Binding binding, const SandboxCluster* sandbox = nullptr);
  // Bound to `sandbox`: its name, namespace, inventory and state dir.
  static ClusterEnv On(const HastewardEnv& env, const SandboxCluster& sandbox,
                       const std::string& engine, std::vector<std::string> flags = {});

  // Runs `hasteward <args...> -e E -c C -n NS <flags...>` with the bound inventory and state dir;
  // a `repo ...` command gets no cluster flags (it names none).
  CmdResult Hs(std::vector<std::string> args, const HastewardEnv::EnvVars& extra_env = {}) const;
  // The same command started in the background and held at `failpoint` (support/held_command.h),
  // its stderr written to `err_file`.
  core::Result<std::unique_ptr<HeldCommand>> Start(
      std::vector<std::string> args, const std::string& failpoint, const std::string& err_file,
      const HastewardEnv::EnvVars& extra_env = {}) const;
  // The same command started in the background with no failpoint, in a process group of its own
  // (Subprocess::Signal reaches its children too), stdout discarded and stderr written to
  // `err_file`: for a test that kills it at a moment it observes (kill -9 in mid-backup).
  core::Result<std::unique_ptr<core::Subprocess>> Spawn(
      std::vector<std::string> args, const std::string& err_file,
      const HastewardEnv::EnvVars& extra_env = {}) const;

  // The trimmed output of `sql` on instance `ordinal` of the bound sandbox cluster; "" (and a
  // non-fatal test failure naming the SQL) when it fails.
  std::string Sql(const std::string& sql, int ordinal = 0, const std::string& database = "") const;

  const Binding& binding() const { return binding_; }
  const HastewardEnv& env() const { return *env_; }

 private:
  // The full argument list and the bound variables (plus `extra_env`) of a command.
  std::pair<std::vector<std::string>, HastewardEnv::EnvVars> Invocation(
      std::vector<std::string> args, const HastewardEnv::EnvVars& extra_env) const;

  const HastewardEnv* env_;
  Binding binding_;
  const SandboxCluster* sandbox_;
};

// The trimmed output of `sql` on instance `ordinal` of `cluster`; "" (and a non-fatal test failure
// naming the SQL) when it fails. The one SQL helper of the tests.
std::string SqlOn(const SandboxCluster& cluster, const std::string& sql, int ordinal = 0,
                  const std::string& database = "");

}  // namespace hasteward::testing
