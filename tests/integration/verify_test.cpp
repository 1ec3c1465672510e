// `hasteward verify` on real sandbox clusters: a good backup verifies and leaves evidence that
// stock restic lists and `get backups` shows; a backup of a truncated dump fails with a clear
// verdict; a verifier killed with -9 mid-restore leaves an orphan that the next run removes; a
// timeout tears down; gating restores only when a newer backup exists. After every run no
// scratch server, process or directory remains.
#include <chrono>
#include <cstdlib>
#include <fstream>

#include <dirent.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/stat.h>

#include "core/fd.h"
#include "support/hasteward_env.h"

namespace hasteward::testing {
namespace {

using Json = nlohmann::json;

class VerifyTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    ASSERT_EQ(hs_.Run({"repo", "init"}).exit_code, 0);
    auto up =
        hs_.Run({"sandbox", "up", "-e", Engine(), "-c", "shop", "-n", "test", "--instances", "1"});
    ASSERT_EQ(up.exit_code, 0) << up.err;
    LoadDataset();
  }

  void TearDown() override { hs_.Run({"sandbox", "down", "-c", "shop", "-n", "test"}); }

  std::string Engine() const { return GetParam(); }
  bool Pg() const { return GetParam() == "cnpg"; }
  std::string VerifyRoot() const { return hs_.dir() + "/state/verify"; }

  CmdResult Verify(std::vector<std::string> more = {},
                   std::map<std::string, std::string> extra = {}) {
    std::vector<std::string> args = {"verify", "-e", Engine(), "-c",
                                     "shop",   "-n", "test",   "--json"};
    args.insert(args.end(), more.begin(), more.end());
    return hs_.Run(args, "", extra);
  }

