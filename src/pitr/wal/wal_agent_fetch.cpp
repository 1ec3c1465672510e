#include "pitr/wal/wal_agent_fetch.h"

#include <nlohmann/json.hpp>
#include <sys/stat.h>
#include <unistd.h>

#include "core/atomic_file.h"
#include "core/log.h"
#include "pitr/wal/wal_agent.h"

namespace hasteward::pitr {

namespace {

using nlohmann::json;

constexpr int kProtocolVersion = 1;

std::string QualifiedName(const platform::Cluster& cluster) {
  return cluster.ns + "/" + cluster.name;
}

std::string EncodeFetchAnswer(const core::Result<ServedWal>& served) {
  if (!served.ok()) {
    const core::Status& status = served.status();
    return json{{"ok", false},
                {"not_archived", status.code() == core::ErrorCode::kNotFound},
                {"code", static_cast<int>(status.code())},
                {"message", status.message()},
                {"hint", status.hint()}}
        .dump();
  }
  return json{{"ok", true},
              {"size", served->size},
              {"sha256", repo::IdToHex(served->sha256)},
              {"from_prefetch", served->from_prefetch}}
      .dump();
}

core::Result<ServedWal> ServeFetch(WalFetchService& service, const json& body,
                                   const core::UnixMessage& request) {
  if (request.fds.size() != 1 || !body["fetch"].is_string()) {
    return core::Usage("malformed wal-fetch request to the archive agent",
                       "wal-fetch and the agent must be the same HASteward version");
  }
  if (body.value("cluster", "") != QualifiedName(service.cluster())) {
    return core::Usage("this archive agent serves '" + QualifiedName(service.cluster()) +
                           "', not '" + body.value("cluster", "") + "'",
                       "give the server's restore_command the socket of its own cluster's agent");
  }
  return service.Serve(body["fetch"].get<std::string>(), request.fds.front().get());
}

// The agent wrote the whole file: its size is the archived file's. (The bytes themselves were
// checked by the agent: each blob against its ID when read, a held segment against its hash when
// handed out; reading 16 MiB back here to hash it again cost a fifth of a call.)
core::Status CheckArrived(int fd, uint64_t size) {
  struct stat st {};
  if (::fstat(fd, &st) != 0 || static_cast<uint64_t>(st.st_size) != size) {
    return core::Status(core::ErrorCode::kCorruption, "the file the agent wrote has another size");
  }
  return core::Status::Ok();
}

}  // namespace

std::optional<FetchAnswer> AnswerFetchRequest(WalFetchService& service,
                                              const core::UnixMessage& request) {
  json body = json::parse(request.payload, nullptr, false);
  if (body.is_discarded() || !body.is_object() || !body.contains("fetch")) {
    return std::nullopt;
  }
  core::Result<ServedWal> served =
      body.value("version", 0) != kProtocolVersion
          ? core::Result<ServedWal>(core::Usage("unknown wal-fetch protocol version"))
          : ServeFetch(service, body, request);
  FetchAnswer answer{body["fetch"].is_string() ? body["fetch"].get<std::string>() : "",
                     std::move(served), ""};
  answer.payload = EncodeFetchAnswer(answer.served);
  return answer;
}

core::Result<std::optional<WalFetchResult>> FetchWalThroughAgent(
    const std::string& socket_path, const platform::Cluster& cluster, const std::string& name,
    const std::string& destination, std::chrono::milliseconds timeout) {
  auto connection = core::UnixConnection::Connect(socket_path);
  if (!connection.ok()) {
    core::LogDebug("no archive agent: " + connection.status().ToString());
    return std::optional<WalFetchResult>();
  }
  core::AtomicFileOptions file_options;
  file_options.mode = 0600;
  // Renamed whole into place, without fsync: PostgreSQL fsyncs the restored segments it keeps and
  // fetches the others again after a crash, so syncing here would only slow the replay.
  file_options.durable = false;
  auto sink = core::AtomicFileSink::Create(destination, file_options);
  if (!sink.ok()) {
    core::LogWarn("fetching alone: " + sink.status().ToString());
    return std::optional<WalFetchResult>();
  }
  const json request = {
      {"version", kProtocolVersion}, {"fetch", name}, {"cluster", QualifiedName(cluster)}};
  if (core::Status sent = connection->Send(request.dump(), {(*sink)->fd()}); !sent.ok()) {
    core::LogWarn("archive agent unreachable, fetching alone: " + sent.ToString());
    return std::optional<WalFetchResult>();
  }
  auto reply = connection->Receive(timeout);
  if (!reply.ok()) {
    core::LogWarn("archive agent did not answer, fetching alone: " + reply.status().ToString());
    return std::optional<WalFetchResult>();
  }
  json answer = json::parse(reply->payload, nullptr, false);
  if (answer.is_discarded() || !answer.is_object()) {
    core::LogWarn("the archive agent's answer is not understood, fetching alone");
    return std::optional<WalFetchResult>();
  }
  if (!answer.value("ok", false)) {
    // Only the agent's explicit "not archived" (from a fresh read of the archive) ends recovery.
    if (answer.value("not_archived", false) &&
        answer.value("code", 0) == static_cast<int>(core::ErrorCode::kNotFound)) {
      return core::NotFound(answer.value("message", "") + " (archive agent)");
    }
    core::LogWarn("archive agent could not fetch '" + name +
                  "', fetching alone: " + answer.value("message", ""));
    return std::optional<WalFetchResult>();
  }
  core::Status arrived = CheckArrived((*sink)->fd(), answer.value("size", uint64_t{0}));
  if (arrived.ok()) {
    arrived = (*sink)->Close();
  }
  if (!arrived.ok()) {
    core::LogWarn("fetching '" + name + "' alone: " + arrived.ToString());
    return std::optional<WalFetchResult>();
  }
  WalFetchResult result;
  result.from_prefetch = answer.value("from_prefetch", false);
  return std::optional<WalFetchResult>(result);
}

}  // namespace hasteward::pitr
