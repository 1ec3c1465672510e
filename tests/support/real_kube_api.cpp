#include "support/real_kube_api.h"

#include <csignal>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <unistd.h>

#include "core/hex.h"
#include "core/poll_until.h"
#include "platform/kubernetes/net_stream.h"
#include "support/ceph_rgw_server.h"
#include "support/source_dir.h"

namespace hasteward::testing {

namespace {

// The service network only names addresses; no route leads to it (nothing is ever dialled there).
constexpr const char* kServiceRange = "10.96.0.0/24";

std::string Base64Of(const std::string& text) {
  return core::Base64Encode(core::AsBytes(text));
}

core::Status Write(const std::string& path, const std::string& content) {
  std::ofstream out(path);
  out << content;
  return out ? core::Status::Ok() : core::Internal("write '" + path + "'");
}

// Every request with its user, verb, resource and the authorizer's decision, nothing of bodies:
// a test lists the denied ones and the permissions that were used.
constexpr const char* kAuditPolicy =
    "apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [RequestReceived]\n"
    "rules:\n- level: Metadata\n";

std::string KubeconfigText(const std::string& url, const std::string& ca_pem,
                           const std::string& user_yaml, const std::string& ns) {
  return "apiVersion: v1\nkind: Config\nclusters:\n- name: real\n  cluster:\n    server: " + url +
         "\n    certificate-authority-data: " + Base64Of(ca_pem) +
         "\nusers:\n- name: user\n  user:\n" + user_yaml +
         "contexts:\n- name: real\n  context:\n    cluster: real\n    user: user\n"
         "    namespace: " +
         ns + "\ncurrent-context: real\n";
}

core::Result<std::unique_ptr<core::Subprocess>> StartServer(std::vector<std::string> argv,
                                                            const std::string& log) {
  core::SubprocessOptions options;
  options.argv = std::move(argv);
  options.stdout_mode = core::StdioMode::kFile;
  options.stdout_file = log;
  options.stderr_mode = core::StdioMode::kFile;
  options.stderr_file = log;
  // Dies with the test, kill -9 included.
  options.helper = true;
  return core::Subprocess::Start(options);
}

std::string Tail(const std::string& path) {
  std::ifstream in(path);
  std::stringstream all;
  all << in.rdbuf();
  std::string text = all.str();
  return text.size() > 3000 ? text.substr(text.size() - 3000) : text;
}

}  // namespace

core::Result<std::string> RealKubeManifestsDir() {
  CmdResult printed = RunCommand({SourceDir() + "/tools/kube/build.sh", "--manifests"});
  if (printed.exit_code != 0) {
    return core::Internal("tools/kube/build.sh --manifests: " + printed.err);
  }
  return printed.out.substr(0, printed.out.find('\n'));
}

core::Result<std::string> RealKubeBinDir() {
  std::string dir;
  if (const char* env = std::getenv("HASTEWARD_KUBE_BIN"); env != nullptr && *env != '\0') {
    dir = env;
  } else {
    CmdResult printed = RunCommand({SourceDir() + "/tools/kube/build.sh", "--print-dir"});
    if (printed.exit_code != 0) {
      return core::Internal("tools/kube/build.sh --print-dir: " + printed.err);
    }
    dir = printed.out.substr(0, printed.out.find('\n'));
  }
  for (const char* bin : {"etcd", "kube-apiserver", "kubectl"}) {
    if (::access((dir + "/" + bin).c_str(), X_OK) != 0) {
      return core::NotFound("no " + std::string(bin) + " in '" + dir + "'",
                            "build the real Kubernetes components: tools/kube/build.sh");
    }
  }
  return dir;
}

core::Result<std::unique_ptr<RealKubeApi>> RealKubeApi::Start() {
  return StartWith({});
}

core::Result<std::unique_ptr<RealKubeApi>> RealKubeApi::StartWith(
    const RealKubeApiOptions& options) {
  // The ports are picked free before the servers bind them, so a test running beside this one
  // may take one in between (a local CI run met it: "bind: address already in use"). Such a start
  // is made again from the beginning, on new ports; any other failure is reported at once.
  constexpr int kAttempts = 5;
  for (int attempt = 1;; ++attempt) {
    auto started = StartOnce(options);
    if (started.ok() || attempt == kAttempts ||
        started.status().message().find("address already in use") == std::string::npos) {
      return started;
    }
  }
}

core::Result<std::unique_ptr<RealKubeApi>> RealKubeApi::StartOnce(
    const RealKubeApiOptions& options) {
  HS_ASSIGN_OR_RETURN(auto dir, core::TempDir::CreateOwned("hs-real-kube-"));
  std::unique_ptr<RealKubeApi> api(new RealKubeApi(std::move(dir)));
  api->options_ = options;
  HS_ASSIGN_OR_RETURN(api->bin_dir_, RealKubeBinDir());
  HS_ASSIGN_OR_RETURN(api->pki_, FakeKubePki::Create());
  HS_TRY(api->WriteFiles());
  HS_TRY(api->StartEtcd());
  HS_TRY(api->StartApiServer());
  HS_TRY(api->WaitReady());
  return api;
}

RealKubeApi::~RealKubeApi() {
  // The API server first: it would log etcd's absence for as long as it lives.
  for (auto* process : {&apiserver_, &etcd_}) {
    if (*process != nullptr) {
      (*process)->Signal(SIGTERM);
      if (!(*process)->WaitFor(std::chrono::seconds(10))) {
        (*process)->Signal(SIGKILL);
        (*process)->Wait();
      }
    }
  }
}

std::string RealKubeApi::url() const {
  return "https://127.0.0.1:" + std::to_string(port_);
}

core::Status RealKubeApi::WriteFiles() {
  const std::string& d = dir();
  ca_file_ = d + "/ca.crt";
  HS_TRY(Write(ca_file_, pki_->ca_pem()));
  HS_TRY(Write(d + "/server.crt", pki_->server_pair().cert_pem));
  HS_TRY(Write(d + "/server.key", pki_->server_pair().key_pem));
  HS_ASSIGN_OR_RETURN(std::string sa_key, FakeKubePki::NewKeyPem());
  HS_TRY(Write(d + "/sa.key", sa_key));
  // The server verifies tokens with the public half (a private key file is not read as one).
  CmdResult pub =
      RunCommand({"openssl", "pkey", "-in", d + "/sa.key", "-pubout", "-out", d + "/sa.pub"});
  if (pub.exit_code != 0) {
    return core::Internal("openssl pkey -pubout: " + pub.err);
  }
  // The API server's own client certificate toward kubelets (a node agent of a test).
  HS_ASSIGN_OR_RETURN(FakePemPair kubelet_client,
                      pki_->IssueClientCertificate("kube-apiserver", "system:masters"));
  HS_TRY(Write(d + "/kubelet-client.crt", kubelet_client.cert_pem));
  HS_TRY(Write(d + "/kubelet-client.key", kubelet_client.key_pem));
  HS_TRY(Write(d + "/audit-policy.yaml", kAuditPolicy));
  port_ = PickFreePort();
  etcd_port_ = PickFreePort();
  HS_ASSIGN_OR_RETURN(FakePemPair admin, pki_->IssueClientCertificate("admin", "system:masters"));
  admin_kubeconfig_ = d + "/admin.kubeconfig";
  return Write(admin_kubeconfig_,
               KubeconfigText(url(), pki_->ca_pem(),
                              "    client-certificate-data: " + Base64Of(admin.cert_pem) +
                                  "\n    client-key-data: " + Base64Of(admin.key_pem) + "\n",
                              "default"));
}

core::Status RealKubeApi::StartEtcd() {
  const std::string client = etcd_url();
  const std::string peer = "http://127.0.0.1:" + std::to_string(PickFreePort());
  std::vector<std::string> argv = {
      bin_dir_ + "/etcd", "--data-dir=" + dir() + "/etcd", "--listen-client-urls=" + client,
      "--advertise-client-urls=" + client, "--listen-peer-urls=" + peer,
      "--initial-advertise-peer-urls=" + peer, "--initial-cluster=default=" + peer,
      // A test's data needs no durability; fsync would cost seconds per test.
      "--unsafe-no-fsync", "--log-level=warn"};
  argv.insert(argv.end(), options_.etcd_flags.begin(), options_.etcd_flags.end());
  HS_ASSIGN_OR_RETURN(etcd_, StartServer(std::move(argv), dir() + "/etcd.log"));
  return core::Status::Ok();
}

core::Status RealKubeApi::StartApiServer() {
  const std::string& d = dir();
  std::vector<std::string> argv = {bin_dir_ + "/kube-apiserver",
                                   "--etcd-servers=http://127.0.0.1:" + std::to_string(etcd_port_),
                                   "--bind-address=127.0.0.1",
                                   "--advertise-address=127.0.0.1",
                                   "--secure-port=" + std::to_string(port_),
                                   "--cert-dir=" + d + "/certs",
                                   "--tls-cert-file=" + d + "/server.crt",
                                   "--tls-private-key-file=" + d + "/server.key",
                                   "--client-ca-file=" + ca_file_,
                                   "--service-cluster-ip-range=" + std::string(kServiceRange),
                                   "--service-account-issuer=https://kubernetes.default.svc",
                                   "--service-account-key-file=" + d + "/sa.pub",
                                   "--service-account-signing-key-file=" + d + "/sa.key",
                                   "--authorization-mode=Node,RBAC",
                                   "--enable-admission-plugins=NodeRestriction",
                                   "--kubelet-client-certificate=" + d + "/kubelet-client.crt",
                                   "--kubelet-client-key=" + d + "/kubelet-client.key",
                                   "--kubelet-preferred-address-types=InternalIP",
                                   "--kubelet-certificate-authority=" + ca_file_,
                                   "--allow-privileged=true",
                                   "--audit-policy-file=" + d + "/audit-policy.yaml",
                                   "--audit-log-path=" + d + "/audit.log",
                                   "--audit-log-mode=blocking"};
  argv.insert(argv.end(), options_.apiserver_flags.begin(), options_.apiserver_flags.end());
  HS_ASSIGN_OR_RETURN(apiserver_, StartServer(std::move(argv), d + "/apiserver.log"));
  return core::Status::Ok();
}

core::Status RealKubeApi::WaitReady() {
  bool ready = core::PollUntil(
      [&] {
        if (apiserver_->WaitFor(std::chrono::milliseconds(0)) ||
            etcd_->WaitFor(std::chrono::milliseconds(0))) {
          return true;  // exited: reported below
        }
        return Kubectl({"get", "--raw", "/readyz"}).exit_code == 0;
      },
      std::chrono::seconds(120), std::chrono::milliseconds(250));
  if (!ready || Kubectl({"get", "--raw", "/readyz"}).exit_code != 0) {
    return core::Internal("kube-apiserver did not become ready; its log ends:\n" +
                          Tail(dir() + "/apiserver.log") + "\netcd's log ends:\n" +
                          Tail(dir() + "/etcd.log"));
  }
  return core::Status::Ok();
}

CmdResult RealKubeApi::Kubectl(const std::vector<std::string>& args,
                               const std::string& stdin_text) const {
  std::vector<std::string> argv = {bin_dir_ + "/kubectl", "--kubeconfig", admin_kubeconfig_};
  argv.insert(argv.end(), args.begin(), args.end());
  if (stdin_text.empty()) {
    return RunCommand(argv);
  }
  std::string input = WriteFile(dir() + "/kubectl-stdin", stdin_text);
  return RunCommand(argv, {}, input);
}

core::Result<nlohmann::json> RealKubeApi::Create(const nlohmann::json& object) const {
  CmdResult r = Kubectl({"create", "-o", "json", "-f", "-"}, object.dump());
  if (r.exit_code != 0) {
    return core::Internal("kubectl create: " + r.err);
  }
  return nlohmann::json::parse(r.out);
}

core::Status RealKubeApi::CreateNamespace(const std::string& ns) const {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"create", "namespace", ns},
        std::vector<std::string>{"create", "serviceaccount", "default", "-n", ns}}) {
    CmdResult r = Kubectl(args);
    if (r.exit_code != 0) {
      return core::Internal("kubectl " + args[0] + " " + args[1] + ": " + r.err);
    }
  }
  return core::Status::Ok();
}

