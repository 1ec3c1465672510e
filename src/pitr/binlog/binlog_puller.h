// pitr/binlog/binlog_puller: the binlog kind's ArchivePuller — BinlogArchiver cycles rendered for
// `archive binlog` (one JSON line per cycle under --json, which serve reads for the lag), and the
// writer's backlog after a failed one.
#pragma once

#include "pitr/archive.h"
#include "pitr/binlog/binlog_archive.h"

namespace hasteward::pitr {

class BinlogPuller : public ArchivePuller {
 public:
  BinlogPuller(repo::Repository& repo, platform::Platform& platform,
               const platform::Cluster& cluster, engine::BinlogArchiving& binlogs)
      : platform_(platform),
        cluster_(cluster),
        binlogs_(binlogs),
        archiver_(repo, platform, cluster, binlogs, {}) {}

  core::Result<PulledCycle> RunCycle() override;
  nlohmann::json FailedCycle(const core::Status& error) override;

 private:
  platform::Platform& platform_;
  platform::Cluster cluster_;
  engine::BinlogArchiving& binlogs_;
  BinlogArchiver archiver_;
};

}  // namespace hasteward::pitr
