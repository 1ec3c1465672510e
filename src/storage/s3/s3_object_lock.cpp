// S3Backend's ObjectLock (docs/object-lock.md): the bucket's Object Lock, the repository's lock
// period recorded beside it, and removing a version while it is retained.
#include <cstdio>
#include <ctime>

#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "core/hex.h"
#include "core/utc_time.h"
#include "storage/http/http_errors.h"
#include "storage/s3/s3_backend.h"
#include "storage/s3/s3_xml.h"

namespace hasteward::storage::s3 {
namespace {

// "2026-11-28T04:00:48.000000000Z" or "2026-11-28T04:00:48Z" (S3's retain-until dates).
std::optional<ObjectLock::TimePoint> ParseIsoUtc(const std::string& text) {
  std::tm utc{};
  if (std::sscanf(text.c_str(), "%d-%d-%dT%d:%d:%d", &utc.tm_year, &utc.tm_mon, &utc.tm_mday,
                  &utc.tm_hour, &utc.tm_min, &utc.tm_sec) != 6) {
    return std::nullopt;
  }
  utc.tm_year -= 1900;
  utc.tm_mon -= 1;
  return std::chrono::system_clock::from_time_t(timegm(&utc));
}

std::string IsoUtc(ObjectLock::TimePoint when) {
  return core::Rfc3339Utc(
      std::chrono::duration_cast<std::chrono::seconds>(when.time_since_epoch()).count());
}

}  // namespace

std::string S3Backend::LockRecordKey() const {
  return (config_.prefix.empty() ? "" : config_.prefix + "/") + "hasteward/object-lock.json";
}

core::Status S3Backend::Enable(std::chrono::seconds period) {
  HS_TRY(CreateBucket(true));
  HS_ASSIGN_OR_RETURN(auto conf, Send("GET", "", {{"object-lock", ""}}, {}, {}));
  // S3 turns Object Lock on only when a bucket is created; an existing bucket without it cannot
  // keep anything, and writing a repository there would promise protection it does not have.
  if (!http::IsSuccess(conf) ||
      XmlText(core::AsString(conf.body), "ObjectLockEnabled") != "Enabled") {
    return core::Usage("bucket '" + config_.bucket + "' in '" + Location() +
                       "' has no Object Lock (HTTP " + std::to_string(conf.status) + ")")
        .WithHint(
            "S3 enables Object Lock only when a bucket is created: use a bucket that does "
            "not exist yet (repo init --object-lock creates it) or one created with Object "
            "Lock (docs/object-lock.md)");
  }
  std::string record =
      nlohmann::json{{"mode", "COMPLIANCE"}, {"seconds", period.count()}}.dump() + "\n";
  std::string key = LockRecordKey();
  HS_ASSIGN_OR_RETURN(auto put, Send("PUT", key, {}, core::AsBytes(record), {}));
  if (!http::IsSuccess(put))
    return ErrorOf("PUT '" + key + "'", put);
  std::lock_guard<std::mutex> hold(period_mu_);
  period_ = std::optional<std::chrono::seconds>(period);
  return core::Status::Ok();
}

core::Result<std::optional<std::chrono::seconds>> S3Backend::Period() {
  std::lock_guard<std::mutex> hold(period_mu_);
  if (period_.has_value())
    return *period_;
  std::string key = LockRecordKey();
  HS_ASSIGN_OR_RETURN(auto resp, Send("GET", key, {}, {}, {}));
  if (resp.status == 404) {
    period_ = std::optional<std::chrono::seconds>();
    return *period_;
  }
  if (!http::IsSuccess(resp))
    return ErrorOf("GET '" + key + "'", resp);
  auto record = nlohmann::json::parse(core::AsString(resp.body), nullptr, false);
  if (!record.is_object() || !record.contains("seconds") ||
      !record["seconds"].is_number_integer() || record["seconds"].get<int64_t>() <= 0) {
    return core::Corruption("'" + key + "' in '" + Location() + "' is not a lock period record")
        .WithHint(
            "it is written by repo init --object-lock (docs/object-lock.md); restore it "
            "from the bucket's earlier version");
  }
  period_ = std::optional<std::chrono::seconds>(record["seconds"].get<int64_t>());
  return *period_;
}

core::Result<std::optional<ObjectLock::TimePoint>> S3Backend::RetainUntil(const Handle& h) {
  std::string key = KeyOf(h);
  HS_ASSIGN_OR_RETURN(auto head, Send("HEAD", key, {}, {}, {}));
  if (!http::IsSuccess(head))
    return ErrorOf("HEAD '" + key + "'", head);
  auto until = ParseIsoUtc(head.Header("x-amz-object-lock-retain-until-date"));
  if (!until.has_value() || *until <= core::SystemClock::Get().Now())
    return std::optional<TimePoint>();
  return until;
}

core::Status S3Backend::Extend(const Handle& h, TimePoint until) {
  std::string key = KeyOf(h);
  std::string body =
      "<Retention xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Mode>COMPLIANCE</Mode>"
      "<RetainUntilDate>" +
      IsoUtc(until) + "</RetainUntilDate></Retention>";
  // S3 requires an integrity header on PutObjectRetention.
  KeyValues headers = {{"content-md5", core::Base64Encode(Md5(core::AsBytes(body)))},
                       {"content-type", "application/xml"}};
  HS_ASSIGN_OR_RETURN(
      auto put, Send("PUT", key, {{"retention", ""}}, core::AsBytes(body), std::move(headers)));
  if (!http::IsSuccess(put))
    return ErrorOf("PUT '" + key + "?retention'", put);
  return core::Status::Ok();
}

core::Status S3Backend::RemoveVersion(const std::string& key) {
  HS_ASSIGN_OR_RETURN(auto head, Send("HEAD", key, {}, {}, {}));
  // A missing key: the "null" version deletes nothing and adds no delete marker, but the server
  // still judges the right to delete versions first (the delete probe, delete_probe.h).
  if (head.status == 404)
    return SendDelete(key, {{"versionId", "null"}});
  if (!http::IsSuccess(head))
    return ErrorOf("HEAD '" + key + "'", head);
  auto until = ParseIsoUtc(head.Header("x-amz-object-lock-retain-until-date"));
  if (until.has_value() && *until > core::SystemClock::Get().Now()) {
    return core::Status(
        core::ErrorCode::kSafetyStop,
        "'" + key + "' in '" + Location() + "' is under object lock until " + IsoUtc(*until),
        "nothing can delete it before then; run the command again after " + IsoUtc(*until) +
            " (docs/object-lock.md)");
  }
  std::string version = head.Header("x-amz-version-id");
  return SendDelete(key, version.empty() ? KeyValues{} : KeyValues{{"versionId", version}});
}

}  // namespace hasteward::storage::s3
