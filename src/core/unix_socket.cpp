#include "core/unix_socket.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/clock.h"

namespace hasteward::core {

namespace {

constexpr size_t kMaxFds = 64;
constexpr size_t kHeaderBytes = 4;

Result<sockaddr_un> SocketAddress(const std::string& path) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(address.sun_path)) {
    return Usage("socket path '" + path + "' is empty or longer than " +
                     std::to_string(sizeof(address.sun_path) - 1) + " bytes",
                 "choose a shorter path");
  }
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  return address;
}

// NOLINTNEXTLINE(*-reinterpret-cast): the sockets API takes sockaddr*
const sockaddr* AsSockaddr(const sockaddr_un& address) {
  return reinterpret_cast<const sockaddr*>(&address);
}

Status WaitReadable(int fd, std::chrono::steady_clock::time_point deadline) {
  const Clock& clock = SystemClock::Get();
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock.Monotonic());
    if (left.count() <= 0) {
      return Status(ErrorCode::kTimeout, "no message on the local socket in time");
    }
    pollfd waiting{fd, POLLIN, 0};
    int ready = ::poll(&waiting, 1, static_cast<int>(std::min<int64_t>(left.count(), 1 << 30)));
    if (ready > 0) {
      return Status::Ok();
    }
    if (ready < 0 && errno != EINTR) {
      return ErrnoStatus("poll a local socket", errno);
    }
  }
}

// Reads up to `size` bytes into `out`, keeping any descriptors that come with them.
Result<size_t> ReceiveSome(int fd, uint8_t* out, size_t size, std::vector<UniqueFd>* fds) {
  iovec vector{out, size};
  alignas(cmsghdr) std::array<char, CMSG_SPACE(sizeof(int) * kMaxFds)> control{};
  msghdr message{};
  message.msg_iov = &vector;
  message.msg_iovlen = 1;
  message.msg_control = control.data();
  message.msg_controllen = control.size();
  ssize_t got = ::recvmsg(fd, &message, MSG_CMSG_CLOEXEC);
  if (got < 0) {
    return errno == EINTR ? 0 : Result<size_t>(ErrnoStatus("receive on a local socket", errno));
  }
  for (cmsghdr* header = CMSG_FIRSTHDR(&message); header != nullptr;
       header = CMSG_NXTHDR(&message, header)) {
    if (header->cmsg_level == SOL_SOCKET && header->cmsg_type == SCM_RIGHTS) {
      size_t count = (header->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      for (size_t index = 0; index < count; ++index) {
        int received = -1;
        std::memcpy(&received, CMSG_DATA(header) + index * sizeof(int), sizeof(int));
        fds->emplace_back(received);
      }
    }
  }
  if (got == 0) {
    return Status(ErrorCode::kUnreachable, "the other side closed the local socket");
  }
  return static_cast<size_t>(got);
}

}  // namespace

Result<UnixConnection> UnixConnection::Connect(const std::string& path) {
  HS_ASSIGN_OR_RETURN(sockaddr_un address, SocketAddress(path));
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) {
    return ErrnoStatus("create a local socket", errno);
  }
  if (::connect(fd.get(), AsSockaddr(address), sizeof(address)) != 0) {
    if (errno == ENOENT || errno == ECONNREFUSED) {
      return NotFound("nothing listens on '" + path + "'");
    }
    return ErrnoStatus("connect to '" + path + "'", errno);
  }
  return UnixConnection(std::move(fd));
}

Status UnixConnection::Send(const std::string& payload, const std::vector<int>& fds) {
  if (fds.size() > kMaxFds) {
    return Internal("at most " + std::to_string(kMaxFds) + " descriptors travel in one message");
  }
  std::string bytes(kHeaderBytes, '\0');
  const auto length = static_cast<uint32_t>(payload.size());
  for (size_t index = 0; index < kHeaderBytes; ++index) {
    bytes[index] = static_cast<char>((length >> (8 * (kHeaderBytes - 1 - index))) & 0xff);
  }
  bytes += payload;
  size_t sent = 0;
  while (sent < bytes.size()) {
    iovec vector{bytes.data() + sent, bytes.size() - sent};
    msghdr message{};
    message.msg_iov = &vector;
    message.msg_iovlen = 1;
    alignas(cmsghdr) std::array<char, CMSG_SPACE(sizeof(int) * kMaxFds)> control{};
    if (sent == 0 && !fds.empty()) {
      message.msg_control = control.data();
      message.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
      cmsghdr* header = CMSG_FIRSTHDR(&message);
      header->cmsg_level = SOL_SOCKET;
      header->cmsg_type = SCM_RIGHTS;
      header->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
      std::memcpy(CMSG_DATA(header), fds.data(), sizeof(int) * fds.size());
    }
    ssize_t wrote = ::sendmsg(fd_.get(), &message, MSG_NOSIGNAL);
    if (wrote < 0) {
      if (errno == EINTR) {
        continue;
      }
      return ErrnoStatus("send on a local socket", errno);
    }
    sent += static_cast<size_t>(wrote);
  }
  return Status::Ok();
}

