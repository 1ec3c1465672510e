// Point-in-time recovery of PostgreSQL end to end on real sandbox clusters, driving the hasteward
// binary: `archive enable` makes the primary archive through `hasteward wal-push` into a REST
// repository (the server runs it as its own OS user); `restore --until T` replays the newest base
// backup before T and stops there (marker rows r1, r2 before T are back, r3 after it is not), also
// across a base-backup boundary; a deleted WAL piece in the middle is named by `pitr status` and a
// restore past it is refused before anything changes, while one before it succeeds; wal-push of
// an archived segment succeeds with the same bytes and fails with others; stock restic dumps any
// archived segment; prune keeps exactly the WAL the kept bases need; with `hasteward wal-agent`
// running, wal-push hands segments to it (same refusal of other bytes) and archives alone again
// once the agent is gone.
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <set>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/stat.h>
#include <unistd.h>

#include "core/fd.h"
#include "core/poll_until.h"
#include "core/subprocess.h"
#include "support/archived_cluster.h"
#include "support/cluster_env.h"
#include "support/command.h"
#include "support/hasteward_env.h"
#include "support/killed_restore.h"
#include "support/mount_process.h"
#include "support/rest_test_server.h"
#include "support/sandbox_cluster.h"
#include "support/server_user_file.h"

namespace hasteward::testing {
namespace {

namespace fs = std::filesystem;

constexpr char kPassword[] = "pitr-test";
constexpr size_t kSegmentBytes = size_t{16} * 1024 * 1024;

class PitrTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // The server's archive_command runs as its OS user: the repository is reached over HTTP and
    // the password comes from a file that user owns.
    auto archived = StartArchivedCluster(
        hs_,
        {.engine = platform::EngineKind::kPostgres, .instances = 1, .name = "shop", .ns = "pt"},
        kPassword);
    ASSERT_TRUE(archived.ok()) << archived.status().ToString();
    server_ = std::move(archived->server);
    pg_ = std::move(archived->cluster);
    password_file_ = archived->password_file;
    Sql("CREATE TABLE markers (id text PRIMARY KEY)");
  }

  // `hasteward <verb> [sub] -e cnpg -c shop -n pt --password-file F <args...>`.
  CmdResult Hs(const std::string& verb, std::vector<std::string> args = {}) {
    args.insert(args.begin(), verb);
    return ClusterEnv::On(hs_, *pg_, "cnpg", {"--password-file", password_file_})
        .Hs(std::move(args));
  }

  std::string Sql(const std::string& sql) {
    auto r = pg_->Sql(0, sql);
    EXPECT_TRUE(r.ok()) << r.status().ToString() << " for " << sql;
    return r.ok() ? *r : "";
  }

  void Mark(const std::string& id) { Sql("INSERT INTO markers VALUES ('" + id + "')"); }

  std::string Markers() { return Sql("SELECT string_agg(id, ',' ORDER BY id) FROM markers"); }

  // The server's clock now, as RFC 3339 UTC with microseconds.
  std::string Now() {
    std::string t =
        Sql("SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', "
            "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')");
    return t.substr(0, t.find('\n'));
  }

