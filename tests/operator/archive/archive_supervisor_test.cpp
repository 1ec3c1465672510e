// The supervisor against a stand-in for the hasteward binary (a shell script answering the two
// commands it runs), so restarts, progress, the window refresh and stopping are seen without a
// database.
#include "operator/archive/archive_supervisor.h"

#include <chrono>
#include <thread>

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "core/fd.h"
#include "core/temp_dir.h"
#include "support/command.h"

namespace hasteward::op {
namespace {

using namespace std::chrono_literals;

bool Eventually(const std::function<bool()>& condition) {
  for (auto waited = 0ms; waited < 20s; waited += 50ms) {
    if (condition())
      return true;
    std::this_thread::sleep_for(50ms);
  }
  return condition();
}

class ArchiveSupervisorTest : public ::testing::Test {
 protected:
  // `archive` is the script's answer to `archive binlog ...`, `agent` to `wal-agent ...`; with
  // `agents`, PostgreSQL clusters get a WAL agent.
  ArchiveSupervisor Make(const std::string& archive, const std::string& agent = "exit 9",
                         bool agents = false) {
    const std::string exe = dir_.path() + "/hasteward";
    testing::WriteFile(exe,
                       "#!/bin/sh\n"
                       "case \"$1\" in\n"
                       "  archive) " +
                           archive +
                           " ;;\n"
                           "  wal-agent) " +
                           agent +
                           " ;;\n"
                           "  pitr) echo '{\"cluster\":\"db/m\",\"bases\":[]}' ;;\n"
                           "esac\n");
    ::chmod(exe.c_str(), 0755);
    ArchiveSupervisorOptions o;
    o.self_exe = exe;
    o.status_refresh = 200ms;
    o.min_backoff = 10ms;
    o.max_backoff = 20ms;
    if (agents) {
      o.wal_agent_dir = dir_.path() + "/agents";
      o.wal_agent_client_user = "postgres";
    }
    return ArchiveSupervisor(o);
  }
  static ManagedCluster Cluster(const std::string& name, bool pitr) {
    ManagedCluster c;
    c.ns = "db";
    c.name = name;
    c.pitr = pitr;
    RepositorySpec repository;
    repository.name = "r";
    repository.location = "/tmp/none";
    repository.password_file = "/tmp/none-password";
    c.repositories = {repository};
    return c;
  }
  static ArchiveProgress Only(const ArchiveSupervisor& s) {
    auto all = s.Progress();
    return all.size() == 1 ? all[0] : ArchiveProgress{};
  }

  core::TempDir dir_ = std::move(core::TempDir::Create("hs-archsup-").value());
};

TEST_F(ArchiveSupervisorTest, AnArchiverThatEndsIsStartedAgainAndItsCyclesCount) {
  ArchiveSupervisor s = Make(
      "echo '{\"ok\":true,\"archived_gtid\":\"0-1-7\",\"files_behind\":0,\"listed_at\":5}'; exit "
      "3");
  s.Reconcile({Cluster("m", true), Cluster("off", false)},
              {{"db/m", "mariadb"}, {"db/off", "mariadb"}});
  ASSERT_TRUE(Eventually([&] { return Only(s).restarts >= 2 && Only(s).window.has_value(); }));
  ArchiveProgress p = Only(s);
  EXPECT_EQ(p.Key(), "db/m") << "only the cluster with pitr on is archived";
  EXPECT_TRUE(p.archiver);
  EXPECT_GE(p.cycles_ok, 2);
  EXPECT_EQ(p.position, "0-1-7");
  EXPECT_EQ(p.window->bases, 0);
  s.Reconcile({}, {});
  EXPECT_TRUE(s.Progress().empty());
}

TEST_F(ArchiveSupervisorTest, PostgresGetsTheWindowButNoArchiverProcess) {
  ArchiveSupervisor s = Make("echo unexpected > \"$(dirname \"$0\")/ran\"");
  s.Reconcile({Cluster("pg", true)}, {{"db/pg", "cnpg"}});
  ASSERT_TRUE(Eventually([&] { return Only(s).window.has_value(); }));
  std::this_thread::sleep_for(300ms);
  EXPECT_FALSE(Only(s).archiver);
  EXPECT_EQ(Only(s).restarts, 0);
  struct stat st {};
  EXPECT_NE(::stat((dir_.path() + "/ran").c_str(), &st), 0) << "the server archives by itself";
}

TEST_F(ArchiveSupervisorTest, PostgresGetsAWalAgentThatIsStartedAgainAndItsAnswersCount) {
  ArchiveSupervisor s =
      Make("echo unexpected > \"$(dirname \"$0\")/ran\"",
           "echo \"$@\" > \"$(dirname \"$0\")/agent-args\"; "
           "echo '{\"file\":\"000000010000000000000001\",\"ok\":true,\"stored\":2}'; exit 1",
           /*agents=*/true);
  s.Reconcile({Cluster("pg", true)}, {{"db/pg", "cnpg"}});
  ASSERT_TRUE(Eventually([&] { return Only(s).agent_restarts >= 2; }));
  ArchiveProgress p = Only(s);
  EXPECT_TRUE(p.agent);
  EXPECT_FALSE(p.archiver) << "the server still archives; the agent only serves its wal-push";
  EXPECT_GE(p.agent_requests, 2) << "counted across the agent's restarts";
  EXPECT_GE(p.agent_files_archived, 4);
  auto args = core::ReadFileToString(dir_.path() + "/agent-args");
  ASSERT_TRUE(args.ok());
  EXPECT_NE(args->find("wal-agent -e cnpg --socket " +
                       WalAgentSocket(dir_.path() + "/agents", "db", "pg") +
                       " --client-user postgres -c pg -n db"),
            std::string::npos)
      << *args;
  struct stat st {};
  EXPECT_NE(::stat((dir_.path() + "/ran").c_str(), &st), 0);
  EXPECT_EQ(::stat((dir_.path() + "/agents").c_str(), &st), 0) << "the socket directory is made";
}

TEST_F(ArchiveSupervisorTest, StopAllEndsARunningWalAgentPromptly) {
  ArchiveSupervisor s = Make("exit 0", "exec sleep 600", /*agents=*/true);
  s.Reconcile({Cluster("pg", true)}, {{"db/pg", "cnpg"}});
  ASSERT_TRUE(Eventually([&] { return Only(s).agent_running; }));
  const auto start = std::chrono::steady_clock::now();
  s.StopAll();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s) << "SIGTERM, not the kill after grace";
}

TEST_F(ArchiveSupervisorTest, StopAllEndsARunningArchiverPromptly) {
  ArchiveSupervisor s = Make("echo '{\"ok\":true,\"listed_at\":5}'; exec sleep 600");
  s.Reconcile({Cluster("m", true)}, {{"db/m", "galera"}});
  ASSERT_TRUE(Eventually([&] { return Only(s).running && Only(s).cycles_ok == 1; }));
  const auto start = std::chrono::steady_clock::now();
  s.StopAll();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s) << "SIGTERM, not the kill after grace";
  EXPECT_TRUE(s.Progress().empty());
}

}  // namespace
}  // namespace hasteward::op
