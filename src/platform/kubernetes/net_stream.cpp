#include "platform/kubernetes/net_stream.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/clock.h"

namespace hasteward::platform::kubernetes {
namespace {

core::Status TlsError(const std::string& what) {
  unsigned long code = ERR_get_error();  // NOLINT(google-runtime-int): OpenSSL's type
  char text[256] = "unknown error";
  if (code != 0) {
    ERR_error_string_n(code, text, sizeof(text));
  }
  ERR_clear_error();
  return {core::ErrorCode::kUnreachable, what + ": " + text};
}

core::Status SetNonBlocking(int fd) {
  int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
    return core::ErrnoStatus("fcntl O_NONBLOCK", errno);
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return core::Status::Ok();
}

// Waits for the non-blocking connect to finish.
core::Status FinishConnect(int fd, std::chrono::milliseconds timeout) {
  pollfd pfd{fd, POLLOUT, 0};
  int ready = ::poll(&pfd, 1, static_cast<int>(timeout.count()));
  if (ready == 0) {
    return {core::ErrorCode::kTimeout, "connect timed out"};
  }
  int err = 0;
  socklen_t len = sizeof(err);
  ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
  if (ready < 0 || err != 0) {
    return core::ErrnoStatus("connect", ready < 0 ? errno : err);
  }
  return core::Status::Ok();
}

core::Result<core::UniqueFd> ConnectTcp(const std::string& host, int port,
                                        std::chrono::milliseconds timeout) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  std::string service = std::to_string(port);
  if (int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &found); rc != 0) {
    return core::Status(core::ErrorCode::kUnreachable,
                        "resolve '" + host + "': " + ::gai_strerror(rc));
  }
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> list(found, ::freeaddrinfo);
  core::Status last(core::ErrorCode::kUnreachable, "no address for '" + host + "'");
  for (addrinfo* ai = list.get(); ai != nullptr; ai = ai->ai_next) {
    core::UniqueFd fd(::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol));
    if (!fd.valid()) {
      last = core::ErrnoStatus("socket", errno);
      continue;
    }
    HS_TRY(SetNonBlocking(fd.get()));
    if (::connect(fd.get(), ai->ai_addr, ai->ai_addrlen) == 0 || errno == EINPROGRESS) {
      last = FinishConnect(fd.get(), timeout);
      if (last.ok()) {
        return fd;
      }
    } else {
      last = core::ErrnoStatus("connect", errno);
    }
  }
  last.Wrap("connect to " + host + ":" + service);
  last.SetRetryable();
  return last;
}

// Loads PEM certificates (one or many) into the context's trust store.
core::Status AddCaPem(SSL_CTX* ctx, const std::string& pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  X509_STORE* store = SSL_CTX_get_cert_store(ctx);
  int added = 0;
  while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    X509_STORE_add_cert(store, cert);
    X509_free(cert);
    ++added;
  }
  ERR_clear_error();  // the loop ends on a "no start line" error
  if (added == 0) {
    return core::Usage("the certificate authority data holds no PEM certificate",
                       "check certificate-authority-data in the kubeconfig (base64 of a PEM file)");
  }
  return core::Status::Ok();
}

core::Status UseClientCertificate(SSL_CTX* ctx, const TlsClientOptions& tls) {
  std::unique_ptr<BIO, decltype(&BIO_free)> cert_bio(
      BIO_new_mem_buf(tls.client_cert_pem.data(), static_cast<int>(tls.client_cert_pem.size())),
      BIO_free);
  std::unique_ptr<BIO, decltype(&BIO_free)> key_bio(
      BIO_new_mem_buf(tls.client_key_pem.data(), static_cast<int>(tls.client_key_pem.size())),
      BIO_free);
  std::unique_ptr<X509, decltype(&X509_free)> cert(
      PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr), X509_free);
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr), EVP_PKEY_free);
  if (!cert || !key || SSL_CTX_use_certificate(ctx, cert.get()) != 1 ||
      SSL_CTX_use_PrivateKey(ctx, key.get()) != 1) {
    return TlsError("load the client certificate and key");
  }
  return core::Status::Ok();
}

core::Result<SSL_CTX*> ClientContext(const TlsClientOptions& tls) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (ctx == nullptr) {
    return TlsError("create a TLS context");
  }
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> owned(ctx, SSL_CTX_free);
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  if (tls.insecure_skip_verify) {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  } else {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
    if (tls.ca_pem.empty()) {
      SSL_CTX_set_default_verify_paths(ctx);
    } else {
      HS_TRY(AddCaPem(ctx, tls.ca_pem));
    }
  }
  if (!tls.client_cert_pem.empty()) {
    HS_TRY(UseClientCertificate(ctx, tls));
  }
  return owned.release();
}

