// A MariaDB time target is compared in the source's clock (binlog commit times), never in the clock
// of the host running hasteward. Each story runs every hasteward command (backup, archive, restore)
// with faketime's library preloaded, 10 minutes ahead or 10 minutes behind the server (inherited
// by the tools hasteward runs: a skewed host; a server a restore started is restarted from a host
// with a true clock, the source's), on its own one-instance sandbox, in order:
// - a base; c archived, d committed and not archived, a target T2 after d in the server's clock:
//   refused (24) as past the archive's last transaction, though the skewed archive looks current
//   after T2, and nothing changed;
// - rows a, the target T read from the server's clock in a second of its own, b: `restore --until
//   T` restores exactly the rows before T (seed, c, d, a), not b;
// - the archiver moves to a host with a true clock: rows e, a target, f; the restore (still
//   skewed) reaches e; then g (taking the abandoned f's GTID), a target, h: the restore replays g,
//   never f.
// Two sandboxes, not one: a restore records its rewind in its host's clock, so one story mixing
// both skews would compare the rewind of one with the archive times of the other.
#include <chrono>
#include <ctime>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/poll_until.h"
#include "support/command.h"
#include "support/hasteward_env.h"
#include "support/sandbox_cluster.h"
#include "support/story_suite.h"

namespace hasteward::testing {
namespace {

constexpr int kSafetyStopExit = 24;  // docs/exit-codes.md
// Debian's faketime package (tools/setup.sh).
constexpr char kLibFaketime[] = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1";

// The story, for the suite `Suite` whose hasteward host is skewed by `Suite::kSkew`.
template <typename Suite>
class SkewedHostStory : public StorySuite<Suite> {
 protected:
  using Base = StorySuite<Suite>;

