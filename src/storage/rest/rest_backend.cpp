#include "storage/rest/rest_backend.h"

#include <nlohmann/json.hpp>

#include "core/redact.h"
#include "storage/http/http_errors.h"

namespace hasteward::storage::rest {
namespace {

constexpr char kV2[] = "application/vnd.x.restic.rest.v2";

std::string PathOf(const std::string& url) {
  auto scheme = url.find("://");
  auto slash = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  return slash == std::string::npos ? "/" : url.substr(slash);
}

}  // namespace

core::Result<RestConfig> ParseRestLocation(const std::string& location) {
  if (location.rfind("rest:", 0) != 0)
    return core::Usage("invalid REST location '" + core::RedactUrlCredentials(location) + "'");
  RestConfig cfg;
  cfg.url = location.substr(5);
  if (cfg.url.rfind("http://", 0) != 0 && cfg.url.rfind("https://", 0) != 0) {
    return core::Usage("invalid REST location '" + core::RedactUrlCredentials(location) + "'",
                       "use rest:http(s)://[user:password@]host[:port]/[path/]");
  }
  if (cfg.url.back() != '/')
    cfg.url.push_back('/');
  if (const char* ca = std::getenv("HASTEWARD_REST_CA_FILE"))
    cfg.http.ca_file = ca;
  return cfg;
}

RestBackend::RestBackend(RestConfig config) : config_(std::move(config)), client_(config_.http) {}

std::string RestBackend::Location() const {
  return core::RedactUrlCredentials("rest:" + config_.url);
}

std::string RestBackend::UrlOf(const Handle& h) const {
  if (h.type == FileType::kConfig)
    return config_.url + "config";
  return config_.url + FileTypeDir(h.type) + "/" + h.name;
}

core::Result<http::HttpResponse> RestBackend::Send(const std::string& method,
                                                   const std::string& url, core::ByteView body,
                                                   const std::string& range) {
  http::HttpRequest req;
  req.method = method;
  req.url = url;
  req.headers = {{"Accept", kV2}};
  if (method == "POST")
    req.headers.emplace_back("Content-Type", "application/octet-stream");
  if (!range.empty())
    req.headers.emplace_back("Range", range);
  req.body = body;
  return client_.Do(req);
}

core::Status RestBackend::ErrorOf(const std::string& what, const http::HttpResponse& resp) const {
  return http::StatusFromResponse(what + " in '" + Location() + "'", resp);
}

core::Status RestBackend::Create() {
  HS_ASSIGN_OR_RETURN(auto resp, Send("POST", config_.url + "?create=true"));
  if (http::IsSuccess(resp))
    return core::Status::Ok();
  return ErrorOf("create repository", resp);
}

core::Status RestBackend::SaveOverExisting(const Handle& h, core::ByteView data,
                                           const http::HttpResponse& resp) {
  std::string what = "POST '" + PathOf(UrlOf(h)) + "'";
  core::Bytes existing;
  core::Status st = Load(h, 0, 0, &existing);
  if (st.retryable())
    return st.Wrap(what + ": check the existing object");  // retry the save
  if (!st.ok())
    return ErrorOf(what, resp);
  if (existing.size() == data.size() &&
      std::equal(existing.begin(), existing.end(), data.begin())) {
    return core::Status::Ok();
  }
  return core::StorageError(
      what + ": a different object of that name exists and the server refuses to replace it");
}

core::Status RestBackend::Save(const Handle& h, core::ByteView data) {
  // The REST protocol (restic's rest-server) stores only restic's own kinds; a standby cursor
  // there would be refused by the real server, so it is refused here with what to do instead.
  // Listing cursors finds none (List below), which is consistent: none can have been stored.
  if (h.type == FileType::kStandbyCursor) {
    return core::Status(core::ErrorCode::kStorage,
                        "the REST repository '" + Location() +
                            "' cannot store a standby cursor (the protocol has only restic's "
                            "own files)",
                        "keep a repository that standbys follow on S3 or a filesystem path");
  }
  // The archive index is a cache of what the snapshots hold: a repository without it still works
  // (readers use the snapshots), so its refusal is kUsage, which callers tell from a failed write.
  if (h.type == FileType::kArchiveIndex || h.type == FileType::kArchiveBucket) {
    return core::Usage("the REST repository '" + Location() +
                           "' cannot store the archive index (the protocol has only restic's own "
                           "files)",
                       "WAL is read from the snapshots instead; use S3 or a filesystem path for "
                       "large archives");
  }
  // A receiver's pieces are the only copy of what it acknowledged: refused as storage, which the
  // receiver reports and never acknowledges past.
  if (h.type == FileType::kWalStream) {
    return core::Status(core::ErrorCode::kStorage,
                        "the REST repository '" + Location() +
                            "' cannot store a WAL receiver's pieces (the protocol has only "
                            "restic's own files)",
                        "receive WAL into a repository on S3 or a filesystem path");
  }
  HS_ASSIGN_OR_RETURN(auto resp, Send("POST", UrlOf(h), data));
  if (http::IsSuccess(resp))
    return core::Status::Ok();
  if (resp.status == 403)
    return SaveOverExisting(h, data, resp);
  return ErrorOf("POST '" + PathOf(UrlOf(h)) + "'", resp);
}

core::Status RestBackend::Load(const Handle& h, uint64_t offset, uint64_t length,
                               core::Bytes* out) {
  std::string range;
  if (offset > 0 || length > 0) {
    range = "bytes=" + std::to_string(offset) + "-" +
            (length > 0 ? std::to_string(offset + length - 1) : "");
  }
  std::string what = "GET '" + PathOf(UrlOf(h)) + "'";
  HS_ASSIGN_OR_RETURN(auto resp, Send("GET", UrlOf(h), {}, range));
  if (!http::IsSuccess(resp))
    return ErrorOf(what, resp);
  if (!range.empty() && resp.status != 206) {
    if (offset > resp.body.size())
      return core::StorageError(what + ": offset past the end");
    resp.body.erase(resp.body.begin(), resp.body.begin() + static_cast<long>(offset));
  }
  if (length > 0 && resp.body.size() > length)
    resp.body.resize(length);
  if (length > 0 && resp.body.size() != length) {
    return core::StorageError(what + ": short object (" + std::to_string(resp.body.size()) +
                              " of " + std::to_string(length) + " bytes)");
  }
  *out = std::move(resp.body);
  return core::Status::Ok();
}

core::Result<FileInfo> RestBackend::Stat(const Handle& h) {
  std::string what = "HEAD '" + PathOf(UrlOf(h)) + "'";
  HS_ASSIGN_OR_RETURN(auto resp, Send("HEAD", UrlOf(h)));
  if (!http::IsSuccess(resp))
    return ErrorOf(what, resp);
  std::string len = resp.Header("content-length");
  if (len.empty())
    return core::StorageError(what + ": no content-length", true);
  return FileInfo{h.type == FileType::kConfig ? "config" : h.name, std::stoull(len)};
}

core::Status RestBackend::List(FileType t, const std::function<core::Status(const FileInfo&)>& fn) {
  if (t == FileType::kStandbyCursor || t == FileType::kArchiveIndex ||
      t == FileType::kArchiveBucket || t == FileType::kWalStream)
    return core::Status::Ok();  // never stored (Save)
  if (t == FileType::kConfig) {
    auto info = Stat(Handle{t, ""});
    if (!info.ok()) {
      return info.status().code() == core::ErrorCode::kNotFound ? core::Status::Ok()
                                                                : info.TakeStatus();
    }
    return fn(*info);
  }
  std::string url = config_.url + FileTypeDir(t) + "/";
  std::string what = "list '" + PathOf(url) + "'";
  HS_ASSIGN_OR_RETURN(auto resp, Send("GET", url));
  if (resp.status == 404)
    return core::Status::Ok();
  if (!http::IsSuccess(resp))
    return ErrorOf(what, resp);
  auto doc = nlohmann::json::parse(resp.body.begin(), resp.body.end(), nullptr, false);
  if (!doc.is_array())
    return core::StorageError(what + ": malformed listing", true);
  for (const auto& e : doc) {
    if (!e.is_object() || !e.contains("name") || !e["name"].is_string() || !e.contains("size") ||
        !e["size"].is_number_unsigned()) {
      return core::StorageError(what + ": malformed listing entry (is the server protocol v2?)",
                                true);
    }
    HS_TRY(fn(FileInfo{e["name"].get<std::string>(), e["size"].get<uint64_t>()}));
  }
  return core::Status::Ok();
}

core::Status RestBackend::Remove(const Handle& h) {
  HS_ASSIGN_OR_RETURN(auto resp, Send("DELETE", UrlOf(h)));
  if (http::IsSuccess(resp) || resp.status == 404)
    return core::Status::Ok();
  std::string what = "DELETE '" + PathOf(UrlOf(h)) + "'";
  // rest-server --append-only answers 403 to every DELETE outside locks/ (before it looks for
  // the file); with credentials that read and write, a 403 on a delete means exactly that.
  if (resp.status == 403)
    return DeleteRefused(what + " in '" + Location() + "': HTTP 403");
  return ErrorOf(what, resp);
}

}  // namespace hasteward::storage::rest
