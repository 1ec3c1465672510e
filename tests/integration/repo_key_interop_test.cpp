// `repo key list|add|remove|passwd` against stock restic 0.14 in both directions: a key either tool
// adds opens the repository in the other, either tool removes or replaces the other's keys, and
// HASteward refuses to remove the last key or the key in use (exit 24, nothing changed).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/hasteward_env.h"
#include "support/rest_test_server.h"

namespace hasteward::testing {
namespace {

using Json = nlohmann::json;

constexpr int kWrongPassword = 12;
constexpr int kSafetyStop = 24;

// The id of the key marked current (restic lists 8-character ids, HASteward full ones).
std::string CurrentIdOf(const Json& keys) {
  for (const auto& k : keys) {
    if (k.value("current", false))
      return k.value("id", "");
  }
  return "";
}

class RepoKeyInteropTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(hs_.Run({"repo", "init"}).exit_code, 0);
    std::string in = WriteFile(hs_.Path("in.sql"), "select 1;\n");
    auto b = hs_.Run({"backup", "--stdin", "--stdin-filename", "ns/db/dump.sql"}, in);
    ASSERT_EQ(b.exit_code, 0) << b.err;
    first_ = WriteFile(hs_.Path("pw-first"), hs_.password() + "\n");
    second_ = WriteFile(hs_.Path("pw-second"), "second-password\n");
    third_ = WriteFile(hs_.Path("pw-third"), "third-password\n");
  }

  // `hasteward --password-file <password_file> args...`.
  CmdResult Hs(const std::string& password_file, std::vector<std::string> args) {
    args.insert(args.begin(), {"--password-file", password_file});
    return hs_.Run(args);
  }
  // `restic --password-file <password_file> args...` (the file beats RESTIC_PASSWORD in both).
  CmdResult Restic(const std::string& password_file, std::vector<std::string> args) {
    args.insert(args.begin(), {"--password-file", password_file});
    return hs_.Restic(args);
  }

