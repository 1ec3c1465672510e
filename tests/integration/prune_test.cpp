// `hasteward prune` end to end, stock restic 0.14 as the referee: after prune (and after a kill -9
// at any step of it) `restic check --read-data` passes and every kept snapshot restores
// byte-identical; a running backup is never broken; a dry run changes nothing; a policy that
// would empty a cluster is refused.
#include <filesystem>
#include <random>
#include <set>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/fd.h"
#include "core/poll_until.h"
#include "core/subprocess.h"
#include "support/hasteward_env.h"

namespace hasteward::testing {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

constexpr int kSegments = 8;
constexpr size_t kSegmentSize = 1 << 20;

// Day d's dump: 8 one-MiB segments; each day replaces one, so consecutive dumps share most
// chunks and old packs become partly unused as snapshots are forgotten.
std::string Dump(int day) {
  std::string out;
  for (int i = 0; i < kSegments; ++i) {
    int version = 0;
    for (int d = 1; d <= day; ++d)
      version += (d % kSegments == i) ? 1 : 0;
    std::mt19937_64 rng(static_cast<uint64_t>(i) * 1000 + version);
    std::string seg(kSegmentSize, '\0');
    for (auto& c : seg)
      c = static_cast<char>(rng());
    out += seg;
  }
  return out;
}

class PruneTest : public ::testing::Test {
 protected:
  // Backs up the next dump of `cluster` (each shares all but one segment with the previous one)
  // at 10:00 on that day; returns the snapshot ID.
  std::string Backup(const std::string& cluster, int day, int month = 1) {
    std::string in =
        hs_.dir() + "/" + cluster + "-" + std::to_string(month) + "-" + std::to_string(day);
    WriteFile(in, Dump((cluster == "db1" ? 0 : 100) + ++sequence_[cluster]));
    char time[32];
    std::snprintf(time, sizeof(time), "2023-%02d-%02d 10:00:00", month, day);
    auto r = hs_.Run({"backup", "--stdin", "--stdin-filename", "ns/" + cluster + "/dump.sql",
                      "--tag", "engine=cnpg,cluster=" + cluster + ",namespace=ns,type=backup",
                      "--time", time, "--host", "pod-0", "--json"},
                     in);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::string id = Json::parse(r.out).value("snapshot_id", "");
    inputs_[id] = in;
    return id;
  }

  // Three months of db1 backups (several a week), plus a second cluster db2.
  void BuildHistory() {
    ASSERT_EQ(hs_.Run({"repo", "init"}).exit_code, 0);
    for (int month = 1; month <= 3; ++month) {
      for (int day : {2, 9, 10, 20})
        Backup("db1", day, month);
    }
    Backup("db2", 5);
    Backup("db2", 6);
  }

