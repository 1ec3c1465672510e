#pragma once

#include <memory>
#include <string>

#include "storage/backend.h"
#include "storage/http/http_client.h"
#include "storage/s3/s3_config.h"
#include "storage/s3/sigv4.h"

namespace hasteward::storage::s3 {

// A repository in an S3 bucket, laid out exactly as restic's S3 backend (default layout):
// <prefix>/config, <prefix>/keys/<id>, <prefix>/data/<id[0:2]>/<id>, <prefix>/index/<id>,
// <prefix>/snapshots/<id>, <prefix>/locks/<id>. Every request is signed with SigV4 (signed
// payload hash). Save sends Content-MD5 and checks the returned ETag, so the server stored exactly
// our bytes; S3 PUTs are atomic. Thread-safe; no retries here (see retry/retry_backend.h).
class S3Backend : public Backend {
 public:
  explicit S3Backend(S3Config config);

  std::string Location() const override { return config_.Location(); }
  // Creates the bucket when it does not exist (HEAD, then PUT); an existing bucket is fine.
  core::Status Create() override;
  core::Status Save(const Handle& h, core::ByteView data) override;
  core::Status Load(const Handle& h, uint64_t offset, uint64_t length, core::Bytes* out) override;
  core::Result<FileInfo> Stat(const Handle& h) override;
  // ListObjectsV2 under "<prefix>/<dir>/" following continuation tokens; data/ is listed
  // recursively. kConfig lists the config object if present.
  core::Status List(FileType t, const std::function<core::Status(const FileInfo&)>& fn) override;
  core::Status Remove(const Handle& h) override;
  int Connections() const override { return config_.connections; }

  // The object key of a handle ("prefix/data/ab/ab12…").
  std::string KeyOf(const Handle& h) const;

 private:
  // Signs and sends one request for `key` ("" = the bucket itself).
  core::Result<http::HttpResponse> Send(const std::string& method, const std::string& key,
                                        const KeyValues& query, core::ByteView body,
                                        KeyValues extra_headers);
  core::Status ErrorOf(const std::string& what, const http::HttpResponse& resp) const;
  core::Status ListPrefix(const std::string& prefix,
                          const std::function<core::Status(const FileInfo&)>& fn);

  S3Config config_;
  http::HttpClient client_;
};

}  // namespace hasteward::storage::s3
