#include "verify/evidence.h"

#include <gtest/gtest.h>

#include "repo/repository.h"

namespace hasteward::verify {
namespace {

repo::Snapshot Snap(uint8_t id, int64_t t, std::vector<std::string> tags) {
  repo::Snapshot s;
  s.id.fill(0);
  s.id[0] = id;
  s.time.unix_seconds = t;
  s.tags = std::move(tags);
  return s;
}

std::string Hex(uint8_t id) {
  repo::Id x{};
  x.fill(0);
  x[0] = id;
  return repo::IdToHex(x);
}

repo::Snapshot Backup(uint8_t id, int64_t t) {
  return Snap(id, t, {"type=backup"});
}

repo::Snapshot Verification(uint8_t id, int64_t t, uint8_t target, const std::string& verdict) {
  return Snap(id, t, {"type=verification", "verifies=" + Hex(target), "verdict=" + verdict});
}

TEST(EvidenceTest, NewestVerificationOfABackupWins) {
  auto index = IndexVerifications(
      {Backup(1, 100), Verification(2, 200, 1, "failed"), Verification(3, 300, 1, "ok")});
  ASSERT_EQ(index.size(), 1u);
  EXPECT_EQ(index.at(Hex(1)).verdict, "ok");
  EXPECT_EQ(DescribeVerification(index, Hex(1)), "verified ok");
  EXPECT_EQ(DescribeVerification(index, Hex(9)), "never");
}

TEST(EvidenceTest, FailedVerdictIsDescribedAsFailed) {
  auto index = IndexVerifications({Verification(3, 300, 1, "failed")});
  EXPECT_EQ(DescribeVerification(index, Hex(1)), "failed");
}

TEST(EvidenceTest, VerificationWithoutTargetOrVerdictIsIgnored) {
  auto index = IndexVerifications({Snap(2, 1, {"type=verification", "verdict=ok"}),
                                   Snap(3, 1, {"type=verification", "verifies=" + Hex(1)})});
  EXPECT_TRUE(index.empty());
}

TEST(EvidenceTest, GateSkipsAVerifiedLatestBackup) {
  std::vector<repo::Snapshot> backups = {Backup(1, 100), Backup(2, 200)};
  auto index = IndexVerifications({Verification(7, 300, 2, "ok")});
  auto d = DecideVerification(backups, index, "latest", false);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_TRUE(d->already_verified);
  EXPECT_NE(d->reason.find("already verified"), std::string::npos);
}

TEST(EvidenceTest, GateRunsWhenANewerBackupExists) {
  std::vector<repo::Snapshot> backups = {Backup(1, 100), Backup(2, 200)};
  auto index = IndexVerifications({Verification(7, 150, 1, "ok")});
  auto d = DecideVerification(backups, index, "latest", false);
  ASSERT_TRUE(d.ok());
  EXPECT_FALSE(d->already_verified);
  EXPECT_EQ(repo::IdToHex(d->target->id), Hex(2));
}

TEST(EvidenceTest, ForceRunsAgain) {
  std::vector<repo::Snapshot> backups = {Backup(1, 100)};
  auto index = IndexVerifications({Verification(7, 150, 1, "failed")});
  auto d = DecideVerification(backups, index, "latest", true);
  ASSERT_TRUE(d.ok());
  EXPECT_FALSE(d->already_verified);
}

TEST(EvidenceTest, NoBackupIsNotFound) {
  auto d = DecideVerification({}, {}, "latest", false);
  EXPECT_EQ(d.status().code(), core::ErrorCode::kNotFound);
}

}  // namespace
}  // namespace hasteward::verify
