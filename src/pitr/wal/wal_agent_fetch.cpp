#include "pitr/wal/wal_agent_fetch.h"

#include <nlohmann/json.hpp>

#include "pitr/wal/wal_agent.h"

namespace hasteward::pitr {

namespace {

using nlohmann::json;

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
              {"crc32c", served->crc32c},
              {"from_prefetch", served->from_prefetch},
              {"from_ahead", served->from_ahead},
              {"ahead_missing", served->ahead_missing}}
      .dump();
}

core::Status Malformed() {
  return core::Usage("malformed wal-fetch request to the archive agent",
                     "wal-fetch and the agent must be the same HASteward version");
}

// The request's window of fill-ahead files: the names in "ahead", each with the descriptor after
// the first in the same order; nullopt when the request has none.
core::Result<std::optional<std::vector<AheadFd>>> WindowOf(const json& body,
                                                           core::UnixMessage& request) {
  if (!body.contains("ahead")) {
    return request.fds.size() == 1 ? core::Result<std::optional<std::vector<AheadFd>>>(
                                         std::optional<std::vector<AheadFd>>())
                                   : Malformed();
  }
  const json& names = body["ahead"];
  if (!names.is_array() || names.size() + 1 != request.fds.size()) {
    return Malformed();
  }
  std::vector<AheadFd> files;
  for (size_t index = 0; index < names.size(); ++index) {
    if (!names[index].is_string()) {
      return Malformed();
    }
    files.push_back(AheadFd{names[index].get<std::string>(), std::move(request.fds[index + 1])});
  }
  return std::optional<std::vector<AheadFd>>(std::move(files));
}

core::Result<ServedWal> ServeFetch(WalFetchService& service, const json& body,
                                   core::UnixMessage& request) {
  if (request.fds.empty() || !body["fetch"].is_string()) {
    return Malformed();
  }
  if (body.value("cluster", "") != QualifiedName(service.cluster())) {
    return core::Usage("this archive agent serves '" + QualifiedName(service.cluster()) +
                           "', not '" + body.value("cluster", "") + "'",
                       "give the server's restore_command the socket of its own cluster's agent");
  }
  FetchRequest fetch;
  fetch.name = body["fetch"].get<std::string>();
  fetch.fd = request.fds.front().get();
  fetch.from_ahead = body.value("from_ahead", false);
  HS_ASSIGN_OR_RETURN(fetch.ahead, WindowOf(body, request));
  return service.Serve(std::move(fetch));
}

}  // namespace

std::optional<FetchAnswer> AnswerFetchRequest(WalFetchService& service,
                                              core::UnixMessage& request) {
  json body = json::parse(request.payload, nullptr, false);
  if (body.is_discarded() || !body.is_object() || !body.contains("fetch")) {
    return std::nullopt;
  }
  core::Result<ServedWal> served =
      body.value("version", 0) != kWalAgentProtocolVersion
          ? core::Result<ServedWal>(core::Usage("unknown wal-fetch protocol version"))
          : ServeFetch(service, body, request);
  FetchAnswer answer{body["fetch"].is_string() ? body["fetch"].get<std::string>() : "",
                     std::move(served), ""};
  answer.payload = EncodeFetchAnswer(answer.served);
  return answer;
}

}  // namespace hasteward::pitr