  // Completes the current segment and waits until the server reports it archived; its name.
  std::string SwitchAndWaitArchived() {
    std::string segment = Sql("SELECT pg_walfile_name(pg_switch_wal())");
    segment = segment.substr(0, segment.find('\n'));
    for (int i = 0; i < 240; ++i) {
      std::string last = Sql("SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver");
      if (last.substr(0, last.find('\n')) >= segment) {
        return segment;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    ADD_FAILURE() << "segment " << segment << " was not archived within 60 s";
    return segment;
  }

  std::string NativeBackup() {
    auto r = Hs("backup", {"--method", "native", "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    auto summary = nlohmann::json::parse(r.out.substr(r.out.rfind("{\"")));
    return summary.value("snapshot_id", "");
  }

  // A native base, then r1 and r2 before the time returned and r3 after it, all archived.
  std::string BaseAndMarkersAroundATarget() {
    EXPECT_FALSE(NativeBackup().empty());
    Mark("r1");
    Mark("r2");
    std::string t = Now();
    Mark("r3");
    SwitchAndWaitArchived();
    return t;
  }

  CmdResult RestoreUntil(const std::string& flag, const std::string& target) {
    auto stopped = Hs("instance", {"stop", "-i", "0"});
    EXPECT_EQ(stopped.exit_code, 0) << stopped.err;
    return Hs("restore", {flag, target, "--yes"});
  }

  nlohmann::json ResticWalSnapshots() {
    auto r = hs_.Restic({"snapshots", "--tag", "type=wal", "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return nlohmann::json::parse(r.out.empty() ? "[]" : r.out);
  }

  static std::string Tag(const nlohmann::json& snapshot, const std::string& key) {
    for (const auto& t : snapshot["tags"]) {
      std::string tag = t.get<std::string>();
      if (tag.rfind(key + "=", 0) == 0) {
        return tag.substr(key.size() + 1);
      }
    }
    return "";
  }

  HastewardEnv hs_{"hs-pitr-", kPassword};
  // Destroyed after the cluster: the server archives until it has stopped.
  std::unique_ptr<RestTestServer> server_;
  std::unique_ptr<SandboxCluster> pg_;
  std::string password_file_;
};

TEST_F(PitrTest, RestoreUntilTimeKeepsRowsBeforeItAndNotAfter) {
  std::string base = NativeBackup();
  ASSERT_FALSE(base.empty());
  Mark("r1");
  Mark("r2");
  std::string t = Now();
  Mark("r3");
  SwitchAndWaitArchived();
  ASSERT_EQ(Markers(), "r1,r2,r3\n");

  auto restored = RestoreUntil("--until", t);
  ASSERT_EQ(restored.exit_code, 0) << restored.out << restored.err;
  EXPECT_NE(restored.out.find("restored base " + base.substr(0, 8)), std::string::npos)
      << restored.out;
  EXPECT_EQ(Markers(), "r1,r2\n");
  EXPECT_EQ(Sql("SELECT pg_is_in_recovery()"), "f\n");
  // Backup listing and `latest` ignore the WAL snapshots.
  auto listed = nlohmann::json::parse(Hs("get", {"backups", "--json"}).out);
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0]["id"], base);
}

// Issue finding 3: PostgreSQL stops a time target only at a transaction record. A segment the
// server last wrote after the target (here: a checkpoint and a switch, no commit) made the plan
// say the archive reached it; the replay then ran out of WAL before the target and the server
// refused to start, after the data directory had been replaced. The plan now reads the archived
// segments' transactions and refuses before anything changes.
TEST_F(PitrTest, ATimeTargetPastTheArchivesLastTransactionIsRefusedBeforeAnythingChanges) {
  ASSERT_FALSE(NativeBackup().empty());
  Mark("r1");
  std::string t = Now();
  Sql("CHECKPOINT");
  SwitchAndWaitArchived();  // written after t, holding no transaction after it
  auto refused = RestoreUntil("--until", t);
  EXPECT_EQ(refused.exit_code, 24) << refused.out << refused.err;
  EXPECT_NE(refused.err.find("holds no transaction at or after"), std::string::npos) << refused.err;
  ASSERT_EQ(Hs("instance", {"start", "-i", "0"}).exit_code, 0);
  EXPECT_EQ(Markers(), "r1\n") << "the data directory was never replaced";
  EXPECT_EQ(Sql("SELECT pg_is_in_recovery()"), "f\n");
}

// The restored server on this machine fetches the archive with `hasteward wal-fetch`, which needs
// the repository password in a file: without one the restore is refused after its plan and before
// the data directory is touched (a restore into a pod never asks for it: the WAL is streamed
// there).
TEST_F(PitrTest, ARestoreWithoutAPasswordFileIsRefusedBeforeAnythingChanges) {
  ASSERT_FALSE(NativeBackup().empty());
  Mark("r1");
  const std::string t = Now();
  SwitchAndWaitArchived();
  ASSERT_EQ(Hs("instance", {"stop", "-i", "0"}).exit_code, 0);
  auto refused = ClusterEnv::On(hs_, *pg_, "cnpg").Hs({"restore", "--until", t, "--yes"});
  EXPECT_EQ(refused.exit_code, 2) << refused.out << refused.err;
  EXPECT_NE(refused.err.find("need the repository password in a file"), std::string::npos)
      << refused.err;
  ASSERT_EQ(Hs("instance", {"start", "-i", "0"}).exit_code, 0);
  EXPECT_EQ(Markers(), "r1\n") << "the data directory was never replaced";
  EXPECT_EQ(Sql("SELECT pg_is_in_recovery()"), "f\n");
}

// Issue 30: `restore --until T` (nothing past the archive's end: no consent needed) killed at
// every step of its base restore up to the server's start: the data directory is the old one or
// the restored tree, and the same command, rerun, restores exactly the rows before T and names
// where the old data directory is kept. Killed at native-restore-started (promoted, the target not
// yet checked), the killed server's new timeline has its history file archived and no segment:
// the rerun's replay follows the old timeline's copy of the segment holding that switch.
TEST_F(PitrTest, ARestoreUntilKilledAtEveryStepIsFinishedByTheRerun) {
  const std::string t = BaseAndMarkersAroundATarget();
  const std::string data_dir = pg_->instance(0).data_dir;
  const ClusterEnv shop = ClusterEnv::On(hs_, *pg_, "cnpg", {"--password-file", password_file_});
  int round = 0;
  for (const std::string failpoint :
       {"native-restore-prepared", "native-restore-tree", "native-restore-gated",
        "native-restore-swap", "native-restore-swapped", "native-restore-configured",
        "native-restore-started"}) {
    SCOPED_TRACE(failpoint);
    ASSERT_EQ(Hs("instance", {"stop", "-i", "0"}).exit_code, 0);
    auto old =
        OldDataDirectory::Mark(data_dir, pg_->instance(0).name, "round " + std::to_string(++round));

    auto killed = shop.Hs({"restore", "--until", t, "--yes"}, {{"HASTEWARD_FAILPOINT", failpoint}});
    ASSERT_EQ(killed.signal, SIGKILL) << killed.err;
    old.ExpectOldOrRestored("global/pg_control");

    auto rerun = shop.Hs({"restore", "--until", t, "--yes"});
    ASSERT_EQ(rerun.exit_code, 0) << rerun.err;
    EXPECT_EQ(Markers(), "r1,r2\n");
    EXPECT_EQ(Sql("SELECT pg_is_in_recovery()"), "f\n");
    old.ExpectKeptWholeAtANamedPath(killed.err + rerun.err);
    // The cluster goes on on its new timeline, archived: the next round's restore replaces
    // nothing newer than the archive, and its replay meets a commit past T there.
    Sql("DELETE FROM markers");
    Mark("r" + std::to_string(round + 3));
    SwitchAndWaitArchived();
  }
}

// Issue 35: `restore --instant --until T`. The base is served on an overlay of its FUSE mount,
// PostgreSQL replays the archived WAL to T on it and is promoted before it takes a write, then it
// is hydrated to local disk. hasteward killed (SIGKILL) during the hydration leaves an instance
// the same command, rerun, finishes: r1 and r2 back, r3 not, on a plain local data directory with
// no mount or overlay left.
TEST_F(PitrTest, AnInstantRestoreUntilTimeReplaysOnTheServedBaseAndARerunFinishesItsHydration) {
  if (std::string reason = FuseUnavailableReason(); !reason.empty())
    GTEST_SKIP() << "FUSE is not usable here: " << reason;
  const std::string t = BaseAndMarkersAroundATarget();
  const std::string data_dir = pg_->instance(0).data_dir;
  const ClusterEnv shop = ClusterEnv::On(hs_, *pg_, "cnpg", {"--password-file", password_file_});
  ASSERT_EQ(Hs("instance", {"stop", "-i", "0"}).exit_code, 0);

  auto killed = shop.Hs({"restore", "--until", t, "--instant", "--yes"},
                        {{"HASTEWARD_FAILPOINT", "instant-restore-hydrating"}});
  ASSERT_EQ(killed.signal, SIGKILL) << killed.out << killed.err;
  EXPECT_NE(killed.out.find("accepts writes"), std::string::npos) << killed.out;
  EXPECT_TRUE(fs::is_symlink(data_dir)) << "the killed run did not serve the base on its overlay";

  auto rerun = shop.Hs({"restore", "--until", t, "--instant", "--yes", "--json"});
  ASSERT_EQ(rerun.exit_code, 0) << rerun.out << rerun.err;
  EXPECT_NE(rerun.err.find("finishing the instant restore"), std::string::npos) << rerun.err;
  auto summary = nlohmann::json::parse(LastLine(rerun.out));
  EXPECT_TRUE(summary.contains("instant")) << rerun.out;
  EXPECT_EQ(Markers(), "r1,r2\n");
  EXPECT_EQ(Sql("SELECT pg_is_in_recovery()"), "f\n");
  EXPECT_FALSE(fs::is_symlink(data_dir));
  EXPECT_FALSE(HastewardFuseMountUnder(data_dir + ".hasteward-instant"));
  EXPECT_FALSE(fs::exists(data_dir + ".hasteward-instant"));
}

TEST_F(PitrTest, RestoreAcrossABaseBackupBoundaryPicksTheNewestBaseBeforeTheTarget) {
  std::string first = NativeBackup();
  Mark("r1");
  std::string t1 = Now();
  Mark("r2");
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // snapshot times are whole seconds
  std::string second = NativeBackup();
  ASSERT_NE(first, second);
  Mark("r3");
  std::string t2 = Now();
  Mark("r4");
  SwitchAndWaitArchived();

  auto early = RestoreUntil("--until", t1);
  ASSERT_EQ(early.exit_code, 0) << early.out << early.err;
  EXPECT_NE(early.out.find("restored base " + first.substr(0, 8)), std::string::npos) << early.out;
  EXPECT_EQ(Markers(), "r1\n");

  auto late = RestoreUntil("--until", t2);
  ASSERT_EQ(late.exit_code, 0) << late.out << late.err;
  EXPECT_NE(late.out.find("restored base " + second.substr(0, 8)), std::string::npos) << late.out;
  EXPECT_EQ(Markers(), "r1,r2,r3\n");
}

TEST_F(PitrTest, WalPushAcceptsTheSameBytesAndRefusesOthersAndResticDumpsSegments) {
  ASSERT_FALSE(NativeBackup().empty());
  Mark("r1");
  std::string segment = SwitchAndWaitArchived();
  std::string wal_dir = hs_.Path("copy/pg_wal");
  std::filesystem::create_directories(wal_dir);
  std::string copy = wal_dir + "/" + segment;
  nlohmann::json wal = ResticWalSnapshots();
  ASSERT_FALSE(wal.empty());
  // Stock restic gets a segment back from whichever WAL snapshot holds it.
  bool dumped = false;
  for (const auto& snapshot : wal) {
    auto r = hs_.Restic({"dump", snapshot["id"].get<std::string>(), "/pt/shop/wal/" + segment});
    if (r.exit_code == 0) {
      WriteFile(copy, r.out);
      dumped = true;
    }
  }
  ASSERT_TRUE(dumped) << "restic dump found no WAL snapshot holding " << segment;
  ASSERT_EQ(std::filesystem::file_size(copy), kSegmentBytes);

  auto same = Hs("wal-push", {copy});
  EXPECT_EQ(same.exit_code, 0) << same.err;
  std::string changed = core::ReadFileToString(copy).value();
  changed[kSegmentBytes / 2] = static_cast<char>(changed[kSegmentBytes / 2] ^ 0x5A);
  WriteFile(copy, changed);
  auto other = Hs("wal-push", {copy});
  EXPECT_EQ(other.exit_code, 24) << other.err;
  EXPECT_NE(other.err.find("different content"), std::string::npos) << other.err;
  EXPECT_EQ(ResticWalSnapshots().size(), wal.size()) << "a refused push must store nothing";
}

// The agent keeps the repository open; wal-push hands it the open segment. What it archives is
// the same as wal-push alone (restic dumps it, other bytes under an archived name are refused
// with exit 24), and with the agent stopped the server's archiving goes on without it.
TEST_F(PitrTest, WalAgentArchivesHandedOverSegmentsAndWalPushFallsBackWithoutIt) {
  const std::string socket = hs_.Path("agent.sock");
  core::SubprocessOptions agent_options;
  agent_options.argv = {HastewardBin(),
                        "wal-agent",
                        "-e",
                        "cnpg",
                        "-c",
                        "shop",
                        "-n",
                        "pt",
                        "--password-file",
                        password_file_,
                        "--socket",
                        socket,
                        "--client-user",
                        pg_->instance(0).os_user};
  agent_options.env_set = hs_.vars();
  agent_options.stdout_mode = core::StdioMode::kNull;
  auto agent = core::Subprocess::Start(agent_options);
  ASSERT_TRUE(agent.ok()) << agent.status().ToString();
  core::PollUntil([&] { return std::filesystem::exists(socket); }, std::chrono::seconds(10));
  ASSERT_TRUE(std::filesystem::exists(socket)) << (*agent)->StderrAll();
  struct stat socket_info {};
  ASSERT_EQ(::stat(socket.c_str(), &socket_info), 0);
  EXPECT_EQ(socket_info.st_mode & 0777, 0600U) << "only the server's OS user may connect";
  auto enabled = Hs("archive", {"enable", "--agent-socket", socket});
  ASSERT_EQ(enabled.exit_code, 0) << enabled.err;
  EXPECT_NE(enabled.out.find("--agent-socket"), std::string::npos) << enabled.out;

  Mark("r1");
  std::string through_agent = SwitchAndWaitArchived();
  std::string copy = hs_.Path("agent-copy");
  bool dumped = false;
  for (const auto& snapshot : ResticWalSnapshots()) {
    auto r =
        hs_.Restic({"dump", snapshot["id"].get<std::string>(), "/pt/shop/wal/" + through_agent});
    if (r.exit_code == 0) {
      WriteFile(copy, r.out);
      dumped = true;
    }
  }
  ASSERT_TRUE(dumped) << "no WAL snapshot holds " << through_agent;
  std::string changed = core::ReadFileToString(copy).value();
  ASSERT_EQ(changed.size(), kSegmentBytes);
  changed[kSegmentBytes / 3] = static_cast<char>(changed[kSegmentBytes / 3] ^ 0x33);
  std::string other_dir = hs_.Path("other/pg_wal");
  std::filesystem::create_directories(other_dir);
  WriteFile(other_dir + "/" + through_agent, changed);
  size_t snapshots_before = ResticWalSnapshots().size();
  auto refused = Hs("wal-push", {"--agent-socket", socket, other_dir + "/" + through_agent});
  EXPECT_EQ(refused.exit_code, 24) << refused.err;
  EXPECT_NE(refused.err.find("(archive agent)"), std::string::npos)
      << "the refusal must come from the agent: " << refused.err;
  EXPECT_EQ(ResticWalSnapshots().size(), snapshots_before);

  (*agent)->Signal(SIGTERM);
  auto exited = (*agent)->WaitFor(std::chrono::seconds(30));
  ASSERT_TRUE(exited.has_value());
  EXPECT_EQ(exited->exit_code, 143)
      << "stopped by SIGTERM, like every command: " << (*agent)->StderrAll();
  std::string log = (*agent)->StderrAll();
  EXPECT_NE(log.find("archived '" + through_agent + "'"), std::string::npos) << log;
  EXPECT_FALSE(std::filesystem::exists(socket)) << "the agent removes its socket";

  Mark("r2");
  std::string alone = SwitchAndWaitArchived();
  EXPECT_GT(alone, through_agent);
  EXPECT_GT(ResticWalSnapshots().size(), snapshots_before);
}

TEST_F(PitrTest, DeletedPieceIsNamedAndARestorePastItIsRefusedBeforeAnythingChanges) {
  ASSERT_FALSE(NativeBackup().empty());
  SwitchAndWaitArchived();
  Mark("r1");
  // The insert position, not pg_current_wal_lsn() (the write position): the sandbox commits with
  // synchronous_commit = off, so r1's commit record may not be written out yet, and a target at
  // the write position would then lie before r1.
  std::string before_gap = Sql("SELECT pg_current_wal_insert_lsn()");
  before_gap = before_gap.substr(0, before_gap.find('\n'));
  SwitchAndWaitArchived();
  Mark("r2");
  std::string gap = SwitchAndWaitArchived();
  std::string t = Now();
  Mark("r3");
  SwitchAndWaitArchived();
  // Remove the piece holding `gap` (one segment per push: each was archived before the next).
  std::string removed;
  for (const auto& snapshot : ResticWalSnapshots()) {
    if (Tag(snapshot, "wal_first") == gap) {
      ASSERT_EQ(Tag(snapshot, "wal_files"), "1");
      removed = snapshot["id"].get<std::string>();
    }
  }
  ASSERT_FALSE(removed.empty());
  ASSERT_EQ(hs_.Restic({"forget", removed}).exit_code, 0);

  auto status = Hs("pitr", {"status", "--json"});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  auto bases = nlohmann::json::parse(status.out)["bases"];
  ASSERT_EQ(bases.size(), 1u);
  EXPECT_TRUE(bases[0]["recoverable"].get<bool>());
  EXPECT_EQ(bases[0]["gap"]["first"], gap);
  EXPECT_EQ(bases[0]["gap"]["last"], gap);
  EXPECT_NE(Hs("pitr", {"status"}).out.find("gap: '" + gap + "'"), std::string::npos);

  auto refused = RestoreUntil("--until", t);
  EXPECT_EQ(refused.exit_code, 24) << refused.err;
  EXPECT_NE(refused.err.find(gap), std::string::npos) << refused.err;
  // Nothing was touched: no staging or kept data directory, and the data is as it was.
  std::string data_dir = pg_->instance(0).data_dir;
  EXPECT_FALSE(std::filesystem::exists(data_dir + ".hasteward-restore"));
  ASSERT_EQ(Hs("instance", {"start", "-i", "0"}).exit_code, 0);
  EXPECT_EQ(Markers(), "r1,r2,r3\n");

  auto before = RestoreUntil("--until-lsn", before_gap);
  ASSERT_EQ(before.exit_code, 0) << before.out << before.err;
  EXPECT_EQ(Markers(), "r1\n");
}

// "Prune with PITR on keeps exactly the pieces the kept backups need": the WAL pieces left after
// a prune are exactly those holding a segment at or after the oldest kept native base's start
// segment (or a timeline history file), read back with stock restic; every kept base's window is
// still whole (`pitr status`), restic's full read check passes, and the kept window restores.
TEST_F(PitrTest, PruneKeepsExactlyTheWalTheKeptBasesNeed) {
  std::string first = NativeBackup();
  ASSERT_FALSE(first.empty());
  Mark("r1");
  SwitchAndWaitArchived();
  Mark("r2");
  SwitchAndWaitArchived();
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // snapshot times are whole seconds
  std::string second = NativeBackup();
  ASSERT_NE(first, second);
  Mark("r3");
  std::string t = Now();
  Mark("r4");
  SwitchAndWaitArchived();

  // The segment a base starts replaying from, from its start_lsn tag ("X/Y", 16 MiB segments).
  auto start_segment = [&](const std::string& id) {
    auto bases =
        nlohmann::json::parse(hs_.Restic({"snapshots", "--tag", "type=backup", "--json"}).out);
    for (const auto& base : bases) {
      if (base["id"] != id) {
        continue;
      }
      std::string start = Tag(base, "start_lsn");
      uint64_t lsn = (std::stoull(start.substr(0, start.find('/')), nullptr, 16) << 32) |
                     std::stoull(start.substr(start.find('/') + 1), nullptr, 16);
      uint64_t segment = lsn / kSegmentBytes;
      char name[25];
      std::snprintf(name, sizeof(name), "00000001%08X%08X", static_cast<unsigned>(segment / 256),
                    static_cast<unsigned>(segment % 256));
      return std::string(name);
    }
    ADD_FAILURE() << "no base " << id;
    return std::string();
  };
  // The ids of the WAL pieces in the repository, and of those a base starting at `from` needs.
  auto pieces = [&](const std::string& from, std::set<std::string>* needed) {
    std::set<std::string> all;
    for (const auto& piece : ResticWalSnapshots()) {
      std::string id = piece["id"].get<std::string>();
      all.insert(id);
      if (Tag(piece, "wal_last") >= from || !Tag(piece, "wal_history").empty()) {
        needed->insert(id);
      }
    }
    return all;
  };

  const std::string first_start = start_segment(first);
  const std::string second_start = start_segment(second);
  std::set<std::string> needed_by_first, needed_by_second;
  const std::set<std::string> before = pieces(first_start, &needed_by_first);
  pieces(second_start, &needed_by_second);
  ASSERT_LT(needed_by_second.size(), needed_by_first.size()) << "the first base's pieces";

  auto both = Hs("prune", {"--keep-last", "2"});
  ASSERT_EQ(both.exit_code, 0) << both.out << both.err;
  std::set<std::string> unused;
  EXPECT_EQ(pieces(first_start, &unused), needed_by_first) << both.out;
  auto status = nlohmann::json::parse(Hs("pitr", {"status", "--json"}).out);
  ASSERT_EQ(status["bases"].size(), 2u);
  for (const auto& window : status["bases"]) {
    EXPECT_TRUE(window["recoverable"].get<bool>()) << status.dump();
    EXPECT_TRUE(window["gap"].is_null()) << status.dump();
  }

  auto pruned = Hs("prune", {"--keep-last", "1"});
  ASSERT_EQ(pruned.exit_code, 0) << pruned.out << pruned.err;
  EXPECT_EQ(pieces(second_start, &unused), needed_by_second) << pruned.out;
  status = nlohmann::json::parse(Hs("pitr", {"status", "--json"}).out);
  ASSERT_EQ(status["bases"].size(), 1u);
  EXPECT_EQ(status["bases"][0]["snapshot"], second) << status.dump();
  EXPECT_TRUE(status["bases"][0]["recoverable"].get<bool>()) << status.dump();
  EXPECT_TRUE(status["bases"][0]["gap"].is_null()) << status.dump();

  auto check = hs_.Restic({"check", "--read-data"});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  auto restored = RestoreUntil("--until", t);
  ASSERT_EQ(restored.exit_code, 0) << restored.out << restored.err;
  EXPECT_NE(restored.out.find("restored base " + second.substr(0, 8)), std::string::npos);
  EXPECT_EQ(Markers(), "r1,r2,r3\n");
}

// A binary the server's OS user cannot run (built below a home directory of mode 0700, as root's
// is) is refused before the server is told, naming the path, the user and the directory; the
// server's archive_command stays as it was. Written into the configuration, every wal-push would
// fail inside the server, where nobody reads the error (a fresh Debian 12 root with the clone in
// /root hit exactly that: "sh: 1: /root/project/build/src/hasteward: Permission denied").
TEST_F(PitrTest, ArchiveEnableRefusesABinaryTheServersOsUserCannotRun) {
  std::string home = hs_.Path("home");
  ASSERT_TRUE(std::filesystem::create_directory(home));
  ASSERT_EQ(::chmod(home.c_str(), 0700), 0);
  std::string binary = home + "/hasteward";
  std::filesystem::copy_file(HastewardBin(), binary);
  std::string before = Sql("SELECT current_setting('archive_command')");
  auto env = hs_.vars();
  env["HASTEWARD_INVENTORY"] = pg_->inventory_path();
  env["HASTEWARD_STATE_DIR"] = pg_->state_dir();
  auto refused = RunCommand({binary, "archive", "enable", "-e", "cnpg", "-c", "shop", "-n", "pt",
                             "--password-file", password_file_},
                            env);
  EXPECT_EQ(refused.exit_code, 2) << refused.out << refused.err;
  EXPECT_NE(refused.err.find("'" + pg_->instance(0).os_user + "' cannot execute the hasteward " +
                             "binary '" + binary + "'"),
            std::string::npos)
      << refused.err;
  EXPECT_NE(refused.err.find("cannot enter the directory '" + home + "'"), std::string::npos)
      << refused.err;
  EXPECT_EQ(Sql("SELECT current_setting('archive_command')"), before);
}

}  // namespace
}  // namespace hasteward::testing