  static void SeedRows() {
    Base::Sql(0,
              "CREATE DATABASE sk; CREATE TABLE sk.t (id INT PRIMARY KEY, note VARCHAR(20)); "
              "INSERT INTO sk.t VALUES (0, 'seed');");
  }
  // libfaketime (0.9.10) keeps a semaphore and a segment per faked process in /dev/shm, named by
  // its pid, mode 0600, and a killed server never removes them. Once pids wrap, a faked process of
  // another user (root's hasteward, the server's mysql) meets a dead one's file with its own pid
  // and fails: "sem_open failed and recreation attempts failed: Permission denied". Only files of
  // processes that no longer exist are removed.
  static void RemoveDeadProcessesFaketimeFiles() {
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator("/dev/shm", error)) {
      const std::string name = entry.path().filename().string();
      for (const std::string prefix : {"faketime_shm_", "sem.faketime_sem_"}) {
        if (name.rfind(prefix, 0) == 0 &&
            !std::filesystem::exists("/proc/" + name.substr(prefix.size()), error)) {
          std::filesystem::remove(entry.path(), error);
        }
      }
    }
  }
  // `hasteward <args>` on the skewed host: faketime's library and offset in the environment, as
  // `faketime -f <skew>` sets them. Not the faketime command itself: it waits until every process
  // that inherited its pipe has ended, and the restored server a restore starts never does.
  static CmdResult Skewed(std::vector<std::string> args) {
    args.insert(args.begin(), HastewardBin());
    HastewardEnv::EnvVars env = Base::hs_->vars();
    env["LD_PRELOAD"] = kLibFaketime;
    env["FAKETIME"] = Suite::kSkew;
    RemoveDeadProcessesFaketimeFiles();
    return RunCommand(args, env);
  }
  // `hasteward <verb> -e mariadb -c C -n sk <args>` on the skewed host.
  static CmdResult On(const std::string& verb, std::vector<std::string> args = {}) {
    std::vector<std::string> all = {verb, "-e", "mariadb", "-c", Base::sc_->cluster().name,
                                    "-n", "sk"};
    all.insert(all.end(), args.begin(), args.end());
    return Skewed(all);
  }
  // A restore on the skewed host started the server with that host's clock. The source's clock is
  // its own: restarted from a host with a true clock, as the database host would run it.
  static void RestartOnTheSourcesClock() {
    for (const char* verb : {"stop", "start"}) {
      auto run = Base::hs_->Run(
          {"instance", verb, "-c", Base::sc_->cluster().name, "-n", "sk", "-i", "0"});
      ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
    }
  }
  static void Instance(const std::string& verb) {
    auto run = Skewed({"instance", verb, "-c", Base::sc_->cluster().name, "-n", "sk", "-i", "0"});
    ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  }
  static void Archive() {
    auto run =
        Skewed({"archive", "binlog", "-e", "mariadb", "-c", Base::sc_->cluster().name, "-n", "sk"});
    ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  }
  // The archiving cycle on another host, whose clock is true (the server's).
  static void ArchiveOnATrueClock() {
    auto run = Base::hs_->Run(
        {"archive", "binlog", "-e", "mariadb", "-c", Base::sc_->cluster().name, "-n", "sk"});
    ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  }
  static void Insert(int id, const std::string& note) {
    Base::Sql(0, "INSERT INTO sk.t VALUES (" + std::to_string(id) + ", '" + note + "')");
  }
  static std::string Rows() {
    return Base::Sql(0, "SELECT GROUP_CONCAT(note ORDER BY id SEPARATOR ',') FROM sk.t");
  }
  static int64_t ServerSecond() { return std::stoll(Base::Sql(0, "SELECT UNIX_TIMESTAMP()")); }
  // The server's first second after `second` (polled: no sleep, the server's clock decides).
  static int64_t ServerSecondAfter(int64_t second) {
    int64_t now = second;
    EXPECT_TRUE(core::PollUntil([&] { return (now = ServerSecond()) > second; },
                                std::chrono::seconds(5), std::chrono::milliseconds(50)));
    return now;
  }
  static std::string Rfc3339(int64_t unix_seconds) {
    std::time_t time = unix_seconds;
    std::tm utc{};
    gmtime_r(&time, &utc);
    char text[32];
    std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &utc);
    return text;
  }
  // Commits `before`, takes the target in the server's clock in a second of its own, commits
  // `after`; returns the target.
  static std::string RowsAroundATarget(int id, const std::string& before,
                                       const std::string& after) {
    Insert(id, before);
    int64_t target = ServerSecondAfter(ServerSecond());
    ServerSecondAfter(target);
    Insert(id + 1, after);
    return Rfc3339(target);
  }

  static void RestoresExactlyTheRowsBeforeTheTarget() {
    std::string target = RowsAroundATarget(6, "a", "b");
    Archive();
    Instance("stop");
    auto restored = On("restore", {"--until", target, "--yes", "--confirm-rewind"});
    ASSERT_EQ(restored.exit_code, 0) << restored.out << restored.err;
    EXPECT_EQ(Rows(), "seed,c,d, not archived,a");
    RestartOnTheSourcesClock();
  }

  // From here the archiver's host has a true clock and the restoring host stays skewed. A restore
  // stamped its rewind with its own clock alone, and the archive compared that with the
  // archiver's stamps: ahead, the new history archived after the restore looked abandoned (the
  // restore to e was refused); behind, the future the restore abandoned looked newer than it.
  static void ReplaysTheHistoryAfterARestoreWhenTheArchiversClockDiffers() {
    std::string target = RowsAroundATarget(8, "e", "f");
    ArchiveOnATrueClock();
    Instance("stop");
    auto restored = On("restore", {"--until", target, "--yes", "--confirm-rewind"});
    ASSERT_EQ(restored.exit_code, 0) << restored.out << restored.err;
    EXPECT_EQ(Rows(), "seed,c,d, not archived,a,e");
    RestartOnTheSourcesClock();
  }

