// A real S3 server for tests: a one-host Ceph cluster (mon + memstore OSD) and a RADOS Gateway
// on 127.0.0.1, everything under a temp directory (facts: shared/docs/s3-test-server-ceph-rgw.md).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/subprocess.h"
#include "core/temp_dir.h"
#include "storage/http/http_client.h"

namespace hasteward::testing {

// RAII: Start() brings the cluster up (about 3 s), creates an S3 user and the bucket; destruction
// stops radosgw, the OSD and the mon in that order (SIGTERM, SIGKILL after 5 s) and removes the
// directory. Not thread-safe; one instance serves any number of concurrent S3 clients.
class CephRgwServer {
 public:
  static constexpr const char* kAccessKey = "HASTEWARDTESTKEY0001";
  static constexpr const char* kSecretKey = "hastewardtestsecret000000000000000000001";
  static constexpr const char* kBucket = "hasteward-test";

  // Starts the servers; fails with the tail of the failing daemon's log.
  static core::Result<std::unique_ptr<CephRgwServer>> Start();
  // One server per process, started on first use (tests run one per process under ctest).
  // Returns nullptr (after printing why) if it cannot start.
  static CephRgwServer* Shared();
  ~CephRgwServer();
  CephRgwServer(const CephRgwServer&) = delete;
  CephRgwServer& operator=(const CephRgwServer&) = delete;

  int port() const { return port_; }
  // "http://127.0.0.1:PORT".
  std::string Endpoint() const;
  // "s3:http://127.0.0.1:PORT/<bucket>/<prefix>".
  std::string Location(const std::string& prefix) const;
  // Environment for clients (restic, hasteward): AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.
  std::vector<std::pair<std::string, std::string>> ClientEnv() const;
  // Sets AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY in this process's environment.
  void ExportClientEnv() const;
  const std::string& dir() const { return dir_.path(); }

  // A second user with append-only rights on the bucket (docs/append-only.md): created with
  // radosgw-admin, then the bucket owner sets AppendOnlyBucketPolicy(prefix), which lets it read
  // and write every object but delete only the locks below `prefix` and HASteward's archive
  // index. The owner (kAccessKey) keeps every right. The policy replaces any earlier one.
  static constexpr const char* kAppendOnlyAccessKey = "HASTEWARDAPPENDONLY1";
  static constexpr const char* kAppendOnlySecretKey = "hastewardappendonlysecret000000000000001";
  static constexpr const char* kAppendOnlyUser = "hasteward-backup";
  // `bucket`: another bucket of the owner's (e.g. one `repo init --object-lock` created).
  core::Status AddAppendOnlyUser(const std::string& prefix, const std::string& bucket = kBucket);
  // The client environment with the append-only user's keys.
  std::vector<std::pair<std::string, std::string>> AppendOnlyClientEnv() const;

  // One raw S3 request signed with SigV4 (path style): what an attacker holding those keys can
  // send, without any of HASteward's own checks. `key` "" = the bucket; `query` e.g.
  // {{"versionId", "…"}}.
  using Query = std::vector<std::pair<std::string, std::string>>;
  struct Call {
    std::string method;
    std::string bucket = kBucket;
    std::string key;
    Query query;
    std::string body;
    std::string access_key = kAccessKey;
    std::string secret_key = kSecretKey;
  };
  core::Result<storage::http::HttpResponse> Request(const Call& call) const;

 private:
  explicit CephRgwServer(core::TempDir dir) : dir_(std::move(dir)) {}
  core::Status Boot();
  core::Status WriteConfig(int mon_port);
  core::Status StartDaemon(std::vector<std::string> argv, const std::string& log_name);
  core::Status WaitFor(const std::string& what, const std::function<bool()>& ready, int seconds);
  core::Result<std::string> Ceph(std::vector<std::string> args);
  void Stop();

  core::TempDir dir_;
  int port_ = 0;
  std::map<std::string, std::string> env_;
  std::vector<std::unique_ptr<core::Subprocess>> daemons_;  // start order: mon, osd, rgw
};

// The bucket policy of docs/append-only.md for `bucket`, repositories below `prefix` ("" for the
// bucket's root), the append-only user `user` and the bucket owner `owner` (RGW user IDs).
std::string AppendOnlyBucketPolicy(const std::string& bucket, const std::string& prefix,
                                   const std::string& user, const std::string& owner);

// A TCP port on 127.0.0.1 that was free a moment ago.
int PickFreePort();

}  // namespace hasteward::testing
