#include "operator/archive/archive_metrics.h"

#include <iomanip>
#include <optional>
#include <sstream>

#include "operator/runtime/metrics.h"

namespace hasteward::op {

namespace {

std::string Labels(const ArchiveProgress& a) {
  return "cluster=\"" + EscapeLabel(a.name) + "\",namespace=\"" + EscapeLabel(a.ns) +
         "\",engine=\"" + EscapeLabel(a.engine) + "\"";
}

class Families {
 public:
  explicit Families(const std::vector<ArchiveProgress>& archives) : archives_(archives) {
    out_ << std::setprecision(15);
  }
  // One family with a sample per archive whose `value` is known.
  template <typename ValueOf>
  void Add(const char* name, const char* type, const char* help, ValueOf value) {
    out_ << "# HELP " << name << " " << help << "\n# TYPE " << name << " " << type << "\n";
    for (const auto& a : archives_) {
      if (std::optional<double> v = value(a))
        out_ << name << "{" << Labels(a) << "} " << *v << "\n";
    }
  }
  void Raw(const std::string& text) { out_ << text; }
  std::string str() const { return out_.str(); }

 private:
  const std::vector<ArchiveProgress>& archives_;
  std::ostringstream out_;
};

std::optional<double> Known(const std::optional<int64_t>& value) {
  return value ? std::optional<double>(static_cast<double>(*value)) : std::nullopt;
}

// PostgreSQL's WAL agent, where serve runs one: wal-push hands it the server's files.
void AddWalAgentFamilies(Families& f) {
  auto agent = [](int64_t (*field)(const ArchiveProgress&)) {
    return [field](const ArchiveProgress& a) {
      return a.agent ? std::optional<double>(static_cast<double>(field(a))) : std::nullopt;
    };
  };
  f.Add("hasteward_wal_agent_up", "gauge", "PostgreSQL: 1 while the cluster's WAL agent runs",
        agent([](const ArchiveProgress& a) -> int64_t { return a.agent_running ? 1 : 0; }));
  f.Add("hasteward_wal_agent_restarts_total", "counter",
        "Times the WAL agent was started again after it ended",
        agent([](const ArchiveProgress& a) { return a.agent_restarts; }));
  f.Add("hasteward_wal_agent_requests_total", "counter",
        "wal-push calls the WAL agent answered (instead of opening the repository themselves)",
        agent([](const ArchiveProgress& a) { return a.agent_requests; }));
  f.Add("hasteward_wal_agent_files_archived_total", "counter",
        "WAL files the agent stored (the requested ones and those the server had queued)",
        agent([](const ArchiveProgress& a) { return a.agent_files_archived; }));
  f.Add("hasteward_wal_agent_errors_total", "counter",
        "wal-push calls the WAL agent answered with an error (the call failed; the server retries)",
        agent([](const ArchiveProgress& a) { return a.agent_errors; }));
}

// PostgreSQL's synchronous WAL receiver, where serve runs one (pitrSync).
void AddWalReceiverFamilies(Families& f) {
  auto receiver = [](std::optional<double> (*field)(const ArchiveProgress&)) {
    return [field](const ArchiveProgress& a) {
      return a.receiver ? field(a) : std::nullopt;
    };
  };
  f.Add("hasteward_wal_receiver_up", "gauge",
        "PostgreSQL: 1 while the cluster's synchronous WAL receiver runs",
        receiver([](const ArchiveProgress& a) -> std::optional<double> {
          return a.receiver_running ? 1 : 0;
        }));
  f.Add("hasteward_wal_receiver_restarts_total", "counter",
        "Times the WAL receiver was started again after it ended",
        receiver([](const ArchiveProgress& a) -> std::optional<double> {
          return static_cast<double>(a.receiver_restarts);
        }));
  f.Add("hasteward_wal_receiver_durable_position_bytes", "gauge",
        "The WAL position the repository holds (every commit before it is stored)",
        receiver([](const ArchiveProgress& a) -> std::optional<double> {
          return a.receiver_durable
                     ? std::optional<double>(static_cast<double>(*a.receiver_durable))
                     : std::nullopt;
        }));
  f.Add("hasteward_wal_receiver_lag_bytes", "gauge",
        "WAL the receiver has read but the repository does not hold yet",
        receiver([](const ArchiveProgress& a) -> std::optional<double> {
          if (!a.receiver_durable || !a.receiver_received)
            return std::nullopt;
          return static_cast<double>(*a.receiver_received - *a.receiver_durable);
        }));
  f.Add("hasteward_wal_receiver_synchronous", "gauge",
        "1 while the primary waits for the receiver (recovery point zero); 0 after a fallback "
        "(alert on 0)",
        receiver([](const ArchiveProgress& a) -> std::optional<double> {
          return a.receiver_synchronous ? std::optional<double>(*a.receiver_synchronous ? 1 : 0)
                                        : std::nullopt;
        }));
  f.Add("hasteward_wal_receiver_fallbacks_total", "counter",
        "Times the receiver let the primary commit without waiting (a repository outage longer "
        "than --fallback-after), since it started",
        receiver([](const ArchiveProgress& a) -> std::optional<double> {
          return static_cast<double>(a.receiver_fallbacks);
        }));
  f.Add("hasteward_wal_receiver_watchdog_releases_total", "counter",
        "Times serve let the primary commit without the receiver after a commit waited for it "
        "longer than 10 s (the receiver gone, hung or cut off)",
        receiver([](const ArchiveProgress& a) -> std::optional<double> {
          return static_cast<double>(a.receiver_watchdog_releases);
        }));
  f.Add("hasteward_wal_receiver_repository_down", "gauge",
        "1 while the repository refuses the receiver's stores",
        receiver([](const ArchiveProgress& a) -> std::optional<double> {
          return a.receiver_repository_down ? 1 : 0;
        }));
}

}  // namespace

std::string RenderArchiveMetrics(const std::vector<ArchiveProgress>& archives, double now) {
  Families f(archives);
  // serve runs an archiver for binlog engines only; the PostgreSQL server archives by itself.
  auto has_archiver = [](const ArchiveProgress& a) {
    return a.archiver;
  };
  f.Add("hasteward_archive_up", "gauge", "1 while the cluster's archiver process runs",
        [&](const ArchiveProgress& a) {
          return has_archiver(a) ? std::optional<double>(a.running ? 1 : 0) : std::nullopt;
        });
  f.Add("hasteward_archive_restarts_total", "counter",
        "Times the archiver was started again after it ended", [&](const ArchiveProgress& a) {
          return has_archiver(a) ? std::optional<double>(static_cast<double>(a.restarts))
                                 : std::nullopt;
        });
  f.Add("hasteward_archive_enabled", "gauge",
        "PostgreSQL: 1 when the server archives through hasteward wal-push (archive enable)",
        [](const ArchiveProgress& a) {
          return a.enabled ? std::optional<double>(*a.enabled ? 1 : 0) : std::nullopt;
        });
  AddWalAgentFamilies(f);
  AddWalReceiverFamilies(f);
  f.Add("hasteward_archive_lag_seconds", "gauge",
        "Seconds since the newest moment up to which everything the writer committed is archived",
        [now](const ArchiveProgress& a) { return LagSeconds(a, now); });
  f.Add("hasteward_archive_lag_files", "gauge",
        "Binlog files not archived to their current end; WAL segments queued for archiving",
        [](const ArchiveProgress& a) { return Known(a.files_behind); });
  f.Add("hasteward_archive_lag_bytes", "gauge",
        "Binlog bytes beyond the archive; queued WAL segments times the segment size",
        [](const ArchiveProgress& a) { return Known(a.bytes_behind); });
  f.Add("hasteward_archive_last_transaction_timestamp_seconds", "gauge",
        "Commit time of the newest archived transaction", [](const ArchiveProgress& a) {
          return a.last_transaction_time > 0
                     ? std::optional<double>(static_cast<double>(a.last_transaction_time))
                     : std::nullopt;
        });
  f.Add("hasteward_archive_cycles_failed_total", "counter",
        "Archiving cycles that failed and were retried (the repository or the writer was away)",
        [&](const ArchiveProgress& a) {
          return has_archiver(a) ? std::optional<double>(static_cast<double>(a.cycles_failed))
                                 : std::nullopt;
        });
  f.Raw(
      "# HELP hasteward_archive_position_info Always 1; label position is the GTID state the "
      "archive reaches (binlogs) or the newest archived WAL file\n"
      "# TYPE hasteward_archive_position_info gauge\n");
  for (const auto& a : archives) {
    if (!a.position.empty()) {
      f.Raw("hasteward_archive_position_info{" + Labels(a) + ",position=\"" +
            EscapeLabel(a.position) + "\"} 1\n");
    }
  }
  auto window = [](double (*field)(const PitrWindowSummary&)) {
    return [field](const ArchiveProgress& a) {
      return a.window ? std::optional<double>(field(*a.window)) : std::nullopt;
    };
  };
  f.Add("hasteward_pitr_window_start_timestamp_seconds", "gauge",
        "Time of the oldest base backup a point-in-time restore can start from (0: none)",
        window([](const PitrWindowSummary& w) { return w.start; }));
  f.Add("hasteward_pitr_window_end_timestamp_seconds", "gauge",
        "The newest time a point-in-time restore can reach (0: none)",
        window([](const PitrWindowSummary& w) { return w.end; }));
  f.Add("hasteward_pitr_gaps", "gauge",
        "Distinct gaps in the archive after the windows of the base backups (pitr status)",
        window([](const PitrWindowSummary& w) { return static_cast<double>(w.gaps); }));
  f.Add("hasteward_pitr_status_success", "gauge",
        "1 when the last read of the archive's window (pitr status) worked",
        [](const ArchiveProgress& a) {
          return a.window || !a.window_error.empty()
                     ? std::optional<double>(a.window_error.empty() ? 1 : 0)
                     : std::nullopt;
        });
  return f.str();
}

}  // namespace hasteward::op