  Json HsKeys(const std::string& password_file) {
    auto r = Hs(password_file, {"repo", "key", "list", "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.exit_code == 0 ? Json::parse(r.out) : Json::array();
  }
  Json ResticKeys(const std::string& password_file) {
    auto r = Restic(password_file, {"key", "list", "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.exit_code == 0 ? Json::parse(r.out) : Json::array();
  }
  static std::string CurrentId(const Json& keys) { return CurrentIdOf(keys); }

  void ExpectResticOpens(const std::string& password_file) {
    auto snaps = Restic(password_file, {"snapshots", "--json"});
    ASSERT_EQ(snaps.exit_code, 0) << snaps.err;
    EXPECT_EQ(Json::parse(snaps.out).size(), 1u);
    auto check = Restic(password_file, {"check"});
    EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  }

  HastewardEnv hs_{"hs-keys-", "first-password"};
  std::string first_, second_, third_;
};

TEST_F(RepoKeyInteropTest, KeyAddedByHastewardOpensTheRepositoryInRestic) {
  auto add = Hs(first_, {"repo", "key", "add", "--new-password-file", second_, "--user", "alice",
                         "--host", "db-host", "--json"});
  ASSERT_EQ(add.exit_code, 0) << add.err;
  std::string added = Json::parse(add.out).value("added", "");
  ASSERT_EQ(added.size(), 64u) << add.out;
  ExpectResticOpens(second_);
  Json keys = ResticKeys(second_);
  ASSERT_EQ(keys.size(), 2u) << keys;
  EXPECT_EQ(CurrentId(keys), added.substr(0, 8));
  for (const auto& k : keys) {
    if (k["current"] == true) {
      EXPECT_EQ(k["userName"], "alice");
      EXPECT_EQ(k["hostName"], "db-host");
    }
  }
  ExpectResticOpens(first_);
}

TEST_F(RepoKeyInteropTest, KeyAddedByResticOpensTheRepositoryInHasteward) {
  auto add = Restic(first_, {"key", "add", "--new-password-file", second_, "--user", "bob",
                             "--host", "restic-host"});
  ASSERT_EQ(add.exit_code, 0) << add.err;
  Json keys = HsKeys(second_);
  ASSERT_EQ(keys.size(), 2u) << keys;
  std::string current = CurrentId(keys);
  EXPECT_EQ(current.substr(0, 8), CurrentId(ResticKeys(second_)));
  for (const auto& k : keys) {
    EXPECT_EQ(k["userName"] == "bob", k["id"] == current) << k;
  }
  auto check = Hs(second_, {"repo", "check"});
  EXPECT_EQ(check.exit_code, 0) << check.err;
}

TEST_F(RepoKeyInteropTest, EachToolRemovesTheOthersKey) {
  std::string original = CurrentId(HsKeys(first_));
  ASSERT_EQ(Restic(first_, {"key", "add", "--new-password-file", second_}).exit_code, 0);
  auto removed = Hs(second_, {"repo", "key", "remove", original.substr(0, 8)});
  ASSERT_EQ(removed.exit_code, 0) << removed.err;
  EXPECT_NE(Restic(first_, {"snapshots"}).exit_code, 0);
  ExpectResticOpens(second_);

  auto add = Hs(second_, {"repo", "key", "add", "--new-password-file", third_, "--json"});
  ASSERT_EQ(add.exit_code, 0) << add.err;
  std::string hs_key = Json::parse(add.out).value("added", "");
  auto restic_removed = Restic(second_, {"key", "remove", hs_key.substr(0, 8)});
  ASSERT_EQ(restic_removed.exit_code, 0) << restic_removed.err;
  EXPECT_EQ(Hs(third_, {"repo", "key", "list"}).exit_code, kWrongPassword);
  EXPECT_EQ(HsKeys(second_).size(), 1u);
}

TEST_F(RepoKeyInteropTest, PasswdRoundTripsWithRestic) {
  auto passwd = Hs(first_, {"repo", "key", "passwd", "--new-password-file", second_});
  ASSERT_EQ(passwd.exit_code, 0) << passwd.err;
  EXPECT_NE(Restic(first_, {"snapshots"}).exit_code, 0);
  ExpectResticOpens(second_);
  EXPECT_EQ(ResticKeys(second_).size(), 1u);

  auto restic_passwd = Restic(second_, {"key", "passwd", "--new-password-file", third_});
  ASSERT_EQ(restic_passwd.exit_code, 0) << restic_passwd.err;
  EXPECT_EQ(Hs(second_, {"repo", "key", "list"}).exit_code, kWrongPassword);
  EXPECT_EQ(HsKeys(third_).size(), 1u);
  auto check = Hs(third_, {"repo", "check"});
  EXPECT_EQ(check.exit_code, 0) << check.err;
}

TEST_F(RepoKeyInteropTest, RefusesToRemoveTheLastKeyOrTheKeyInUse) {
  std::string original = CurrentId(HsKeys(first_));
  auto last = Hs(first_, {"repo", "key", "remove", original});
  EXPECT_EQ(last.exit_code, kSafetyStop) << last.err;
  EXPECT_NE(last.err.find("last key"), std::string::npos) << last.err;

  ASSERT_EQ(Restic(first_, {"key", "add", "--new-password-file", second_}).exit_code, 0);
  auto in_use = Hs(first_, {"repo", "key", "remove", original});
  EXPECT_EQ(in_use.exit_code, kSafetyStop) << in_use.err;
  EXPECT_NE(in_use.err.find("in use"), std::string::npos) << in_use.err;
  auto dry = Hs(second_, {"repo", "key", "remove", original, "--dry-run"});
  EXPECT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_EQ(ResticKeys(first_).size(), 2u);
  ExpectResticOpens(first_);
}

// The same key files through the storage interface on a remote backend (restic's REST protocol):
// a key HASteward adds opens the repository in restic, restic's passwd opens it in HASteward, and
// the last key is still refused.
TEST(RepoKeyRestInteropTest, KeysRoundTripOnARestRepository) {
  HastewardEnv hs("hs-keys-rest-", "first-password");
  auto server = RestTestServer::Start(hs.Path("rest"));
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  hs.UseRepository((*server)->Location("repo"));
  ASSERT_EQ(hs.Run({"repo", "init"}).exit_code, 0);
  std::string second = WriteFile(hs.Path("pw-second"), "second-password\n");
  std::string third = WriteFile(hs.Path("pw-third"), "third-password\n");
  auto add = hs.Run({"repo", "key", "add", "--new-password-file", second});
  ASSERT_EQ(add.exit_code, 0) << add.err;
  auto passwd =
      hs.Restic({"--password-file", second, "key", "passwd", "--new-password-file", third});
  ASSERT_EQ(passwd.exit_code, 0) << passwd.err;
  auto check = hs.Run({"--password-file", third, "repo", "check"});
  EXPECT_EQ(check.exit_code, 0) << check.err;
  auto list = hs.Run({"--password-file", third, "repo", "key", "list", "--json"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  Json keys = Json::parse(list.out);
  ASSERT_EQ(keys.size(), 2u) << keys;
  std::string current = CurrentIdOf(keys);
  std::string original = keys[0]["id"] == current ? keys[1]["id"] : keys[0]["id"];
  auto remove = hs.Run({"--password-file", third, "repo", "key", "remove", original.substr(0, 8)});
  EXPECT_EQ(remove.exit_code, 0) << remove.err;
  auto last = hs.Run({"--password-file", third, "repo", "key", "remove", current});
  EXPECT_EQ(last.exit_code, kSafetyStop) << last.err;
  EXPECT_EQ(hs.Restic({"--password-file", third, "check"}).exit_code, 0);
}

}  // namespace
}  // namespace hasteward::testing
