// One isolated environment for driving the real hasteward binary (the model is restic's
// withTestEnvironment): a temp directory owning the repository, state dir, inventory and restic
// cache, the environment variables pointing at them, and Run() that executes the binary in it.
//
//   HastewardEnv hs("hs-verify-", "verify-test");
//   ASSERT_EQ(hs.Run({"repo", "init"}).exit_code, 0);
//   auto r = hs.Run({"backup", "--stdin", "--stdin-filename", "db.sql"}, hs.Path("in.sql"));
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/temp_dir.h"
#include "support/command.h"

namespace hasteward::testing {

class HastewardEnv {
 public:
  using EnvVars = std::map<std::string, std::string>;

  struct Options {
    std::string temp_prefix = "hs-it-";
    std::string password = "hasteward-test";  // RESTIC_PASSWORD
    // Overrides for tests that run on a SandboxCluster's own state dir and inventory; "" = a
    // directory below the temp dir.
    std::string state_dir;
    std::string inventory;
    std::string repository;
  };

  // Creates the temp dir (mode 0755: the database OS users must reach data dirs below it) and
  // sets HASTEWARD_STATE_DIR, HASTEWARD_INVENTORY, HASTEWARD_BACKUPS_PATH, RESTIC_REPOSITORY,
  // RESTIC_PASSWORD, RESTIC_CACHE_DIR, a low HASTEWARD_KDF_PARAMS and TZ=UTC. Aborts the test
  // binary when /tmp is unusable.
  explicit HastewardEnv(const Options& options);
  HastewardEnv(const std::string& temp_prefix, const std::string& password);

  // Runs `hasteward <args...>` to completion; `stdin_file` (if set) is its stdin, `extra_env`
  // adds to (or overrides) this environment for this run only.
  CmdResult Run(std::vector<std::string> args, const std::string& stdin_file = "",
                const EnvVars& extra_env = {}) const;
  // Runs stock `restic <args...>` in the same environment (the referee).
  CmdResult Restic(std::vector<std::string> args, const std::string& stdin_file = "") const;

  // Points both HASTEWARD_BACKUPS_PATH and RESTIC_REPOSITORY at `repository`.
  void UseRepository(const std::string& repository);
  void Set(const std::string& name, const std::string& value) { vars_[name] = value; }
  // Run() starts `prefix... hasteward args...` (e.g. nsenter into another network namespace).
  void SetCommandPrefix(std::vector<std::string> prefix) { prefix_ = std::move(prefix); }
  // The argv Run() starts for `args` (for tests that start the binary themselves).
  std::vector<std::string> Argv(const std::vector<std::string>& args) const;
  // Sets each of `vars` (an override where one is set already).
  void Set(const EnvVars& vars) {
    for (const auto& [name, value] : vars) {
      vars_[name] = value;
    }
  }

  const std::string& dir() const { return tmp_->path(); }
  // `dir()/name`: a place for the test's own files.
  std::string Path(const std::string& name) const { return dir() + "/" + name; }
  const std::string& repository() const { return repository_; }
  const std::string& state_dir() const { return state_dir_; }
  const std::string& inventory() const { return inventory_; }
  const std::string& password() const { return password_; }
  // Every variable Run() sets (for tests that start the binary themselves, e.g. `serve`).
  const EnvVars& vars() const { return vars_; }

 private:
  std::unique_ptr<core::TempDir> tmp_;
  std::vector<std::string> prefix_;
  std::string repository_;
  std::string state_dir_;
  std::string inventory_;
  std::string password_;
  EnvVars vars_;
};

}  // namespace hasteward::testing