  // f was archived and then abandoned by the restore before; g is written with f's GTID.
  static void NeverReplaysTheAbandonedFutureWhenTheArchiversClockDiffers() {
    std::string target = RowsAroundATarget(10, "g", "h");
    ArchiveOnATrueClock();
    Instance("stop");
    auto restored = On("restore", {"--until", target, "--yes", "--confirm-rewind"});
    ASSERT_EQ(restored.exit_code, 0) << restored.out << restored.err;
    EXPECT_EQ(Rows(), "seed,c,d, not archived,a,e,g");
  }

  static void RefusesATargetPastTheArchivesLastTransaction() {
    auto backup = On("backup", {"--method", "native"});
    ASSERT_EQ(backup.exit_code, 0) << backup.out << backup.err;
    Insert(3, "c");
    Archive();
    // d is committed before the target and not archived; nothing is committed after the target.
    Insert(4, "d, not archived");
    std::string target = Rfc3339(ServerSecondAfter(ServerSecond()));
    std::string rows = Rows();
    auto refused = On("restore", {"--until", target, "--yes", "--confirm-rewind"});
    EXPECT_EQ(refused.exit_code, kSafetyStopExit) << refused.out << refused.err;
    EXPECT_NE(refused.err.find("past the archive's last transaction"), std::string::npos)
        << refused.err;
    EXPECT_EQ(Rows(), rows) << "the refused restore changed the instance";
  }
};

class HostTenMinutesAheadTest : public SkewedHostStory<HostTenMinutesAheadTest> {
 public:
  static SandboxCluster::Options Story() { return AsyncMariadbStory(1, "sk"); }
  static constexpr const char* kTempPrefix = "hs-skew-ahead-";
  static constexpr const char* kSkew = "+10m";
  static void Seed() { SeedRows(); }
};

class HostTenMinutesBehindTest : public SkewedHostStory<HostTenMinutesBehindTest> {
 public:
  static SandboxCluster::Options Story() { return AsyncMariadbStory(1, "sk"); }
  static constexpr const char* kTempPrefix = "hs-skew-behind-";
  static constexpr const char* kSkew = "-10m";
  static void Seed() { SeedRows(); }
};

TEST_F(HostTenMinutesAheadTest, RefusesATargetPastTheArchivesLastTransaction) {
  RefusesATargetPastTheArchivesLastTransaction();
}

TEST_F(HostTenMinutesAheadTest, RestoresExactlyTheRowsCommittedBeforeTheTarget) {
  RestoresExactlyTheRowsBeforeTheTarget();
}

TEST_F(HostTenMinutesAheadTest, ReplaysTheHistoryAfterARestoreWhenTheArchiversClockDiffers) {
  ReplaysTheHistoryAfterARestoreWhenTheArchiversClockDiffers();
}

TEST_F(HostTenMinutesAheadTest, NeverReplaysTheAbandonedFutureWhenTheArchiversClockDiffers) {
  NeverReplaysTheAbandonedFutureWhenTheArchiversClockDiffers();
}

TEST_F(HostTenMinutesBehindTest, RefusesATargetPastTheArchivesLastTransaction) {
  RefusesATargetPastTheArchivesLastTransaction();
}

TEST_F(HostTenMinutesBehindTest, RestoresExactlyTheRowsCommittedBeforeTheTarget) {
  RestoresExactlyTheRowsBeforeTheTarget();
}

TEST_F(HostTenMinutesBehindTest, ReplaysTheHistoryAfterARestoreWhenTheArchiversClockDiffers) {
  ReplaysTheHistoryAfterARestoreWhenTheArchiversClockDiffers();
}

TEST_F(HostTenMinutesBehindTest, NeverReplaysTheAbandonedFutureWhenTheArchiversClockDiffers) {
  NeverReplaysTheAbandonedFutureWhenTheArchiversClockDiffers();
}

}  // namespace
}  // namespace hasteward::testing
