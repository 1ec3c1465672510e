#include "support/standby_sites.h"

#include <algorithm>
#include <future>

#include <gtest/gtest.h>

#include "core/fd.h"
#include "core/poll_until.h"
#include "support/server_user_file.h"

namespace hasteward::testing {

CmdResult StandbySite::Hs(std::vector<std::string> args) const {
  const platform::Cluster& own = cluster->cluster();
  args.insert(args.end(),
              {"-e", platform::EngineKindName(own.engine), "-c", own.name, "-n", own.ns});
  return env->Run(args);
}

std::string StandbySite::Port(int ordinal) const {
  return std::to_string(cluster->instance(ordinal).port);
}

core::Result<std::unique_ptr<StandbySites>> StandbySites::Start(const Options& options) {
  std::unique_ptr<StandbySites> sites(new StandbySites());
  sites->options_ = options;
  // The shared RGW (mon, OSD, gateway) boots while the two clusters are made: neither waits on
  // the other, and the first fixture of a binary no longer pays for both in turn.
  std::future<CephRgwServer*> rgw =
      std::async(std::launch::async, [] { return CephRgwServer::Shared(); });
  for (auto [site, ns] : {std::pair{&sites->source_, "src"}, std::pair{&sites->dr_, "dr"}}) {
    HS_ASSIGN_OR_RETURN(site->cluster, SandboxCluster::Create({.engine = options.engine,
                                                               .instances = options.instances,
                                                               .name = options.name,
                                                               .ns = ns}));
    HastewardEnv::Options env;
    env.temp_prefix = options.temp_prefix + ns + "-";
    env.password = options.password;
    env.state_dir = site->cluster->state_dir();
    env.inventory = site->cluster->inventory_path();
    site->env = std::make_unique<HastewardEnv>(env);
  }
  sites->rgw_ = rgw.get();
  if (sites->rgw_ == nullptr) {
    return core::Internal("Ceph RGW did not start (its log tail is on stderr)");
  }
  // One prefix per fixture: a binary that starts the sites twice gets two repositories.
  static int fixtures = 0;
  sites->location_ =
      sites->rgw_->Location(options.temp_prefix + "repo" + std::to_string(++fixtures));
  if (options.local_repository) {
    HS_ASSIGN_OR_RETURN(core::TempDir dir, core::TempDir::Create(options.temp_prefix + "repo-"));
    sites->local_repository_ = std::make_unique<core::TempDir>(std::move(dir));
    sites->location_ = sites->local_repository_->path() + "/repo";
  }
  for (StandbySite* site : {&sites->source_, &sites->dr_}) {
    for (const auto& [name, value] : sites->rgw_->ClientEnv()) {
      site->env->Set(name, value);
    }
    site->env->UseRepository(sites->RepositoryLocation());
  }
  if (auto init = sites->source_.env->Run({"repo", "init"}); init.exit_code != 0) {
    return core::Internal("repo init: " + init.err);
  }
  return sites;
}

// The sites' clusters go down; the shared RGW stays for the rest of the process.
StandbySites::~StandbySites() {
  source_ = {};
  dr_ = {};
}

std::string StandbySites::PasswordFileFor(StandbySite& site, StandbySite& reader) const {
  const std::string path = site.env->Path("password-for-" + reader.cluster->cluster().ns);
  auto file = WriteServerPasswordFile(path, options_.password, reader.cluster->instance(0).os_user);
  EXPECT_TRUE(file.ok()) << file.status().ToString();
  return path;
}

std::string StandbySites::S3CredentialsFileFor(StandbySite& site, StandbySite& reader) const {
  const std::string path = site.env->Path("aws-credentials-for-" + reader.cluster->cluster().ns);
  auto file = WriteServerUserFile(
      path,
      std::string("[default]\naws_access_key_id = ") + CephRgwServer::kAccessKey +
          "\naws_secret_access_key = " + CephRgwServer::kSecretKey + "\n",
      reader.cluster->instance(0).os_user);
  EXPECT_TRUE(file.ok()) << file.status().ToString();
  return path;
}

std::string StandbySites::Declare(StandbySite& at, StandbySite& from, const std::string& name,
                                  const std::string& extra, const std::string& probe_port,
                                  const ProbeAccount& probe_account) const {
  const std::string engine = platform::EngineKindName(options_.engine);
  std::string path = at.env->Path(name + ".yaml");
  std::string probe_credentials;
  if (!probe_account.user.empty()) {
    std::string password_file = at.env->Path(name + "-probe-password");
    WriteFile(password_file, probe_account.password + "\n");
    probe_credentials = "\n    probeCredentials: {user: " + probe_account.user +
                        ", passwordFile: " + password_file + "}";
  }
  WriteFile(path, "standbys:\n- name: " + name + "\n  source:\n    repository: " +
                      RepositoryLocation() + "\n    passwordFile: " + PasswordFileFor(at, at) +
                      "\n    s3CredentialsFile: " + S3CredentialsFileFor(at, at) +
                      "\n    probe: 127.0.0.1:" + (probe_port.empty() ? from.Port() : probe_port) +
                      probe_credentials + "\n    cluster: {engine: " + engine +
                      ", namespace: " + from.cluster->cluster().ns + ", name: " + options_.name +
                      "}\n  template: {engine: " + engine +
                      ", instances: " + std::to_string(options_.instances) +
                      ", namespace: " + at.cluster->cluster().ns + ", name: " + options_.name +
                      "}\n" + extra + "  stateFile: " + at.env->Path(name + "-state.json") + "\n");
  return path;
}

CmdResult StandbySites::Activate(StandbySite& at, const std::string& config,
                                 const std::string& token, const HastewardEnv::EnvVars& extra_env) {
  std::string name = config.substr(config.rfind('/') + 1);
  name.resize(name.size() - 5);  // ".yaml"
  return at.env->Run({"standby", "activate", name, "--config", config, "--confirm", token}, "",
                     extra_env);
}

nlohmann::json StandbySites::Record(StandbySite& at, const std::string& name) {
  auto text = core::ReadFileToString(at.env->Path(name + "-state-activation.json"));
  return text.ok() ? nlohmann::json::parse(*text, nullptr, false) : nlohmann::json();
}

std::vector<std::string> StandbySites::Phases(const nlohmann::json& record) {
  std::vector<std::string> phases;
  if (record.is_object() && record.contains("transitions")) {
    for (const auto& transition : record["transitions"]) {
      phases.push_back(transition.value("phase", ""));
    }
  }
  return phases;
}

core::Status StandbySites::AdoptSourceCredentials(StandbySite& source, StandbySite& dr) {
  const platform::Cluster& from = source.cluster->cluster();
  std::string alter;  // one statement list: the admin's own password changes in it
  for (const platform::Credentials* credentials : {&from.replication, &from.credentials}) {
    HS_ASSIGN_OR_RETURN(std::string password, core::ReadFileToString(credentials->password.file));
    HS_ASSIGN_OR_RETURN(std::string hosts,
                        dr.cluster->Sql(0,
                                        "SELECT GROUP_CONCAT(host SEPARATOR ' ') FROM mysql.user "
                                        "WHERE user = '" +
                                            credentials->user + "'"));
    while (!hosts.empty() && hosts.back() == '\n') {
      hosts.pop_back();
    }
    if (hosts.empty()) {
      return core::NotFound("no user '" + credentials->user + "' at the DR site");
    }
    for (size_t start = 0; start < hosts.size();) {
      size_t end = std::min(hosts.find(' ', start), hosts.size());
      alter += "ALTER USER '" + credentials->user + "'@'" + hosts.substr(start, end - start) +
               "' IDENTIFIED BY '" + password.substr(0, password.find('\n')) + "';\n";
      start = end + 1;
    }
  }
  HS_TRY(dr.cluster->Sql(0, alter).status());
  HS_TRY(ShareCredentials(source, dr));
  // The replica applied it once the source's admin password logs in there too.
  if (!core::PollUntil([&] { return dr.cluster->Sql(1, "SELECT 1").ok(); },
                       std::chrono::seconds(20), std::chrono::milliseconds(100))) {
    return core::Status(core::ErrorCode::kTimeout,
                        "the DR replica does not take the source's admin password");
  }
  return core::Status::Ok();
}

core::Status StandbySites::ShareCredentials(StandbySite& from, StandbySite& to) {
  const platform::Cluster& source = from.cluster->cluster();
  const platform::Cluster& target = to.cluster->cluster();
  for (auto [from_file, to_file] :
       {std::pair{source.credentials.password.file, target.credentials.password.file},
        std::pair{source.replication.password.file, target.replication.password.file}}) {
    if (from_file.empty()) {
      continue;  // the engine has no such user
    }
    HS_ASSIGN_OR_RETURN(std::string text, core::ReadFileToString(from_file));
    WriteFile(to_file, text);
  }
  return core::Status::Ok();
}

}  // namespace hasteward::testing
