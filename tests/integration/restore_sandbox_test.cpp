// `restore --into-sandbox` end to end on real sandbox clusters, driving the hasteward binary: a
// native PostgreSQL snapshot and a point in time (`--until T`, replayed from the archive) are
// restored into new running sandbox clusters holding exactly the rows expected (marker r1 in the
// native base, r1,r2 before T, r3 after it), reached with the connect command the restore prints,
// while the source keeps running with all its rows; an existing sandbox name is refused (exit 29)
// and left as it was; a snapshot that does not exist and a restore stopped mid-stream leave no
// sandbox behind; a MariaDB dump restores into a sandbox. A story test: the PostgreSQL cases
// share one source cluster, its archive and its backups.
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <functional>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/stat.h>

#include "core/subprocess.h"
#include "support/command.h"
#include "support/hasteward_env.h"
#include "support/held_command.h"
#include "support/mount_process.h"
#include "support/rest_test_server.h"
#include "support/sandbox_cluster.h"
#include "support/server_user_file.h"

namespace hasteward::testing {
namespace {

constexpr char kPassword[] = "restore-sandbox-test";
constexpr int kExitAlreadyExists = 29;

// Runs `hasteward <args...> -e ENGINE -c shop -n rs` on the cluster's inventory and state dir.
CmdResult RunOn(const HastewardEnv& hs, const SandboxCluster& cluster, const std::string& engine,
                std::vector<std::string> args, HastewardEnv::EnvVars env = {}) {
  args.insert(args.end(), {"-e", engine, "-c", "shop", "-n", "rs"});
  env["HASTEWARD_INVENTORY"] = cluster.inventory_path();
  env["HASTEWARD_STATE_DIR"] = cluster.state_dir();
  return hs.Run(args, "", env);
}

// The restore's --json line (the last line of its output).
nlohmann::json Summary(const CmdResult& r) {
  return nlohmann::json::parse(LastLine(r.out), nullptr, false);
}

// Runs `query` through the connect command the restore printed (the user's own way in).
std::string ViaConnect(const nlohmann::json& summary, const std::string& client_args) {
  auto r = RunCommand({"sh", "-c", summary.value("connect", "") + " " + client_args});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return r.out;
}

// The sandboxes of the inventory (`sandbox list --json`) besides the source (a sandbox itself).
std::vector<std::string> Sandboxes(const HastewardEnv& hs, const SandboxCluster& cluster) {
  auto r = hs.Run({"sandbox", "list", "--json"}, "",
                  {{"HASTEWARD_INVENTORY", cluster.inventory_path()}});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> names;
  for (const auto& c : nlohmann::json::parse(r.out.empty() ? "[]" : r.out)) {
    if (c["name"] == cluster.cluster().name && c["namespace"] == cluster.cluster().ns)
      continue;
    names.push_back(c["namespace"].get<std::string>() + "/" + c["name"].get<std::string>());
  }
  return names;
}

bool Exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

class RestoreSandboxPostgresTest : public ::testing::Test {
 protected:
  // One source cluster archiving into a REST repository: a native base holding r1, then r2, the
  // target time T, r3, the segment archived, and a dump holding all three.
  static void SetUpTestSuite() {
    hs_ = new HastewardEnv("hs-rsbox-", kPassword);
    native_summary_ = new nlohmann::json();
    auto cluster = SandboxCluster::Create(
        {.engine = platform::EngineKind::kPostgres, .instances = 1, .name = "shop", .ns = "rs"});
    ASSERT_TRUE(cluster.ok()) << cluster.status().ToString();
    pg_ = cluster->release();
    auto server = RestTestServer::Start(hs_->Path("rest"));
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = server->release();
    hs_->UseRepository(server_->Location("repo/"));
    ASSERT_EQ(hs_->Run({"repo", "init"}).exit_code, 0);
    // The server's restore_command runs as its OS user and reads the repository password here.
    auto password_file =
        WriteServerPasswordFile(hs_->Path("password"), kPassword, pg_->instance(0).os_user);
    ASSERT_TRUE(password_file.ok()) << password_file.status().ToString();
    password_file_ = new std::string(*password_file);
    ASSERT_EQ(Hs({"archive", "enable"}).exit_code, 0);
    Sql("CREATE TABLE markers (id text PRIMARY KEY); INSERT INTO markers VALUES ('r1')");
    auto native = Hs({"backup", "--method", "native", "--json"});
    ASSERT_EQ(native.exit_code, 0) << native.err;
    native_id_ = new std::string(Summary(native).value("snapshot_id", ""));
    Sql("INSERT INTO markers VALUES ('r2')");
    until_ =
        new std::string(Sql("SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', "
                            "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"));
    until_->resize(until_->find('\n'));
    Sql("INSERT INTO markers VALUES ('r3')");
    SwitchAndWaitArchived();
    ASSERT_EQ(Hs({"backup"}).exit_code, 0);
  }