core::Status RealKubeApi::ApplyServerSide(const std::string& file) const {
  CmdResult r = Kubectl({"apply", "--server-side", "-f", file});
  if (r.exit_code != 0) {
    return core::Internal("kubectl apply --server-side -f " + file + ": " + r.err);
  }
  return core::Status::Ok();
}

core::Status RealKubeApi::ApplyDeploy(const std::vector<std::string>& database_namespaces) const {
  CmdResult deploy = Kubectl({"apply", "-k", SourceDir() + "/deploy"});
  if (deploy.out.find("clusterrole.rbac.authorization.k8s.io/hasteward-operator") ==
      std::string::npos) {
    return core::Internal("kubectl apply -k deploy/: " + deploy.out + deploy.err);
  }
  for (const std::string& ns : database_namespaces) {
    CmdResult binding =
        Kubectl({"apply", "-n", ns, "-f", "-"},
                RunCommand({"sed", "s/DATABASE_NAMESPACE/" + ns + "/",
                            SourceDir() + "/deploy/examples/secret-reader-rolebinding.yaml"})
                    .out);
    if (binding.exit_code != 0) {
      return core::Internal("the secret reader's binding in " + ns + ": " + binding.err);
    }
  }
  for (const char* crd : {"backuppolicies", "backuprepositories", "standbyclusters"}) {
    CmdResult established = Kubectl({"wait", "--for=condition=Established", "--timeout=60s",
                                     std::string("crd/") + crd + ".clinic.hasteward.prplanit.com"});
    if (established.exit_code != 0) {
      return core::Internal(std::string("CRD ") + crd + " not Established: " + established.err);
    }
    HS_TRY(WaitServed(std::string(crd) + ".clinic.hasteward.prplanit.com"));
  }
  return core::Status::Ok();
}

