// RefuseLockedDeletes (docs/object-lock.md#prune) over a local repository whose backend plays an
// object-locking store (FakeLockingBackend: retention dates set by the test), and
// Repository::Init's --object-lock on a backend that cannot lock.
#include "repo/maintenance/object_lock_gate.h"

#include <map>
#include <set>

#include <gtest/gtest.h>

#include "core/clock.h"
#include "core/temp_dir.h"
#include "repo/crypto/crypto.h"
#include "storage/local/local_backend.h"

namespace hasteward::repo {
namespace {

using std::chrono::seconds;
using storage::FileType;
using storage::Handle;

// A local directory with object-lock dates the test sets by file name.
class FakeLockingBackend : public storage::Backend, public storage::ObjectLock {
 public:
  explicit FakeLockingBackend(const std::string& root) : inner_(root) {}
  std::string Location() const override { return inner_.Location(); }
  core::Status Create() override { return inner_.Create(); }
  core::Status Save(const Handle& h, core::ByteView data) override { return inner_.Save(h, data); }
  core::Status Load(const Handle& h, uint64_t offset, uint64_t length, core::Bytes* out) override {
    return inner_.Load(h, offset, length, out);
  }
  core::Result<storage::FileInfo> Stat(const Handle& h) override { return inner_.Stat(h); }
  core::Status List(FileType t,
                    const std::function<core::Status(const storage::FileInfo&)>& fn) override {
    return inner_.List(t, fn);
  }
  core::Status Remove(const Handle& h) override { return inner_.Remove(h); }
  storage::ObjectLock* ObjectLocking() override { return this; }

  core::Status Enable(seconds period) override {
    period_ = period;
    return core::Status::Ok();
  }
  core::Result<std::optional<seconds>> Period() override { return period_; }
  core::Result<std::optional<TimePoint>> RetainUntil(const Handle& h) override {
    if (missing.count(h.name) > 0)
      return core::NotFound("'" + h.name + "' does not exist");
    auto it = until.find(h.name);
    if (it == until.end() || it->second <= core::SystemClock::Get().Now())
      return std::optional<TimePoint>();
    return std::optional<TimePoint>(it->second);
  }

  core::Status Extend(const Handle& h, TimePoint to) override {
    if (!extend_error.ok())
      return extend_error;
    // As S3: a compliance retention can only grow.
    auto it = until.find(h.name);
    if (it != until.end() && it->second > to)
      return core::StorageError("retention of '" + h.name + "' cannot be shortened", false);
    extended[storage::FileTypeDir(h.type) + std::string("/") + h.name] = to;
    until[h.name] = to;
    return core::Status::Ok();
  }

  std::map<std::string, TimePoint> until;
  std::set<std::string> missing;
  std::map<std::string, TimePoint> extended;  // "dir/name" -> the new date
  core::Status extend_error;

 private:
  storage::LocalBackend inner_;
  std::optional<seconds> period_;
};

std::string Name(char c) {
  return std::string(64, c);
}

class ObjectLockGateTest : public ::testing::Test {
 protected:
  void Init(seconds lock) {
    dir_ = std::make_unique<core::TempDir>(std::move(core::TempDir::Create("hs-lock-").value()));
    auto backend = std::make_unique<FakeLockingBackend>(dir_->path());
    fake_ = backend.get();
    InitOptions opts;
    opts.kdf = KdfParams{1024, 8, 1};  // fast for tests
    opts.object_lock = lock;
    auto r = Repository::Init(std::move(backend), "pw", opts);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    repo_ = std::move(*r);
  }

  // A plan that deletes pack 'a', repacks pack 'b', keeps pack 'c' and deletes unreferenced 'd'.
  static GcPlan Plan() {
    GcPlan plan;
    for (auto [c, action] : {std::pair{'a', PackAction::kRemove},
                             {'b', PackAction::kRepack},
                             {'c', PackAction::kKeep}}) {
      PackDecision pack;
      pack.id = IdFromHex(Name(c)).value();
      pack.action = action;
      plan.packs.push_back(pack);
    }
    plan.unreferenced.push_back({Name('d'), 10});
    return plan;
  }

  static storage::ObjectLock::TimePoint In(seconds s) { return core::SystemClock::Get().Now() + s; }

