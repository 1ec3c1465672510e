// `hasteward wal-receive`: the synchronous WAL receiver of a PostgreSQL cluster
// (pitr/wal/wal_receiver.h), run until SIGTERM/SIGINT. It reconnects after a lost connection or a
// change of primary; an error that needs a person ends it (exit code of the error).
#include <chrono>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "cli/cluster_access.h"
#include "cli/commands.h"
#include "cli/duration_flag.h"
#include "cli/repo_access.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/poll_until.h"
#include "core/stop_signal.h"
#include "pitr/wal/wal_receiver.h"

namespace hasteward::cli {

namespace {

struct WalReceiveFlags {
  int retry_seconds = 2;  // the pause before reconnecting
  int merge_after = 64;
  std::string fallback_after = "10s";
};

// Errors the receiver waits out by reconnecting: the primary or the repository away for a while.
bool Reconnectable(const core::Status& status) {
  return status.retryable() || status.code() == core::ErrorCode::kUnreachable ||
         status.code() == core::ErrorCode::kStorage || status.code() == core::ErrorCode::kTimeout;
}

// With --json, one line per store (what serve and the tests read): the durable end.
void PrintProgress(const pitr::WalReceiverProgress& p) {
  nlohmann::json line = {{"primary", p.primary},
                         {"timeline", p.timeline},
                         {"received", p.received},
                         {"durable", p.durable},
                         {"pieces_written", p.pieces_written},
                         {"segments_archived", p.segments_archived},
                         {"store_micros", p.store_micros},
                         {"synchronous", p.synchronous},
                         {"fallbacks", p.fallbacks},
                         {"repository_down", p.repository_down}};
  std::printf("%s\n", line.dump().c_str());
  std::fflush(stdout);
}

core::Status RunWalReceive(const GlobalOptions& g, const WalReceiveFlags& f) {
  HS_TRY(RefuseDryRun(g, "wal-receive", "it stores the primary's WAL as it is written",
                      "run 'hasteward pitr status' to see what is archived"));
  HS_ASSIGN_OR_RETURN(std::chrono::seconds fallback_after,
                      ParseDuration("--fallback-after", f.fallback_after, true));
  HS_ASSIGN_OR_RETURN(ClusterContext context, OpenCluster(g));
  HS_ASSIGN_OR_RETURN(auto repo, OpenReceiverRepository(g));
  core::InstallStopSignalHandlers();
  pitr::WalReceiverOptions options;
  options.merge_after = static_cast<size_t>(std::max(f.merge_after, 2));
  options.fallback_after = fallback_after;
  options.stop = [] {
    return core::StopSignal() != 0;
  };
  if (g.json) {
    options.progress = PrintProgress;
  }
  for (;;) {
    core::Status ran = pitr::RunWalReceiver(*repo, context.target, options);
    if (core::StopSignal() != 0) {
      return ran;
    }
    if (!ran.ok() && !Reconnectable(ran)) {
      return ran;
    }
    // Lost primary, a switchover, a restarting server: reconnect after a pause (the slot keeps
    // the WAL; the pieces say where the repository ends).
    core::LogWarn("the WAL receiver reconnects: " + ran.message());
    core::PollUntil([] { return core::StopSignal() != 0; }, std::chrono::seconds(f.retry_seconds),
                    std::chrono::milliseconds(100));
    if (core::StopSignal() != 0) {
      return core::Status::Ok();
    }
  }
}

}  // namespace

void RegisterWalReceiveCommand(CLI::App& app, GlobalOptions& g, CommandOutcome& out) {
  auto flags = std::make_shared<WalReceiveFlags>();
  auto* receive = app.add_subcommand(
      "wal-receive",
      "Stream the primary's WAL into the repository as it is written and confirm to the primary "
      "only what the repository holds: with synchronous_standby_names naming it ('archive "
      "enable --sync'), no acknowledged commit is missing from the repository; runs until "
      "SIGTERM/SIGINT and reconnects after a lost primary");
  receive->add_option("--retry-seconds", flags->retry_seconds,
                      "Pause before reconnecting (default 2)");
  receive->add_option("--merge-after", flags->merge_after,
                      "Merge a segment's newest stored pieces after this many stores (default 64)");
  receive->add_option("--fallback-after", flags->fallback_after,
                      "When the repository refuses stores this long, let the primary commit "
                      "without waiting for the receiver (an alert; undone once caught up): the "
                      "bound on the primary's stall (default 10s; 0: never, commits wait)");
  receive->callback([&g, &out, flags] { out.status = RunWalReceive(g, *flags); });
}

}  // namespace hasteward::cli
