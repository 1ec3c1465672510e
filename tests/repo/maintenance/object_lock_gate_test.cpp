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

  std::map<std::string, TimePoint> until;
  std::set<std::string> missing;

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
