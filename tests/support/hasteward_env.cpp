#include "support/hasteward_env.h"

#include <cstdio>
#include <cstdlib>

#include <sys/stat.h>

namespace hasteward::testing {

HastewardEnv::HastewardEnv(const Options& options) : password_(options.password) {
  auto dir = core::TempDir::Create(options.temp_prefix);
  if (!dir.ok()) {
    std::fprintf(stderr, "cannot create a test directory: %s\n", dir.status().ToString().c_str());
    std::abort();
  }
  tmp_ = std::make_unique<core::TempDir>(std::move(dir).value());
  ::chmod(tmp_->path().c_str(), 0755);
  state_dir_ = options.state_dir.empty() ? Path("state") : options.state_dir;
  inventory_ = options.inventory.empty() ? Path("inventory.yaml") : options.inventory;
  vars_ = {
      {"HASTEWARD_STATE_DIR", state_dir_},
      {"HASTEWARD_INVENTORY", inventory_},
      {"RESTIC_PASSWORD", password_},
      {"RESTIC_CACHE_DIR", Path("cache")},
      // Keys of repositories the tests create take 1/64 of restic's scrypt cost: every
      // command opening the repository pays it, and at restic's default (about half a
      // CPU-second) that was a quarter of the suite's CPU. Tests that need the default unset it.
      {"HASTEWARD_KDF_PARAMS", "1024,8,1"},
      {"TZ", "UTC"}};
  UseRepository(options.repository.empty() ? Path("repo") : options.repository);
}

HastewardEnv::HastewardEnv(const std::string& temp_prefix, const std::string& password)
    : HastewardEnv([&] {
        Options options;
        options.temp_prefix = temp_prefix;
        options.password = password;
        return options;
      }()) {}

std::vector<std::string> HastewardEnv::Argv(const std::vector<std::string>& args) const {
  std::vector<std::string> argv = prefix_;
  argv.push_back(HastewardBin());
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

CmdResult HastewardEnv::Run(std::vector<std::string> args, const std::string& stdin_file,
                            const EnvVars& extra_env) const {
  args = Argv(args);
  EnvVars env = vars_;
  for (const auto& [name, value] : extra_env)
    env[name] = value;
  return RunCommand(args, env, stdin_file);
}

CmdResult HastewardEnv::Restic(std::vector<std::string> args, const std::string& stdin_file) const {
  args.insert(args.begin(), "restic");
  return RunCommand(args, vars_, stdin_file);
}

void HastewardEnv::UseRepository(const std::string& repository) {
  repository_ = repository;
  vars_["HASTEWARD_BACKUPS_PATH"] = repository;
  vars_["RESTIC_REPOSITORY"] = repository;
}

}  // namespace hasteward::testing
