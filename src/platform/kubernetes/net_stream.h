// A byte stream over a TCP socket, plain or TLS (OpenSSL), for the Kubernetes API client and the
// fake API server of the tests. Reads and writes may run on two threads at once (an exec session
// sends stdin while it receives stdout): the socket is non-blocking and every OpenSSL call is made
// under one mutex, waiting for readiness with poll() outside it, because one SSL object must not be
// used by two threads at the same time.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <span>
#include <string>

#include <openssl/types.h>

#include "core/byte_stream.h"
#include "core/fd.h"
#include "core/status.h"

namespace hasteward::platform::kubernetes {

// TLS settings of a client connection. PEM text, never file names (kubeconfig gives both; the
// config loader reads the files).
struct TlsClientOptions {
  std::string ca_pem;           // trusted CAs ("" = the system store)
  std::string client_cert_pem;  // client certificate authentication (optional)
  std::string client_key_pem;
  std::string server_name;  // checked against the certificate (host name or IP address)
  bool insecure_skip_verify = false;
};

class NetStream {
 public:
  // Connects to host:port (a name or a literal address) within `timeout`; TLS when `tls` is set.
  static core::Result<std::unique_ptr<NetStream>> Connect(const std::string& host, int port,
                                                          const TlsClientOptions* tls,
                                                          std::chrono::milliseconds timeout);
  // Server side: a plain accepted socket, or a TLS handshake on it with `ctx`.
  static std::unique_ptr<NetStream> FromAcceptedPlain(core::UniqueFd fd);
  static core::Result<std::unique_ptr<NetStream>> FromAcceptedTls(core::UniqueFd fd, SSL_CTX* ctx);
  ~NetStream();
  NetStream(const NetStream&) = delete;
  NetStream& operator=(const NetStream&) = delete;

  // Reads what is available (blocking until something is); 0 at end of stream.
  core::Result<size_t> ReadSome(std::span<uint8_t> buf);
  core::Status WriteAll(core::ByteView data);
  // Shuts the socket down in both directions so a reader blocked on another thread wakes up.
  void Shutdown();
  // Every later wait for the peer fails (kUnreachable, retryable) once `deadline` has passed: a
  // server behind a network partition answers nothing, and nothing else would end the wait.
  void SetDeadline(std::chrono::steady_clock::time_point deadline) { deadline_ = deadline; }
  // The common name of a verified client certificate ("" when none was sent).
  std::string PeerCommonName() const;

 private:
  NetStream(core::UniqueFd fd, SSL* ssl) : fd_(std::move(fd)), ssl_(ssl) {}
  core::Status WaitFor(short events);  // NOLINT(google-runtime-int): poll's type

  core::UniqueFd fd_;
  SSL* ssl_ = nullptr;  // owned; null for plain TCP
  std::mutex ssl_mu_;
  std::chrono::steady_clock::time_point deadline_ = std::chrono::steady_clock::time_point::max();
};

// Reads an HTTP/WebSocket byte stream with a buffer in front: lines, heads, exact lengths.
class BufferedReader {
 public:
  explicit BufferedReader(NetStream* stream) : stream_(stream) {}
  // Reads through the first "\r\n\r\n" (at most 64 KiB) and returns everything before it.
  core::Result<std::string> ReadHead();
  // Reads one line ending in "\r\n" (returned without it).
  core::Result<std::string> ReadLine();
  // Appends exactly `size` bytes to `out`.
  core::Status ReadExact(size_t size, core::Bytes* out);
  // Reads buffered bytes first, then from the stream; 0 at end of stream.
  core::Result<size_t> ReadSome(std::span<uint8_t> buf);
  NetStream* stream() { return stream_; }

 private:
  core::Status Fill();
  NetStream* stream_;
  std::string buf_;
  size_t pos_ = 0;
};

}  // namespace hasteward::platform::kubernetes
