// MariaDB switchover and failover under network partitions (issue #32; the runs and checks are
// support/partition_suite.h): a primary and two replicas in semi-sync (after_sync), an
// application account without any read_only bypass writing unique ids. rpl_semi_sync_master_timeout
// is raised (with `reconfigure`, on every instance) past any run's length: a primary that waited
// out the timeout would fall back to asynchronous commits and acknowledge what no replica has,
// which is the documented RPO of semi-sync, not what this test is about.
#include <chrono>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "support/mariadb_set_writer.h"
#include "support/partition_suite.h"
#include "support/trim.h"

namespace hasteward::testing {
namespace {

constexpr char kAppPassword[] = "app-secret";

class MariadbPartitionTest : public PartitionSuite {
 protected:
  MariadbPartitionTest() : PartitionSuite("mariadb") {}

  core::Result<std::unique_ptr<SandboxCluster>> MakeCluster() override {
    HS_ASSIGN_OR_RETURN(auto db, SandboxCluster::Create({.engine = platform::EngineKind::kMariadb,
                                                         .instances = 3,
                                                         .replication_mode = "semisync",
                                                         .name = "mdbpart",
                                                         .ns = "part"}));
    HS_TRY(db->Sql(0, std::string("CREATE DATABASE app; CREATE TABLE app.probe (id BIGINT) "
                                  "ENGINE=InnoDB; CREATE USER 'app'@'%' IDENTIFIED BY '") +
                          kAppPassword + "'; GRANT SELECT, INSERT, CREATE ON app.* TO 'app'@'%';")
               .status());
    return db;
  }

  void SetUp() override {
    PartitionSuite::SetUp();
    if (HasFatalFailure())
      return;
    CmdResult raised = Hs({"reconfigure", "--set", "rpl_semi_sync_master_timeout=600000"});
    ASSERT_EQ(raised.exit_code, 0) << raised.out << raised.err;
  }

  bool IsPrimary(int ordinal) override {
    auto r = db().Sql(ordinal, "SELECT @@global.read_only");
    return r.ok() && Trim(*r) == "0";
  }

  void StartWriter(int run) override {
    const std::string table = "app.ids_" + std::to_string(run);
    int primary = 0;
    while (primary < 3 && !IsPrimary(primary))
      ++primary;
    ASSERT_LT(primary, 3) << "no writable instance";
    auto created = db().Sql(primary, "CREATE TABLE " + table +
                                         " (seq BIGINT AUTO_INCREMENT PRIMARY KEY, id BIGINT NOT "
                                         "NULL, KEY (id)) ENGINE=InnoDB");
    ASSERT_TRUE(created.ok()) << created.status().ToString();
    MariadbSetWriter::Options options;
    for (const auto& instance : db().cluster().instances)
      options.endpoints.emplace_back(instance.host, instance.port);
    options.user = "app";
    options.password = kAppPassword;
    options.table = table;
    options.as_observer = true;
    table_ = table;
    writer_ = std::make_unique<MariadbSetWriter>(options);
    writer_->Start();
  }

  bool WriterWaitForMore(size_t count, std::chrono::milliseconds timeout) override {
    return writer_ != nullptr && writer_->WaitForAcknowledged(static_cast<long>(count), timeout);
  }

  SetOutcome StopWriterAndCheck(int primary) override {
    writer_->Stop();
    auto ids = db().Sql(primary, "SELECT id FROM " + table_);
    EXPECT_TRUE(ids.ok()) << ids.status().ToString();
    SetCheck check = CheckSet(writer_->acknowledged(), ids.ok() ? *ids : "");
    return {static_cast<size_t>(check.acknowledged), static_cast<size_t>(check.lost),
            static_cast<size_t>(check.duplicated), std::chrono::milliseconds(0)};
  }

  WritableProbe::ProbeFactory Probe(int ordinal) override {
    return MariadbWriteProbe(db().instance(ordinal), "app", kAppPassword, "app.probe");
  }

 private:
  std::string table_;
  std::unique_ptr<MariadbSetWriter> writer_;
};

TEST_F(MariadbPartitionTest, SeededRunsLoseNoAcknowledgedWriteAndNeverTwoWritable) {
  PlayAllRuns();
}

}  // namespace
}  // namespace hasteward::testing
