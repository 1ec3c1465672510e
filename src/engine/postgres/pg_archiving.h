#pragma once

#include "engine/archiving.h"
#include "engine/engine.h"

namespace hasteward::engine::postgres {

// PostgreSQL's continuous archive: WAL segments, partial segments, timeline history and backup
// label files named as the server names them (wal_names.h); the server's queue is
// pg_wal/archive_status/*.ready; archiving is switched on with ALTER SYSTEM at the primary, which
// `planner` chooses as for a dump.
class PgArchiving : public Archiving {
 public:
  explicit PgArchiving(DumpSource& planner) : planner_(planner) {}

  core::Result<ArchiveFile> ParseFileName(const std::string& name) const override;
  std::string SegmentFileName(uint32_t timeline, uint64_t segment) const override;
  std::string HistoryFileName(uint32_t timeline) const override;
  uint64_t SegmentBytes() const override;
  core::Result<std::vector<TimelineBranch>> ParseTimelineHistory(
      const std::string& text) const override;
  core::Result<uint64_t> ParsePosition(const std::string& text) const override;
  std::string FormatPosition(uint64_t position) const override;
  core::Result<std::vector<std::string>> QueuedFiles(const std::string& requested_path,
                                                     size_t limit) const override;
  std::string PrefetchDir(const std::string& requested_path) const override;
  bool FetchingServerStandsBy() const override;
  core::Status EnableArchiving(platform::Platform& platform, const platform::Cluster& cluster,
                               const ArchiveCommands& commands) override;
  core::Result<ArchiverState> ReadArchiverState(platform::Platform& platform,
                                                const platform::Cluster& cluster) override;
  core::Result<bool> HoldsTransaction(platform::Platform& platform,
                                      const platform::Cluster& cluster,
                                      const ArchivedFileRead& read,
                                      const TransactionQuery& query) const override;
  core::Result<bool> ReleaseStalledCommits(platform::Platform& platform,
                                           const platform::Cluster& cluster,
                                           std::chrono::milliseconds bound) override;
  core::Result<std::unique_ptr<WalStreamSource>> OpenWalStream(
      const platform::InstanceHandle& primary) const override;

 private:
  DumpSource& planner_;
};

// A SQL string literal ('...' with quotes doubled) for settings written with ALTER SYSTEM.
std::string SqlLiteral(const std::string& text);

}  // namespace hasteward::engine::postgres
