#include "repo/keys/key_ring.h"

#include <gtest/gtest.h>

#include "core/temp_dir.h"
#include "storage/delete_probe.h"
#include "storage/local/local_backend.h"

namespace hasteward::repo {
namespace {

constexpr KdfParams kCheapKdf{1024, 8, 1};

// A local backend whose Remove of a real file fails: the crash (or outage) between passwd's two
// steps, after its delete probe (storage/delete_probe.h) passed.
class RemoveFailsBackend : public storage::LocalBackend {
 public:
  using LocalBackend::LocalBackend;
  core::Status Remove(const storage::Handle& h) override {
    if (h.name == storage::kDeleteProbeName)
      return core::Status::Ok();
    return core::Status(core::ErrorCode::kStorage, "remove failed (test)");
  }
};

// A local backend under append-only credentials: every delete is refused.
class AppendOnlyBackend : public storage::LocalBackend {
 public:
  using LocalBackend::LocalBackend;
  core::Status Remove(const storage::Handle& h) override {
    return storage::DeleteRefused("remove '" + h.name + "' (test)");
  }
};

class KeyRingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::make_unique<core::TempDir>(std::move(core::TempDir::Create("hs-keys-").value()));
    InitOptions opts;
    opts.kdf = kCheapKdf;
    auto r = Repository::Init(std::make_unique<storage::LocalBackend>(dir_->path()), "first", opts);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    first_id_ = Ring("first").current();
  }

  core::Result<std::unique_ptr<Repository>> Open(const std::string& password) {
    return Repository::Open(std::make_unique<storage::LocalBackend>(dir_->path()), password);
  }

  // The key ring of the repository opened with `password` (which must open it).
  KeyRing Ring(const std::string& password, std::unique_ptr<storage::Backend> backend = nullptr) {
    if (backend == nullptr)
      backend = std::make_unique<storage::LocalBackend>(dir_->path());
    auto repo = Repository::Open(std::move(backend), password);
    EXPECT_TRUE(repo.ok()) << repo.status().ToString();
    repos_.push_back(std::move(*repo));
    auto ring = KeyRing::Open(*repos_.back(), password);
    EXPECT_TRUE(ring.ok()) << ring.status().ToString();
    return std::move(*ring);
  }

  static NewKeyOptions Options() {
    NewKeyOptions options;
    options.kdf = kCheapKdf;
    options.username = "alice";
    options.hostname = "db-host";
    return options;
  }

  size_t KeyCount() {
    auto keys = Ring(last_password_).List();
    return keys.ok() ? keys->size() : 0;
  }

  std::unique_ptr<core::TempDir> dir_;
  std::vector<std::unique_ptr<Repository>> repos_;
  std::string first_id_;
  std::string last_password_ = "first";
};

TEST_F(KeyRingTest, AddedKeyOpensTheRepositoryWithTheSameMasterKey) {
  KeyRing ring = Ring("first");
  auto id = ring.Add("second", Options());
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  auto second = Open("second");
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(Ring("second").current(), *id);
  EXPECT_EQ((*second)->config().id, repos_.front()->config().id);
  EXPECT_EQ((*second)->key().encrypt, repos_.front()->key().encrypt);
  EXPECT_TRUE(Open("first").ok());
}

TEST_F(KeyRingTest, ListShowsEveryKeyAndMarksTheOneInUse) {
  auto added = Ring("first").Add("second", Options());
  ASSERT_TRUE(added.ok());
  auto keys = Ring("second").List();
  ASSERT_TRUE(keys.ok()) << keys.status().ToString();
  ASSERT_EQ(keys->size(), 2u);
  for (const auto& k : *keys) {
    EXPECT_EQ(k.current, k.id == *added) << k.id;
    if (k.id == *added) {
      EXPECT_EQ(k.username, "alice");
      EXPECT_EQ(k.hostname, "db-host");
      EXPECT_FALSE(k.created.empty());
    }
  }
}

TEST_F(KeyRingTest, OpenWithAPasswordOfNoKeyIsWrongPassword) {
  auto repo = Open("first");
  ASSERT_TRUE(repo.ok());
  EXPECT_EQ(KeyRing::Open(**repo, "nope").status().code(), core::ErrorCode::kWrongPassword);
}