  // Creates database "shop" with two tables through the stock client of the sandbox.
  void LoadDataset() {
    auto list = Json::parse(hs_.Run({"sandbox", "list", "--json"}).out);
    const auto& inst = list[0]["instances"][0];
    std::string port = std::to_string(inst["port"].get<int>());
    if (Pg()) {
      std::string sock = inst["socket"].get<std::string>();
      auto psql = [&](const std::string& db, const std::string& sql) {
        auto r = RunCommand({"runuser", "-u", "postgres", "--", "psql", "-h", sock, "-p", port,
                             "-d", db, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-c", sql});
        ASSERT_EQ(r.exit_code, 0) << r.err;
      };
      psql("postgres", "CREATE DATABASE shop");
      psql(
          "shop",
          "CREATE TABLE orders (id INT PRIMARY KEY, customer TEXT, total NUMERIC(10,2));"
          "INSERT INTO orders SELECT g, 'c' || (g % 97), g * 1.25 FROM generate_series(1, 50000) g;"
          "CREATE TABLE items (id INT PRIMARY KEY, name TEXT);"
          "INSERT INTO items SELECT g, 'item-' || g FROM generate_series(1, 300) g;");
      return;
    }
    std::ifstream f(hs_.dir() + "/state/test/shop/admin.password");
    std::string pw;
    std::getline(f, pw);
    auto r = RunCommand(
        {"mariadb", "-h", "127.0.0.1", "-P", port, "-u", "admin", "-e",
         "CREATE DATABASE shop; USE shop;"
         "CREATE TABLE orders (id INT PRIMARY KEY, customer VARCHAR(40), total DECIMAL(10,2));"
         "INSERT INTO orders SELECT seq, CONCAT('c', seq % 97), seq * 1.25 FROM seq_1_to_50000;"
         "CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(40));"
         "INSERT INTO items SELECT seq, CONCAT('item-', seq) FROM seq_1_to_300;"},
        {{"MYSQL_PWD", pw}});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  std::string Backup() {
    auto b = hs_.Run({"backup", "-e", Engine(), "-c", "shop", "-n", "test", "--json"});
    EXPECT_EQ(b.exit_code, 0) << b.err;
    return Json::parse(b.out.substr(b.out.find('{')))["snapshot_id"].get<std::string>();
  }

  Json Listing() {
    auto r = hs_.Run({"get", "backups", "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return Json::parse(r.out);
  }

  std::string VerificationOf(const std::string& id) {
    for (const auto& s : Listing()) {
      if (s["id"] == id)
        return s["verification"];
    }
    return "(not listed)";
  }

  int VerificationSnapshots() {
    int n = 0;
    for (const auto& s : Listing())
      n += s["type"] == "verification" ? 1 : 0;
    return n;
  }

  // Entries of the verify root, and processes whose command line mentions it.
  std::vector<std::string> Leftovers() {
    std::vector<std::string> found;
    if (DIR* d = ::opendir(VerifyRoot().c_str())) {
      while (dirent* e = ::readdir(d)) {
        std::string n = e->d_name;
        if (n != "." && n != "..")
          found.push_back("dir " + n);
      }
      ::closedir(d);
    }
    if (DIR* d = ::opendir("/proc")) {
      while (dirent* e = ::readdir(d)) {
        std::string pid = e->d_name;
        if (pid.find_first_not_of("0123456789") != std::string::npos)
          continue;
        // A process that exits mid-read is gone, not a leftover (an ifstream would throw).
        auto cmd = core::ReadFileToString("/proc/" + pid + "/cmdline");
        if (cmd.ok() && cmd->find(VerifyRoot()) != std::string::npos)
          found.push_back("process " + pid);
      }
      ::closedir(d);
    }
    return found;
  }

  HastewardEnv hs_{"hs-verify-", "verify-test"};
};

double Seconds(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

TEST_P(VerifyTest, GoodBackupPassesAndRecordsEvidence) {
  std::string id = Backup();
  EXPECT_EQ(VerificationOf(id), "never");
  auto t0 = std::chrono::steady_clock::now();
  auto v = Verify();
  double verify_s = Seconds(t0);
  ASSERT_EQ(v.exit_code, 0) << v.out << v.err;
  auto out = Json::parse(v.out);
  const auto& report = out["report"];
  EXPECT_EQ(report["verdict"], "ok") << report.dump(2);
  EXPECT_EQ(report["snapshot_id"], id);
  bool orders = false;
  for (const auto& t : report["tables"]) {
    if (t["database"] == "shop" &&
        t["table"].get<std::string>().find("orders") != std::string::npos) {
      orders = true;
      EXPECT_EQ(t["rows"], 50000);
      EXPECT_EQ(t["check"], "ok");
      EXPECT_FALSE(t["checksum"].get<std::string>().empty());
    }
  }
  EXPECT_TRUE(orders) << report.dump(2);
  EXPECT_EQ(VerificationOf(id), "verified ok");
  EXPECT_TRUE(Leftovers().empty()) << ::testing::PrintToString(Leftovers());

  // Stock restic lists the evidence and dumps the report.
  auto rs = hs_.Restic({"snapshots", "--json", "--tag", "type=verification"});
  ASSERT_EQ(rs.exit_code, 0) << rs.err;
  auto snaps = Json::parse(rs.out);
  ASSERT_EQ(snaps.size(), 1u);
  bool tagged = false;
  for (const auto& t : snaps[0]["tags"])
    tagged |= t == "verifies=" + id;
  EXPECT_TRUE(tagged) << snaps.dump();
  auto dump = hs_.Restic({"dump", snaps[0]["id"], "/test/shop/verification.json"});
  ASSERT_EQ(dump.exit_code, 0) << dump.err;
  EXPECT_EQ(Json::parse(dump.out)["verdict"], "ok");
  EXPECT_EQ(hs_.Restic({"check"}).exit_code, 0);

  // The overhead: the same snapshot restored plainly into the source cluster.
  t0 = std::chrono::steady_clock::now();
  auto r = hs_.Run({"restore", "-e", Engine(), "-c", "shop", "-n", "test", "--snapshot", id,
                    "--confirm-overwrite"});
  double restore_s = Seconds(t0);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::printf("[figures] %s verify %.2fs (phases %s) vs plain restore %.2fs\n", Engine().c_str(),
              verify_s, report["phase_seconds"].dump().c_str(), restore_s);
}

TEST_P(VerifyTest, TruncatedDumpFailsWithClearVerdict) {
  std::string id = Backup();
  std::string full = hs_.dir() + "/full.sql";
  ASSERT_EQ(
      hs_.Run({"export", "-e", Engine(), "-c", "shop", "-n", "test", "--snapshot", id, "-o", full})
          .exit_code,
      0);
  struct stat st {};
  ASSERT_EQ(::stat(full.c_str(), &st), 0);
  ASSERT_EQ(::truncate(full.c_str(), st.st_size * 6 / 10), 0);
  std::string file = Pg() ? "pgdumpall.sql" : "mysqldump.sql";
  auto b = hs_.Run({"backup", "--stdin", "--stdin-filename", "test/shop/" + file, "--tag",
                    "engine=" + Engine() + ",cluster=shop,namespace=test,type=backup", "--json"},
                   full);
  ASSERT_EQ(b.exit_code, 0) << b.err;
  std::string bad = Json::parse(b.out)["snapshot_id"];
  auto v = Verify();
  EXPECT_EQ(v.exit_code, 28) << v.out << v.err;
  auto report = Json::parse(v.out)["report"];
  EXPECT_EQ(report["verdict"], "failed");
  EXPECT_EQ(report["snapshot_id"], bad);
  ASSERT_FALSE(report["failures"].empty());
  EXPECT_NE(report["failures"].dump().find("dump is incomplete"), std::string::npos)
      << report["failures"].dump();
  EXPECT_EQ(VerificationOf(bad), "failed");
  EXPECT_EQ(VerificationOf(id), "never");
  EXPECT_TRUE(Leftovers().empty()) << ::testing::PrintToString(Leftovers());
}

TEST_P(VerifyTest, KilledVerifierLeavesOrphanThatTheNextRunRemoves) {
  Backup();
  auto killed = Verify({}, {{"HASTEWARD_FAILPOINT", "verify-mid-restore"}});
  ASSERT_EQ(killed.exit_code, -1) << "expected death by SIGKILL: " << killed.err;
  auto left = Leftovers();
  EXPECT_FALSE(left.empty()) << "the crash should leave a scratch instance behind";
  auto v = Verify();
  ASSERT_EQ(v.exit_code, 0) << v.out << v.err;
  auto out = Json::parse(v.out);
  EXPECT_EQ(out["orphans_removed"], 1);
  EXPECT_EQ(out["report"]["verdict"], "ok");
  EXPECT_TRUE(Leftovers().empty()) << ::testing::PrintToString(Leftovers());
}

TEST_P(VerifyTest, TimeoutTearsDownAndRecordsNothing) {
  Backup();
  // The restore client starts 5 s late (a wrapper first on PATH), so the 1 s timeout always
  // fires during the restore however fast the machine is. PostgreSQL's psql comes from the
  // server's bin directory, so only the MariaDB client needs the wrapper; the PostgreSQL
  // scratch instance takes longer than 1 s to start anyway.
  std::string slow_bin = hs_.dir() + "/slow-bin";
  ::mkdir(slow_bin.c_str(), 0755);
  for (const char* tool : {"mariadb", "psql"}) {
    std::string real = std::string("/usr/bin/") + tool;
    WriteFile(slow_bin + "/" + tool, "#!/bin/sh\nsleep 5\nexec " + real + " \"$@\"\n");
    ::chmod((slow_bin + "/" + tool).c_str(), 0755);
  }
  const char* path = std::getenv("PATH");  // NOLINT(concurrency-mt-unsafe): read before threads
  auto v = Verify({"--timeout", "1"}, {{"PATH", slow_bin + ":" + (path ? path : "/usr/bin:/bin")}});
  EXPECT_EQ(v.exit_code, 27) << v.out << v.err;
  EXPECT_EQ(VerificationSnapshots(), 0);
  EXPECT_TRUE(Leftovers().empty()) << ::testing::PrintToString(Leftovers());
}

TEST_P(VerifyTest, GatingRestoresOnlyForANewerBackup) {
  Backup();
  auto first = Verify();
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_FALSE(Json::parse(first.out)["skipped"].get<bool>());
  auto second = hs_.Run({"verify", "-e", Engine(), "-c", "shop", "-n", "test"});
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_NE(second.out.find("already verified"), std::string::npos) << second.out;
  EXPECT_EQ(VerificationSnapshots(), 1);
  Backup();
  auto third = Verify();
  ASSERT_EQ(third.exit_code, 0) << third.err;
  EXPECT_FALSE(Json::parse(third.out)["skipped"].get<bool>());
  EXPECT_EQ(VerificationSnapshots(), 2);
  auto fourth = Verify();
  EXPECT_TRUE(Json::parse(fourth.out)["skipped"].get<bool>());
  auto forced = Verify({"--force"});
  EXPECT_FALSE(Json::parse(forced.out)["skipped"].get<bool>());
  EXPECT_EQ(VerificationSnapshots(), 3);
}

INSTANTIATE_TEST_SUITE_P(Engines, VerifyTest, ::testing::Values("cnpg", "mariadb"));

}  // namespace
}  // namespace hasteward::testing
