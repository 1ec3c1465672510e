#include "support/receiver_sites.h"

#include <csignal>
#include <cstdlib>
#include <filesystem>

#include "core/fd.h"
#include "core/poll_until.h"
#include "core/tcp_probe.h"
#include "support/command.h"
#include "support/hasteward_env.h"

namespace hasteward::testing {

namespace {

constexpr char kPassword[] = "receiver-test";

// Where the server of `instance` keeps its pid: PostgreSQL in its data directory, the MariaDB
// sandbox beside it.
std::string PidFile(platform::EngineKind engine, const platform::Instance& instance) {
  if (engine == platform::EngineKind::kMariadb || engine == platform::EngineKind::kGalera) {
    return instance.data_dir.substr(0, instance.data_dir.rfind('/')) + "/mariadbd.pid";
  }
  return instance.data_dir + "/postmaster.pid";
}

}  // namespace

void ReceiverSitesTest::TearDown() {
  if (receiver_ != nullptr) {
    KillReceiver();
  }
  if (agent_ != nullptr) {
    agent_->Signal(SIGKILL);
    agent_->Wait();
  }
}

void ReceiverSitesTest::StartSites(platform::EngineKind engine, const std::string& temp_prefix) {
  // The drills' repository: Ceph RGW, or with HASTEWARD_DRILL_REPOSITORY=local a directory
  // (bench/binlog_receiver_drill.sh runs both).
  const char* repository = std::getenv("HASTEWARD_DRILL_REPOSITORY");
  const bool local = repository != nullptr && std::string(repository) == "local";
  auto sites = StandbySites::Start({.engine = engine,
                                    .instances = 2,
                                    .name = "shop",
                                    .password = kPassword,
                                    .temp_prefix = temp_prefix,
                                    .local_repository = local});
  ASSERT_TRUE(sites.ok()) << sites.status().ToString();
  sites_ = std::move(*sites);
}

void ReceiverSitesTest::StartReceiver(const std::vector<std::string>& verb,
                                      const std::vector<std::string>& extra,
                                      const std::string& location) {
  const platform::Cluster& own = Source().cluster->cluster();
  core::SubprocessOptions options;
  options.argv = {HastewardBin()};
  options.argv.insert(options.argv.end(), verb.begin(), verb.end());
  options.argv.insert(options.argv.end(), {"--json", "-e", platform::EngineKindName(own.engine),
                                           "-c", own.name, "-n", own.ns});
  options.argv.insert(options.argv.end(), extra.begin(), extra.end());
  options.env_set = Source().env->vars();
  if (!location.empty()) {
    options.env_set["HASTEWARD_BACKUPS_PATH"] = location;
  }
  options.stdout_mode = core::StdioMode::kFile;
  options.stdout_file = ReceiverOutPath();
  options.stderr_mode = core::StdioMode::kFile;
  options.stderr_file = Source().env->Path("receiver.err");
  auto started = core::Subprocess::Start(options);
  ASSERT_TRUE(started.ok()) << started.status().ToString();
  receiver_ = std::move(*started);
}

void ReceiverSitesTest::KillReceiver() {
  ::kill(receiver_->pid(), SIGKILL);
  receiver_->Wait();
  receiver_.reset();
}

std::string ReceiverSitesTest::ReceiverErr() {
  auto text = core::ReadFileToString(Source().env->Path("receiver.err"));
  return text.ok() ? *text : "";
}

std::string ReceiverSitesTest::ReceiverOutPath() {
  return Source().env->Path("receiver.out");
}

bool ReceiverSitesTest::LocalRepository() const {
  return sites_->RepositoryLocation().rfind("s3:", 0) != 0;
}

std::string ReceiverSitesTest::WalAgentSocket() {
  const std::string socket = Source().env->Path("agent.sock");
  if (agent_ != nullptr) {
    return socket;
  }
  const platform::Cluster& own = Source().cluster->cluster();
  core::SubprocessOptions options;
  options.argv = {HastewardBin(),
                  "wal-agent",
                  "-e",
                  platform::EngineKindName(own.engine),
                  "-c",
                  own.name,
                  "-n",
                  own.ns,
                  "--socket",
                  socket,
                  "--client-user",
                  Source().cluster->instance(0).os_user};
  options.env_set = Source().env->vars();
  options.stdout_mode = core::StdioMode::kNull;
  auto started = core::Subprocess::Start(options);
  EXPECT_TRUE(started.ok()) << started.status().ToString();
  if (!started.ok()) {
    return socket;
  }
  agent_ = std::move(*started);
  EXPECT_TRUE(
      core::PollUntil([&] { return std::filesystem::exists(socket); }, std::chrono::seconds(10)))
      << agent_->StderrAll();
  return socket;
}

std::string ReceiverSitesTest::ProxiedLocation() {
  const std::string location = sites_->RepositoryLocation();
  const size_t host = location.find("127.0.0.1:");
  EXPECT_NE(host, std::string::npos) << location;
  if (host == std::string::npos) {
    return location;
  }
  const size_t port_at = host + std::string("127.0.0.1:").size();
  const size_t port_end = location.find('/', port_at);
  auto proxy =
      FaultProxy::Start({.upstream_port = std::stoi(location.substr(port_at, port_end - port_at)),
                         .fault_rate = 0.0,
                         .faults = {FaultProxy::Fault::kError503}});
  EXPECT_TRUE(proxy.ok()) << proxy.status().ToString();
  if (!proxy.ok()) {
    return location;
  }
  proxy_ = std::move(*proxy);
  return location.substr(0, port_at) + std::to_string(proxy_->port()) + location.substr(port_end);
}

void ReceiverSitesTest::Kill9Source() {
  // The whole site at once: the receiver (and the WAL agent) and every server, back to back.
  const platform::EngineKind engine = Source().cluster->cluster().engine;
  ::kill(receiver_->pid(), SIGKILL);
  if (agent_ != nullptr) {
    agent_->Signal(SIGKILL);
  }
  for (int i = 0; i < 2; ++i) {
    auto pid = core::ReadFileToString(PidFile(engine, Source().cluster->instance(i)));
    if (pid.ok()) {
      RunCommand({"kill", "-9", pid->substr(0, pid->find('\n'))});
    }
  }
  receiver_->Wait();
  receiver_.reset();
  if (agent_ != nullptr) {
    agent_->Wait();
    agent_.reset();
  }
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(core::PollUntil(
        [&] { return !core::TcpAccepts("127.0.0.1", Source().cluster->instance(i).port); },
        std::chrono::seconds(20)));
  }
}

}  // namespace hasteward::testing
