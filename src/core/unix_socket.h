// core/unix_socket: a local stream socket that carries whole messages and open file descriptors
// (SCM_RIGHTS), for a client that hands a long-lived process a file it can read without giving
// it a path to trust (hasteward wal-push to its archive agent).
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include <sys/types.h>

#include "core/fd.h"
#include "core/status.h"

namespace hasteward::core {

struct UnixMessage {
  std::string payload;
  std::vector<UniqueFd> fds;
};

// One connected socket. Messages are a 4-byte big-endian length and the payload; descriptors
// travel with the first bytes of their message.
class UnixConnection {
 public:
  explicit UnixConnection(UniqueFd fd) : fd_(std::move(fd)) {}

  // Connects to the socket at `path`. kNotFound when nothing listens there (no socket file, or
  // a stale one nobody accepts on), so a caller can fall back to working alone.
  static Result<UnixConnection> Connect(const std::string& path);

  Status Send(const std::string& payload, const std::vector<int>& fds = {});
  // Waits at most `timeout` for a whole message; kTimeout after it, kUnreachable when the peer
  // closed the connection first.
  Result<UnixMessage> Receive(std::chrono::milliseconds timeout, size_t max_payload = 1 << 20);
  // The connected peer's user id (SO_PEERCRED).
  Result<uid_t> PeerUid() const;
  int fd() const { return fd_.get(); }

 private:
  UniqueFd fd_;
};

// A listening socket file, removed again when this object goes.
class UnixListener {
 public:
  // Binds `path` (a stale socket file left by a dead process is replaced, any other file is
  // refused) with permission bits `mode`, owned by `owner` when it is not the caller.
  static Result<UnixListener> Bind(const std::string& path, unsigned mode, uid_t owner,
                                   gid_t group);
  UnixListener(UnixListener&& other) noexcept;
  UnixListener& operator=(UnixListener&&) = delete;
  UnixListener(const UnixListener&) = delete;
  UnixListener& operator=(const UnixListener&) = delete;
  ~UnixListener();

  // The next client, or kTimeout when none came within `timeout`.
  Result<UnixConnection> Accept(std::chrono::milliseconds timeout);
  const std::string& path() const { return path_; }

 private:
  UnixListener(UniqueFd fd, std::string path) : fd_(std::move(fd)), path_(std::move(path)) {}
  UniqueFd fd_;
  std::string path_;
};

}  // namespace hasteward::core