  std::unique_ptr<core::TempDir> dir_;
  FakeLockingBackend* fake_ = nullptr;
  std::unique_ptr<Repository> repo_;
};

TEST_F(ObjectLockGateTest, ForgottenLockedSnapshotIsRefusedWithTheKeepWithinHint) {
  Init(seconds(86400 * 30));
  fake_->until[Name('1')] = In(seconds(3600));
  auto refused = RefuseLockedDeletes(*repo_, {Name('1'), Name('2')}, Plan());
  EXPECT_EQ(refused.code(), core::ErrorCode::kSafetyStop);
  EXPECT_NE(refused.ToString().find("1 snapshot(s) and 0 pack(s) still under object lock"),
            std::string::npos)
      << refused.ToString();
  EXPECT_NE(refused.ToString().find("--keep-within 30d"), std::string::npos) << refused.ToString();
}

TEST_F(ObjectLockGateTest, LockedRemovedRepackedOrUnreferencedPacksAreRefusedKeptOnesAreNot) {
  Init(seconds(3600));
  fake_->until[Name('c')] = In(seconds(600));  // kept: never deleted, so no matter
  EXPECT_TRUE(RefuseLockedDeletes(*repo_, {}, Plan()).ok());
  for (char c : {'a', 'b', 'd'}) {
    fake_->until.clear();
    fake_->until[Name(c)] = In(seconds(600));
    auto refused = RefuseLockedDeletes(*repo_, {}, Plan());
    EXPECT_EQ(refused.code(), core::ErrorCode::kSafetyStop) << c;
    EXPECT_NE(refused.ToString().find("0 snapshot(s) and 1 pack(s)"), std::string::npos) << c;
    EXPECT_EQ(refused.ToString().find("--keep-within"), std::string::npos) << c;
  }
}

TEST_F(ObjectLockGateTest, ExpiredOrMissingFilesAndRepositoriesWithoutAPeriodPass) {
  Init(seconds(3600));
  fake_->until[Name('a')] = In(seconds(-1));
  fake_->missing.insert(Name('1'));
  EXPECT_TRUE(RefuseLockedDeletes(*repo_, {Name('1')}, Plan()).ok());

  Init(seconds(0));  // no --object-lock: dates are not asked for
  fake_->until[Name('a')] = In(seconds(600));
  EXPECT_TRUE(RefuseLockedDeletes(*repo_, {}, Plan()).ok());
}

// After a prune: the kept files with less than half the period left are retained for a whole
// period again; the kept ones with more are left; what the prune deletes or repacks never is.
TEST_F(ObjectLockGateTest, PruneRetainsKeptFilesAgainAndNeverWhatItDeletes) {
  Init(seconds(3600));
  fake_->until.clear();                       // the config and key: expired, as if written long ago
  fake_->until[Name('1')] = In(seconds(-5));  // kept snapshot, retention over
  fake_->until[Name('2')] = In(seconds(3000));  // kept snapshot, more than half left
  fake_->until[Name('c')] = In(seconds(600));   // kept pack, less than half left
  auto keys = repo_->ListFiles(FileType::kKey);
  ASSERT_TRUE(keys.ok() && keys->size() == 1);
  auto before = core::SystemClock::Get().Now();
  auto renewal = ExtendReferencedRetention(*repo_, {Name('1'), Name('2')}, Plan());
  ASSERT_TRUE(renewal.ok()) << renewal.status().ToString();
  std::set<std::string> extended;
  for (const auto& [name, to] : fake_->extended) {
    extended.insert(name);
    EXPECT_GE(to, before + seconds(3600)) << name;
  }
  EXPECT_EQ(extended, (std::set<std::string>{"/", "keys/" + keys->front().name,
                                             "snapshots/" + Name('1'), "data/" + Name('c')}));
  EXPECT_EQ(renewal->checked, 5u);  // config, key, two snapshots, one kept pack
  EXPECT_EQ(renewal->extended, 4u);
  ASSERT_TRUE(renewal->until.has_value());
  EXPECT_EQ(*renewal->until, fake_->until[Name('c')]);
}

TEST_F(ObjectLockGateTest, RenewalAsksNothingWithoutAPeriodAndPassesStorageErrorsOn) {
  Init(seconds(0));
  auto none = ExtendReferencedRetention(*repo_, {Name('1')}, Plan());
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->checked, 0u);
  EXPECT_TRUE(fake_->extended.empty());

  Init(seconds(3600));
  fake_->extend_error = core::StorageError("PUT refused", false);
  auto failed = ExtendReferencedRetention(*repo_, {Name('1')}, Plan());
  EXPECT_EQ(failed.status().code(), core::ErrorCode::kStorage);
}

TEST(ObjectLockInitTest, BackendThatCannotLockIsRefusedBeforeWritingAnything) {
  auto dir = core::TempDir::Create("hs-lock-").value();
  InitOptions opts;
  opts.kdf = KdfParams{1024, 8, 1};
  opts.object_lock = seconds(60);
  auto r =
      Repository::Init(std::make_unique<storage::LocalBackend>(dir.path() + "/repo"), "pw", opts);
  EXPECT_EQ(r.status().code(), core::ErrorCode::kUsage);
  EXPECT_NE(r.status().ToString().find("cannot lock objects"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/repo"));
}

}  // namespace
}  // namespace hasteward::repo
