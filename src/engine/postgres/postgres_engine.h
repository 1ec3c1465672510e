#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/byte_stream.h"
#include "engine/engine.h"
#include "engine/postgres/native_backup.h"
#include "engine/postgres/pg_archiving.h"
#include "engine/postgres/reconfigure.h"
#include "engine/postgres/switchover.h"

namespace hasteward::engine::postgres {

// The PostgreSQL engine ("cnpg", also "postgres"): backups with pg_dumpall from the primary,
// restores with psql into the primary (standbys follow by streaming replication).
class PostgresEngine : public Engine {
 public:
  EngineKind kind() const override { return EngineKind::kPostgres; }
  bool HasSelectableAccounts() const override { return false; }
  // engine/postgres/write_probe.cpp: a temporary table written in a rolled-back transaction.
  WriteProbeResult ProbeWritable(const WriteProbeTarget& target) const override;
  const char* DumpFileName() const override { return "pgdumpall.sql"; }
  const char* DumpEndMarker() const override;
  DataCheck CheckData(const platform::InstanceHandle& instance) override;
  core::Result<BackupPlan> PlanBackup(platform::Platform& platform,
                                      const platform::Cluster& cluster) override;
  core::Result<std::unique_ptr<DumpStream>> OpenDump(platform::Platform& platform,
                                                     const platform::Cluster& cluster,
                                                     const BackupPlan& plan) override;
  core::Result<RestorePlan> PlanRestore(platform::Platform& platform,
                                        const platform::Cluster& cluster,
                                        const RestoreOptions& options) override;
  core::Result<std::unique_ptr<core::ByteSink>> OpenRestore(platform::Platform& platform,
                                                            const platform::Cluster& cluster,
                                                            const RestorePlan& plan) override;
  core::Result<TriageReport> Triage(platform::Platform& platform,
                                    const platform::Cluster& cluster) override;
  InstanceDescription DescribeInstanceHealth(const InstanceHealth& health) const override;
  bool DonorCandidate(const InstanceHealth& health) const override;
  std::string NoDonorReason() const override;
  std::string AuthorityObjection(const InstanceHealth& target, const InstanceHealth& donor,
                                 bool split_brain_forced) const override;
  core::Status HealInstance(platform::Platform& platform, const platform::Cluster& cluster,
                            const platform::Instance& target, const platform::Instance& donor,
                            const HealOptions& options) override;
  NativeBackup* native_backup() override { return &native_; }
  Switchover* switchover() override { return &switchover_; }
  Archiving* archiving() override { return &archiving_; }
  Reconfigure* reconfigure() override { return &reconfigure_; }

 private:
  PgNativeBackup native_{*this};
  PgSwitchover switchover_;
  PgArchiving archiving_{*this};
  PostgresReconfigure reconfigure_;
};

// The end marker pg_dumpall writes last.
inline constexpr const char* kPgDumpallEndMarker = "PostgreSQL database cluster dump complete";

// A ByteSink decorator for restoring a pg_dumpall --clean script as `role`: in the roles section
// (before the first "\connect" line) it drops every "DROP ROLE [IF EXISTS] ...;" line (an
// existing role is kept: a session cannot drop its own, and an operator's roles hold grants that
// block their DROP), drops "CREATE ROLE <role>;" and makes every other "CREATE ROLE x;" create x
// only when missing, so the following ALTER ROLE lines give each role the dumped attributes. It
// cuts the PASSWORD clause from "ALTER ROLE <role> WITH ... PASSWORD '...';" so the role keeps the
// password HASteward connects with. All other bytes pass through unchanged; after the roles
// section it is a plain pass-through.
class RoleFilterSink : public core::ByteSink {
 public:
  RoleFilterSink(std::unique_ptr<core::ByteSink> inner, const std::string& role);
  core::Status Write(core::ByteView data) override;
  core::Status Close() override;

 private:
  core::Status EmitLine(std::string_view line);

  std::unique_ptr<core::ByteSink> inner_;
  std::vector<std::string> skip_lines_;
  std::vector<std::string> own_alter_prefixes_;  // "ALTER ROLE <role> WITH" in each quoting
  std::string pending_;
  bool filtering_ = true;
};

// `role` as pg_dumpall prints it: bare when it is lowercase letters, digits and '_' not starting
// with a digit, else double-quoted with inner quotes doubled.
std::string QuoteIdentForDump(const std::string& role);

}  // namespace hasteward::engine::postgres
