// PostgreSQL switchover and failover under network partitions (issue #32; the runs and checks are
// support/partition_suite.h): a primary and two standbys committing synchronously (ANY 1 on every
// instance, so whichever is promoted keeps it), a writer with synchronous_commit = on.
#include <chrono>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "support/partition_suite.h"
#include "support/postgres_set_writer.h"
#include "support/trim.h"

namespace hasteward::testing {
namespace {

constexpr const char* kProbeTable = "hasteward_probe";

class PostgresPartitionTest : public PartitionSuite {
 protected:
  PostgresPartitionTest() : PartitionSuite("cnpg") {}

  core::Result<std::unique_ptr<SandboxCluster>> MakeCluster() override {
    HS_ASSIGN_OR_RETURN(auto db, SandboxCluster::Create({.engine = platform::EngineKind::kPostgres,
                                                         .instances = 3,
                                                         .name = "pgpart",
                                                         .ns = "part"}));
    for (int n = 0; n < 3; ++n) {
      HS_TRY(db->Sql(n, "ALTER SYSTEM SET synchronous_standby_names = 'ANY 1 (*)'").status());
      HS_TRY(db->Sql(n, "SELECT pg_reload_conf()").status());
    }
    HS_TRY(db->Sql(0, std::string("CREATE TABLE ") + kProbeTable + " (id bigint)").status());
    return db;
  }

  bool IsPrimary(int ordinal) override {
    auto r = db().Sql(ordinal, "SELECT pg_is_in_recovery()");
    return r.ok() && Trim(*r) == "f";
  }

  void StartWriter(int run) override {
    auto writer = PostgresSetWriter::Start({.cluster = db().cluster(),
                                            .table = "set_run_" + std::to_string(run),
                                            .synchronous_commit = "on",
                                            .as_observer = true});
    ASSERT_TRUE(writer.ok()) << writer.status().ToString();
    writer_ = std::move(*writer);
  }

  bool WriterWaitForMore(size_t count, std::chrono::milliseconds timeout) override {
    return writer_ != nullptr && writer_->WaitForMore(count, timeout);
  }

  SetOutcome StopWriterAndCheck(int primary) override {
    writer_->Stop();
    auto outcome = writer_->Check(primary);
    EXPECT_TRUE(outcome.ok()) << outcome.status().ToString();
    if (!outcome.ok())
      return {};
    EXPECT_EQ(outcome->first_lost, "") << "the first lost id";
    return {outcome->acknowledged, outcome->lost, outcome->duplicates, writer_->longest_gap()};
  }

  WritableProbe::ProbeFactory Probe(int ordinal) override {
    return PostgresWriteProbe(db().cluster(), db().instance(ordinal), kProbeTable);
  }

 private:
  std::unique_ptr<PostgresSetWriter> writer_;
};

TEST_F(PostgresPartitionTest, SeededRunsLoseNoAcknowledgedWriteAndNeverTwoWritable) {
  PlayAllRuns();
}

}  // namespace
}  // namespace hasteward::testing
