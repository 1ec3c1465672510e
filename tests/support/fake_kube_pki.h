// The certificates of a real test kube-apiserver and its test kubelet, generated with OpenSSL at
// start: a self-signed CA, a server certificate for 127.0.0.1/localhost signed by it, and client
// certificates on demand (common name = user, organization = group), like a cluster's CA. Nothing
// is written to disk here.
#pragma once

#include <memory>
#include <string>

#include <openssl/types.h>

#include "core/status.h"

namespace hasteward::testing {

struct FakePemPair {
  std::string cert_pem;
  std::string key_pem;
};

class FakeKubePki {
 public:
  static core::Result<std::unique_ptr<FakeKubePki>> Create();
  ~FakeKubePki();
  FakeKubePki(const FakeKubePki&) = delete;
  FakeKubePki& operator=(const FakeKubePki&) = delete;

  const std::string& ca_pem() const { return ca_pem_; }
  // The CA's own key and certificate (a real kube-apiserver signs nothing with them, but
  // kube-controller-manager's certificate signer would).
  FakePemPair ca_pair() const;
  // The server certificate (127.0.0.1, localhost, kubernetes.default.svc) and its key, for a real
  // kube-apiserver's --tls-cert-file and --tls-private-key-file.
  const FakePemPair& server_pair() const { return server_pair_; }
  // A fresh private key (e.g. the service-account token signing key), PEM.
  static core::Result<std::string> NewKeyPem();
  // A TLS server context presenting the server certificate; it asks for (but does not require)
  // a client certificate and verifies one against the CA.
  SSL_CTX* server_context() const { return server_ctx_; }
  // A client certificate signed by the CA (for kubeconfig client-certificate authentication).
  core::Result<FakePemPair> IssueClientCertificate(const std::string& user,
                                                   const std::string& group) const;

 private:
  FakeKubePki() = default;
  EVP_PKEY* ca_key_ = nullptr;
  X509* ca_cert_ = nullptr;
  std::string ca_pem_;
  FakePemPair server_pair_;
  SSL_CTX* server_ctx_ = nullptr;
};

}  // namespace hasteward::testing
