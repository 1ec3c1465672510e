#include "storage/s3/s3_backend.h"

#include <chrono>

#include "core/clock.h"
#include "core/hex.h"
#include "core/utc_time.h"
#include "storage/http/http_errors.h"
#include "storage/s3/s3_xml.h"

namespace hasteward::storage::s3 {
namespace {

constexpr char kEmptySha256[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

std::string BaseName(const std::string& key) {
  auto slash = key.rfind('/');
  return slash == std::string::npos ? key : key.substr(slash + 1);
}

}  // namespace

S3Backend::S3Backend(S3Config config) : config_(std::move(config)), client_(config_.http) {}

std::string S3Backend::KeyOf(const Handle& h) const {
  std::string base = config_.prefix.empty() ? "" : config_.prefix + "/";
  if (h.type == FileType::kConfig)
    return base + "config";
  std::string dir = FileTypeDir(h.type);
  if (h.type == FileType::kPack)
    return base + dir + "/" + h.name.substr(0, 2) + "/" + h.name;
  return base + dir + "/" + h.name;
}

core::Result<http::HttpResponse> S3Backend::Send(const std::string& method, const std::string& key,
                                                 const KeyValues& query, core::ByteView body,
                                                 KeyValues extra_headers) {
  std::string host =
      config_.path_style ? config_.endpoint : config_.bucket + "." + config_.endpoint;
  std::string path = config_.path_style ? "/" + UriEncode(config_.bucket, true) : "";
  if (!key.empty() || !config_.path_style)
    path += "/" + UriEncode(key, false);
  auto secs = std::chrono::duration_cast<std::chrono::seconds>(
      core::SystemClock::Get().Now().time_since_epoch());
  SigV4Scope scope{config_.credentials.access_key, config_.credentials.secret_key, config_.region,
                   "s3", AmzDate(secs.count())};
  SigV4Request sreq{method, path, query, std::move(extra_headers),
                    body.empty() ? kEmptySha256 : Sha256Hex(body)};
  sreq.headers.emplace_back("host", host);
  sreq.headers.emplace_back("x-amz-date", scope.amz_date);
  sreq.headers.emplace_back("x-amz-content-sha256", sreq.payload_hash);
  if (!config_.credentials.session_token.empty()) {
    sreq.headers.emplace_back("x-amz-security-token", config_.credentials.session_token);
  }
  http::HttpRequest req;
  req.method = method;
  std::string q = CanonicalQuery(query);
  req.url = config_.scheme + "://" + host + path + (q.empty() ? "" : "?" + q);
  req.headers = sreq.headers;
  req.headers.emplace_back("Authorization", Authorization(scope, sreq));
  req.body = body;
  return client_.Do(req);
}

core::Status S3Backend::ErrorOf(const std::string& what, const http::HttpResponse& resp) const {
  std::string body = core::AsString(resp.body);
  return http::StatusFromResponse(what + " in '" + Location() + "'", resp, XmlText(body, "Code"));
}

core::Status S3Backend::Create() {
  return CreateBucket(false);
}

core::Status S3Backend::CreateBucket(bool object_lock) {
  HS_ASSIGN_OR_RETURN(auto head, Send("HEAD", "", {}, {}, {}));
  if (http::IsSuccess(head))
    return core::Status::Ok();
  if (head.status != 404)
    return ErrorOf("HEAD bucket '" + config_.bucket + "'", head);
  std::string body;
  if (config_.region != "us-east-1") {
    body =
        "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        "<LocationConstraint>" +
        config_.region + "</LocationConstraint></CreateBucketConfiguration>";
  }
  KeyValues headers;
  if (object_lock)
    headers.emplace_back("x-amz-bucket-object-lock-enabled", "true");
  HS_ASSIGN_OR_RETURN(auto put, Send("PUT", "", {}, core::AsBytes(body), std::move(headers)));
  if (http::IsSuccess(put))
    return core::Status::Ok();
  std::string code = XmlText(core::AsString(put.body), "Code");
  if (code == "BucketAlreadyOwnedByYou")
    return core::Status::Ok();
  return ErrorOf("create bucket '" + config_.bucket + "'", put);
}

core::Status S3Backend::Save(const Handle& h, core::ByteView data) {
  std::string key = KeyOf(h);
  core::Bytes md5 = Md5(data);
  KeyValues headers = {{"content-md5", core::Base64Encode(md5)},
                       {"content-type", "application/octet-stream"}};
  if (IsRetainedType(h.type)) {
    HS_ASSIGN_OR_RETURN(auto period, Period());
    if (period.has_value()) {
      // COMPLIANCE, not GOVERNANCE: a governance lock yields to anyone allowed to bypass it
      // (s3:BypassGovernanceRetention), so a stolen owner key could delete the backups.
      auto until = core::SystemClock::Get().Now() + *period;
      headers.emplace_back("x-amz-object-lock-mode", "COMPLIANCE");
      headers.emplace_back(
          "x-amz-object-lock-retain-until-date",
          core::Rfc3339Utc(
              std::chrono::duration_cast<std::chrono::seconds>(until.time_since_epoch()).count()));
    }
  }
  HS_ASSIGN_OR_RETURN(auto resp, Send("PUT", key, {}, data, std::move(headers)));
  if (!http::IsSuccess(resp))
    return ErrorOf("PUT '" + key + "'", resp);
  // A single-part PUT's ETag is the hex MD5 of what the server stored.
  std::string etag = resp.Header("etag");
  if (etag.size() == 34 && etag.front() == '"')
    etag = etag.substr(1, 32);
  if (etag.size() == 32 && etag != core::HexEncode(md5)) {
    return core::StorageError(
        "PUT '" + key + "': server stored different bytes (etag " + etag + ")", true);
  }
  return core::Status::Ok();
}

core::Status S3Backend::Load(const Handle& h, uint64_t offset, uint64_t length, core::Bytes* out) {
  std::string key = KeyOf(h);
  KeyValues headers;
  if (offset > 0 || length > 0) {
    std::string range = "bytes=" + std::to_string(offset) + "-";
    if (length > 0)
      range += std::to_string(offset + length - 1);
    headers.emplace_back("range", range);
  }
  HS_ASSIGN_OR_RETURN(auto resp, Send("GET", key, {}, {}, std::move(headers)));
  if (!http::IsSuccess(resp))
    return ErrorOf("GET '" + key + "'", resp);
  if ((offset > 0 || length > 0) && resp.status != 206) {
    // The server ignored the range: take the slice ourselves.
    if (offset > resp.body.size())
      return core::StorageError("GET '" + key + "': offset past the end");
    resp.body.erase(resp.body.begin(), resp.body.begin() + static_cast<long>(offset));
  }
  if (length > 0 && resp.body.size() > length)
    resp.body.resize(length);
  if (length > 0 && resp.body.size() != length) {
    return core::StorageError("GET '" + key + "': short object (" +
                              std::to_string(resp.body.size()) + " of " + std::to_string(length) +
                              " bytes)");
  }
  *out = std::move(resp.body);
  return core::Status::Ok();
}

core::Result<FileInfo> S3Backend::Stat(const Handle& h) {
  std::string key = KeyOf(h);
  HS_ASSIGN_OR_RETURN(auto resp, Send("HEAD", key, {}, {}, {}));
  if (!http::IsSuccess(resp))
    return ErrorOf("HEAD '" + key + "'", resp);
  std::string len = resp.Header("content-length");
  if (len.empty())
    return core::StorageError("HEAD '" + key + "': no content-length", true);
  return FileInfo{h.type == FileType::kConfig ? "config" : h.name, std::stoull(len)};
}

core::Status S3Backend::ListPrefix(const std::string& prefix,
                                   const std::function<core::Status(const FileInfo&)>& fn) {
  std::string token;
  do {
    KeyValues query = {{"list-type", "2"}, {"prefix", prefix}, {"max-keys", "1000"}};
    if (!token.empty())
      query.emplace_back("continuation-token", token);
    HS_ASSIGN_OR_RETURN(auto resp, Send("GET", "", query, {}, {}));
    if (!http::IsSuccess(resp))
      return ErrorOf("list '" + prefix + "'", resp);
    ListPage page;
    if (!ParseListPage(core::AsString(resp.body), &page)) {
      return core::StorageError("list '" + prefix + "': malformed ListObjectsV2 response", true);
    }
    for (const auto& obj : page.objects) {
      std::string name = BaseName(obj.key);
      if (name.empty() || obj.key.size() <= prefix.size())
        continue;  // directory markers
      HS_TRY(fn(FileInfo{name, obj.size}));
    }
    token = page.truncated ? page.next_token : "";
  } while (!token.empty());
  return core::Status::Ok();
}

core::Status S3Backend::List(FileType t, const std::function<core::Status(const FileInfo&)>& fn) {
  if (t == FileType::kConfig) {
    auto info = Stat(Handle{FileType::kConfig, ""});
    if (!info.ok()) {
      return info.status().code() == core::ErrorCode::kNotFound ? core::Status::Ok()
                                                                : info.TakeStatus();
    }
    return fn(*info);
  }
  std::string base = config_.prefix.empty() ? "" : config_.prefix + "/";
  return ListPrefix(base + FileTypeDir(t) + "/", fn);
}

core::Status S3Backend::Remove(const Handle& h) {
  std::string key = KeyOf(h);
  HS_ASSIGN_OR_RETURN(auto period, Period());
  if (period.has_value())
    return RemoveVersion(key);
  return SendDelete(key, {});
}

core::Status S3Backend::SendDelete(const std::string& key, const KeyValues& query) {
  HS_ASSIGN_OR_RETURN(auto resp, Send("DELETE", key, query, {}, {}));
  if (http::IsSuccess(resp) || resp.status == 404)
    return core::Status::Ok();
  // A user without s3:DeleteObject here (a bucket policy that grants it only below locks/) gets
  // 403 AccessDenied, also for a key that does not exist (the policy is judged first).
  if (resp.status == 403) {
    std::string code = XmlText(core::AsString(resp.body), "Code");
    return DeleteRefused("DELETE '" + key + "' in '" + Location() + "': HTTP 403" +
                         (code.empty() ? "" : " " + code));
  }
  return ErrorOf("DELETE '" + key + "'", resp);
}

}  // namespace hasteward::storage::s3