Result<UnixMessage> UnixConnection::Receive(std::chrono::milliseconds timeout, size_t max_payload) {
  const auto deadline = SystemClock::Get().Monotonic() + timeout;
  UnixMessage message;
  std::array<uint8_t, kHeaderBytes> header{};
  size_t have = 0;
  while (have < kHeaderBytes) {
    HS_TRY(WaitReadable(fd_.get(), deadline));
    HS_ASSIGN_OR_RETURN(size_t got, ReceiveSome(fd_.get(), header.data() + have,
                                                kHeaderBytes - have, &message.fds));
    have += got;
  }
  size_t length = 0;
  for (uint8_t byte : header) {
    length = (length << 8) | byte;
  }
  if (length > max_payload) {
    return Status(ErrorCode::kIncompleteInput, "a local socket message of " +
                                                   std::to_string(length) + " bytes is over the " +
                                                   std::to_string(max_payload) + "-byte limit");
  }
  message.payload.resize(length);
  have = 0;
  while (have < length) {
    HS_TRY(WaitReadable(fd_.get(), deadline));
    // NOLINTNEXTLINE(*-reinterpret-cast): the payload's bytes
    auto* into = reinterpret_cast<uint8_t*>(message.payload.data()) + have;
    HS_ASSIGN_OR_RETURN(size_t got, ReceiveSome(fd_.get(), into, length - have, &message.fds));
    have += got;
  }
  return message;
}

Result<uid_t> UnixConnection::PeerUid() const {
  ucred credentials{};
  socklen_t size = sizeof(credentials);
  if (::getsockopt(fd_.get(), SOL_SOCKET, SO_PEERCRED, &credentials, &size) != 0) {
    return ErrnoStatus("read the local peer's credentials", errno);
  }
  return credentials.uid;
}

Result<UnixListener> UnixListener::Bind(const std::string& path, unsigned mode, uid_t owner,
                                        gid_t group) {
  HS_ASSIGN_OR_RETURN(sockaddr_un address, SocketAddress(path));
  struct stat existing {};
  if (::lstat(path.c_str(), &existing) == 0) {
    if (!S_ISSOCK(existing.st_mode)) {
      return Usage("'" + path + "' exists and is not a socket",
                   "remove it or choose another socket path");
    }
    if (UnixConnection::Connect(path).ok()) {
      return Usage("another process already listens on '" + path + "'",
                   "stop it first; one agent serves one cluster");
    }
    ::unlink(path.c_str());  // stale: its process is gone
  }
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) {
    return ErrnoStatus("create a local socket", errno);
  }
  // Linux creates the socket file with the socket inode's mode (less the umask): set before bind,
  // the file never shows a wider mode, not even until the chmod below (a test saw 0755 there).
  if (::fchmod(fd.get(), mode) != 0) {
    return ErrnoStatus("chmod the socket for '" + path + "'", errno);
  }
  if (::bind(fd.get(), AsSockaddr(address), sizeof(address)) != 0) {
    return ErrnoStatus("bind '" + path + "'", errno);
  }
  UnixListener listener(std::move(fd), path);
  if (::chmod(path.c_str(), mode) != 0) {
    return ErrnoStatus("chmod '" + path + "'", errno);
  }
  if (owner != ::geteuid() && ::chown(path.c_str(), owner, group) != 0) {
    return ErrnoStatus("chown '" + path + "'", errno);
  }
  if (::listen(listener.fd_.get(), 16) != 0) {
    return ErrnoStatus("listen on '" + path + "'", errno);
  }
  return listener;
}

UnixListener::UnixListener(UnixListener&& other) noexcept
    : fd_(std::move(other.fd_)), path_(std::move(other.path_)) {
  other.path_.clear();
}

UnixListener::~UnixListener() {
  if (fd_.valid() && !path_.empty()) {
    ::unlink(path_.c_str());
  }
}

Result<UnixConnection> UnixListener::Accept(std::chrono::milliseconds timeout) {
  HS_TRY(WaitReadable(fd_.get(), SystemClock::Get().Monotonic() + timeout));
  UniqueFd client(::accept4(fd_.get(), nullptr, nullptr, SOCK_CLOEXEC));
  if (!client.valid()) {
    return ErrnoStatus("accept on '" + path_ + "'", errno);
  }
  return UnixConnection(std::move(client));
}

}  // namespace hasteward::core
