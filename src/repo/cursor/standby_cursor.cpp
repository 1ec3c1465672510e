#include "repo/cursor/standby_cursor.h"

#include <nlohmann/json.hpp>

#include "repo/crypto/crypto.h"
#include "repo/format/go_json.h"

namespace hasteward::repo {

namespace {

constexpr std::string_view kSuffix = ".json";

struct PositionKindName {
  CursorPositionKind kind;
  const char* name;
};
constexpr PositionKindName kPositionKindNames[] = {{CursorPositionKind::kNone, "none"},
                                                   {CursorPositionKind::kWalSegment, "wal"},
                                                   {CursorPositionKind::kGtid, "gtid"}};

std::optional<CursorPositionKind> ParsePositionKind(const std::string& name) {
  for (const auto& entry : kPositionKindNames) {
    if (name == entry.name) {
      return entry.kind;
    }
  }
  return std::nullopt;
}

// The string at `key` of `object`, or why not.
core::Result<std::string> Text(const nlohmann::json& object, const char* key,
                               const std::string& where) {
  if (!object.is_object() || !object.contains(key) || !object[key].is_string()) {
    return core::Corruption("standby cursor: " + where + "." + key + " is missing or not a string");
  }
  return object[key].get<std::string>();
}

core::Status DecodeSource(const nlohmann::json& doc, StandbyCursor* cursor) {
  const nlohmann::json& source = doc.contains("source") ? doc["source"] : nlohmann::json();
  HS_ASSIGN_OR_RETURN(cursor->engine, Text(source, "engine", "source"));
  HS_ASSIGN_OR_RETURN(cursor->namespace_name, Text(source, "namespace", "source"));
  HS_ASSIGN_OR_RETURN(cursor->cluster, Text(source, "cluster", "source"));
  return core::Status::Ok();
}

core::Status DecodeNeeds(const nlohmann::json& doc, StandbyCursor* cursor) {
  const nlohmann::json& needs = doc.contains("needs") ? doc["needs"] : nlohmann::json();
  HS_ASSIGN_OR_RETURN(cursor->backup_id, Text(needs, "backup", "needs"));
  HS_ASSIGN_OR_RETURN(cursor->backup_end, Text(needs, "backupEnd", "needs"));
  const nlohmann::json& archive =
      needs.is_object() && needs.contains("archive") ? needs["archive"] : nlohmann::json();
  HS_ASSIGN_OR_RETURN(std::string kind, Text(archive, "kind", "needs.archive"));
  std::optional<CursorPositionKind> parsed = ParsePositionKind(kind);
  if (!parsed) {
    return core::Corruption("standby cursor: unknown archive position kind '" + kind + "'");
  }
  cursor->position_kind = *parsed;
  HS_ASSIGN_OR_RETURN(cursor->position, Text(archive, "position", "needs.archive"));
  return core::Status::Ok();
}

core::Status DecodeTimes(const nlohmann::json& doc, StandbyCursor* cursor) {
  HS_ASSIGN_OR_RETURN(std::string written, Text(doc, "written", "cursor"));
  auto time = ParseGoTime(written);
  if (!time.ok()) {
    return core::Corruption("standby cursor: written time '" + written + "' is not RFC 3339");
  }
  cursor->written_unix = time->unix_seconds;
  if (!doc.contains("ttlSeconds") || !doc["ttlSeconds"].is_number_integer() ||
      doc["ttlSeconds"].get<int64_t>() <= 0) {
    return core::Corruption("standby cursor: ttlSeconds is missing or not a positive integer");
  }
  cursor->ttl_seconds = doc["ttlSeconds"].get<int64_t>();
  return core::Status::Ok();
}

core::Result<CursorRead> ReadOne(Repository& repository, const std::string& name) {
  CursorRead read;
  read.object_name = name;
  core::Bytes encrypted;
  core::Status loaded = repository.backend().Load(
      storage::Handle{storage::FileType::kStandbyCursor, name}, 0, 0, &encrypted);
  if (loaded.code() == core::ErrorCode::kNotFound) {
    return core::NotFound("removed while listing");
  }
  if (!loaded.ok()) {
    read.error = std::move(loaded);
    return read;
  }
  auto plain = Decrypt(repository.key(), encrypted);
  if (!plain.ok()) {
    read.error = core::Corruption("cannot decrypt it (torn, altered, or written with another key)");
    return read;
  }
  auto cursor = DecodeStandbyCursor(core::AsString(*plain));
  if (!cursor.ok()) {
    read.error = cursor.TakeStatus();
  } else if (StandbyCursorObjectName(cursor->standby) != name) {
    read.error = core::Corruption("it names standby '" + cursor->standby + "'");
  } else {
    read.cursor = std::move(*cursor);
  }
  return read;
}

}  // namespace

const char* CursorPositionKindName(CursorPositionKind kind) {
  for (const auto& entry : kPositionKindNames) {
    if (entry.kind == kind) {
      return entry.name;
    }
  }
  return "none";
}

std::string StandbyCursor::ClusterKey() const {
  return engine + "/" + namespace_name + "/" + cluster;
}

core::Status ValidateStandbyName(const std::string& name) {
  if (!storage::IsValidName(storage::FileType::kStandbyCursor, StandbyCursorObjectName(name))) {
    return core::Usage("standby name '" + name + "' cannot name a cursor object",
                       "use lowercase letters, digits, '-' and '.', starting with a letter or "
                       "digit, at most 63 characters");
  }
  return core::Status::Ok();
}

std::string StandbyCursorObjectName(const std::string& standby) {
  return standby + std::string(kSuffix);
}

std::string EncodeStandbyCursor(const StandbyCursor& cursor) {
  nlohmann::json doc = {
      {"version", StandbyCursor::kVersion},
      {"standby", cursor.standby},
      {"source",
       {{"engine", cursor.engine},
        {"namespace", cursor.namespace_name},
        {"cluster", cursor.cluster}}},
      {"needs",
       {{"backup", cursor.backup_id},
        {"backupEnd", cursor.backup_end},
        {"archive",
         {{"kind", CursorPositionKindName(cursor.position_kind)}, {"position", cursor.position}}}}},
      {"written", GoTime{cursor.written_unix, 0, 0}.Format()},
      {"ttlSeconds", cursor.ttl_seconds}};
  return doc.dump();
}

core::Result<StandbyCursor> DecodeStandbyCursor(const std::string& json) {
  nlohmann::json doc = nlohmann::json::parse(json, nullptr, false);
  if (!doc.is_object()) {
    return core::Corruption("standby cursor is not a JSON object");
  }
  if (!doc.contains("version") || !doc["version"].is_number_integer()) {
    return core::Corruption("standby cursor has no version");
  }
  // A newer HASteward may pin differently; an older reader cannot know how, so the caller
  // treats this as unreadable (which keeps everything of the repository: see retention_pins.h).
  if (doc["version"].get<int64_t>() != StandbyCursor::kVersion) {
    return core::Corruption("standby cursor version " + doc["version"].dump() +
                            " is not the version " + std::to_string(StandbyCursor::kVersion) +
                            " this build reads");
  }
  StandbyCursor cursor;
  HS_ASSIGN_OR_RETURN(cursor.standby, Text(doc, "standby", "cursor"));
  HS_TRY(DecodeSource(doc, &cursor));
  HS_TRY(DecodeNeeds(doc, &cursor));
  HS_TRY(DecodeTimes(doc, &cursor));
  return cursor;
}

core::Status SaveStandbyCursor(Repository& repository, const StandbyCursor& cursor) {
  HS_TRY(ValidateStandbyName(cursor.standby));
  core::Bytes encrypted = Encrypt(repository.key(), core::AsBytes(EncodeStandbyCursor(cursor)));
  const std::string name = StandbyCursorObjectName(cursor.standby);
  core::Status saved = repository.backend().Save(
      storage::Handle{storage::FileType::kStandbyCursor, name}, encrypted);
  if (!saved.ok()) {
    return saved.Wrap("write standby cursor 'hasteward/standby-cursors/" + name + "'");
  }
  return core::Status::Ok();
}

core::Result<std::vector<CursorRead>> LoadStandbyCursors(Repository& repository) {
  std::vector<std::string> names;
  core::Status listed = repository.backend().List(
      storage::FileType::kStandbyCursor, [&names](const storage::FileInfo& info) {
        // Objects that are no cursor's name (an operator's stray file) are not cursors.
        if (storage::IsValidName(storage::FileType::kStandbyCursor, info.name)) {
          names.push_back(info.name);
        }
        return core::Status::Ok();
      });
  if (!listed.ok()) {
    return listed.Wrap("list standby cursors (hasteward/standby-cursors/)");
  }
  std::vector<CursorRead> reads;
  for (const std::string& name : names) {
    auto read = ReadOne(repository, name);
    if (read.ok()) {
      reads.push_back(std::move(*read));
    }  // else removed between listing and reading: the standby retired it
  }
  return reads;
}

}  // namespace hasteward::repo
