// wal-fetch's side of the archive agent's fetch protocol (wal_agent_fetch.h): FetchWalThroughAgent.
#include <cstdio>

#include <nlohmann/json.hpp>
#include <sys/stat.h>
#include <unistd.h>

#include "core/atomic_file.h"
#include "core/log.h"
#include "pitr/wal/wal_agent.h"
#include "pitr/wal/wal_ahead_dir.h"

namespace hasteward::pitr {

namespace {

using nlohmann::json;

// Where the agent's answer lands: the requested segment's fill-ahead file (an earlier call's
// window), or a fresh temp file beside %p.
struct Target {
  std::optional<AheadSlot> ahead;
  std::unique_ptr<core::AtomicFileSink> sink;
  int fd() const { return ahead ? ahead->fd.get() : sink->fd(); }
};

// The agent wrote the whole file: its size is the archived file's. (The bytes themselves were
// checked by the agent: each blob against its ID when read, a held segment against its hash when
// handed out; reading 16 MiB back here to hash it again cost a fifth of a call.)
core::Status CheckArrived(int fd, uint64_t size) {
  struct stat st {};
  if (::fstat(fd, &st) != 0 || static_cast<uint64_t>(st.st_size) != size) {
    return core::Status(core::ErrorCode::kCorruption, "the file the agent wrote has another size",
                        "the agent may have stopped mid-request; wal-fetch fetches alone");
  }
  return core::Status::Ok();
}

// Moves the checked file to %p, without fsync: PostgreSQL fsyncs the restored segments it keeps
// and fetches the others again after a crash, so syncing here would only slow the replay.
core::Status Commit(Target& target, const std::string& destination) {
  if (!target.ahead) {
    return target.sink->Close();
  }
  if (std::rename(target.ahead->path.c_str(), destination.c_str()) != 0) {
    return core::ErrnoStatus("move '" + target.ahead->path + "' to '" + destination + "'", errno);
  }
  return core::Status::Ok();
}

// The fill-ahead window of a segment request; none for other files, without a depth, or when
// the prefetch directory cannot be used (the agent then writes %p's temp file only).
AheadWindow OpenWindow(const std::string& name, const std::string& destination,
                       const AgentFetchOptions& options) {
  if (options.archiving == nullptr || options.ahead == 0) {
    return {};
  }
  auto file = options.archiving->ParseFileName(name);
  if (!file.ok() || file->kind != engine::ArchiveFileKind::kSegment) {
    return {};
  }
  auto window = OpenAheadWindow(*options.archiving, *file, destination, options.ahead);
  if (!window.ok()) {
    core::LogDebug("no fill-ahead files: " + window.status().ToString());
    return {};
  }
  return std::move(*window);
}

json Request(const platform::Cluster& cluster, const std::string& name, const Target& target,
             const AheadWindow& window, bool with_window) {
  json request = {{"version", kWalAgentProtocolVersion},
                  {"fetch", name},
                  {"cluster", cluster.ns + "/" + cluster.name},
                  {"from_ahead", target.ahead.has_value()}};
  if (with_window) {
    json names = json::array();
    for (const auto& slot : window.next) {
      names.push_back(slot.name);
    }
    request["ahead"] = names;
  }
  return request;
}

// The agent's answer, or nullopt (logged) when there is none to act on.
std::optional<json> Exchange(core::UnixConnection& connection, const json& request,
                             const std::vector<int>& fds, std::chrono::milliseconds timeout) {
  if (core::Status sent = connection.Send(request.dump(), fds); !sent.ok()) {
    core::LogWarn("archive agent unreachable, fetching alone: " + sent.ToString());
    return std::nullopt;
  }
  auto reply = connection.Receive(timeout);
  if (!reply.ok()) {
    core::LogWarn("archive agent did not answer, fetching alone: " + reply.status().ToString());
    return std::nullopt;
  }
  json answer = json::parse(reply->payload, nullptr, false);
  if (answer.is_discarded() || !answer.is_object()) {
    core::LogWarn("the archive agent's answer is not understood, fetching alone");
    return std::nullopt;
  }
  return answer;
}

std::vector<std::string> Names(const AheadWindow& window) {
  std::vector<std::string> names;
  for (const auto& slot : window.next) {
    names.push_back(slot.name);
  }
  return names;
}

// The answer's "ahead_missing": files of the window the agent will not fill.
std::vector<std::string> MissingOf(const json& answer) {
  std::vector<std::string> names;
  if (answer.contains("ahead_missing") && answer["ahead_missing"].is_array()) {
    for (const auto& name : answer["ahead_missing"]) {
      if (name.is_string()) {
        names.push_back(name.get<std::string>());
      }
    }
  }
  return names;
}

}  // namespace

core::Result<std::optional<WalFetchResult>> FetchWalThroughAgent(
    const std::string& socket_path, const platform::Cluster& cluster, const std::string& name,
    const std::string& destination, std::chrono::milliseconds timeout) {
  AgentFetchOptions options;
  options.timeout = timeout;
  return FetchWalThroughAgent(socket_path, cluster, name, destination, options);
}

core::Result<std::optional<WalFetchResult>> FetchWalThroughAgent(const std::string& socket_path,
                                                                 const platform::Cluster& cluster,
                                                                 const std::string& name,
                                                                 const std::string& destination,
                                                                 const AgentFetchOptions& options) {
  auto connection = core::UnixConnection::Connect(socket_path);
  if (!connection.ok()) {
    core::LogDebug("no archive agent: " + connection.status().ToString());
    return std::optional<WalFetchResult>();
  }
  AheadWindow window = OpenWindow(name, destination, options);
  const bool with_window = !window.next.empty();
  const std::string dir = with_window ? options.archiving->PrefetchDir(destination) : "";
  Target target;
  target.ahead = std::move(window.current);
  window.current.reset();
  if (!target.ahead) {
    core::AtomicFileOptions file_options;
    file_options.mode = 0600;
    file_options.durable = false;  // see Commit
    auto sink = core::AtomicFileSink::Create(destination, file_options);
    if (!sink.ok()) {
      core::LogWarn("fetching alone: " + sink.status().ToString());
      return std::optional<WalFetchResult>();
    }
    target.sink = std::move(*sink);
  }
  std::vector<int> fds = {target.fd()};
  for (const auto& slot : window.next) {
    fds.push_back(slot.fd.get());
  }
  std::optional<json> answer = Exchange(
      *connection, Request(cluster, name, target, window, with_window), fds, options.timeout);
  if (!answer) {
    return std::optional<WalFetchResult>();
  }
  if (!answer->value("ok", false)) {
    // Only the agent's explicit "not archived" (from a fresh read of the archive) ends recovery.
    if (answer->value("not_archived", false) &&
        answer->value("code", 0) == static_cast<int>(core::ErrorCode::kNotFound)) {
      if (target.ahead) {
        ::unlink(target.ahead->path.c_str());
      }
      if (with_window) {
        RemoveAheadFiles(dir, Names(window));
      }
      return core::NotFound(answer->value("message", "") + " (archive agent)");
    }
    core::LogWarn("archive agent could not fetch '" + name +
                  "', fetching alone: " + answer->value("message", ""));
    return std::optional<WalFetchResult>();
  }
  if (with_window) {
    RemoveAheadFiles(dir, MissingOf(*answer));
  }
  core::Status arrived = CheckArrived(target.fd(), answer->value("size", uint64_t{0}));
  if (arrived.ok()) {
    arrived = Commit(target, destination);
  }
  if (!arrived.ok()) {
    if (target.ahead) {
      ::unlink(target.ahead->path.c_str());  // never offered to the agent again
    }
    core::LogWarn("fetching '" + name + "' alone: " + arrived.ToString());
    return std::optional<WalFetchResult>();
  }
  WalFetchResult result;
  result.from_prefetch = answer->value("from_prefetch", false);
  result.from_ahead = answer->value("from_ahead", false);
  return std::optional<WalFetchResult>(result);
}

}  // namespace hasteward::pitr