// The socket of a BIO made by AttachSocket: its data slot points at the NetStream's descriptor,
// which outlives the BIO (the stream frees its SSL, and with it the BIO, in its destructor).
int SocketOf(BIO* bio) {
  return static_cast<const core::UniqueFd*>(BIO_get_data(bio))->get();
}

// A socket BIO that sends with MSG_NOSIGNAL: OpenSSL's own socket BIO write()s, and a peer that
// has gone would kill the process with SIGPIPE instead of returning an error.
int NoSigpipeWrite(BIO* bio, const char* data, int size) {
  const int fd = SocketOf(bio);
  ssize_t sent = ::send(fd, data, static_cast<size_t>(size), MSG_NOSIGNAL);
  BIO_clear_flags(bio, BIO_FLAGS_RWS | BIO_FLAGS_SHOULD_RETRY);
  if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
    BIO_set_flags(bio, BIO_FLAGS_WRITE | BIO_FLAGS_SHOULD_RETRY);
  }
  return static_cast<int>(sent);
}

int NoSigpipeRead(BIO* bio, char* data, int size) {
  const int fd = SocketOf(bio);
  ssize_t got = ::recv(fd, data, static_cast<size_t>(size), 0);
  BIO_clear_flags(bio, BIO_FLAGS_RWS | BIO_FLAGS_SHOULD_RETRY);
  if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
    BIO_set_flags(bio, BIO_FLAGS_READ | BIO_FLAGS_SHOULD_RETRY);
  }
  return static_cast<int>(got);
}

long NoSigpipeCtrl(BIO* /*bio*/, int command, long /*num*/, void* /*ptr*/) {
  return command == BIO_CTRL_FLUSH ? 1 : 0;
}

const BIO_METHOD* NoSigpipeMethod() {
  static BIO_METHOD* method = [] {
    BIO_METHOD* created = BIO_meth_new(BIO_TYPE_SOURCE_SINK | BIO_get_new_index(), "hs-socket");
    BIO_meth_set_write(created, NoSigpipeWrite);
    BIO_meth_set_read(created, NoSigpipeRead);
    BIO_meth_set_ctrl(created, NoSigpipeCtrl);
    return created;
  }();
  return method;
}

// Attaches the socket to `ssl` through the MSG_NOSIGNAL BIO. `fd` must outlive `ssl`.
void AttachSocket(SSL* ssl, core::UniqueFd& fd) {
  BIO* bio = BIO_new(NoSigpipeMethod());
  BIO_set_data(bio, &fd);
  BIO_set_init(bio, 1);
  SSL_set_bio(ssl, bio, bio);
}

// Host name or IP address check of the server certificate.
void ExpectPeerName(SSL* ssl, const std::string& name) {
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  in6_addr addr6{};
  in_addr addr4{};
  if (::inet_pton(AF_INET, name.c_str(), &addr4) == 1 ||
      ::inet_pton(AF_INET6, name.c_str(), &addr6) == 1) {
    X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str());
  } else {
    X509_VERIFY_PARAM_set1_host(param, name.c_str(), 0);
    // SSL_set_tlsext_host_name without its C cast.
    SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
             const_cast<char*>(name.c_str()));  // NOLINT(*-const-cast): OpenSSL's signature
  }
}

}  // namespace

NetStream::~NetStream() {
  if (ssl_ != nullptr) {
    SSL_free(ssl_);
  }
}

core::Status NetStream::WaitFor(short events) {  // NOLINT(google-runtime-int): poll's type
  pollfd pfd{fd_.get(), events, 0};
  for (;;) {
    int timeout_ms = -1;
    if (deadline_ != std::chrono::steady_clock::time_point::max()) {
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(
                            deadline_ - core::SystemClock::Get().Monotonic())
                            .count();
      if (left <= 0) {
        return core::Status(core::ErrorCode::kUnreachable,
                            "the server did not answer before the request's deadline",
                            "check the network path to the Kubernetes API server")
            .SetRetryable();
      }
      timeout_ms = static_cast<int>(std::min<int64_t>(left, std::numeric_limits<int>::max()));
    }
    const int ready = ::poll(&pfd, 1, timeout_ms);
    if (ready > 0) {
      return core::Status::Ok();
    }
    if (ready < 0 && errno != EINTR) {
      return core::ErrnoStatus("poll", errno);
    }
  }
}

