// Stock restic 0.14 is the referee: it must check and dump what hasteward writes, and hasteward
// must read what restic writes. Every test drives the real binaries.
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <signal.h>

#include "core/poll_until.h"
#include "core/subprocess.h"
#include "support/hasteward_env.h"

namespace hasteward::testing {
namespace {

namespace fs = std::filesystem;

class RepoInteropTest : public ::testing::Test {
 protected:
  std::string RandomFile(const std::string& name, size_t n, uint32_t seed) {
    std::mt19937_64 rng(seed);
    std::string data(n, '\0');
    for (auto& c : data)
      c = static_cast<char>(rng());
    return WriteFile(hs_.dir() + "/" + name, data);
  }

  std::string ExportSha(const std::string& snapshot = "latest") {
    std::string out = hs_.dir() + "/export.bin";
    auto r = hs_.Run({"export", "--snapshot", snapshot, "-o", out});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return Sha256File(out);
  }

  size_t ResticSnapshotCount() {
    auto r = hs_.Restic({"snapshots", "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return nlohmann::json::parse(r.out).size();
  }

  void ExpectResticCheckPasses() {
    auto r = hs_.Restic({"check", "--read-data"});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  }

  HastewardEnv hs_{"hs-interop-", "interop-pw"};
};

TEST_F(RepoInteropTest, ResticChecksListsAndDumpsWhatHastewardWrites) {
  ASSERT_EQ(hs_.Run({"repo", "init"}).exit_code, 0);
  std::string in = RandomFile("in.bin", 20 << 20, 1);
  auto b = hs_.Run({"backup", "--stdin", "--stdin-filename", "ns1/pg/pgdumpall.sql", "--tag",
                    "engine=cnpg", "--tag", "cluster=pg,namespace=ns1", "--tag", "type=backup",
                    "--time", "2023-01-02 03:04:05", "--host", "H"},
                   in);
  ASSERT_EQ(b.exit_code, 0) << b.err;
  ExpectResticCheckPasses();
  auto snaps = nlohmann::json::parse(hs_.Restic({"snapshots", "--json"}).out);
  ASSERT_EQ(snaps.size(), 1u);
  EXPECT_EQ(snaps[0]["time"], "2023-01-02T03:04:05Z");
  EXPECT_EQ(snaps[0]["hostname"], "H");
  EXPECT_EQ(snaps[0]["paths"][0], "/ns1/pg/pgdumpall.sql");
  EXPECT_EQ(snaps[0]["tags"],
            nlohmann::json::parse(R"(["engine=cnpg","cluster=pg","namespace=ns1","type=backup"])"));
  auto dump = hs_.Restic({"dump", "latest", "/ns1/pg/pgdumpall.sql"});
  ASSERT_EQ(dump.exit_code, 0) << dump.err;
  EXPECT_EQ(Sha256String(dump.out), Sha256File(in));
}

// WAL archived with the archive index (hasteward/archive-index/) beside restic's layout: restic
// checks the repository, including the duplicate blobs wal-push stores without looking up the pack
// index (two segments sharing most of their bytes), and dumps every segment; wal-fetch reads it
// back through the index, and pitr status counts it.
TEST_F(RepoInteropTest, ResticChecksAndDumpsWalArchivedWithTheArchiveIndex) {
  ASSERT_EQ(hs_.Run({"repo", "init"}).exit_code, 0);
  fs::create_directories(hs_.Path("pg_wal/archive_status"));
  std::string shared = RandomFile("shared.bin", 16 << 20, 7);
  std::vector<std::string> names = {"000000010000000000000001", "000000010000000000000002"};
  for (const std::string& name : names) {
    std::ifstream in(shared, std::ios::binary);
    std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    content.replace(0, name.size(), name);
    WriteFile(hs_.Path("pg_wal/" + name), content);
    auto pushed =
        hs_.Run({"wal-push", "-e", "cnpg", "-c", "shop", "-n", "ns", hs_.Path("pg_wal/" + name)});
    ASSERT_EQ(pushed.exit_code, 0) << pushed.err;
  }
  EXPECT_FALSE(fs::is_empty(hs_.repository() + "/hasteward/archive-index"));
  ExpectResticCheckPasses();
  for (const std::string& name : names) {
    auto wal = nlohmann::json::parse(
        hs_.Restic({"snapshots", "--tag", "wal_first=" + name, "--json"}).out);
    ASSERT_EQ(wal.size(), 1u);
    auto dump = hs_.Restic({"dump", wal[0]["id"].get<std::string>(), "/ns/shop/wal/" + name});
    ASSERT_EQ(dump.exit_code, 0) << dump.err;
    EXPECT_EQ(Sha256String(dump.out), Sha256File(hs_.Path("pg_wal/" + name)));
  }
  fs::create_directories(hs_.Path("restore/pg_wal"));
  auto fetched = hs_.Run({"wal-fetch", "-e", "cnpg", "-c", "shop", "-n", "ns", names[1],
                          hs_.Path("restore/pg_wal/RECOVERYXLOG")});
  ASSERT_EQ(fetched.exit_code, 0) << fetched.err;
  EXPECT_EQ(Sha256File(hs_.Path("restore/pg_wal/RECOVERYXLOG")),
            Sha256File(hs_.Path("pg_wal/" + names[1])));
  WriteFile(hs_.inventory(),
            "clusters:\n- name: shop\n  namespace: ns\n  engine: cnpg\n"
            "  credentials: {user: postgres}\n  instances:\n  - {name: shop-0, port: 1}\n");
  auto status = hs_.Run({"pitr", "status", "--json", "-e", "cnpg", "-c", "shop", "-n", "ns"});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  EXPECT_EQ(nlohmann::json::parse(status.out)["wal_files"], 2);
}

TEST_F(RepoInteropTest, HastewardReadsAndDeduplicatesAgainstResticsRepository) {
  ASSERT_EQ(hs_.Restic({"init"}).exit_code, 0);
  // 40 MiB: restic's chunk boundaries depend on the repository's random polynomial, and 12 MiB
  // sometimes came out as only 4 chunks (expected about 8); 40 MiB gives about 27 (chunks are
  // at most 8 MiB, so at least 5).
  std::string in = RandomFile("in.bin", 40 << 20, 2);
  ASSERT_EQ(hs_.Restic({"backup", "--stdin", "--stdin-filename", "db.sql"}, in).exit_code, 0);
  EXPECT_EQ(ExportSha(), Sha256File(in));
  auto b = hs_.Run({"backup", "--stdin", "--stdin-filename", "again.sql", "--json"}, in);
  ASSERT_EQ(b.exit_code, 0) << b.err;
  auto summary = nlohmann::json::parse(b.out);
  EXPECT_GT(summary["data_blobs"].get<int>(), 5);
  EXPECT_EQ(summary["data_blobs_new"], 0) << "same input must add no data blobs";
  ExpectResticCheckPasses();
  auto dump = hs_.Restic({"dump", "latest", "/again.sql"});
  EXPECT_EQ(Sha256String(dump.out), Sha256File(in));
}

TEST_F(RepoInteropTest, EdgeInputsRoundTripThroughBothTools) {
  ASSERT_EQ(hs_.Run({"repo", "init"}).exit_code, 0);
  struct Case {
    std::string name;
    std::string data;
  };
  std::mt19937_64 rng(3);
  auto random = [&rng](size_t n) {
    std::string s(n, '\0');
    for (auto& c : s)
      c = static_cast<char>(rng());
    return s;
  };
  std::vector<Case> cases = {
      {"one-byte", "x"},
      {"below-min", random(524287)},
      {"at-min", random(524288)},
      {"above-min", random(524289)},
      {"at-max", std::string(8388608, '\x01')},
      {"above-max", std::string(8388609, '\x01')},
      {"repetitive", std::string(9 << 20, 'a')},
      {"zeros", std::string(3 << 20, '\0')},
      {"incompressible", random(9 << 20)},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    std::string in = WriteFile(hs_.dir() + "/" + c.name, c.data);
    auto b = hs_.Run({"backup", "--stdin", "--stdin-filename", c.name}, in);
    ASSERT_EQ(b.exit_code, 0) << b.err;
    auto dump = hs_.Restic({"dump", "latest", "/" + c.name});
    EXPECT_EQ(Sha256String(dump.out), Sha256String(c.data));
    EXPECT_EQ(ExportSha(), Sha256String(c.data));
  }
  ExpectResticCheckPasses();
  size_t before = ResticSnapshotCount();
  auto empty =
      hs_.Run({"backup", "--stdin", "--stdin-filename", "empty"}, WriteFile(hs_.dir() + "/e", ""));
  EXPECT_EQ(empty.exit_code, 3) << "empty input: documented exit code 3";
  EXPECT_NE(empty.err.find("no data read"), std::string::npos) << empty.err;
  EXPECT_EQ(ResticSnapshotCount(), before);
}

TEST_F(RepoInteropTest, WrongPasswordChangesNothing) {
  ASSERT_EQ(hs_.Run({"repo", "init"}).exit_code, 0);
  std::string in = RandomFile("in.bin", 1 << 20, 4);
  ASSERT_EQ(hs_.Run({"backup", "--stdin"}, in).exit_code, 0);
  auto before = TreeDigest(hs_.repository());
  auto r = hs_.Run({"backup", "--stdin"}, in, {{"RESTIC_PASSWORD", "wrong"}});
  EXPECT_EQ(r.exit_code, 12);
  EXPECT_NE(r.err.find("wrong password"), std::string::npos) << r.err;
  EXPECT_EQ(hs_.Run({"get", "backups"}, "", {{"RESTIC_PASSWORD", "wrong"}}).exit_code, 12);
  EXPECT_EQ(TreeDigest(hs_.repository()), before);
}

TEST_F(RepoInteropTest, FlippedByteInPackIsNamedByCheck) {
  ASSERT_EQ(hs_.Run({"repo", "init"}).exit_code, 0);
  std::string in = RandomFile("in.bin", 3 << 20, 5);
  ASSERT_EQ(hs_.Run({"backup", "--stdin"}, in).exit_code, 0);
  ASSERT_EQ(hs_.Run({"repo", "check", "--read-data"}).exit_code, 0);
  std::string victim;
  uintmax_t biggest = 0;
  for (const auto& e : fs::recursive_directory_iterator(hs_.repository() + "/data")) {
    if (e.is_regular_file() && e.file_size() > biggest) {
      biggest = e.file_size();
      victim = e.path().string();
    }
  }
  ASSERT_FALSE(victim.empty());
  fs::permissions(victim, fs::perms::owner_read | fs::perms::owner_write);
  {
    std::fstream f(victim, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(1000);
    char c = 0;
    f.read(&c, 1);
    f.seekp(1000);
    c = static_cast<char>(c ^ 0x40);
    f.write(&c, 1);
  }
  auto r = hs_.Run({"repo", "check", "--read-data"});
  EXPECT_EQ(r.exit_code, 13);
  std::string pack = fs::path(victim).filename().string();
  EXPECT_NE(r.err.find(pack), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("blob '"), std::string::npos) << r.err;
  EXPECT_NE(hs_.Restic({"check", "--read-data"}).exit_code, 0)
      << "restic agrees the pack is damaged";
}

TEST_F(RepoInteropTest, FailingProducerSavesNoSnapshot) {
  ASSERT_EQ(hs_.Run({"repo", "init"}).exit_code, 0);
  auto r =
      hs_.Run({"backup", "--stdin-from-command", "--stdin-filename", "db.sql", "--", "sh", "-c",
               "head -c 6000000 /dev/urandom; echo 'dump: lost connection' >&2; exit 2"});
  EXPECT_EQ(r.exit_code, 23) << r.err;
  EXPECT_NE(r.err.find("no snapshot was saved"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("lost connection"), std::string::npos) << r.err;
  EXPECT_EQ(ResticSnapshotCount(), 0u);
  ExpectResticCheckPasses();
}

TEST_F(RepoInteropTest, LiveLockIsRefusedClearly) {
  ASSERT_EQ(hs_.Run({"repo", "init"}).exit_code, 0);
  core::SubprocessOptions o;
  o.argv = {HastewardBin(), "backup", "--stdin", "--stdin-filename", "slow.sql"};
  o.env_set = hs_.vars();
  o.stdin_mode = core::StdioMode::kPipe;
  auto backup = core::Subprocess::Start(o);
  ASSERT_TRUE(backup.ok());
  std::string chunk(1 << 20, 'q');
  ASSERT_TRUE(core::WriteAll((*backup)->stdin_fd(), core::AsBytes(chunk)).ok());
  core::PollUntil([&] { return !fs::is_empty(hs_.repository() + "/locks"); },
                  std::chrono::seconds(5));
  ASSERT_FALSE(fs::is_empty(hs_.repository() + "/locks")) << "the running backup holds a lock";
  auto check = hs_.Run({"repo", "check"});
  EXPECT_EQ(check.exit_code, 11);
  EXPECT_NE(check.err.find("locked"), std::string::npos) << check.err;
  EXPECT_NE(check.err.find("PID " + std::to_string((*backup)->pid())), std::string::npos)
      << check.err;
  EXPECT_EQ(hs_.Run({"repo", "unlock"}).out.find("removed 0"), 0u) << "a live lock is not stale";
  (*backup)->CloseStdin();
  EXPECT_TRUE((*backup)->Wait().ok());
  EXPECT_EQ(hs_.Run({"repo", "check"}).exit_code, 0);
}

TEST_F(RepoInteropTest, StaleLockOfKilledBackupIsClearedByUnlock) {
  ASSERT_EQ(hs_.Run({"repo", "init"}).exit_code, 0);
  std::string in = RandomFile("in.bin", 40 << 20, 6);
  auto killed = hs_.Run({"backup", "--stdin"}, in, {{"HASTEWARD_FAILPOINT", "after-pack-save:1"}});
  ASSERT_EQ(killed.exit_code, -1) << "the failpoint kills the process";
  EXPECT_NE(hs_.Restic({"check"}).exit_code, 0) << "restic 0.14 refuses while a lock file remains";
  auto unlock = hs_.Run({"repo", "unlock"});
  EXPECT_EQ(unlock.exit_code, 0) << unlock.err;
  EXPECT_NE(unlock.out.find("removed 1 stale"), std::string::npos) << unlock.out;
  ExpectResticCheckPasses();
}

TEST_F(RepoInteropTest, KillAtAnyPointNeverBreaksTheRepository) {
  ASSERT_EQ(hs_.Run({"repo", "init"}).exit_code, 0);
  std::string first = RandomFile("first.bin", 5 << 20, 7);
  ASSERT_EQ(hs_.Run({"backup", "--stdin", "--stdin-filename", "first"}, first).exit_code, 0);
  std::string first_id = nlohmann::json::parse(hs_.Restic({"snapshots", "--json"}).out)[0]["id"];
  std::string in = RandomFile("in.bin", 48 << 20, 8);
  for (const std::string fp : {"after-pack-save:1", "after-pack-save:2", "before-index-save",
                               "before-snapshot-save", "after-snapshot-save"}) {
    SCOPED_TRACE(fp);
    auto r = hs_.Run({"backup", "--stdin", "--stdin-filename", "second"}, in,
                     {{"HASTEWARD_FAILPOINT", fp}});
    ASSERT_EQ(r.exit_code, -1) << r.err;
    ASSERT_EQ(hs_.Restic({"unlock"}).exit_code, 0);
    ExpectResticCheckPasses();
    EXPECT_EQ(Sha256String(hs_.Restic({"dump", first_id, "/first"}).out), Sha256File(first));
    if (fp == "after-snapshot-save") {
      EXPECT_EQ(Sha256String(hs_.Restic({"dump", "latest", "/second"}).out), Sha256File(in));
    }
  }
  auto final_backup = hs_.Run({"backup", "--stdin", "--stdin-filename", "second", "--json"}, in);
  ASSERT_EQ(final_backup.exit_code, 0) << final_backup.err;
  EXPECT_EQ(nlohmann::json::parse(final_backup.out)["data_blobs_new"], 0)
      << "data stored before the crashes is reused";
  ExpectResticCheckPasses();
}

// The scrypt cost of a new key comes from HASTEWARD_KDF_PARAMS (the test environment sets a low
// one); unset, it is restic's default; a bad value is refused before anything is created.
TEST_F(RepoInteropTest, InitTakesTheKeyCostFromTheEnvironmentAndResticOpensIt) {
  auto key_params = [](const std::string& repository) {
    for (const auto& entry : std::filesystem::directory_iterator(repository + "/keys")) {
      std::ifstream in(entry.path());
      auto key = nlohmann::json::parse(in);
      return std::to_string(key["N"].get<uint64_t>()) + "," + std::to_string(key["r"].get<int>()) +
             "," + std::to_string(key["p"].get<int>());
    }
    return std::string("no key");
  };
  auto init = hs_.Run({"repo", "init"}, "", {{"HASTEWARD_KDF_PARAMS", "2048,4,2"}});
  ASSERT_EQ(init.exit_code, 0) << init.err;
  EXPECT_EQ(key_params(hs_.repository()), "2048,4,2");
  EXPECT_EQ(hs_.Restic({"snapshots"}).exit_code, 0) << "restic opens the key it stores";

  hs_.UseRepository(hs_.Path("default-cost"));
  init = hs_.Run({"repo", "init"}, "", {{"HASTEWARD_KDF_PARAMS", ""}});
  ASSERT_EQ(init.exit_code, 0) << init.err;
  EXPECT_EQ(key_params(hs_.repository()), "32768,8,4") << "restic's default when unset";

  hs_.UseRepository(hs_.Path("refused"));
  init = hs_.Run({"repo", "init"}, "", {{"HASTEWARD_KDF_PARAMS", "1000,8,1"}});
  EXPECT_EQ(init.exit_code, 2) << init.err;
  EXPECT_NE(init.err.find("'1000,8,1'"), std::string::npos) << init.err;
  EXPECT_FALSE(std::filesystem::exists(hs_.repository())) << "nothing is created";
}

}  // namespace
}  // namespace hasteward::testing
