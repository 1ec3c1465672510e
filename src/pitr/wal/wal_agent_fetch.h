// pitr/wal/wal_agent_fetch: the wal-fetch request of the archive agent's protocol, agent side. A
// request is {"version": 1, "fetch": name, "cluster": "ns/name"} with one descriptor: a temp file
// wal-fetch created beside the server's %p, so the file belongs to the server's OS user and is
// moved into place by wal-fetch only once checked. The answer is {"ok": true, "size", "sha256",
// "from_prefetch"}, or {"ok": false, "not_archived", "code", "message", "hint"}.
#pragma once

#include <optional>
#include <string>

#include "core/status.h"
#include "core/unix_socket.h"
#include "pitr/wal/wal_fetch_service.h"

namespace hasteward::pitr {

struct FetchAnswer {
  std::string name;  // the requested file ("" when the request named none)
  core::Result<ServedWal> served;
  std::string payload;  // the answer to send
};

// nullopt when `request` is not a fetch request (a push); else serves it through `service` and
// returns the answer. A request for another cluster than the service's is refused (never
// "not archived"): the client then fetches alone, from its own cluster's archive.
std::optional<FetchAnswer> AnswerFetchRequest(WalFetchService& service,
                                              const core::UnixMessage& request);

}  // namespace hasteward::pitr