core::Result<std::unique_ptr<NetStream>> NetStream::Connect(const std::string& host, int port,
                                                            const TlsClientOptions* tls,
                                                            std::chrono::milliseconds timeout) {
  HS_ASSIGN_OR_RETURN(core::UniqueFd fd, ConnectTcp(host, port, timeout));
  if (tls == nullptr) {
    return std::unique_ptr<NetStream>(new NetStream(std::move(fd), nullptr));
  }
  HS_ASSIGN_OR_RETURN(SSL_CTX * raw_ctx, ClientContext(*tls));
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx(raw_ctx, SSL_CTX_free);
  SSL* ssl = SSL_new(ctx.get());  // holds its own reference to ctx
  std::unique_ptr<NetStream> stream(new NetStream(std::move(fd), ssl));
  AttachSocket(ssl, stream->fd_);
  SSL_set_mode(ssl, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  if (!tls->insecure_skip_verify) {
    ExpectPeerName(ssl, tls->server_name.empty() ? host : tls->server_name);
  }
  // A server that accepted the connection but says nothing (a partition) must not hold the
  // handshake forever.
  stream->SetDeadline(core::SystemClock::Get().Monotonic() + timeout);
  for (;;) {
    int rc = SSL_connect(ssl);
    if (rc == 1) {
      stream->SetDeadline(std::chrono::steady_clock::time_point::max());
      return stream;
    }
    int err = SSL_get_error(ssl, rc);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
      HS_TRY(stream->WaitFor(err == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT));
      continue;
    }
    long verify = SSL_get_verify_result(ssl);  // NOLINT(google-runtime-int): OpenSSL's type
    if (verify != X509_V_OK) {
      return core::Status(
          core::ErrorCode::kUnreachable,
          "TLS handshake with " + host + ":" + std::to_string(port) +
              ": certificate verification failed: " + X509_verify_cert_error_string(verify),
          "check the cluster's certificate-authority in the kubeconfig");
    }
    return TlsError("TLS handshake with " + host + ":" + std::to_string(port));
  }
}

std::unique_ptr<NetStream> NetStream::FromAcceptedPlain(core::UniqueFd fd) {
  (void)SetNonBlocking(fd.get());
  return std::unique_ptr<NetStream>(new NetStream(std::move(fd), nullptr));
}

core::Result<std::unique_ptr<NetStream>> NetStream::FromAcceptedTls(core::UniqueFd fd,
                                                                    SSL_CTX* ctx) {
  HS_TRY(SetNonBlocking(fd.get()));
  SSL* ssl = SSL_new(ctx);
  std::unique_ptr<NetStream> stream(new NetStream(std::move(fd), ssl));
  AttachSocket(ssl, stream->fd_);
  SSL_set_mode(ssl, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  for (;;) {
    int rc = SSL_accept(ssl);
    if (rc == 1) {
      return stream;
    }
    int err = SSL_get_error(ssl, rc);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
      HS_TRY(stream->WaitFor(err == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT));
      continue;
    }
    return TlsError("TLS handshake with a client");
  }
}

core::Result<size_t> NetStream::ReadSome(std::span<uint8_t> buf) {
  if (buf.empty()) {
    return size_t{0};
  }
  for (;;) {
    short wait_events = POLLIN;  // NOLINT(google-runtime-int): poll's type
    if (ssl_ == nullptr) {
      ssize_t n = ::recv(fd_.get(), buf.data(), buf.size(), 0);
      if (n >= 0) {
        return static_cast<size_t>(n);
      }
      if (errno == ECONNRESET) {
        return size_t{0};
      }
      if (errno != EAGAIN && errno != EINTR) {
        return core::ErrnoStatus("recv", errno);
      }
    } else {
      std::unique_lock lock(ssl_mu_);
      size_t got = 0;
      int rc = SSL_read_ex(ssl_, buf.data(), buf.size(), &got);
      if (rc == 1) {
        return got;
      }
      int err = SSL_get_error(ssl_, rc);
      if (err == SSL_ERROR_ZERO_RETURN) {
        return size_t{0};
      }
      if (err == SSL_ERROR_WANT_WRITE) {
        wait_events = POLLOUT;
      } else if (err != SSL_ERROR_WANT_READ) {
        ERR_clear_error();
        // A peer that closes without close_notify (most HTTP servers and clients) is an end of
        // stream; framing (Content-Length, chunks, WebSocket close) tells whether it was early.
        return size_t{0};
      }
    }
    HS_TRY(WaitFor(wait_events));
  }
}

