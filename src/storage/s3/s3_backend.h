#pragma once

#include <memory>
#include <mutex>
#include <optional>
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
// With a lock period (docs/object-lock.md, recorded in <prefix>/hasteward/object-lock.json) Save
// writes the retained kinds (IsRetainedType) in COMPLIANCE mode until now + period, and Remove
// deletes the current version by its ID, so space is freed instead of hidden behind a delete
// marker, and refuses an object still retained.
class S3Backend : public Backend, public ObjectLock {
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
  ObjectLock* ObjectLocking() override { return this; }

  // ObjectLock. Enable creates a missing bucket with Object Lock; Period reads the record once.
  core::Status Enable(std::chrono::seconds period) override;
  core::Result<std::optional<std::chrono::seconds>> Period() override;
  core::Result<std::optional<TimePoint>> RetainUntil(const Handle& h) override;
  // PutObjectRetention on the current version.
  core::Status Extend(const Handle& h, TimePoint until) override;

  // The object key of a handle ("prefix/data/ab/ab12…").
  std::string KeyOf(const Handle& h) const;

 private:
  // Signs and sends one request for `key` ("" = the bucket itself).
  core::Result<http::HttpResponse> Send(const std::string& method, const std::string& key,
                                        const KeyValues& query, core::ByteView body,
                                        KeyValues extra_headers);
  core::Status ErrorOf(const std::string& what, const http::HttpResponse& resp) const;
  // HEAD bucket, then PUT it when missing (with Object Lock when `object_lock`).
  core::Status CreateBucket(bool object_lock);
  // Sends a DELETE of `key` (`query`: a versionId or none) and maps the answer.
  core::Status SendDelete(const std::string& key, const KeyValues& query);
  // Remove under a lock period: the current version by ID, refused while retained.
  core::Status RemoveVersion(const std::string& key);
  std::string LockRecordKey() const;
  core::Status ListPrefix(const std::string& prefix,
                          const std::function<core::Status(const FileInfo&)>& fn);

  S3Config config_;
  http::HttpClient client_;
  std::mutex period_mu_;
  std::optional<std::optional<std::chrono::seconds>> period_;  // outer: read yet
};

}  // namespace hasteward::storage::s3