core::Status RealKubeApi::WaitServed(const std::string& resource) const {
  // Established is not yet served: for a few seconds a list answers 429 "storage is
  // (re)initializing" (measured on 1.36.3). Tests start once a list succeeds.
  std::string last;
  const bool served = core::PollUntil(
      [&] {
        CmdResult listed = Kubectl({"get", resource, "-A", "-o", "name"});
        last = listed.err;
        return listed.exit_code == 0;
      },
      std::chrono::seconds(60));
  return served ? core::Status::Ok()
                : core::Internal(resource + " not served within 60 s: " + last);
}

core::Result<std::string> RealKubeApi::ServiceAccountToken(const std::string& ns,
                                                           const std::string& name) const {
  CmdResult r = Kubectl({"create", "token", name, "-n", ns, "--duration=1h"});
  if (r.exit_code != 0) {
    return core::Internal("kubectl create token: " + r.err);
  }
  return r.out.substr(0, r.out.find('\n'));
}

core::Result<std::string> RealKubeApi::WriteKubeconfig(const std::string& token,
                                                       const std::string& ns) const {
  const std::string path = dir() + "/kubeconfig-" + std::to_string(std::hash<std::string>{}(token));
  HS_TRY(Write(path, KubeconfigText(url(), pki_->ca_pem(), "    token: " + token + "\n", ns)));
  return path;
}

