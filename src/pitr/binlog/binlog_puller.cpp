#include "pitr/binlog/binlog_puller.h"

#include <cstdio>

#include "pitr/binlog/binlog_backlog.h"

namespace hasteward::pitr {

core::Result<PulledCycle> BinlogPuller::RunCycle() {
  HS_ASSIGN_OR_RETURN(BinlogCycleResult cycle, archiver_.RunCycle());
  PulledCycle out;
  nlohmann::json json = {{"ok", true},
                         {"writer", cycle.writer},
                         {"pieces", cycle.pieces},
                         {"bytes", cycle.bytes},
                         {"transactions", cycle.transactions},
                         {"snapshot", cycle.snapshot_id},
                         {"archived_gtid", cycle.archived_state},
                         {"last_transaction_time", cycle.last_transaction_time},
                         {"files_behind", cycle.files_behind},
                         {"bytes_behind", cycle.bytes_behind},
                         {"listed_at", static_cast<double>(cycle.listed_at_ns) / 1e9}};
  out.json_line = json.dump();
  char line[512];
  std::snprintf(
      line, sizeof line,
      "archived %zu transactions (%zu pieces, %llu bytes) from '%s'; archive reaches %s\n",
      cycle.transactions, cycle.pieces, static_cast<unsigned long long>(cycle.bytes),
      cycle.writer.c_str(),
      cycle.archived_state.empty() ? "(nothing)" : cycle.archived_state.c_str());
  out.text = line;
  // A cycle reads at most read_bytes of each file: a backlog bigger than that (the first run on
  // a busy server, catching up after an outage) takes several cycles, run back to back.
  out.more = cycle.pieces > 0 && cycle.files_cut_short > 0;
  return out;
}

nlohmann::json BinlogPuller::FailedCycle(const core::Status& error) {
  core::Result<BinlogBacklog> backlog =
      archiver_.catalog() == nullptr
          ? core::Result<BinlogBacklog>(core::Status(core::ErrorCode::kNotFound,
                                                     "no archiving cycle has read the archive yet"))
          : MeasureBinlogBacklog(platform_, cluster_, binlogs_, *archiver_.catalog());
  nlohmann::json json = {{"ok", false},
                         {"error", error.message()},
                         {"code", core::ErrorCodeName(error.code())},
                         {"writer", backlog.ok() ? backlog->writer : ""},
                         {"pieces", 0},
                         {"transactions", 0},
                         {"files_behind", nullptr},
                         {"bytes_behind", nullptr}};
  if (backlog.ok()) {
    json["files_behind"] = backlog->files_behind;
    json["bytes_behind"] = backlog->bytes_behind;
  }
  return json;
}

}  // namespace hasteward::pitr
