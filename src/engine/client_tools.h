#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "core/byte_stream.h"
#include "core/status.h"
#include "core/subprocess.h"
#include "core/temp_dir.h"
#include "engine/engine.h"
#include "engine/trailer_check_source.h"
#include "platform/platform.h"

// Running the engines' own client tools (pg_dumpall, psql, mariadb-dump, mariadb) safely: secrets
// in 0600 files inside a private temp directory that lives exactly as long as the tool, output
// checked for completeness, failures named with the tool's stderr tail.
namespace hasteward::engine {

// A private (0700) temp directory holding secret files for one tool run; removed on destruction.
class SecretDir {
 public:
  static core::Result<SecretDir> Create();
  // Writes `content` to <dir>/<name> with mode 0600 and returns the path.
  core::Result<std::string> WriteFile(const std::string& name, const std::string& content);
  const std::string& path() const { return dir_.path(); }

 private:
  explicit SecretDir(core::TempDir dir) : dir_(std::move(dir)) {}
  core::TempDir dir_;
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
                                                             SecretDir secrets,
                                                             std::string end_marker,
                                                             DumpMetadataParser parser = {});
  core::Result<size_t> Read(std::span<uint8_t> buf) override;
  core::Subprocess& process() override { return *process_; }
  std::map<std::string, std::string> metadata() const override { return metadata_; }
  uint64_t bytes_read() const override { return checked_->bytes_read(); }

 private:
  ToolDumpStream(SecretDir secrets, core::Subprocess* process,
                 std::unique_ptr<TrailerCheckSource> checked, DumpMetadataParser parser);

  SecretDir secrets_;  // declared first: outlives the process
  core::Subprocess* process_;
  std::unique_ptr<TrailerCheckSource> checked_;
  DumpMetadataParser parser_;
  std::map<std::string, std::string> metadata_;
};

// A ByteSink into a local restore client's stdin (stdout discarded, stderr captured). Close waits
// for the client; a failure is kDumpFailed naming `target` and the client's stderr tail.
class ToolRestoreSink : public core::ByteSink {
 public:
  static core::Result<std::unique_ptr<ToolRestoreSink>> Start(core::SubprocessOptions options,
                                                              SecretDir secrets,
                                                              std::string target);
  core::Status Write(core::ByteView data) override;
  core::Status Close() override;
  core::Subprocess& process() { return sink_->process(); }

 private:
  ToolRestoreSink(SecretDir secrets, std::unique_ptr<core::ProcessSink> sink, std::string target)
      : secrets_(std::move(secrets)), sink_(std::move(sink)), target_(std::move(target)) {}
  core::Status Annotate(core::Status s) const;

  SecretDir secrets_;
  std::unique_ptr<core::ProcessSink> sink_;
  std::string target_;
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

}  // namespace hasteward::engine