  static void TearDownTestSuite() {
    for (const char* name : {"shop-restore", "shop-pitr", "shop-stopped", "shop-missing",
                             "shop-instant", "shop-instant-dump"}) {
      hs_->Run({"sandbox", "down", "-n", "rs", "-c", name}, "",
               {{"HASTEWARD_INVENTORY", pg_->inventory_path()}});
    }
    delete pg_;  // before the server: the cluster archives until it has stopped
    delete server_;
    delete hs_;
    delete password_file_;
    delete native_id_;
    delete until_;
    delete native_summary_;
  }

  static CmdResult Hs(std::vector<std::string> args, HastewardEnv::EnvVars env = {}) {
    args.insert(args.end(), {"--password-file", *password_file_});
    return RunOn(*hs_, *pg_, "cnpg", std::move(args), std::move(env));
  }

  static std::string Sql(const std::string& sql) {
    auto r = pg_->Sql(0, sql);
    EXPECT_TRUE(r.ok()) << r.status().ToString() << " for " << sql;
    return r.ok() ? *r : "";
  }

  static void SwitchAndWaitArchived() {
    std::string segment = Sql("SELECT pg_walfile_name(pg_switch_wal())");
    segment.resize(segment.find('\n'));
    for (int i = 0; i < 240; ++i) {
      std::string last = Sql("SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver");
      if (last.substr(0, last.find('\n')) >= segment)
        return;
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    ADD_FAILURE() << "segment " << segment << " was not archived within 60 s";
  }

  static std::string Markers(const nlohmann::json& summary) {
    return ViaConnect(summary, "-Atc \"SELECT string_agg(id, ',' ORDER BY id) FROM markers\"");
  }

  static HastewardEnv* hs_;
  static RestTestServer* server_;
  static SandboxCluster* pg_;
  static std::string* password_file_;
  static std::string* native_id_;
  // `restore --until T --into-sandbox NAME <extra>`: the sandbox holds r1 and r2 (the base
  // replayed to T) and is promoted, the source is untouched; `while_up` checks the summary before
  // the sandbox is taken down again.
  static void PointInTimeIntoSandbox(const std::string& name, const std::vector<std::string>& extra,
                                     const std::function<void(const nlohmann::json&)>& while_up) {
    std::vector<std::string> args = {"restore",        "--until", *until_,
                                     "--into-sandbox", name,      "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto r = Hs(args);
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    auto summary = Summary(r);
    EXPECT_EQ(summary["restored"], *native_id_);  // the base the archive was replayed on
    EXPECT_EQ(Markers(summary), "r1,r2\n");
    EXPECT_EQ(ViaConnect(summary, "-Atc \"SELECT pg_is_in_recovery()\""), "f\n");
    // Promoted on a timeline of its own, which must never reach the source's archive: the
    // source's next point-in-time restore would follow it (the next test restores again).
    EXPECT_EQ(ViaConnect(summary, "-Atc \"SHOW archive_mode\""), "off\n");
    EXPECT_EQ(Sql("SELECT string_agg(id, ',' ORDER BY id) FROM markers"), "r1,r2,r3\n");
    EXPECT_EQ(Sql("SELECT pg_is_in_recovery()"), "f\n");
    while_up(summary);
    auto down = hs_->Run({"sandbox", "down", "-n", "rs", "-c", name}, "",
                         {{"HASTEWARD_INVENTORY", pg_->inventory_path()}});
    ASSERT_EQ(down.exit_code, 0) << down.err;
  }

  static std::string* until_;
  static nlohmann::json* native_summary_;  // the first restore's, for the refusal test
};

HastewardEnv* RestoreSandboxPostgresTest::hs_ = nullptr;
RestTestServer* RestoreSandboxPostgresTest::server_ = nullptr;
SandboxCluster* RestoreSandboxPostgresTest::pg_ = nullptr;
std::string* RestoreSandboxPostgresTest::password_file_ = nullptr;
std::string* RestoreSandboxPostgresTest::native_id_ = nullptr;
std::string* RestoreSandboxPostgresTest::until_ = nullptr;
nlohmann::json* RestoreSandboxPostgresTest::native_summary_ = nullptr;

TEST_F(RestoreSandboxPostgresTest, NativeSnapshotRestoresIntoARunningSandboxBesideTheSource) {
  auto r = Hs({"restore", "--snapshot", *native_id_, "--into-sandbox", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto summary = Summary(r);
  EXPECT_EQ(summary["restored"], *native_id_);
  EXPECT_EQ(summary["method"], "native");
  EXPECT_EQ(summary["sandbox"]["cluster"], "shop-restore");  // the default name
  EXPECT_EQ(summary["sandbox"]["namespace"], "rs");
  EXPECT_EQ(Markers(summary), "r1\n");
  // The backup was taken with archiving on: the copy never archives as the source.
  EXPECT_EQ(ViaConnect(summary, "-Atc \"SHOW archive_mode\""), "off\n");
  EXPECT_EQ(Sql("SELECT string_agg(id, ',' ORDER BY id) FROM markers"), "r1,r2,r3\n");
  EXPECT_EQ(Sandboxes(*hs_, *pg_), std::vector<std::string>{"rs/shop-restore"});
  *native_summary_ = summary;
}

TEST_F(RestoreSandboxPostgresTest, AnExistingSandboxNameIsRefusedAndLeftRunning) {
  auto again = Hs({"restore", "--snapshot", *native_id_, "--into-sandbox", "--json"});
  EXPECT_EQ(again.exit_code, kExitAlreadyExists) << again.out << again.err;
  EXPECT_NE(again.err.find("already exists"), std::string::npos) << again.err;
  auto listed =
      hs_->Run({"sandbox", "list", "--json"}, "", {{"HASTEWARD_INVENTORY", pg_->inventory_path()}});
  ASSERT_EQ(listed.exit_code, 0);
  nlohmann::json sandbox;
  for (const auto& c : nlohmann::json::parse(listed.out)) {
    if (c["name"] == "shop-restore")
      sandbox = c;
  }
  ASSERT_TRUE(sandbox.is_object()) << listed.out;
  EXPECT_TRUE(sandbox["instances"][0]["running"].get<bool>());
  EXPECT_EQ(Markers(*native_summary_), "r1\n");  // untouched by the refused restore
  auto down = hs_->Run({"sandbox", "down", "-n", "rs", "-c", "shop-restore"}, "",
                       {{"HASTEWARD_INVENTORY", pg_->inventory_path()}});
  ASSERT_EQ(down.exit_code, 0) << down.err;
  EXPECT_TRUE(Sandboxes(*hs_, *pg_).empty());
}

TEST_F(RestoreSandboxPostgresTest, PointInTimeRestoresIntoASandboxUpToTheTarget) {
  PointInTimeIntoSandbox("shop-pitr", {}, [](const nlohmann::json&) {});
}

// Issue #35: `--until T --into-sandbox --instant` serves the base on an overlay of its mount, the
// WAL is replayed to T there, then the sandbox is hydrated: the same rows as the full restore's,
// the instant timings in the summary, and no mount or overlay left once the command returns.
TEST_F(RestoreSandboxPostgresTest, AnInstantPointInTimeRestoreServesTheBaseOfASandbox) {
  if (std::string reason = FuseUnavailableReason(); !reason.empty())
    GTEST_SKIP() << "FUSE is not usable here: " << reason;
  PointInTimeIntoSandbox("shop-pitr-instant", {"--instant"}, [](const nlohmann::json& summary) {
    EXPECT_GT(summary["instant"].value("writable_seconds", 0.0), 0.0) << summary.dump();
    const std::string data_dir = summary["sandbox"].value("dataDir", "");
    ASSERT_FALSE(data_dir.empty()) << summary.dump();
    EXPECT_FALSE(std::filesystem::is_symlink(data_dir)) << "still on the overlay";
    EXPECT_FALSE(HastewardFuseMountUnder(data_dir + ".hasteward-instant"));
  });
}

// Issue #35: `--into-sandbox --instant` serves the native snapshot on an overlay of its mount as
// the new sandbox's data directory (writable before anything is copied), then hydrates it. The
// sandbox holds exactly the base's rows, like the full restore's, and once the command returns it
// runs on a plain local directory with no mount left.
TEST_F(RestoreSandboxPostgresTest, InstantNativeSnapshotServesANewSandboxThenHydratesIt) {
  if (std::string reason = FuseUnavailableReason(); !reason.empty())
    GTEST_SKIP() << "FUSE is not usable here: " << reason;
  auto r = Hs({"restore", "--snapshot", *native_id_, "--into-sandbox", "shop-instant", "--instant",
               "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("\"event\":\"writable\""), std::string::npos) << r.out;
  auto summary = Summary(r);
  EXPECT_EQ(summary["restored"], *native_id_);
  EXPECT_EQ(summary["method"], "native");
  EXPECT_GT(summary["instant"].value("writable_seconds", 0.0), 0.0) << r.out;
  EXPECT_EQ(Markers(summary), "r1\n");
  EXPECT_EQ(ViaConnect(summary, "-Atc \"SELECT pg_is_in_recovery()\""), "f\n");
  const std::string data_dir = summary["sandbox"].value("dataDir", "");
  ASSERT_FALSE(data_dir.empty()) << r.out;
  EXPECT_FALSE(std::filesystem::is_symlink(data_dir)) << "still on the overlay";
  EXPECT_FALSE(HastewardFuseMountUnder(data_dir + ".hasteward-instant"));
  EXPECT_EQ(Sql("SELECT string_agg(id, ',' ORDER BY id) FROM markers"), "r1,r2,r3\n");
  auto down = hs_->Run({"sandbox", "down", "-n", "rs", "-c", "shop-instant"}, "",
                       {{"HASTEWARD_INVENTORY", pg_->inventory_path()}});
  ASSERT_EQ(down.exit_code, 0) << down.err;
}

// hasteward killed while it hydrates a sandbox leaves the sandbox on its overlay of the
// snapshot's (dead) FUSE mount; `sandbox down` detaches both and removes everything.
TEST_F(RestoreSandboxPostgresTest, AnInstantRestoreKilledWhileHydratingIsTakenDownWithItsMounts) {
  if (std::string reason = FuseUnavailableReason(); !reason.empty())
    GTEST_SKIP() << "FUSE is not usable here: " << reason;
  auto killed =
      Hs({"restore", "--snapshot", *native_id_, "--into-sandbox", "shop-killed", "--instant"},
         {{"HASTEWARD_FAILPOINT", "instant-restore-hydrating"}});
  ASSERT_EQ(killed.signal, SIGKILL) << killed.out << killed.err;
  const std::string dir = pg_->state_dir() + "/rs/shop-killed";
  ASSERT_TRUE(HastewardFuseMountUnder(dir)) << "the killed run left no mount to take down";
  auto down = hs_->Run({"sandbox", "down", "-n", "rs", "-c", "shop-killed"}, "",
                       {{"HASTEWARD_INVENTORY", pg_->inventory_path()}});
  ASSERT_EQ(down.exit_code, 0) << down.err;
  EXPECT_FALSE(HastewardFuseMountUnder(dir));
  EXPECT_FALSE(Exists(dir));
  EXPECT_TRUE(Sandboxes(*hs_, *pg_).empty());
}

// A dump cannot be served: refused before any sandbox is made.
TEST_F(RestoreSandboxPostgresTest, InstantIsRefusedForADumpAndMakesNoSandbox) {
  // The newest snapshot is the suite's dump.
  auto r = Hs({"restore", "--into-sandbox", "shop-instant-dump", "--instant"});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("is a dump"), std::string::npos) << r.err;
  EXPECT_TRUE(Sandboxes(*hs_, *pg_).empty());
  EXPECT_FALSE(Exists(pg_->state_dir() + "/rs/shop-instant-dump"));
}

TEST_F(RestoreSandboxPostgresTest, ASnapshotThatDoesNotExistMakesNoSandbox) {
  auto r = Hs({"restore", "--snapshot", "deadbeef", "--into-sandbox", "shop-missing"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("deadbeef"), std::string::npos) << r.err;
  EXPECT_TRUE(Sandboxes(*hs_, *pg_).empty());
  EXPECT_FALSE(Exists(pg_->state_dir() + "/rs/shop-missing"));
}

TEST_F(RestoreSandboxPostgresTest, ARestoreStoppedMidStreamRemovesTheHalfMadeSandbox) {
  auto env = hs_->vars();
  env["HASTEWARD_INVENTORY"] = pg_->inventory_path();
  env["HASTEWARD_STATE_DIR"] = pg_->state_dir();
  auto run =
      HeldCommand::Start({"restore", "--method", "dump", "--into-sandbox", "shop-stopped", "-e",
                          "cnpg", "-c", "shop", "-n", "rs", "--password-file", *password_file_},
                         env, "restore-mid-stream:pause", hs_->Path("stopped.err"));
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  ASSERT_TRUE((*run)->WaitUntilHeld()) << (*run)->err();
  // Mid-restore the sandbox exists; the stop must take it away again.
  EXPECT_EQ(Sandboxes(*hs_, *pg_), std::vector<std::string>{"rs/shop-stopped"});
  ::kill((*run)->pid(), SIGTERM);
  auto exited = (*run)->WaitForExit(std::chrono::seconds(120));
  ASSERT_TRUE(exited.has_value());
  EXPECT_EQ(exited->exit_code, 128 + SIGTERM);
  EXPECT_TRUE(Sandboxes(*hs_, *pg_).empty());
  EXPECT_FALSE(Exists(pg_->state_dir() + "/rs/shop-stopped"));
  EXPECT_EQ(Sql("SELECT count(*) FROM markers"), "3\n");
}

TEST(RestoreSandboxMariadbTest, DumpRestoresIntoASandbox) {
  HastewardEnv hs("hs-rsbox-maria-", kPassword);
  auto db = SandboxCluster::Create(
      {.engine = platform::EngineKind::kMariadb, .instances = 1, .name = "shop", .ns = "rs"});
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  ASSERT_EQ(hs.Run({"repo", "init"}).exit_code, 0);
  ASSERT_TRUE((*db)
                  ->Sql(0,
                        "CREATE DATABASE shop; CREATE TABLE shop.items (id int PRIMARY KEY); "
                        "INSERT INTO shop.items VALUES (1), (2), (3)")
                  .ok());
  ASSERT_EQ(RunOn(hs, **db, "mariadb", {"backup"}).exit_code, 0);
  auto r = RunOn(hs, **db, "mariadb", {"restore", "--into-sandbox", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto summary = Summary(r);
  EXPECT_EQ(summary["method"], "dump");
  EXPECT_EQ(summary["sandbox"]["engine"], "mariadb");
  EXPECT_EQ(ViaConnect(summary, "-N -B -e \"SELECT group_concat(id ORDER BY id) FROM shop.items\""),
            "1,2,3\n");
  auto down = hs.Run({"sandbox", "down", "-n", "rs", "-c", "shop-restore"}, "",
                     {{"HASTEWARD_INVENTORY", (*db)->inventory_path()}});
  EXPECT_EQ(down.exit_code, 0) << down.err;
}

}  // namespace
}  // namespace hasteward::testing
