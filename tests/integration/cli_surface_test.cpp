// The command-line surface a new user meets, driving the real binary on a local repository (no
// database needed): every --json error is one valid JSON line whatever the message holds; an
// explicit password file beats RESTIC_PASSWORD; "latest" means the newest backup, not a later
// verification; diverged captures are exported with -i N; exports are private (0600); every
// command honours --dry-run or refuses it clearly; the README's environment variables and -v work,
// with flags beating them.
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/stat.h>

#include "support/hasteward_env.h"

namespace hasteward::testing {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

constexpr int kUsage = 2;
constexpr int kWrongPassword = 12;

class CliSurfaceTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(hs_.Run({"repo", "init"}).exit_code, 0); }

  // Backs up `content` as <ns>/<cluster>/<file> with HASteward's tags; returns the snapshot ID.
  std::string Backup(const std::string& content, const std::string& file, const std::string& type,
                     const std::string& time, const std::string& extra_tags = "") {
    std::string in = WriteFile(hs_.Path("in-" + std::to_string(++inputs_)), content);
    auto r = hs_.Run({"backup", "--stdin", "--stdin-filename", "test/shop/" + file, "--tag",
                      "engine=cnpg,cluster=shop,namespace=test,type=" + type + extra_tags, "--time",
                      time, "--json"},
                     in);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.exit_code == 0 ? Json::parse(r.out).value("snapshot_id", "") : "";
  }

  size_t SnapshotCount() {
    auto r = hs_.Run({"get", "backups", "-t", "all", "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.exit_code == 0 ? Json::parse(r.out).size() : 0;
  }

  static std::string ReadAll(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    std::ostringstream ss;
    ss << f.rdbuf();
    return ss.str();
  }

  // The `{"error":...}` line of a --json run's stderr, parsed; fails the test when it is missing
  // or not valid JSON.
  static Json ErrorLine(const CmdResult& r) {
    std::istringstream lines(r.err);
    for (std::string line; std::getline(lines, line);) {
      if (line.rfind("{\"error\"", 0) != 0)
        continue;
      Json parsed = Json::parse(line, nullptr, /*allow_exceptions=*/false);
      EXPECT_FALSE(parsed.is_discarded()) << "invalid JSON: " << line;
      return parsed;
    }
    ADD_FAILURE() << "no JSON error line in: " << r.err;
    return {};
  }

  static void ExpectDryRunRefused(const CmdResult& r) {
    EXPECT_EQ(r.exit_code, kUsage) << r.out << r.err;
    EXPECT_NE(r.err.find("--dry-run"), std::string::npos) << r.err;
  }

  HastewardEnv hs_{"hs-cli-", "cli-test"};
  int inputs_ = 0;
};

TEST_F(CliSurfaceTest, JsonErrorWithQuoteAndNewlineIsValidJson) {
  auto r = hs_.Run({"backup", "--json", "--stdin-from-command", "--stdin-filename", "db.sql", "--",
                    "sh", "-c", "printf 'he said \"no\"\\nsecond line\\n' >&2; exit 2"});
  EXPECT_EQ(r.exit_code, 23) << r.err;
  Json error = ErrorLine(r);
  std::string message = error["error"].value("message", "");
  EXPECT_NE(message.find("he said \"no\"\nsecond line"), std::string::npos) << message;
  EXPECT_EQ(error["error"].value("exit_code", 0), 23);
  EXPECT_EQ(SnapshotCount(), 0u);
}

TEST_F(CliSurfaceTest, PasswordFileFlagBeatsResticPasswordEnvironment) {
  std::string wrong = WriteFile(hs_.Path("wrong.password"), "definitely-wrong\n");
  auto r = hs_.Run({"get", "backups", "--restic-password-file", wrong});
  EXPECT_EQ(r.exit_code, kWrongPassword) << "RESTIC_PASSWORD is set and right, but the flag names "
                                            "another file: "
                                         << r.out << r.err;
  std::string right = WriteFile(hs_.Path("right.password"), "cli-test\n");
  auto ok = hs_.Run({"get", "backups", "--restic-password-file", right}, "",
                    {{"RESTIC_PASSWORD", "definitely-wrong"}});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  auto both =
      hs_.Run({"get", "backups", "--restic-password", "x", "--restic-password-file", right});
  EXPECT_EQ(both.exit_code, kUsage) << both.err;
}

TEST_F(CliSurfaceTest, LatestIsTheNewestBackupNotALaterVerification) {
  Backup("-- the dump\n", "pgdumpall.sql", "backup", "2024-01-01 10:00:00");
  Backup("{\"verdict\":\"ok\"}\n", "verification.json", "verification", "2024-01-01 11:00:00");
  std::string out = hs_.Path("latest.sql");
  auto r = hs_.Run(
      {"export", "-e", "cnpg", "-c", "shop", "-n", "test", "--snapshot", "latest", "-o", out});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(ReadAll(out), "-- the dump\n");
}

TEST_F(CliSurfaceTest, DivergedCaptureIsExportedWithInstance) {
  Backup("-- primary\n", "pgdumpall.sql", "backup", "2024-01-01 10:00:00");
  std::string id = Backup("-- instance 2\n", "2-pgdumpall.sql", "diverged", "2024-01-01 11:00:00",
                          ",job=20240101T110000Z");
  Backup("-- instance 1\n", "1-pgdumpall.sql", "diverged", "2024-01-01 11:00:00",
         ",job=20240101T110000Z");
  std::string out = hs_.Path("instance2.sql");
  auto by_id = hs_.Run(
      {"export", "-e", "cnpg", "-c", "shop", "-n", "test", "--snapshot", id, "-i", "2", "-o", out});
  ASSERT_EQ(by_id.exit_code, 0) << by_id.err;
  EXPECT_EQ(ReadAll(out), "-- instance 2\n");
  auto latest = hs_.Run({"export", "-e", "cnpg", "-c", "shop", "-n", "test", "-i", "1", "-o", out});
  ASSERT_EQ(latest.exit_code, 0) << latest.err;
  EXPECT_EQ(ReadAll(out), "-- instance 1\n");
}

TEST_F(CliSurfaceTest, AMisspeltSnapshotTypeIsAUsageErrorNotAnEmptySelection) {
  Backup("-- the dump\n", "pgdumpall.sql", "backup", "2024-01-01 10:00:00");
  // "backups" used to select nothing: `get backups` printed an empty table and export said
  // "no snapshot found", hiding the typo.
  auto listed = hs_.Run({"get", "backups", "-t", "backups"});
  EXPECT_EQ(listed.exit_code, kUsage) << listed.out << listed.err;
  EXPECT_NE(listed.err.find("-t all"), std::string::npos) << listed.err;
  auto exported = hs_.Run({"export", "-e", "cnpg", "-c", "shop", "-n", "test", "-t", "backups",
                           "-o", hs_.Path("typo.sql")});
  EXPECT_EQ(exported.exit_code, kUsage) << exported.err;
  auto verified = hs_.Run({"get", "backups", "-t", "verification", "--json"});
  ASSERT_EQ(verified.exit_code, 0) << verified.err;
  EXPECT_EQ(Json::parse(verified.out).size(), 0U);
}

TEST_F(CliSurfaceTest, ExportFileIsReadableByItsOwnerOnly) {
  Backup("-- password hashes\n", "pgdumpall.sql", "backup", "2024-01-01 10:00:00");
  for (const std::string name : {"dump.sql", "dump.sql.gz"}) {
    auto r = hs_.Run({"export", "-c", "shop", "-o", hs_.Path(name)});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    struct stat st {};
    ASSERT_EQ(::stat(hs_.Path(name).c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u) << name;
  }
}

TEST_F(CliSurfaceTest, DryRunRepoInitCreatesNothing) {
  std::string fresh = hs_.Path("fresh-repo");
  auto r = hs_.Run({"repo", "init", "--dry-run", "-r", fresh});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("would create"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(fresh));
}

TEST_F(CliSurfaceTest, DryRunRepoUnlockRemoveAllIsRefusedAndKeepsLocks) {
  // A backup killed after its first pack leaves its lock behind.
  std::mt19937_64 rng(7);
  std::string data(24 << 20, '\0');
  for (auto& c : data)
    c = static_cast<char>(rng());
  std::string big = WriteFile(hs_.Path("big"), data);
  auto killed = hs_.Run({"backup", "--stdin"}, big, {{"HASTEWARD_FAILPOINT", "after-pack-save:1"}});
  ASSERT_EQ(killed.exit_code, -1) << killed.err;
  ASSERT_FALSE(fs::is_empty(hs_.repository() + "/locks"));
  ExpectDryRunRefused(hs_.Run({"repo", "unlock", "--remove-all", "--dry-run"}));
  EXPECT_FALSE(fs::is_empty(hs_.repository() + "/locks"));
}

TEST_F(CliSurfaceTest, DryRunBackupStdinIsRefusedAndSavesNothing) {
  std::string in = WriteFile(hs_.Path("in.sql"), "-- dump\n");
  ExpectDryRunRefused(hs_.Run({"backup", "--stdin", "--dry-run"}, in));
  EXPECT_EQ(SnapshotCount(), 0u);
}

TEST_F(CliSurfaceTest, DryRunVerifyIsRefused) {
  ExpectDryRunRefused(hs_.Run({"verify", "-e", "cnpg", "-c", "shop", "-n", "test", "--dry-run"}));
}

TEST_F(CliSurfaceTest, DryRunSandboxDownIsRefused) {
  ExpectDryRunRefused(hs_.Run({"sandbox", "down", "-c", "shop", "-n", "test", "--dry-run"}));
}

TEST_F(CliSurfaceTest, DryRunInstanceStopIsRefused) {
  ExpectDryRunRefused(
      hs_.Run({"instance", "stop", "-c", "shop", "-n", "test", "-i", "0", "--dry-run"}));
}

TEST_F(CliSurfaceTest, ReadmeEnvironmentVariablesWorkAndFlagsBeatThem) {
  Backup("-- first\n", "pgdumpall.sql", "backup", "2024-01-01 10:00:00");
  std::string second = Backup("-- second\n", "pgdumpall.sql", "backup", "2024-01-02 10:00:00");
  std::string first_out = hs_.Path("env.sql");
  auto by_env = hs_.Run({"export", "-c", "shop", "-o", first_out}, "",
                        {{"HASTEWARD_SNAPSHOT", second.substr(0, 8)}});
  ASSERT_EQ(by_env.exit_code, 0) << by_env.err;
  EXPECT_EQ(ReadAll(first_out), "-- second\n");

  // A method no engine has: the env value reaches the method check (which names it), and the flag
  // wins over it.
  auto method = hs_.Run({"backup", "-c", "shop"}, "", {{"HASTEWARD_BACKUP_METHOD", "snapshot"}});
  EXPECT_EQ(method.exit_code, kUsage) << method.err;
  EXPECT_NE(method.err.find("'snapshot'"), std::string::npos) << method.err;
  auto method_flag = hs_.Run({"backup", "-c", "shop", "-m", "dump"}, "",
                             {{"HASTEWARD_BACKUP_METHOD", "snapshot"}});
  EXPECT_EQ(method_flag.err.find("'snapshot'"), std::string::npos) << "the flag beats the env";

  for (const std::string name : {"HASTEWARD_HEAL_TIMEOUT", "HASTEWARD_DELETE_TIMEOUT"}) {
    auto bad = hs_.Run({"repair", "-c", "shop", "-n", "test"}, "", {{name, "soon"}});
    EXPECT_EQ(bad.exit_code, kUsage) << name << ": " << bad.err;
    EXPECT_NE(bad.err.find("'soon'"), std::string::npos) << bad.err;
  }
  auto instance = hs_.Run({"instance", "status", "-c", "shop", "-n", "test"}, "",
                          {{"HASTEWARD_INSTANCE", "0"}});
  EXPECT_NE(instance.exit_code, kUsage) << "-i comes from HASTEWARD_INSTANCE: " << instance.err;

  EXPECT_EQ(hs_.Run({"-v", "get", "backups"}).exit_code, 0);
  EXPECT_EQ(hs_.Run({"get", "backups", "--verbose"}, "", {{"HASTEWARD_VERBOSE", "1"}}).exit_code,
            0);
}

// An engine whose switchover() is nullptr (Galera: no primary to change) answers with a usage
// error naming the capability, before any instance is contacted (nothing listens on its port).
TEST_F(CliSurfaceTest, SwitchoverAndFailoverOnGaleraAreUnsupported) {
  WriteFile(hs_.inventory(),
            "clusters:\n- name: ring\n  namespace: test\n  engine: galera\n"
            "  credentials: {user: admin}\n  instances:\n  - {name: ring-0, port: 1}\n");
  for (const std::string verb : {"switchover", "failover"}) {
    auto r = hs_.Run({verb, "-e", "galera", "-c", "ring", "-n", "test", "--dry-run"});
    EXPECT_EQ(r.exit_code, kUsage) << verb << ": " << r.out << r.err;
    EXPECT_NE(r.err.find("does not support " + verb), std::string::npos) << r.err;
  }
}

TEST_F(CliSurfaceTest, SwitchoverRejectsABadTimeoutBeforeTouchingTheCluster) {
  auto r =
      hs_.Run({"switchover", "-e", "mariadb", "-c", "nowhere", "-n", "test", "--timeout", "soon"});
  EXPECT_EQ(r.exit_code, kUsage) << r.out << r.err;
  EXPECT_NE(r.err.find("--timeout"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace hasteward::testing
