#include "support/killed_backup.h"

#include <csignal>
#include <filesystem>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/fd.h"
#include "core/poll_until.h"
#include "core/subprocess.h"

namespace hasteward::testing {

size_t RepositoryFiles(const HastewardEnv& env, const std::string& kind) {
  size_t n = 0;
  std::error_code ec;
  for (const auto& entry :
       std::filesystem::recursive_directory_iterator(env.repository() + "/" + kind, ec)) {
    n += entry.is_regular_file(ec) &&
         entry.path().filename().string().find(".tmp-") == std::string::npos;
  }
  return n;
}

bool KillNativeBackupMidway(const ClusterEnv& shop, const std::string& err_file) {
  const HastewardEnv& env = shop.env();
  const size_t packs = RepositoryFiles(env, "data");
  const size_t snapshots = RepositoryFiles(env, "snapshots");
  auto backup = shop.Spawn({"backup", "--method", "native"}, err_file);
  EXPECT_TRUE(backup.ok()) << backup.status().ToString();
  if (!backup.ok())
    return false;
  core::Subprocess& run = **backup;
  // Polled, not slept: once a pack of the new data is durable, the backup is writing.
  core::PollUntil(
      [&] { return RepositoryFiles(env, "data") > packs || run.WaitFor({}).has_value(); },
      std::chrono::seconds(120), std::chrono::milliseconds(5));
  run.Signal(SIGSTOP);
  auto err = core::ReadFileToString(err_file);
  if (run.WaitFor({}).has_value() || RepositoryFiles(env, "snapshots") != snapshots) {
    ADD_FAILURE() << "the backup ended before it was caught (the poll must see its first new pack "
                     "while more are to come):\n"
                  << (err.ok() ? *err : "");
    return false;
  }
  EXPECT_GT(RepositoryFiles(env, "data"), packs) << "not caught writing";
  EXPECT_EQ(RepositoryFiles(env, "locks"), 1u) << "the running backup holds a lock";
  run.Signal(SIGKILL);
  auto killed = run.WaitFor(std::chrono::seconds(30));
  EXPECT_TRUE(killed.has_value());
  EXPECT_EQ(killed ? killed->signal : 0, SIGKILL);
  return killed.has_value();
}

void ExpectNoNewSnapshotAndACheckableRepository(const ClusterEnv& shop, size_t snapshots) {
  const HastewardEnv& env = shop.env();
  auto listed = env.Restic({"snapshots", "--json"});
  EXPECT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_EQ(nlohmann::json::parse(listed.out.empty() ? "[]" : listed.out).size(), snapshots)
      << "a killed backup must not become a snapshot";
  auto backups = shop.Hs({"get", "backups", "--json"});
  EXPECT_EQ(nlohmann::json::parse(backups.out.empty() ? "[]" : backups.out).size(), snapshots)
      << backups.out << backups.err;
  // kill -9 leaves the lock file: restic 0.14 refuses the repository until it is removed.
  EXPECT_EQ(RepositoryFiles(env, "locks"), 1u);
  EXPECT_NE(env.Restic({"check"}).exit_code, 0) << "restic 0.14 refuses while the lock remains";
  auto unlock = shop.Hs({"repo", "unlock"});
  EXPECT_EQ(unlock.exit_code, 0) << unlock.err;
  EXPECT_NE(unlock.out.find("removed 1 stale"), std::string::npos) << unlock.out;
  auto check = shop.Hs({"repo", "check"});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  auto stock = env.Restic({"check"});
  EXPECT_EQ(stock.exit_code, 0) << stock.out << stock.err;
}

}  // namespace hasteward::testing
