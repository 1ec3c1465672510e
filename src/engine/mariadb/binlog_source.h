// engine/mariadb/binlog_source: BinlogArchiving for MariaDB replication and Galera — which
// instance's binlog to archive, its files, their bytes (read where the server lives, through the
// platform), and the binlog format (binlog_events.h).
#pragma once

#include <string>

#include "engine/binlog_archiving.h"
#include "engine/mariadb/session_server_id_filter.h"

namespace hasteward::engine::mariadb {

class MariadbBinlogSource : public BinlogArchiving {
 public:
  explicit MariadbBinlogSource(bool galera) : galera_(galera) {}

  core::Result<BinlogWriter> FindWriter(platform::Platform& platform,
                                        const platform::Cluster& cluster,
                                        const std::string& preferred) override;
  core::Result<std::vector<BinlogFileInfo>> ListFiles(platform::Platform& platform,
                                                      const platform::Cluster& cluster,
                                                      const BinlogWriter& writer) override;
  core::Result<std::string> ReadFile(platform::Platform& platform, const platform::Cluster& cluster,
                                     const BinlogWriter& writer, const std::string& name,
                                     uint64_t offset, uint64_t max_bytes) override;
  core::Result<std::optional<BinlogFileHeader>> ReadHeader(std::string_view head) const override;
  core::Result<BinlogRun> ScanRun(std::string_view bytes, uint64_t offset,
                                  const BinlogFileHeader& header) const override;
  std::string AdvanceGtidState(const std::string& state,
                               const std::vector<std::string>& gtids) const override;
  std::string MergeGtidStates(const std::vector<std::string>& states) const override;
  bool StateIncludes(const std::string& state, const std::string& position) const override;
  bool Follows(const std::string& state, const std::string& gtid) const override;
  core::Result<BinlogReplayReport> ReplayBinlogs(platform::Platform& platform,
                                                 const platform::Cluster& cluster,
                                                 const platform::Instance& target,
                                                 const BinlogReplayInput& input) override;
  core::Status OpenForWrites(platform::Platform& platform, const platform::Cluster& cluster,
                             const platform::Instance& primary) override;
  core::Result<std::string> BinlogPosition(const platform::InstanceHandle& instance) override;
  core::Result<std::unique_ptr<BinlogStream>> OpenBinlogStream(platform::Platform& platform,
                                                               const platform::Cluster& cluster,
                                                               const BinlogWriter& writer,
                                                               const std::string& file,
                                                               uint64_t offset) override;
  core::Status RequireAcknowledgement(platform::Platform& platform,
                                      const platform::Cluster& cluster, const BinlogWriter& writer,
                                      std::chrono::milliseconds timeout) override;
  core::Result<SemiSyncState> AcknowledgementState(platform::Platform& platform,
                                                   const platform::Cluster& cluster,
                                                   const BinlogWriter& writer) override;

 private:
  // mariadb-binlog decoding `local_path` into one client session on `target`; on Galera
  // numbered as `numbering` says.
  core::Status ReplayThroughClient(
      const platform::Cluster& cluster, const platform::Instance& target,
      const std::string& local_path,
      SessionServerIdFilter::Numbering numbering = SessionServerIdFilter::Numbering::kAsDecoded);
  // Galera: the parallel applier for every transaction but the last, which goes through the
  // client numbered by the node (engine/mariadb/last_transaction_split.h).
  core::Result<BinlogReplayReport> ReplayOnGalera(platform::Platform& platform,
                                                  const platform::Cluster& cluster,
                                                  const platform::Instance& target,
                                                  const BinlogReplayInput& input);
  bool galera_;
};

// Whether `name` is a plain binlog file name ("mariadb-bin.000003"): letters, digits, '.', '-',
// '_' only, so it can be joined to the binlog directory and handed to a command safely.
bool IsPlainBinlogFileName(const std::string& name);

}  // namespace hasteward::engine::mariadb