TEST_F(KeyRingTest, RemoveRefusesTheLastKeyAndChangesNothing) {
  core::Status s = Ring("first").Remove(first_id_);
  EXPECT_EQ(s.code(), core::ErrorCode::kSafetyStop);
  EXPECT_NE(s.message().find("last key"), std::string::npos) << s.message();
  EXPECT_EQ(KeyCount(), 1u);
  EXPECT_TRUE(Open("first").ok());
}

TEST_F(KeyRingTest, RemoveRefusesTheKeyInUseAndChangesNothing) {
  KeyRing ring = Ring("first");
  ASSERT_TRUE(ring.Add("second", Options()).ok());
  core::Status s = ring.Remove(first_id_);
  EXPECT_EQ(s.code(), core::ErrorCode::kSafetyStop);
  EXPECT_NE(s.message().find("in use"), std::string::npos) << s.message();
  EXPECT_EQ(KeyCount(), 2u);
  EXPECT_TRUE(Open("first").ok());
}

TEST_F(KeyRingTest, RemovesAnotherKeySoItsPasswordNoLongerOpens) {
  ASSERT_TRUE(Ring("first").Add("second", Options()).ok());
  KeyRing second = Ring("second");
  auto found = second.Find(first_id_.substr(0, 6));
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  ASSERT_TRUE(second.Remove(*found).ok());
  EXPECT_EQ(Open("first").status().code(), core::ErrorCode::kWrongPassword);
  EXPECT_TRUE(Open("second").ok());
}

TEST_F(KeyRingTest, FindRejectsUnknownReferences) {
  KeyRing ring = Ring("first");
  ASSERT_TRUE(ring.Add("second", Options()).ok());
  EXPECT_EQ(ring.Find("zz").status().code(), core::ErrorCode::kNotFound);
  EXPECT_EQ(ring.Find("").status().code(), core::ErrorCode::kNotFound);
  EXPECT_EQ(ring.Find(first_id_).value(), first_id_);
  EXPECT_EQ(ring.CheckRemovable(std::string(64, 'a')).code(), core::ErrorCode::kNotFound);
}

TEST_F(KeyRingTest, AddRefusesAnEmptyPasswordAndWritesNothing) {
  EXPECT_EQ(Ring("first").Add("", Options()).status().code(), core::ErrorCode::kUsage);
  EXPECT_EQ(KeyCount(), 1u);
}

TEST_F(KeyRingTest, PasswdReplacesTheKeyInUse) {
  KeyRing ring = Ring("first");
  auto id = ring.ChangePassword("second", Options());
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(ring.current(), *id);
  EXPECT_EQ(Open("first").status().code(), core::ErrorCode::kWrongPassword);
  last_password_ = "second";
  EXPECT_EQ(KeyCount(), 1u);
}

// The new key is written and verified before the old one goes: when the removal fails, both
// passwords still open the repository.
TEST_F(KeyRingTest, PasswdThatCannotRemoveTheOldKeyLeavesBothWorking) {
  KeyRing ring = Ring("first", std::make_unique<RemoveFailsBackend>(dir_->path()));
  auto id = ring.ChangePassword("second", Options());
  EXPECT_EQ(id.status().code(), core::ErrorCode::kStorage);
  EXPECT_NE(id.status().hint().find("repo key remove " + first_id_.substr(0, 8)), std::string::npos)
      << id.status().ToString();
  EXPECT_TRUE(Open("first").ok());
  EXPECT_TRUE(Open("second").ok());
}

TEST_F(KeyRingTest, PasswdUnderAppendOnlyCredentialsIsRefusedBeforeAddingAKey) {
  KeyRing ring = Ring("first", std::make_unique<AppendOnlyBackend>(dir_->path()));
  auto id = ring.ChangePassword("second", Options());
  EXPECT_TRUE(storage::IsDeleteRefused(id.status())) << id.status().ToString();
  EXPECT_NE(id.status().message().find("nothing was changed"), std::string::npos);
  EXPECT_EQ(KeyCount(), 1u);
  EXPECT_EQ(Open("second").status().code(), core::ErrorCode::kWrongPassword);
}

}  // namespace
}  // namespace hasteward::repo
