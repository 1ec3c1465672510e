#include "pitr/wal/wal_agent.h"

#include <fcntl.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include "core/log.h"
#include "core/unix_socket.h"
#include "pitr/wal/wal_agent_fetch.h"

namespace hasteward::pitr {

namespace {

using nlohmann::json;

constexpr std::chrono::milliseconds kAcceptPoll{200};

std::string BaseName(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string EncodeAnswer(const core::Result<WalPushResult>& pushed) {
  if (!pushed.ok()) {
    const core::Status& status = pushed.status();
    return json{{"ok", false},
                {"code", static_cast<int>(status.code())},
                {"message", status.message()},
                {"hint", status.hint()}}
        .dump();
  }
  return json{{"ok", true},
              {"stored", pushed->stored},
              {"already_archived", pushed->already_archived},
              {"snapshot", pushed->snapshot_id}}
      .dump();
}

core::Result<WalPushResult> DecodeAnswer(const std::string& payload) {
  json answer = json::parse(payload, nullptr, false);
  if (answer.is_discarded() || !answer.is_object() || !answer.contains("ok")) {
    return core::Status(core::ErrorCode::kIncompleteInput,
                        "the archive agent's answer is not "
                        "understood");
  }
  if (!answer.value("ok", false)) {
    return core::Status(static_cast<core::ErrorCode>(answer.value("code", 1)),
                        answer.value("message", "") + " (archive agent)", answer.value("hint", ""));
  }
  WalPushResult result;
  result.stored = answer.value("stored", size_t{0});
  result.already_archived = answer.value("already_archived", false);
  result.snapshot_id = answer.value("snapshot", "");
  return result;
}

// One request: {"version": 1, "files": [names]} with one descriptor per name, in order; the
// first is the file the server asked for.
// `requested` gets the requested file's name as soon as the request is understood.
core::Result<WalPushResult> Serve(repo::Repository& repo, const platform::Cluster& cluster,
                                  const engine::Archiving& archiving, core::UnixMessage request,
                                  const WalPushOptions& push, std::string& requested_name) {
  json body = json::parse(request.payload, nullptr, false);
  if (body.is_discarded() || body.value("version", 0) != kWalAgentProtocolVersion ||
      !body.contains("files") || !body["files"].is_array() || body["files"].empty() ||
      body["files"].size() != request.fds.size()) {
    return core::Usage("malformed request to the archive agent",
                       "wal-push and the agent must be the same HASteward version");
  }
  std::vector<OpenWalFile> files;
  for (size_t index = 0; index < request.fds.size(); ++index) {
    const json& name = body["files"][index];
    if (!name.is_string()) {
      return core::Usage("malformed request to the archive agent");
    }
    files.push_back(OpenWalFile{name.get<std::string>(), std::move(request.fds[index])});
  }
  OpenWalFile requested = std::move(files.front());
  files.erase(files.begin());
  requested_name = requested.name;
  return PushOpenWal(repo, cluster, archiving, std::move(requested), std::move(files), push);
}

void Count(const FetchAnswer& answer, WalAgentCounters& counters) {
  if (answer.served.ok()) {
    ++counters.fetched;
    counters.fetched_from_prefetch += answer.served->from_prefetch ? 1 : 0;
    counters.fetched_from_ahead += answer.served->from_ahead ? 1 : 0;
  } else if (answer.served.status().code() != core::ErrorCode::kNotFound) {
    ++counters.refused;
    core::LogWarn("archive agent: fetching '" + answer.name +
                  "': " + answer.served.status().ToString());
  }
}

// Only the server's OS user, root and the agent's own user hand over files.
bool Allowed(const core::UnixConnection& connection, const WalAgentOptions& options) {
  auto peer = connection.PeerUid();
  return peer.ok() && (*peer == options.client_uid || *peer == 0 || *peer == ::geteuid());
}

}  // namespace

core::Result<WalAgentCounters> RunWalAgent(repo::Repository& repo, const platform::Cluster& cluster,
                                           const engine::Archiving& archiving,
                                           const WalAgentOptions& options) {
  HS_ASSIGN_OR_RETURN(
      core::UnixListener listener,
      core::UnixListener::Bind(options.socket_path, 0600, options.client_uid, options.client_gid));
  core::LogInfo("archive agent listening",
                {{"socket", options.socket_path}, {"cluster", cluster.ns + "/" + cluster.name}});
  WalFetchService fetches(repo, cluster, archiving, options.prefetch);
  return ServeWalAgent(listener, repo, fetches, archiving, options);
}

core::Result<WalAgentCounters> ServeWalAgent(core::UnixListener& listener, repo::Repository& repo,
                                             WalFetchService& fetches,
                                             const engine::Archiving& archiving,
                                             const WalAgentOptions& options) {
  const platform::Cluster& cluster = fetches.cluster();
  // One pool for the agent's life: every push after the first finds its buffers mapped.
  WalPushOptions push = options.push;
  push.chunk_buffers = NewWalChunkBufferPool();
  WalAgentCounters counters;
  while (!options.stop_requested || !options.stop_requested()) {
    auto connection = listener.Accept(kAcceptPoll);
    if (!connection.ok()) {
      if (connection.status().code() != core::ErrorCode::kTimeout) {
        core::LogWarn("archive agent: " + connection.status().ToString());
      }
      continue;
    }
    if (!Allowed(*connection, options)) {
      core::LogWarn("archive agent: refused a client that is not the server's OS user");
      continue;
    }
    auto request = connection->Receive(options.request_timeout);
    if (!request.ok()) {
      continue;  // the client gave up or sent nothing whole; it archives alone
    }
    ++counters.requests;
    if (std::optional<FetchAnswer> fetch = AnswerFetchRequest(fetches, *request)) {
      Count(*fetch, counters);
      // A client gone meanwhile fetches alone; its temp file goes with it.
      (void)connection->Send(fetch->payload);
      continue;
    }
    if (!options.accept_pushes) {
      (void)connection->Send(EncodeAnswer(core::Usage("this socket serves wal-fetch only",
                                                      "archive through the cluster's own agent")));
      continue;
    }
    std::string requested_name;
    core::Result<WalPushResult> pushed =
        Serve(repo, cluster, archiving, std::move(*request), push, requested_name);
    if (pushed.ok()) {
      counters.stored_files += pushed->stored;
    } else {
      ++counters.refused;
      core::LogWarn("archive agent: " + pushed.status().ToString());
    }
    // A client gone meanwhile archives alone; the answer is lost, nothing else.
    (void)connection->Send(EncodeAnswer(pushed));
    if (options.on_answer) {
      options.on_answer(requested_name, pushed);
    }
  }
  return counters;
}

core::Result<std::optional<WalPushResult>> PushWalThroughAgent(const std::string& socket_path,
                                                               const engine::Archiving& archiving,
                                                               const std::string& path,
                                                               size_t batch_limit,
                                                               std::chrono::milliseconds timeout) {
  auto connection = core::UnixConnection::Connect(socket_path);
  if (!connection.ok()) {
    core::LogDebug("no archive agent: " + connection.status().ToString());
    return std::optional<WalPushResult>();
  }
  std::vector<core::UniqueFd> open_files;
  json names = json::array();
  core::UniqueFd requested(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!requested.valid()) {
    return core::ErrnoStatus("open '" + path + "'", errno);
  }
  open_files.push_back(std::move(requested));
  names.push_back(BaseName(path));
  auto queued = archiving.QueuedFiles(path, batch_limit > 0 ? batch_limit - 1 : 0);
  if (queued.ok()) {
    for (const auto& queued_path : *queued) {
      core::UniqueFd fd(::open(queued_path.c_str(), O_RDONLY | O_CLOEXEC));
      if (fd.valid()) {
        open_files.push_back(std::move(fd));
        names.push_back(BaseName(queued_path));
      }
    }
  }
  std::vector<int> fds;
  fds.reserve(open_files.size());
  for (const auto& fd : open_files) {
    fds.push_back(fd.get());
  }
  core::Status sent =
      connection->Send(json{{"version", kWalAgentProtocolVersion}, {"files", names}}.dump(), fds);
  if (!sent.ok()) {
    core::LogWarn("archive agent unreachable, archiving alone: " + sent.ToString());
    return std::optional<WalPushResult>();
  }
  auto answer = connection->Receive(timeout);
  if (!answer.ok()) {
    core::LogWarn("archive agent did not answer, archiving alone: " + answer.status().ToString());
    return std::optional<WalPushResult>();
  }
  HS_ASSIGN_OR_RETURN(WalPushResult pushed, DecodeAnswer(answer->payload));
  return std::optional<WalPushResult>(pushed);
}

}  // namespace hasteward::pitr
