// Repository URLs with credentials (defect g of issue 11): the password of a
// "rest:http://user:password@host/" or "s3:https://KEY:SECRET@host/bucket" location never appears
// in what hasteward prints (stdout, stderr, JSON, logs) for succeeding and failing commands, nor
// in an operator job child's command line (/proc/<pid>/cmdline is readable by every local user).
#include <set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/poll_until.h"
#include "support/command.h"
#include "support/hasteward_env.h"
#include "support/rest_test_server.h"
#include "support/sandbox_cluster.h"
#include "support/serve_process.h"

namespace hasteward::testing {
namespace {

using Json = nlohmann::json;
using namespace std::chrono_literals;

constexpr char kSecret[] = "Sup3rSecretPw";

// "rest:http://hsuser:<secret>@127.0.0.1:<port>/<path>"
std::string WithCredentials(const RestTestServer& server, const std::string& path) {
  std::string plain = server.Location(path);  // rest:http://127.0.0.1:...
  return plain.insert(std::string("rest:http://").size(), std::string("hsuser:") + kSecret + "@");
}

void ExpectNoSecret(const CmdResult& r, const std::string& what) {
  EXPECT_EQ(r.out.find(kSecret), std::string::npos) << what << " stdout: " << r.out;
  EXPECT_EQ(r.err.find(kSecret), std::string::npos) << what << " stderr: " << r.err;
}

TEST(CredentialRedactionTest, NeitherSucceedingNorFailingCommandsPrintThePassword) {
  HastewardEnv hs("hs-redact-", "redact-test");
  auto server = RestTestServer::Start(hs.Path("rest"));
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  hs.UseRepository(WithCredentials(**server, "repo/"));
  hs.Set("HASTEWARD_STORAGE_RETRY_SECONDS", "0");

  auto init = hs.Run({"repo", "init", "--json"});
  ASSERT_EQ(init.exit_code, 0) << init.err;
  ExpectNoSecret(init, "repo init --json");
  EXPECT_NE(init.out.find("hsuser:***@"), std::string::npos) << init.out;
  auto init_text = hs.Run({"repo", "init", "--dry-run"});
  ExpectNoSecret(init_text, "repo init --dry-run");
  EXPECT_NE(init_text.out.find("hsuser:***@"), std::string::npos) << init_text.out;
  ExpectNoSecret(hs.Run({"repo", "init"}), "repo init on an existing repository");

  WriteFile(hs.Path("dump.sql"), "SELECT 1;\n");
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"backup", "--stdin", "--stdin-filename", "db.sql", "--json"},
           {"backup", "--stdin", "--stdin-filename", "db.sql", "-v", "--log-format", "json"},
           {"get", "backups", "--json", "-v"},
           {"get", "backups"},
           {"repo", "check"}}) {
    auto r = hs.Run(args, hs.Path("dump.sql"));
    EXPECT_EQ(r.exit_code, 0) << args[0] << " " << args[1] << ": " << r.err;
    ExpectNoSecret(r, args[0] + " " + args[1]);
  }

  // Failing: a server that does not answer, a malformed S3 and an unsupported location.
  std::string dead = WithCredentials(**server, "repo/");
  dead.replace(dead.rfind(':'), dead.find('/', dead.rfind(':')) - dead.rfind(':'), ":1");
  for (const std::string& location :
       {dead, std::string("s3:https://AKIAKEY:") + kSecret + "@host.example",
        std::string("ftp://user:") + kSecret + "@host/repo"}) {
    for (const auto& args :
         std::vector<std::vector<std::string>>{{"get", "backups", "--json"},
                                               {"get", "backups", "-v", "--log-format", "json"},
                                               {"repo", "init"}}) {
      auto r = hs.Run(args, "", {{"HASTEWARD_BACKUPS_PATH", location}});
      EXPECT_NE(r.exit_code, 0) << location;
      ExpectNoSecret(r, location + " " + args[0] + " " + args[1]);
      EXPECT_FALSE(r.err.empty()) << "the failure is reported";
    }
  }
}

