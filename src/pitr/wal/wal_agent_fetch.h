// pitr/wal/wal_agent_fetch: the wal-fetch request of the archive agent's protocol, agent side. A
// request is {"version": 1, "fetch": name, "cluster": "ns/name"} with one descriptor: a temp file
// wal-fetch created beside the server's %p, so the file belongs to the server's OS user and is
// moved into place by wal-fetch only once checked. Optional fields: "from_ahead": true when that
// descriptor is the fill-ahead file an earlier request registered for `name`, and "ahead":
// [names], the next segments' fill-ahead files (wal_ahead_files.h), whose descriptors follow in
// that order. The answer is {"ok": true, "size", "crc32c", "from_prefetch", "from_ahead",
// "ahead_missing": [names]}, or {"ok": false, "not_archived", "code", "message", "hint"}. An
// agent of an older version refuses a request with more than one descriptor (not "not
// archived"), and wal-fetch then fetches alone.
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
// The request's descriptors are moved out (the fill-ahead files stay with the service).
std::optional<FetchAnswer> AnswerFetchRequest(WalFetchService& service, core::UnixMessage& request);

}  // namespace hasteward::pitr
