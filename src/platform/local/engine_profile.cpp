#include "platform/local/engine_profile.h"

#include <array>
#include <sstream>

#include "core/fd.h"
#include "platform/sandbox/sandbox_build.h"

namespace hasteward::platform {

namespace {

std::string Bin(const Instance& i, const std::string& name) {
  return i.bin_dir.empty() ? name : i.bin_dir + "/" + name;
}

// The value of `pid-file` / `pid_file` in a my.cnf, or "".
std::string PidFileFromConfig(const std::string& config_file) {
  auto text = core::ReadFileToString(config_file);
  if (!text.ok()) {
    return "";
  }
  std::istringstream in(*text);
  std::string line;
  while (std::getline(in, line)) {
    auto eq = line.find('=');
    if (eq == std::string::npos) {
      continue;
    }
    std::string key = line.substr(0, eq);
    key.erase(key.find_last_not_of(" \t") + 1);
    if (key != "pid-file" && key != "pid_file") {
      continue;
    }
    std::string v = line.substr(eq + 1);
    v.erase(0, v.find_first_not_of(" \t"));
    v.erase(v.find_last_not_of(" \t\r") + 1);
    return v;
  }
  return "";
}

std::vector<std::string> PostgresStart(const Instance& i) {
  std::vector<std::string> argv{Bin(i, "pg_ctl"), "-D", i.data_dir, "-w", "-t", "60"};
  if (!i.log_file.empty()) {
    argv.insert(argv.end(), {"-l", i.log_file});
  }
  argv.push_back("start");
  return argv;
}

std::vector<std::string> PostgresStop(const Instance& i) {
  return {Bin(i, "pg_ctl"), "-D", i.data_dir, "-w", "-t", "60", "stop", "-m", "fast"};
}

std::string PostgresPidFile(const Instance& i) {
  return i.data_dir + "/postmaster.pid";
}

std::vector<std::string> MariadbStart(const Instance& i) {
  return {"setsid", "-f", Bin(i, "mariadbd"), "--defaults-file=" + i.config_file};
}

std::string MariadbPidFile(const Instance& i) {
  std::string from_config = i.config_file.empty() ? "" : PidFileFromConfig(i.config_file);
  if (!from_config.empty()) {
    return from_config[0] == '/' ? from_config : i.data_dir + "/" + from_config;
  }
  return i.data_dir + "/mariadbd.pid";
}

std::vector<std::string> MariadbStop(const Instance& i) {
  return {"sh", "-c", "kill -TERM \"$(cat \"$1\")\"", "stop", MariadbPidFile(i)};
}

// The password as the shell reads it when connecting: from its file, or the variable naming it.
std::string PasswordExpansion(const Credentials& c) {
  if (!c.password.file.empty())
    return "\"$(cat '" + c.password.file + "')\"";
  if (!c.password.env.empty())
    return "\"$" + c.password.env + "\"";
  return "";
}

std::string PostgresConnect(const Instance& i, const Credentials& c) {
  std::string password = PasswordExpansion(c);
  return (password.empty() ? "" : "PGPASSWORD=" + password + " ") + "psql -h " + i.host + " -p " +
         std::to_string(i.port) + " -U " + c.user + " -d postgres";
}

std::string MariadbConnect(const Instance& i, const Credentials& c) {
  std::string password = PasswordExpansion(c);
  return "mariadb -h " + i.host + " -P " + std::to_string(i.port) + " -u " + c.user +
         (password.empty() ? "" : " --password=" + password);
}

constexpr std::array<LocalEngineProfile, 3> kProfiles = {{
    {EngineKind::kPostgres, "postgres", &PostgresStart, &PostgresStop, &PostgresPidFile,
     &sandbox::BuildPostgres, false, &PostgresConnect},
    {EngineKind::kMariadb, "mysql", &MariadbStart, &MariadbStop, &MariadbPidFile,
     &sandbox::BuildMariadbReplication, true, &MariadbConnect},
    {EngineKind::kGalera, "mysql", &MariadbStart, &MariadbStop, &MariadbPidFile,
     &sandbox::BuildGalera, false, &MariadbConnect},
}};

}  // namespace

const LocalEngineProfile& LocalProfile(EngineKind engine) {
  for (const auto& p : kProfiles) {
    if (p.engine == engine) {
      return p;
    }
  }
  // Unreachable while every EngineKind has a row (platform_conformance / engine_profile_test
  // check it); the first row keeps the function total.
  return kProfiles[0];
}

}  // namespace hasteward::platform