core::Status NetStream::WriteAll(core::ByteView data) {
  while (!data.empty()) {
    short wait_events = POLLOUT;  // NOLINT(google-runtime-int): poll's type
    if (ssl_ == nullptr) {
      ssize_t n = ::send(fd_.get(), data.data(), data.size(), MSG_NOSIGNAL);
      if (n >= 0) {
        data = data.subspan(static_cast<size_t>(n));
        continue;
      }
      if (errno != EAGAIN && errno != EINTR) {
        return core::ErrnoStatus("send", errno);
      }
    } else {
      std::unique_lock lock(ssl_mu_);
      size_t sent = 0;
      int rc = SSL_write_ex(ssl_, data.data(), data.size(), &sent);
      if (rc == 1) {
        data = data.subspan(sent);
        continue;
      }
      int err = SSL_get_error(ssl_, rc);
      if (err == SSL_ERROR_WANT_READ) {
        wait_events = POLLIN;
      } else if (err != SSL_ERROR_WANT_WRITE) {
        return TlsError("TLS write");
      }
    }
    HS_TRY(WaitFor(wait_events));
  }
  return core::Status::Ok();
}

void NetStream::Shutdown() {
  ::shutdown(fd_.get(), SHUT_RDWR);
}

std::string NetStream::PeerCommonName() const {
  if (ssl_ == nullptr) {
    return "";
  }
  X509* cert = SSL_get1_peer_certificate(ssl_);
  if (cert == nullptr || SSL_get_verify_result(ssl_) != X509_V_OK) {
    X509_free(cert);
    return "";
  }
  char name[256] = "";
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, name, sizeof(name));
  X509_free(cert);
  return name;
}

core::Status BufferedReader::Fill() {
  if (pos_ > 0 && pos_ == buf_.size()) {
    buf_.clear();
    pos_ = 0;
  }
  uint8_t chunk[65536];
  HS_ASSIGN_OR_RETURN(size_t got, stream_->ReadSome(chunk));
  if (got == 0) {
    return {core::ErrorCode::kUnreachable, "connection closed by the peer"};
  }
  buf_.append(reinterpret_cast<const char*>(chunk), got);  // NOLINT(*-reinterpret-cast): bytes
  return core::Status::Ok();
}

core::Result<std::string> BufferedReader::ReadHead() {
  for (;;) {
    size_t end = buf_.find("\r\n\r\n", pos_);
    if (end != std::string::npos) {
      std::string head = buf_.substr(pos_, end - pos_);
      pos_ = end + 4;
      return head;
    }
    if (buf_.size() - pos_ > 65536) {
      return core::Status(core::ErrorCode::kUnreachable, "HTTP head longer than 64 KiB");
    }
    HS_TRY(Fill());
  }
}

core::Result<std::string> BufferedReader::ReadLine() {
  for (;;) {
    size_t end = buf_.find("\r\n", pos_);
    if (end != std::string::npos) {
      std::string line = buf_.substr(pos_, end - pos_);
      pos_ = end + 2;
      return line;
    }
    if (buf_.size() - pos_ > 65536) {
      return core::Status(core::ErrorCode::kUnreachable, "HTTP line longer than 64 KiB");
    }
    HS_TRY(Fill());
  }
}

core::Status BufferedReader::ReadExact(size_t size, core::Bytes* out) {
  size_t start = out->size();
  out->resize(start + size);
  size_t done = 0;
  while (done < size) {
    HS_ASSIGN_OR_RETURN(size_t got, ReadSome(std::span(*out).subspan(start + done)));
    if (got == 0) {
      out->resize(start + done);
      return {core::ErrorCode::kUnreachable, "connection closed in the middle of a message"};
    }
    done += got;
  }
  return core::Status::Ok();
}

core::Result<size_t> BufferedReader::ReadSome(std::span<uint8_t> buf) {
  if (pos_ < buf_.size()) {
    size_t take = std::min(buf.size(), buf_.size() - pos_);
    std::memcpy(buf.data(), buf_.data() + pos_, take);
    pos_ += take;
    return take;
  }
  return stream_->ReadSome(buf);
}

}  // namespace hasteward::platform::kubernetes
