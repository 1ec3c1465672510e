#include "support/fake_kube_pki.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

namespace hasteward::testing {
namespace {

core::Status PkiError(const std::string& what) {
  ERR_clear_error();
  return core::Internal("fake API server certificates: " + what + " failed");
}

EVP_PKEY* NewKey() {
  return EVP_EC_gen("P-256");
}

void AddExtension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (ext != nullptr) {
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
  }
}

// A certificate for `key`, signed by issuer_key (self-signed when issuer is null).
X509* NewCertificate(EVP_PKEY* key, const std::string& common_name, const std::string& org,
                     X509* issuer, EVP_PKEY* issuer_key, long serial) {
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), serial);
  X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert), 7L * 24 * 3600);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  auto text = [](const std::string& value) {
    return reinterpret_cast<const unsigned char*>(value.c_str());
  };
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, text(common_name), -1, -1, 0);
  if (!org.empty()) {
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, text(org), -1, -1, 0);
  }
  X509_set_issuer_name(cert, issuer != nullptr ? X509_get_subject_name(issuer) : name);
  return cert;
}

std::string CertPem(X509* cert) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, cert);
  char* data = nullptr;
  long size = BIO_get_mem_data(bio, &data);  // NOLINT(google-runtime-int): OpenSSL's type
  std::string pem(data, static_cast<size_t>(size));
  BIO_free(bio);
  return pem;
}

std::string KeyPem(EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  long size = BIO_get_mem_data(bio, &data);  // NOLINT(google-runtime-int): OpenSSL's type
  std::string pem(data, static_cast<size_t>(size));
  BIO_free(bio);
  return pem;
}

}  // namespace

FakeKubePki::~FakeKubePki() {
  SSL_CTX_free(server_ctx_);
  X509_free(ca_cert_);
  EVP_PKEY_free(ca_key_);
}

core::Result<std::unique_ptr<FakeKubePki>> FakeKubePki::Create() {
  std::unique_ptr<FakeKubePki> pki(new FakeKubePki());
  pki->ca_key_ = NewKey();
  if (pki->ca_key_ == nullptr) {
    return PkiError("CA key generation");
  }
  pki->ca_cert_ = NewCertificate(pki->ca_key_, "fake-kube-ca", "", nullptr, nullptr, 1);
  AddExtension(pki->ca_cert_, pki->ca_cert_, NID_basic_constraints, "critical,CA:TRUE");
  AddExtension(pki->ca_cert_, pki->ca_cert_, NID_key_usage, "critical,keyCertSign,cRLSign");
  AddExtension(pki->ca_cert_, pki->ca_cert_, NID_subject_key_identifier, "hash");
  if (X509_sign(pki->ca_cert_, pki->ca_key_, EVP_sha256()) == 0) {
    return PkiError("CA signing");
  }
  pki->ca_pem_ = CertPem(pki->ca_cert_);

  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> server_key(NewKey(), EVP_PKEY_free);
  std::unique_ptr<X509, decltype(&X509_free)> server_cert(
      NewCertificate(server_key.get(), "kube-apiserver", "", pki->ca_cert_, pki->ca_key_, 2),
      X509_free);
  AddExtension(server_cert.get(), pki->ca_cert_, NID_subject_alt_name,
               "IP:127.0.0.1,DNS:localhost,DNS:kubernetes.default.svc");
  AddExtension(server_cert.get(), pki->ca_cert_, NID_ext_key_usage, "serverAuth");
  AddExtension(server_cert.get(), pki->ca_cert_, NID_authority_key_identifier, "keyid:always");
  if (X509_sign(server_cert.get(), pki->ca_key_, EVP_sha256()) == 0) {
    return PkiError("server certificate signing");
  }
  pki->server_pair_ = FakePemPair{CertPem(server_cert.get()), KeyPem(server_key.get())};
  pki->server_ctx_ = SSL_CTX_new(TLS_server_method());
  SSL_CTX* ctx = pki->server_ctx_;
  if (ctx == nullptr || SSL_CTX_use_certificate(ctx, server_cert.get()) != 1 ||
      SSL_CTX_use_PrivateKey(ctx, server_key.get()) != 1) {
    return PkiError("server TLS context");
  }
  X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), pki->ca_cert_);
  // Client certificates are optional (tokens are the other way in), but one that is sent must
  // chain to the CA.
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  STACK_OF(X509_NAME)* names = sk_X509_NAME_new_null();
  sk_X509_NAME_push(names, X509_NAME_dup(X509_get_subject_name(pki->ca_cert_)));
  SSL_CTX_set_client_CA_list(ctx, names);
  return pki;
}

FakePemPair FakeKubePki::ca_pair() const {
  return FakePemPair{ca_pem_, KeyPem(ca_key_)};
}

core::Result<std::string> FakeKubePki::NewKeyPem() {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(NewKey(), EVP_PKEY_free);
  if (key == nullptr) {
    return PkiError("key generation");
  }
  return KeyPem(key.get());
}

core::Result<FakePemPair> FakeKubePki::IssueClientCertificate(const std::string& user,
                                                              const std::string& group) const {
  static long serial = 100;  // NOLINT(google-runtime-int): OpenSSL's type
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(NewKey(), EVP_PKEY_free);
  std::unique_ptr<X509, decltype(&X509_free)> cert(
      NewCertificate(key.get(), user, group, ca_cert_, ca_key_, ++serial), X509_free);
  AddExtension(cert.get(), ca_cert_, NID_ext_key_usage, "clientAuth");
  if (X509_sign(cert.get(), ca_key_, EVP_sha256()) == 0) {
    return PkiError("client certificate signing");
  }
  return FakePemPair{CertPem(cert.get()), KeyPem(key.get())};
}

}  // namespace hasteward::testing
