// CephRgwServer's append-only user: the S3 form of docs/append-only.md, set up as an operator
// would (radosgw-admin, then PutBucketPolicy signed by the bucket owner).
#include <chrono>

#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "storage/http/http_client.h"
#include "storage/s3/sigv4.h"
#include "support/ceph_rgw_server.h"

namespace hasteward::testing {

std::string AppendOnlyBucketPolicy(const std::string& bucket, const std::string& prefix,
                                   const std::string& user, const std::string& owner) {
  std::string arn = "arn:aws:s3:::" + bucket;
  std::string base = arn + "/" + (prefix.empty() ? "" : prefix + "/");
  auto principal = [](const std::string& uid) {
    return nlohmann::json{{"AWS", {"arn:aws:iam:::user/" + uid}}};
  };
  nlohmann::json policy = {{"Version", "2012-10-17"},
                           {"Statement",
                            {{{"Sid", "OwnerKeepsEveryRight"},
                              {"Effect", "Allow"},
                              {"Principal", principal(owner)},
                              {"Action", {"s3:*"}},
                              {"Resource", {arn, arn + "/*"}}},
                             {{"Sid", "BackupReadsAndAdds"},
                              {"Effect", "Allow"},
                              {"Principal", principal(user)},
                              // The retention rights matter only in a bucket with Object Lock
                              // (docs/object-lock.md): writing an object with a retention needs
                              // s3:PutObjectRetention, and COMPLIANCE retentions can only grow.
                              {"Action",
                               {"s3:ListBucket", "s3:GetBucketLocation", "s3:GetObject",
                                "s3:PutObject", "s3:GetObjectRetention", "s3:PutObjectRetention"}},
                              {"Resource", {arn, arn + "/*"}}},
                             {{"Sid", "BackupDeletesOnlyLocksAndArchiveIndex"},
                              {"Effect", "Allow"},
                              {"Principal", principal(user)},
                              // s3:DeleteObjectVersion: under Object Lock HASteward deletes by
                              // version, so that a removed lock leaves no old version behind.
                              {"Action", {"s3:DeleteObject", "s3:DeleteObjectVersion"}},
                              {"Resource",
                               {base + "locks/*", base + "hasteward/archive-index/*",
                                base + "hasteward/archive-buckets/*"}}}}}};
  return policy.dump(2);
}

core::Status CephRgwServer::AddAppendOnlyUser(const std::string& prefix,
                                              const std::string& bucket) {
  core::SubprocessOptions o;
  o.env_set = env_;
  o.argv = {"radosgw-admin",
            "user",
            "create",
            std::string("--uid=") + kAppendOnlyUser,
            "--display-name=append-only backup",
            std::string("--access-key=") + kAppendOnlyAccessKey,
            std::string("--secret=") + kAppendOnlySecretKey};
  auto created = core::RunChecked(o);
  if (!created.ok() && created.status().message().find("exists") == std::string::npos)
    return created.TakeStatus();
  Call put{"PUT",
           bucket,
           "",
           {{"policy", ""}},
           AppendOnlyBucketPolicy(bucket, prefix, kAppendOnlyUser, "test")};
  HS_ASSIGN_OR_RETURN(auto response, Request(put));
  if (response.status < 200 || response.status >= 300) {
    return core::StorageError("put bucket policy: HTTP " + std::to_string(response.status) + " " +
                              core::AsString(response.body));
  }
  return core::Status::Ok();
}

core::Result<storage::http::HttpResponse> CephRgwServer::Request(const Call& call) const {
  auto secs = std::chrono::duration_cast<std::chrono::seconds>(
      core::SystemClock::Get().Now().time_since_epoch());
  storage::s3::SigV4Scope scope{call.access_key, call.secret_key, "us-east-1", "s3",
                                storage::s3::AmzDate(secs.count())};
  std::string host = "127.0.0.1:" + std::to_string(port_);
  std::string path = "/" + storage::s3::UriEncode(call.bucket, true);
  if (!call.key.empty())
    path += "/" + storage::s3::UriEncode(call.key, false);
  storage::s3::SigV4Request signed_request{
      call.method, path, call.query, {}, storage::s3::Sha256Hex(core::AsBytes(call.body))};
  signed_request.headers = {{"host", host},
                            {"x-amz-date", scope.amz_date},
                            {"x-amz-content-sha256", signed_request.payload_hash}};
  storage::http::HttpRequest request;
  request.method = call.method;
  std::string query = storage::s3::CanonicalQuery(call.query);
  request.url = Endpoint() + path + (query.empty() ? "" : "?" + query);
  request.headers = signed_request.headers;
  request.headers.emplace_back("Authorization", storage::s3::Authorization(scope, signed_request));
  request.body = core::AsBytes(call.body);
  storage::http::HttpClient client;
  return client.Do(request);
}

std::vector<std::pair<std::string, std::string>> CephRgwServer::AppendOnlyClientEnv() const {
  return {{"AWS_ACCESS_KEY_ID", kAppendOnlyAccessKey},
          {"AWS_SECRET_ACCESS_KEY", kAppendOnlySecretKey}};
}

}  // namespace hasteward::testing