TEST(CredentialRedactionTest, OperatorJobChildrenGetTheRepositoryOutsideTheirCommandLine) {
  auto sc = SandboxCluster::Create({.engine = platform::EngineKind::kPostgres,
                                    .instances = 1,
                                    .replication_mode = "async",
                                    .name = "shop",
                                    .ns = "redact"});
  ASSERT_TRUE(sc.ok()) << sc.status().ToString();
  HastewardEnv::Options options;
  options.temp_prefix = "hs-redact-serve-";
  options.password = "redact-test";
  options.state_dir = (*sc)->state_dir();
  options.inventory = (*sc)->inventory_path();
  HastewardEnv hs(options);
  auto server = RestTestServer::Start(hs.Path("rest"));
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  std::string location = WithCredentials(**server, "repo/");
  hs.UseRepository(location);
  ASSERT_EQ(hs.Run({"repo", "init"}).exit_code, 0);
  // serve must not learn the location from its own environment: only the config names it.
  hs.UseRepository(hs.Path("no-such-repo"));
  WriteFile(hs.Path("password"), "redact-test\n");
  std::string config = hs.Path("serve.yaml");
  WriteFile(config, "inventory: " + (*sc)->inventory_path() +
                        "\nstateFile: " + hs.Path("serve-state.json") +
                        "\nrepositories:\n"
                        "  - {name: remote, repository: \"" +
                        location + "\", passwordFile: " + hs.Path("password") +
                        "}\n"
                        "policies:\n"
                        "  - {name: p, backupSchedule: \"* * * * *\", repositories: [remote]}\n"
                        "clusters:\n"
                        "  - {namespace: redact, name: shop, policy: p}\n");
  ServeProcess serve;
  ASSERT_TRUE(serve.Start(config, hs.vars(), {.tick_seconds = 1, .grace_seconds = 30}).ok())
      << serve.Logs();
  // Sample every command line while backups run: the backup children must be seen, and no
  // command line may ever hold the password.
  std::set<std::string> children;
  std::vector<std::string> leaks;
  std::string m;
  bool backed_up = core::PollUntil(
      [&] {
        for (int i = 0; i < 20; ++i) {
          for (const auto& cmd : ProcessCommandLines()) {
            if (cmd.find(kSecret) != std::string::npos)
              leaks.push_back(cmd);
            if (cmd.find(" backup -c shop -n redact ") != std::string::npos)
              children.insert(cmd);
          }
        }
        m = serve.Metrics();
        return !children.empty() &&
               m.find(
                   "hasteward_backup_success{cluster=\"shop\",namespace=\"redact\","
                   "engine=\"cnpg\"} 1") != std::string::npos;
      },
      120s);
  ASSERT_TRUE(backed_up) << m << "\n" << serve.Logs();
  EXPECT_TRUE(leaks.empty()) << ::testing::PrintToString(leaks);
  EXPECT_EQ(serve.Stop(), 0);
  EXPECT_EQ(serve.Logs().find(kSecret), std::string::npos) << serve.Logs();
  auto state = RunCommand({"cat", hs.Path("serve-state.json")});
  EXPECT_EQ(state.out.find(kSecret), std::string::npos) << state.out;
  for (const auto& args :
       std::vector<std::vector<std::string>>{{"get", "repositories", "--config", config, "--json"},
                                             {"get", "repositories", "--config", config},
                                             {"get", "status", "--config", config, "--json"}}) {
    auto r = hs.Run(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    ExpectNoSecret(r, args[1]);
  }
  auto repos = Json::parse(hs.Run({"get", "repositories", "--config", config, "--json"}).out);
  EXPECT_NE(repos[0]["repository"].get<std::string>().find("hsuser:***@"), std::string::npos);
}

}  // namespace
}  // namespace hasteward::testing