  std::set<std::string> SnapshotIds() {
    auto r = hs_.Restic({"snapshots", "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::set<std::string> ids;
    for (const auto& s : Json::parse(r.out))
      ids.insert(s["id"].get<std::string>());
    return ids;
  }

  void ExpectCheckPasses() {
    auto r = hs_.Restic({"check", "--read-data"});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  }

  // Every listed snapshot restores byte-identical to the input it was made from.
  void ExpectRestores(const std::set<std::string>& ids) {
    for (const auto& id : ids) {
      ASSERT_EQ(inputs_.count(id), 1u) << id;
      std::string out = hs_.dir() + "/export.bin";
      auto r = hs_.Run({"export", "--snapshot", id, "-o", out});
      ASSERT_EQ(r.exit_code, 0) << r.err;
      EXPECT_EQ(Sha256File(out), Sha256File(inputs_[id])) << "snapshot " << id;
    }
  }

  static std::set<std::string> Ids(const Json& plan, const std::string& action) {
    std::set<std::string> ids;
    for (const auto& g : plan["groups"]) {
      for (const auto& id : g[action])
        ids.insert(id.get<std::string>());
    }
    return ids;
  }

  uint64_t DataBytes() {
    uint64_t n = 0;
    for (const auto& e : fs::recursive_directory_iterator(hs_.repository() + "/data")) {
      if (e.is_regular_file())
        n += e.file_size();
    }
    return n;
  }

  const std::vector<std::string> kPolicy = {"--keep-last",   "2", "--keep-daily",   "0",
                                            "--keep-weekly", "0", "--keep-monthly", "2"};

  HastewardEnv hs_{"hs-prune-", "prune-pw"};
  std::map<std::string, std::string> inputs_;  // snapshot ID -> input file
  std::map<std::string, int> sequence_;        // dumps made per cluster
};

TEST_F(PruneTest, PrunesRepacksAndResticAgrees) {
  BuildHistory();
  std::set<std::string> before = SnapshotIds();
  uint64_t bytes_before = DataBytes();
  std::vector<std::string> args = {"prune", "-c", "db1", "--max-unused", "0", "--json"};
  args.insert(args.end(), kPolicy.begin(), kPolicy.end());
  auto r = hs_.Run(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json j = Json::parse(r.out);
  std::set<std::string> keep = Ids(j, "keep"), remove = Ids(j, "remove");
  EXPECT_EQ(keep.size(), 3u) << "last 2 (March) + newest of February";
  EXPECT_EQ(remove.size(), 9u);
  EXPECT_GT(j["gc"]["repack"].get<int>(), 0) << r.out;
  EXPECT_GT(j["gc"]["packs_written"].get<int>(), 0);
  EXPECT_GT(j["gc"]["remove"].get<int>(), 0);
  EXPECT_EQ(j["gc"]["unused_after"], 0) << "--max-unused 0 leaves nothing unused";
  EXPECT_GT(j["peak_rss_bytes"].get<uint64_t>(), 0u);
  std::set<std::string> after = SnapshotIds();
  for (const auto& id : remove)
    EXPECT_EQ(after.count(id), 0u) << "removed " << id;
  for (const auto& id : keep)
    EXPECT_EQ(after.count(id), 1u) << "kept " << id;
  EXPECT_EQ(after.size(), before.size() - remove.size()) << "db2 untouched";
  EXPECT_LT(DataBytes(), bytes_before);
  EXPECT_GT(j["gc"]["bytes_deleted"].get<uint64_t>(), j["gc"]["bytes_written"].get<uint64_t>());
  ExpectCheckPasses();
  ExpectRestores(after);
  // Nothing is left to do, and restic's own prune finds nothing to remove either.
  auto again = hs_.Run({"prune", "-c", "db1", "--max-unused", "0", "--json"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(Json::parse(again.out)["gc"]["packs_deleted"], 0);
  auto rp = hs_.Restic({"prune", "--dry-run", "--max-unused", "0"});
  EXPECT_EQ(rp.exit_code, 0) << rp.err;
  EXPECT_NE(rp.out.find("total prune:           0 blobs / 0 B"), std::string::npos) << rp.out;
}

TEST_F(PruneTest, MaxRepackSizeDefersTheRestToTheNextPrune) {
  BuildHistory();
  std::vector<std::string> args = {
      "prune", "-c", "db1", "--max-unused", "0", "--json", "--max-repack-size",
      "1"};  // one byte: repack nothing
  args.insert(args.end(), kPolicy.begin(), kPolicy.end());
  auto capped = hs_.Run(args);
  ASSERT_EQ(capped.exit_code, 0) << capped.err;
  Json j = Json::parse(capped.out);
  EXPECT_EQ(j["gc"]["repack"], 0) << capped.out;
  EXPECT_GT(j["gc"]["unused_after"].get<uint64_t>(), 0u) << "the deferred waste is reported";
  std::set<std::string> after = SnapshotIds();
  ExpectCheckPasses();
  ExpectRestores(after);
  auto bad = hs_.Run({"prune", "-c", "db1", "--max-repack-size", "lots"});
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
  auto rest = hs_.Run({"prune", "-c", "db1", "--max-unused", "0", "--json"});
  ASSERT_EQ(rest.exit_code, 0) << rest.err;
  EXPECT_GT(Json::parse(rest.out)["gc"]["repack"].get<int>(), 0) << rest.out;
  EXPECT_EQ(Json::parse(rest.out)["gc"]["unused_after"], 0);
  ExpectCheckPasses();
}

TEST_F(PruneTest, KillAtEveryStepLeavesACheckableRepository) {
  BuildHistory();
  // A backup killed after its first pack: an unreferenced pack and a stale lock (dead PID).
  std::string big = hs_.dir() + "/big";
  WriteFile(big, Dump(200) + Dump(201) + Dump(202));
  auto killed = hs_.Run({"backup", "--stdin"}, big, {{"HASTEWARD_FAILPOINT", "after-pack-save:1"}});
  ASSERT_EQ(killed.exit_code, -1);
  std::string base = hs_.dir() + "/base";
  fs::copy(hs_.repository(), base, fs::copy_options::recursive);
  std::vector<std::string> args = {"prune", "-c", "db1", "--max-unused", "0"};
  args.insert(args.end(), kPolicy.begin(), kPolicy.end());
  auto dry_args = args;
  dry_args.insert(dry_args.end(), {"--dry-run", "--json"});
  auto dry = hs_.Run(dry_args);
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  std::set<std::string> keep = Ids(Json::parse(dry.out), "keep");
  for (const std::string fp :
       {"prune-after-lock", "prune-after-snapshot-delete:3", "prune-after-unreferenced-delete",
        "prune-before-repack", "after-pack-save:1", "prune-after-repack", "prune-after-index-save",
        "prune-after-index-delete:1", "prune-after-pack-delete:2", "prune-done"}) {
    SCOPED_TRACE(fp);
    std::string copy = hs_.dir() + "/crash";
    fs::remove_all(copy);
    fs::copy(base, copy, fs::copy_options::recursive);
    hs_.UseRepository(copy);
    auto r = hs_.Run(args, "", {{"HASTEWARD_FAILPOINT", fp}});
    ASSERT_EQ(r.exit_code, -1) << "the failpoint kills prune: " << r.out << r.err;
    ASSERT_EQ(hs_.Restic({"unlock"}).exit_code, 0);
    ExpectCheckPasses();
    std::set<std::string> now = SnapshotIds();
    for (const auto& id : keep)
      EXPECT_EQ(now.count(id), 1u) << id;
    ExpectRestores(keep);
    auto rerun = hs_.Run(args);
    ASSERT_EQ(rerun.exit_code, 0) << rerun.err;
    ExpectCheckPasses();
    EXPECT_EQ(SnapshotIds().size(), keep.size() + 2) << "db1's kept snapshots and db2's two";
    ExpectRestores(SnapshotIds());
  }
}

TEST_F(PruneTest, StaleLockOfADeadProcessIsClearedWithALogLine) {
  BuildHistory();
  auto killed = hs_.Run({"backup", "--stdin"}, inputs_.begin()->second,
                        {{"HASTEWARD_FAILPOINT", "before-snapshot-save"}});
  ASSERT_EQ(killed.exit_code, -1);
  ASSERT_FALSE(fs::is_empty(hs_.repository() + "/locks"));
  std::vector<std::string> args = {"prune", "-c", "db1"};
  args.insert(args.end(), kPolicy.begin(), kPolicy.end());
  auto r = hs_.Run(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("removed stale"), std::string::npos) << r.err;
  EXPECT_TRUE(fs::is_empty(hs_.repository() + "/locks"));
  ExpectCheckPasses();
}

// Peer regression: pgBackRest 2.59 fixed an `expire` that removed a backup in progress on another
// host (pgbackrest #2622). A running backup holds a lock in the repository itself (not a local
// PID file), which any host's prune sees: it refuses or waits, and the backup's snapshot survives.
TEST_F(PruneTest, RunningBackupMakesPruneWaitOrRefuse) {
  BuildHistory();
  core::SubprocessOptions o;
  o.argv = {HastewardBin(),
            "backup",
            "--stdin",
            "--stdin-filename",
            "ns/db1/dump.sql",
            "--tag",
            "engine=cnpg,cluster=db1,namespace=ns,type=backup",
            "--time",
            "2023-04-01 10:00:00",
            "--json"};
  o.env_set = hs_.vars();
  o.stdin_mode = core::StdioMode::kPipe;
  o.stdout_mode = core::StdioMode::kFile;
  o.stdout_file = hs_.dir() + "/backup.out";
  auto backup = core::Subprocess::Start(o);
  ASSERT_TRUE(backup.ok());
  std::string data = Dump(300);
  ASSERT_TRUE(core::WriteAll((*backup)->stdin_fd(), core::AsBytes(data.substr(0, 1 << 20))).ok());
  core::PollUntil([&] { return !fs::is_empty(hs_.repository() + "/locks"); },
                  std::chrono::seconds(10));
  ASSERT_FALSE(fs::is_empty(hs_.repository() + "/locks"));
  std::vector<std::string> args = {"prune", "-c", "db1", "--lock-wait", "0"};
  args.insert(args.end(), kPolicy.begin(), kPolicy.end());
  auto refused = hs_.Run(args);
  EXPECT_EQ(refused.exit_code, 11) << refused.err;
  EXPECT_NE(refused.err.find("PID " + std::to_string((*backup)->pid())), std::string::npos)
      << refused.err;
  EXPECT_EQ(SnapshotIds().size(), 14u) << "a refused prune forgets nothing";
  // With --lock-wait the prune waits for the backup and then runs.
  core::SubprocessOptions p;
  p.argv = {HastewardBin()};
  p.argv.insert(p.argv.end(), args.begin(), args.end());
  p.argv[5] = "120";  // --lock-wait 120
  p.env_set = hs_.vars();
  p.stdout_mode = core::StdioMode::kFile;
  p.stdout_file = hs_.dir() + "/prune.out";
  auto prune = core::Subprocess::Start(p);
  ASSERT_TRUE(prune.ok());
  core::PollUntil([&] { return (*prune)->StderrAll().find("waiting for") != std::string::npos; },
                  std::chrono::seconds(10));
  EXPECT_NE((*prune)->StderrAll().find("waiting for"), std::string::npos) << (*prune)->StderrAll();
  EXPECT_FALSE((*prune)->WaitFor(std::chrono::milliseconds(0)).has_value()) << "still waiting";
  ASSERT_TRUE(core::WriteAll((*backup)->stdin_fd(), core::AsBytes(data.substr(1 << 20))).ok());
  (*backup)->CloseStdin();
  ASSERT_TRUE((*backup)->Wait().ok()) << (*backup)->StderrAll();
  EXPECT_TRUE((*prune)->Wait().ok()) << (*prune)->StderrAll();
  auto backup_out = Json::parse(*core::ReadFileToString(hs_.dir() + "/backup.out"));
  std::string new_id = backup_out["snapshot_id"];
  inputs_[new_id] = WriteFile(hs_.dir() + "/live.in", data);
  ExpectCheckPasses();
  std::set<std::string> ids = SnapshotIds();
  EXPECT_EQ(ids.count(new_id), 1u) << "the backup's snapshot is kept (newest)";
  ExpectRestores(ids);
}

TEST_F(PruneTest, DryRunListsEverySnapshotWithAReasonAndChangesNothing) {
  BuildHistory();
  auto digest = TreeDigest(hs_.repository());
  std::vector<std::string> args = {"prune", "--dry-run", "-t", "all"};
  args.insert(args.end(), kPolicy.begin(), kPolicy.end());
  auto text = hs_.Run(args);
  ASSERT_EQ(text.exit_code, 0) << text.err;
  args.push_back("--json");
  auto json = hs_.Run(args);
  ASSERT_EQ(json.exit_code, 0) << json.err;
  EXPECT_EQ(TreeDigest(hs_.repository()), digest);
  Json j = Json::parse(json.out);
  EXPECT_EQ(j["dry_run"], true);
  std::set<std::string> listed;
  for (const auto& g : j["groups"]) {
    for (const auto& s : g["snapshots"]) {
      listed.insert(s["id"].get<std::string>());
      if (s["action"] == "keep") {
        EXPECT_FALSE(s["reasons"].empty()) << s.dump();
      }
      EXPECT_NE(text.out.find(s["short_id"].get<std::string>()), std::string::npos);
    }
  }
  EXPECT_EQ(listed, SnapshotIds()) << "every snapshot is listed";
  EXPECT_NE(text.out.find("last snapshot"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("monthly snapshot"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("would remove 9 snapshot(s)"), std::string::npos) << text.out;
  EXPECT_GT(j["gc"]["remove"].get<int>() + j["gc"]["repack"].get<int>(), 0);
  EXPECT_EQ(j["gc"]["packs_deleted"], 0);
}

TEST_F(PruneTest, RefusesToEmptyAClusterUnlessAllowed) {
  BuildHistory();
  auto digest = TreeDigest(hs_.repository());
  std::vector<std::string> args = {
      "backup",         "prune", "-c",           "db2", "--keep-tag",    "nonexistent",
      "--keep-last",    "0",     "--keep-daily", "0",   "--keep-weekly", "0",
      "--keep-monthly", "0"};
  auto refused = hs_.Run(args);
  EXPECT_EQ(refused.exit_code, 24) << refused.err;
  EXPECT_NE(refused.err.find("--allow-empty"), std::string::npos) << refused.err;
  EXPECT_EQ(TreeDigest(hs_.repository()), digest) << "a refused prune changes nothing";
  args.push_back("--allow-empty");
  auto r = hs_.Run(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(SnapshotIds().size(), 12u) << "db2's two snapshots are gone, db1's twelve stay";
  ExpectCheckPasses();
  ExpectRestores(SnapshotIds());
}

}  // namespace
}  // namespace hasteward::testing
