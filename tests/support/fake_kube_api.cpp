#include "support/fake_kube_api.h"

#include <cerrno>
#include <fstream>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/socket.h>
#include <unistd.h>

namespace hasteward::testing {
namespace {

namespace k8s = platform::kubernetes;

std::string RandomToken() {
  unsigned char random[24];
  RAND_bytes(random, sizeof(random));
  static const char kHex[] = "0123456789abcdef";
  std::string token;
  for (unsigned char byte : random) {
    token += kHex[byte >> 4];
    token += kHex[byte & 15];
  }
  return token;
}

std::string Base64(const std::string& text) {
  std::string out(4 * ((text.size() + 2) / 3), '\0');
  int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  out.resize(static_cast<size_t>(written));
  return out;
}

}  // namespace

core::Result<std::unique_ptr<FakeKubeApi>> FakeKubeApi::Start(FakeKubeApiOptions options) {
  std::unique_ptr<FakeKubeApi> api(new FakeKubeApi(std::move(options)));
  if (api->options_.pki != nullptr) {
    api->pki_ = api->options_.pki;
  } else {
    HS_ASSIGN_OR_RETURN(api->pki_, FakeKubePki::Create());
  }
  HS_ASSIGN_OR_RETURN(core::TempDir dir, core::TempDir::Create("fake-kube-api-"));
  api->dir_ = std::make_unique<core::TempDir>(std::move(dir));
  api->ca_file_ = api->dir_->path() + "/ca.crt";
  std::ofstream(api->ca_file_) << api->pki_->ca_pem();
  api->admin_token_ = RandomToken();
  api->tokens_[api->admin_token_] = {"kubernetes-admin", {"system:masters"}, true};
  api->resources_ = DefaultFakeKubeResources();
  if (!api->options_.rbac_file.empty()) {
    HS_TRY(api->rbac_.LoadYamlFile(api->options_.rbac_file));
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  auto* generic = reinterpret_cast<sockaddr*>(&addr);  // NOLINT(*-reinterpret-cast): sockets API
  if (api->options_.listen_fd >= 0) {
    api->listen_fd_.Reset(api->options_.listen_fd);
  } else {
    api->listen_fd_.Reset(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (::bind(api->listen_fd_.get(), generic, sizeof(addr)) != 0 ||
        ::listen(api->listen_fd_.get(), 128) != 0) {
      return core::ErrnoStatus("listen on 127.0.0.1", errno);
    }
  }
  socklen_t len = sizeof(addr);
  ::getsockname(api->listen_fd_.get(), generic, &len);
  api->port_ = ntohs(addr.sin_port);
  api->acceptor_ = std::thread([raw = api.get()] { raw->AcceptLoop(); });
  return api;
}

FakeKubeApi::~FakeKubeApi() {
  stopping_ = true;
  ::shutdown(listen_fd_.get(), SHUT_RDWR);
  if (acceptor_.joinable()) {
    acceptor_.join();
  }
  store_.WakeAll();
  std::vector<std::thread> workers;
  {
    std::lock_guard lock(conn_mu_);
    for (int fd : open_fds_) {
      ::shutdown(fd, SHUT_RDWR);
    }
    workers.swap(workers_);
  }
  for (auto& worker : workers) {
    worker.join();
  }
}

std::string FakeKubeApi::url() const {
  return std::string(options_.tls ? "https" : "http") + "://127.0.0.1:" + std::to_string(port_);
}

void FakeKubeApi::AddServiceAccountToken(const std::string& token, const std::string& ns,
                                         const std::string& name) {
  std::lock_guard lock(mu_);
  tokens_[token] = {
      "system:serviceaccount:" + ns + ":" + name,
      {"system:serviceaccounts", "system:serviceaccounts:" + ns, "system:authenticated"},
      false};
}

core::Result<FakePemPair> FakeKubeApi::IssueClientCertificate(const std::string& user,
                                                              const std::string& group) const {
  return pki_->IssueClientCertificate(user, group);
}

core::Result<std::string> FakeKubeApi::WriteKubeconfig(const std::string& token,
                                                       const std::string& ns) const {
  const std::string path =
      dir_->path() + "/kubeconfig-" + std::to_string(std::hash<std::string>{}(token));
  std::ofstream out(path);
  out << "apiVersion: v1\nkind: Config\nclusters:\n- name: fake\n  cluster:\n    server: " << url()
      << "\n    certificate-authority-data: " << Base64(pki_->ca_pem())
      << "\nusers:\n- name: fake-user\n  user:\n    token: " << token
      << "\ncontexts:\n- name: fake\n  context:\n    cluster: fake\n    user: fake-user\n"
      << "    namespace: " << ns << "\ncurrent-context: fake\n";
  if (!out) {
    return core::Internal("write kubeconfig '" + path + "'");
  }
  return path;
}

void FakeKubeApi::SetPodExecutor(const std::string& ns, const std::string& pod,
                                 FakePodExecutor executor) {
  std::lock_guard lock(mu_);
  executors_[ns + "/" + pod] = std::move(executor);
}

void FakeKubeApi::SetFaultForTest(FakeKubeFault fault, bool on) {
  std::lock_guard lock(mu_);
  if (on) {
    faults_.insert(fault);
  } else {
    faults_.erase(fault);
  }
}

const FakeKubeResource* FakeKubeApi::FindResource(const std::string& group,
                                                  const std::string& plural) const {
  for (const auto& res : resources_) {
    if (res.group == group && res.plural == plural) {
      return &res;
    }
  }
  return nullptr;
}

core::Result<nlohmann::json> FakeKubeApi::CreateForTest(const nlohmann::json& object) {
  const std::string api_version = object.value("apiVersion", "");
  const std::string kind = object.value("kind", "");
  for (const auto& res : resources_) {
    if (res.ApiVersion() == api_version && res.kind == kind) {
      std::string ns = res.namespaced ? object["metadata"].value("namespace", "default") : "";
      FakeKubeReply reply = store_.Create(res, ns, object);
      if (reply.code >= 300) {
        return core::Internal("create " + kind + ": " + reply.body.value("message", ""));
      }
      return reply.body;
    }
  }
  return core::NotFound("the fake API server does not serve " + api_version + " " + kind);
}

std::vector<std::vector<std::string>> FakeKubeApi::ExecCommandsForTest() const {
  std::lock_guard lock(mu_);
  return exec_commands_;
}

std::vector<FakeExecTransportKind> FakeKubeApi::ExecTransportsForTest() const {
  std::lock_guard lock(mu_);
  return exec_transports_;
}

int FakeKubeApi::PortForwardsForTest() const {
  std::lock_guard lock(mu_);
  return port_forwards_;
}

std::set<std::string> FakeKubeApi::GrantsUsedForTest() const {
  std::lock_guard lock(mu_);
  return grants_used_;
}

std::set<std::string> FakeKubeApi::GrantsOfServiceAccountForTest(const std::string& ns,
                                                                 const std::string& name) const {
  return rbac_.GrantsFor(
      {"system:serviceaccount:" + ns + ":" + name,
       {"system:serviceaccounts", "system:serviceaccounts:" + ns, "system:authenticated"},
       false});
}

void FakeKubeApi::AcceptLoop() {
  for (;;) {
    int fd = ::accept4(listen_fd_.get(), nullptr, nullptr, SOCK_CLOEXEC);
    if (stopping_) {
      if (fd >= 0) {
        ::close(fd);
      }
      return;
    }
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) {
        continue;
      }
      return;
    }
    std::lock_guard lock(conn_mu_);
    open_fds_.insert(fd);
    workers_.emplace_back([this, fd] { Serve(core::UniqueFd(fd)); });
  }
}

void FakeKubeApi::Serve(core::UniqueFd fd) {
  const int raw_fd = fd.get();
  std::unique_ptr<k8s::NetStream> stream;
  if (options_.tls) {
    auto accepted = k8s::NetStream::FromAcceptedTls(std::move(fd), pki_->server_context());
    if (accepted.ok()) {
      stream = std::move(accepted).value();
    }
  } else {
    stream = k8s::NetStream::FromAcceptedPlain(std::move(fd));
  }
  if (stream) {
    k8s::BufferedReader reader(stream.get());
    while (!stopping_ && HandleOne(*stream, reader)) {
    }
  }
  std::lock_guard lock(conn_mu_);
  open_fds_.erase(raw_fd);  // erased before the stream closes the fd, so no one shuts it after
  stream.reset();
}

void FakeKubeApi::SetTokenPartitionedForTest(const std::string& token, bool partitioned) {
  std::lock_guard lock(mu_);
  if (partitioned) {
    partitioned_tokens_.insert(token);
  } else {
    partitioned_tokens_.erase(token);
  }
}

bool FakeKubeApi::IsPartitioned(const FakeKubeRequest& request) const {
  const std::string authorization = request.Header("Authorization");
  std::lock_guard lock(mu_);
  return authorization.starts_with("Bearer ") &&
         partitioned_tokens_.count(authorization.substr(7)) != 0;
}

bool FakeKubeApi::Authenticate(FakeKubeRequest& request, k8s::NetStream& stream) const {
  const std::string authorization = request.Header("Authorization");
  std::lock_guard lock(mu_);
  if (authorization.starts_with("Bearer ")) {
    auto it = tokens_.find(authorization.substr(7));
    if (it != tokens_.end()) {
      request.user = it->second;
      return true;
    }
    return false;
  }
  const std::string common_name = stream.PeerCommonName();
  if (!common_name.empty()) {
    request.user = {common_name, {"system:authenticated"}, false};
    return true;
  }
  return false;
}

}  // namespace hasteward::testing
