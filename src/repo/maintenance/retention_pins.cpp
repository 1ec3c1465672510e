#include "repo/maintenance/retention_pins.h"

#include <nlohmann/json.hpp>

#include "repo/format/go_json.h"

namespace hasteward::repo {

namespace {

std::string Utc(int64_t unix_seconds) {
  return GoTime{unix_seconds, 0, 0}.Format();
}

JudgedCursor JudgeOne(const CursorRead& read, int64_t now_unix) {
  JudgedCursor judged;
  judged.object_name = read.object_name;
  if (!read.cursor) {
    judged.reason = "unreadable (" + read.error.message() +
                    "): every backup is kept until the standby rewrites it or it is removed";
    return judged;
  }
  const StandbyCursor& cursor = *read.cursor;
  judged.cursor = cursor;
  if (cursor.LiveAt(now_unix)) {
    judged.state = CursorState::kLive;
    judged.reason = "pins backup " + cursor.backup_id.substr(0, 8) + " of '" + cursor.ClusterKey() +
                    "' until " + Utc(cursor.ExpiresUnix());
  } else {
    judged.state = CursorState::kExpired;
    judged.reason = "expired at " + Utc(cursor.ExpiresUnix()) + " (written " +
                    Utc(cursor.written_unix) + "): pins nothing";
  }
  return judged;
}

}  // namespace

const char* CursorStateName(CursorState state) {
  switch (state) {
    case CursorState::kLive: return "live";
    case CursorState::kExpired: return "expired";
    case CursorState::kUnreadable: return "unreadable";
  }
  return "unreadable";
}

RetentionPins RetentionPins::Judge(const std::vector<CursorRead>& reads, int64_t now_unix) {
  RetentionPins pins;
  for (const CursorRead& read : reads) {
    JudgedCursor judged = JudgeOne(read, now_unix);
    // Fail safe: a cursor that cannot be read may belong to any cluster and may pin any backup,
    // and the object's name says only which standby wrote it. Guessing "expired" or "some other
    // cluster's" could delete the one backup a standby is restoring from; keeping everything
    // costs space until the standby's next refresh rewrites the object (every few minutes) or an
    // operator removes it. So it pins every backup of every cluster, with a warning.
    if (judged.state == CursorState::kUnreadable && !pins.pin_all_) {
      pins.pin_all_ = "kept: standby cursor '" + judged.object_name + "' is unreadable";
    }
    pins.cursors_.push_back(std::move(judged));
  }
  return pins;
}

std::optional<std::string> RetentionPins::PinReason(const std::string& cluster_key,
                                                    const std::string& backup_id) const {
  if (pin_all_) {
    return pin_all_;
  }
  for (const JudgedCursor& judged : cursors_) {
    if (judged.state == CursorState::kLive && judged.cursor->ClusterKey() == cluster_key &&
        judged.cursor->backup_id == backup_id) {
      return "pinned by standby '" + judged.cursor->standby + "' until " +
             Utc(judged.cursor->ExpiresUnix());
    }
  }
  return std::nullopt;
}

nlohmann::json RetentionPins::ToJson() const {
  nlohmann::json list = nlohmann::json::array();
  for (const JudgedCursor& judged : cursors_) {
    nlohmann::json entry = {{"object", "hasteward/standby-cursors/" + judged.object_name},
                            {"state", CursorStateName(judged.state)},
                            {"reason", judged.reason}};
    if (judged.cursor) {
      const StandbyCursor& cursor = *judged.cursor;
      entry["standby"] = cursor.standby;
      entry["cluster"] = cursor.ClusterKey();
      entry["backup"] = cursor.backup_id;
      entry["archive"] = {{"kind", CursorPositionKindName(cursor.position_kind)},
                          {"position", cursor.position}};
      entry["written"] = Utc(cursor.written_unix);
      entry["expires"] = Utc(cursor.ExpiresUnix());
    }
    list.push_back(std::move(entry));
  }
  return list;
}

std::string RetentionPins::ToText() const {
  std::string out;
  for (const JudgedCursor& judged : cursors_) {
    out += "standby cursor " + judged.object_name + ": " + CursorStateName(judged.state) + ", " +
           judged.reason + "\n";
  }
  return out;
}

}  // namespace hasteward::repo
