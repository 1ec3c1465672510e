#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "core/byte_stream.h"
#include "core/fd.h"
#include "core/status.h"
#include "core/subprocess.h"
#include "engine/engine.h"
#include "engine/trailer_check_source.h"
#include "platform/platform.h"

// Running the engines' own client tools (pg_dumpall, psql, mariadb-dump, mariadb) safely: secrets
// in anonymous memory files the tool reads as /dev/fd/N (never on disk, gone with the last process
// holding them, even after kill -9), output checked for completeness, failures named with the
// tool's stderr tail, tools killed when hasteward stops or dies.
namespace hasteward::engine {

// Secret files (a libpq password file, a MariaDB option file) for one tool run, held in memory
// (memfd, mode 0600) and handed to the tool as inherited descriptors. Why not a 0600 temp file: a
// killed hasteward (kill -9 runs no cleanup) would leave the superuser password on disk. libpq
// (PGPASSFILE) and the MariaDB tools (--defaults-file) reopen /dev/fd/N as a regular 0600 file,
// once per connection, each from offset 0. Pass it to ToolDumpStream/ToolRestoreSink::Start, or
// add fds() to SubprocessOptions::inherit_fds.
class ToolSecrets {
 public:
  ToolSecrets() = default;
  // Stores `content` in a new memory file named `name` (for /proc listings) and returns the path
  // the tool opens: "/dev/fd/<n>".
  core::Result<std::string> Add(const std::string& name, const std::string& content);
  std::vector<int> fds() const;

 private:
  std::vector<core::UniqueFd> files_;
};

// A line for a libpq password file (PGPASSFILE) matching any host/port/database for `user`.
std::string PgPassLine(const std::string& user, const std::string& password);
// A MariaDB option file with a [client] section holding `user` and `password` (quoted).
std::string MyCnfContent(const std::string& user, const std::string& password);

// The path of a client tool: <instance.bin_dir>/<tool> when bin_dir is set, else `tool` (PATH).
std::string ToolPath(const platform::Instance& instance, const std::string& tool);

// Extracts metadata from the kept head and tail of a finished dump.
using DumpMetadataParser = std::function<std::map<std::string, std::string>(
    const std::string& head, const std::string& tail)>;

// A DumpStream over a local dump tool's stdout, validated by TrailerCheckSource.
class ToolDumpStream : public DumpStream {
 public:
  // Starts `options` (stdout piped, stderr captured). `secrets` is kept alive until destruction.
  static core::Result<std::unique_ptr<ToolDumpStream>> Start(core::SubprocessOptions options,
                                                             ToolSecrets secrets,
                                                             std::string end_marker,
                                                             DumpMetadataParser parser = {});
  // Takes over `process`, already started elsewhere (through InstanceHandle::Exec: where the
  // instance lives) with stdout and stderr piped; `tool` names it in messages. The caller has fed
  // and closed its stdin.
  static std::unique_ptr<ToolDumpStream> Adopt(std::unique_ptr<core::Subprocess> process,
                                               std::string tool, std::string end_marker,
                                               DumpMetadataParser parser = {});
  core::Result<size_t> Read(std::span<uint8_t> buf) override;
  core::Subprocess& process() override { return *process_; }
  std::map<std::string, std::string> metadata() const override { return metadata_; }
  uint64_t bytes_read() const override { return checked_->bytes_read(); }

 private:
  ToolDumpStream(ToolSecrets secrets, core::Subprocess* process,
                 std::unique_ptr<TrailerCheckSource> checked, DumpMetadataParser parser);

  ToolSecrets secrets_;  // declared first: outlives the process
  core::Subprocess* process_;
  std::unique_ptr<TrailerCheckSource> checked_;
  DumpMetadataParser parser_;
  std::map<std::string, std::string> metadata_;
};

// How a restore client is told the stream is complete (see ToolRestoreSink).
struct RestoreClientEnd {
  // The dump tool's end marker, which the stream's last 4 KiB must hold before the quit command is
  // sent: a client inside an unterminated COPY would take the quit command for data and wait.
  std::string dump_end_marker;
  std::string quit_command;  // written after the complete stream
  // When set, the client ends by failing with this message (exit 1) and that failure is success:
  // the MariaDB client in --binary-mode parses no client commands, so it ends on a SIGNAL.
  std::string quit_error;
};
// psql: the \q meta-command.
RestoreClientEnd PsqlEnd(std::string dump_end_marker);
// mariadb --batch --binary-mode (which stops at the first error): a SIGNAL with a known message.
RestoreClientEnd MariadbClientEnd(std::string dump_end_marker);

// A ByteSink into a local restore client's stdin (stdout discarded, stderr captured). Close writes
// the end's quit command, then waits for the client; a failure is kDumpFailed naming `target` and
// the client's stderr tail.
//
// Why the quit command: psql and mariadb execute whatever is buffered when their input ends, so a
// stream cut mid-statement (mid-COPY, mid-INSERT) would run its first half. The client therefore
// also holds the write end of its own stdin and never sees end-of-input; it ends only on the quit
// command after the complete stream. If hasteward stops or dies before that, the client is killed
// (helper, PR_SET_PDEATHSIG) and the server rolls back the statement in flight.
class ToolRestoreSink : public core::ByteSink {
 public:
  static core::Result<std::unique_ptr<ToolRestoreSink>> Start(core::SubprocessOptions options,
                                                              ToolSecrets secrets,
                                                              std::string target,
                                                              RestoreClientEnd end);
  core::Status Write(core::ByteView data) override;
  core::Status Close() override;
  core::Subprocess& process() { return sink_->process(); }

 private:
  ToolRestoreSink(ToolSecrets secrets, std::unique_ptr<core::ProcessSink> sink, std::string target,
                  RestoreClientEnd end)
      : secrets_(std::move(secrets)),
        sink_(std::move(sink)),
        target_(std::move(target)),
        end_(std::move(end)) {}
  core::Status Annotate(core::Status s) const;
  bool EndedOnQuitError();

  ToolSecrets secrets_;
  std::unique_ptr<core::ProcessSink> sink_;
  std::string target_;
  RestoreClientEnd end_;
  std::string tail_;  // the stream's last bytes, for the end marker
};

// "'db-0' (127.0.0.1:5432)" for messages.
std::string DescribeInstance(const platform::Instance& instance);

}  // namespace hasteward::engine

namespace hasteward::engine {

// Runs a short read-only command where `instance` lives (Platform::Exec, as its OS user) and
// returns its stdout; a non-zero exit is kInternal naming the command and its stderr tail.
core::Result<std::string> RunOnInstance(platform::Platform& platform,
                                        const platform::Cluster& cluster,
                                        const platform::Instance& instance,
                                        std::vector<std::string> argv);
// The same on an opened handle (what an engine run that keeps its handles uses).
core::Result<std::string> RunOnInstance(platform::InstanceHandle& handle,
                                        std::vector<std::string> argv);

}  // namespace hasteward::engine
