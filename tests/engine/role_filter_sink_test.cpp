#include <gtest/gtest.h>

#include "engine/postgres/postgres_engine.h"

namespace hasteward::engine::postgres {
// Its own namespace: a helper's name is also another test file's (unity batches, CMakeLists.txt).
namespace role_filter_sink_test {
namespace {

// Owns a MemorySink the filter writes into, to inspect afterwards.
class Recorder : public core::ByteSink {
 public:
  explicit Recorder(std::string* out) : out_(out) {}
  core::Status Write(core::ByteView data) override {
    out_->append(core::AsString(data));
    return core::Status::Ok();
  }
  core::Status Close() override { return core::Status::Ok(); }

 private:
  std::string* out_;
};

std::string Filter(const std::string& role, const std::string& in, size_t piece) {
  std::string out;
  RoleFilterSink sink(std::make_unique<Recorder>(&out), role);
  for (size_t i = 0; i < in.size(); i += piece) {
    EXPECT_TRUE(sink.Write(core::AsBytes(in.substr(i, piece))).ok());
  }
  EXPECT_TRUE(sink.Close().ok());
  return out;
}

// Roles are kept, never dropped: CloudNativePG's streaming_replica holds grants its DROP fails on
// (the real operator, issue 51); a dumped role is created only when missing.
TEST(RoleFilterSinkTest, KeepsEveryRoleAndCreatesOnlyMissingOnesInRolesSection) {
  std::string in =
      "DROP DATABASE IF EXISTS app;\nDROP ROLE IF EXISTS app_user;\nDROP ROLE IF EXISTS postgres;\n"
      "CREATE ROLE app_user;\nCREATE ROLE postgres;\nALTER ROLE postgres WITH SUPERUSER;\n"
      "\\connect app\nCREATE ROLE postgres;\n";
  std::string want =
      "DROP DATABASE IF EXISTS app;\n"
      "DO $hasteward$ BEGIN CREATE ROLE app_user; EXCEPTION WHEN duplicate_object THEN NULL; END "
      "$hasteward$;\nALTER ROLE postgres WITH SUPERUSER;\n"
      "\\connect app\nCREATE ROLE postgres;\n";
  for (size_t piece : {1, 5, 1000}) {
    EXPECT_EQ(Filter("postgres", in, piece), want) << "piece " << piece;
  }
}

TEST(RoleFilterSinkTest, MatchesQuotedRoleNames) {
  EXPECT_EQ(QuoteIdentForDump("Admin"), "\"Admin\"");
  EXPECT_EQ(QuoteIdentForDump("a\"b"), "\"a\"\"b\"");
  EXPECT_EQ(QuoteIdentForDump("app_1"), "app_1");
  std::string in = "DROP ROLE IF EXISTS \"Admin\";\nCREATE ROLE \"Admin\";\nx\n";
  EXPECT_EQ(Filter("Admin", in, 4), "x\n");
}

TEST(RoleFilterSinkTest, KeepsUnterminatedLastLine) {
  EXPECT_EQ(Filter("postgres", "SELECT 1;", 3), "SELECT 1;");
}

// The restoring role's password stays the target's own (verification's scratch instance and a
// restore into a new cluster both connect with it); other roles keep their dumped passwords.
TEST(RoleFilterSinkTest, KeepsOwnRolePasswordOnlyInRolesSection) {
  std::string in =
      "ALTER ROLE app_user WITH LOGIN PASSWORD 'SCRAM-SHA-256$app';\n"
      "ALTER ROLE postgres WITH SUPERUSER LOGIN PASSWORD 'SCRAM-SHA-256$src';\n"
      "\\connect app\nALTER ROLE postgres WITH SUPERUSER LOGIN PASSWORD 'x';\n";
  std::string want =
      "ALTER ROLE app_user WITH LOGIN PASSWORD 'SCRAM-SHA-256$app';\n"
      "ALTER ROLE postgres WITH SUPERUSER LOGIN;\n"
      "\\connect app\nALTER ROLE postgres WITH SUPERUSER LOGIN PASSWORD 'x';\n";
  for (size_t piece : {1, 7, 4096})
    EXPECT_EQ(Filter("postgres", in, piece), want) << "piece " << piece;
  EXPECT_EQ(Filter("Admin", "ALTER ROLE \"Admin\" WITH LOGIN PASSWORD 'p';\n", 5),
            "ALTER ROLE \"Admin\" WITH LOGIN;\n");
}

}  // namespace
}  // namespace role_filter_sink_test
}  // namespace hasteward::engine::postgres