core::Result<std::string> RealKubeApi::OperatorKubeconfig(const std::string& ns) const {
  HS_ASSIGN_OR_RETURN(std::string token, ServiceAccountToken("hasteward", "hasteward"));
  return WriteKubeconfig(token, ns);
}

std::vector<nlohmann::json> RealKubeApi::AuditEvents() const {
  std::vector<nlohmann::json> events;
  std::ifstream in(dir() + "/audit.log");
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) {
      events.push_back(nlohmann::json::parse(line, nullptr, false));
    }
  }
  return events;
}

std::string RealKubeApi::etcd_url() const {
  return "http://127.0.0.1:" + std::to_string(etcd_port_);
}

namespace {

// A POST to etcd's JSON gateway (its gRPC API as HTTP, /v3/...); the answer's JSON body.
core::Result<nlohmann::json> EtcdPost(int port, const std::string& path, const std::string& body) {
  HS_ASSIGN_OR_RETURN(auto conn, platform::kubernetes::NetStream::Connect(
                                     "127.0.0.1", port, nullptr, std::chrono::seconds(10)));
  const std::string request = "POST " + path +
                              " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                              "Connection: close\r\nContent-Length: " +
                              std::to_string(body.size()) + "\r\n\r\n" + body;
  HS_TRY(conn->WriteAll(core::AsBytes(request)));
  std::string answer;
  core::Bytes buffer(4096);
  for (;;) {
    HS_ASSIGN_OR_RETURN(size_t got, conn->ReadSome(buffer));
    if (got == 0) {
      break;
    }
    answer.append(buffer.begin(), buffer.begin() + static_cast<ptrdiff_t>(got));
  }
  const size_t head_end = answer.find("\r\n\r\n");
  const size_t open = answer.find('{', head_end == std::string::npos ? 0 : head_end);
  const size_t close = answer.rfind('}');
  if (!answer.starts_with("HTTP/1.1 200") || open == std::string::npos || close < open) {
    return core::Internal("etcd " + path + ": " + answer.substr(0, 500));
  }
  auto parsed = nlohmann::json::parse(answer.substr(open, close - open + 1), nullptr, false);
  if (parsed.is_discarded()) {
    return core::Internal("etcd " + path + " answered no JSON: " + answer.substr(0, 500));
  }
  return parsed;
}

}  // namespace

core::Result<int64_t> RealKubeApi::CompactEtcd() const {
  // One write of our own first, compacted with the rest: etcd keeps the revision it compacts to
  // and refuses only watches that start before it, so a client that listed at the revision just
  // before the last write (one change since its list) would otherwise still be served. The put
  // answers with its revision in its header. Key "hasteward-test/compaction" (base64).
  HS_ASSIGN_OR_RETURN(nlohmann::json status,
                      EtcdPost(etcd_port_, "/v3/kv/put",
                               R"({"key":"aGFzdGV3YXJkLXRlc3QvY29tcGFjdGlvbg==","value":"MQ=="})"));
  const std::string revision = status["header"].value("revision", "");
  if (revision.empty()) {
    return core::Internal("etcd's put answered no revision: " + status.dump());
  }
  HS_TRY(EtcdPost(etcd_port_, "/v3/kv/compaction",
                  nlohmann::json{{"revision", revision}, {"physical", true}}.dump())
             .status());
  return std::stoll(revision);
}

}  // namespace hasteward::testing
