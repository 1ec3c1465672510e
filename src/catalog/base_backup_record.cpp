#include "catalog/base_backup_record.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <utility>

namespace hasteward::catalog {

namespace {

constexpr char kTimelineHistory[] = "timeline_history";

// A further entry of a split timeline history ("2:0/5000000").
bool IsBareHistoryEntry(const std::string& tag) {
  const size_t colon = tag.find(':');
  return colon != std::string::npos && colon > 0 && tag.find_first_not_of("0123456789") == colon &&
         ParseLsnText(tag.substr(colon + 1));
}

// Whether `tag`, a tag without '=', continues the list value of `key` that restic split.
bool ContinuesList(const std::string& key, const std::string& tag) {
  if (key == "gtid_position" || key == "gtid_slave_pos") {
    return IsBareGtid(tag);
  }
  return key == kTimelineHistory && IsBareHistoryEntry(tag);
}

core::Status BadFact(const std::string& key, const std::string& value, const std::string& what) {
  return core::Status(core::ErrorCode::kCorruption,
                      "snapshot tag '" + key + "=" + value + "' is not " + what,
                      "the snapshot's tags were not written by hasteward or were edited; "
                      "'hasteward get backups' shows them");
}

// An unsigned decimal number of at most `digits` digits.
std::optional<uint64_t> Decimal(const std::string& text, size_t digits) {
  if (text.empty() || text.size() > digits ||
      text.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  return std::strtoull(text.c_str(), nullptr, 10);
}

// Takes `key` out of `facts` (moved into `value`); false when absent.
bool Take(std::map<std::string, std::string>& facts, const char* key, std::string& value) {
  auto it = facts.find(key);
  if (it == facts.end()) {
    return false;
  }
  value = std::move(it->second);
  facts.erase(it);
  return true;
}

core::Status TakeIdentity(std::map<std::string, std::string>& facts, BaseBackupRecord& record) {
  std::string text;
  if (Take(facts, "engine", text)) {
    auto kind = platform::ParseEngineKind(text);
    if (!kind.ok()) {
      return BadFact("engine", text, "an engine (cnpg, mariadb, galera)");
    }
    record.engine = *kind;
  }
  Take(facts, "namespace", record.ns);
  Take(facts, "cluster", record.cluster);
  Take(facts, "type", record.type);
  Take(facts, "job", record.job);
  if (Take(facts, "method", text)) {
    record.native = text == "native";
    if (!record.native) {
      facts["method"] = text;  // another method's tag is kept as written
    }
  }
  Take(facts, "source_instance", record.source_instance);
  return core::Status::Ok();
}

core::Status TakePositions(std::map<std::string, std::string>& facts, BaseBackupRecord& record) {
  std::string text;
  if (Take(facts, "timeline", text)) {
    auto timeline = Decimal(text, 9);
    if (!timeline) {
      return BadFact("timeline", text, "a timeline number");
    }
    record.timeline = static_cast<uint32_t>(*timeline);
  }
  for (auto [key, lsn] :
       {std::pair{"start_lsn", &record.start_lsn}, std::pair{"stop_lsn", &record.stop_lsn}}) {
    if (Take(facts, key, text)) {
      *lsn = ParseLsnText(text);
      if (!*lsn) {
        return BadFact(key, text, "a WAL position such as 0/3000A38");
      }
    }
  }
  if (Take(facts, kTimelineHistory, text)) {
    auto history = ParseTimelineHistoryFact(text);
    if (!history.ok()) {
      return BadFact(kTimelineHistory, text, "a timeline history such as 1:0/3000060");
    }
    record.timeline_history = std::move(*history);
  }
  for (auto [key, gtid] : {std::pair{"gtid_position", &record.gtid_position},
                           std::pair{"gtid_slave_pos", &record.gtid_slave_pos}}) {
    if (Take(facts, key, text)) {
      *gtid = std::move(text);
    }
  }
  Take(facts, "system_identifier", record.system_identifier);
  return core::Status::Ok();
}

core::Status TakeServer(std::map<std::string, std::string>& facts, BaseBackupRecord& record) {
  std::string text;
  if (Take(facts, "pg_version", record.server_version)) {
    record.version_key = "pg_version";
  } else if (Take(facts, "mariadb_version", record.server_version)) {
    record.version_key = "mariadb_version";
  }
  if (Take(facts, "data_checksums", text)) {
    if (text != "on" && text != "off") {
      return BadFact("data_checksums", text, "on or off");
    }
    record.data_checksums = text == "on";
  }
  return core::Status::Ok();
}

core::Status TakeRead(std::map<std::string, std::string>& facts, BaseBackupRecord& record) {
  std::string text;
  if (Take(facts, "read", text)) {
    if (text != "full" && text != "incremental") {
      return BadFact("read", text, "full or incremental");
    }
    record.read = text == "full" ? ReadMode::kFull : ReadMode::kIncremental;
  }
  Take(facts, "reason", record.reason);
  Take(facts, "parent", record.parent);
  if (Take(facts, "parent_proof", text)) {
    if (text != "wal") {
      return BadFact("parent_proof", text, "wal");
    }
    record.parent_proof = ParentProof::kWal;
  }
  for (auto [key, number] : {std::pair{"block_size", &record.block_size},
                             std::pair{"incremental_run", &record.incremental_run},
                             std::pair{"bytes_read", &record.bytes_read},
                             std::pair{"wal_bytes_read", &record.wal_bytes_read},
                             std::pair{"changed_blocks", &record.changed_blocks}}) {
    if (Take(facts, key, text)) {
      *number = Decimal(text, 19);
      if (!*number) {
        return BadFact(key, text, "a number");
      }
    }
  }
  return core::Status::Ok();
}

void PutNumber(std::map<std::string, std::string>& facts, const char* key,
               const std::optional<uint64_t>& number) {
  if (number) {
    facts[key] = std::to_string(*number);
  }
}

}  // namespace

const char* ReadModeName(ReadMode mode) {
  switch (mode) {
    case ReadMode::kFull: return "full";
    case ReadMode::kIncremental: return "incremental";
    case ReadMode::kUnrecorded: break;
  }
  return "";
}

const char* ParentProofName(ParentProof proof) {
  switch (proof) {
    case ParentProof::kWal: return "wal";
    case ParentProof::kUnrecorded: break;
  }
  return "";
}

std::optional<WalPosition> BaseBackupRecord::start() const {
  if (!timeline || !start_lsn) {
    return std::nullopt;
  }
  return WalPosition{*timeline, *start_lsn};
}

std::optional<WalPosition> BaseBackupRecord::stop() const {
  if (!timeline || !stop_lsn) {
    return std::nullopt;
  }
  return WalPosition{*timeline, *stop_lsn};
}

std::map<std::string, std::string> TagFacts(const std::vector<std::string>& tags) {
  std::map<std::string, std::string> facts;
  std::string list_key;  // the key whose split value the bare tags that follow continue
  for (const std::string& tag : tags) {
    const size_t eq = tag.find('=');
    if (eq != std::string::npos) {
      list_key = tag.substr(0, eq);
      facts[list_key] = tag.substr(eq + 1);
    } else if (!list_key.empty() && ContinuesList(list_key, tag)) {
      std::string& value = facts[list_key];
      value += (value.empty() ? "" : ",") + tag;
    } else {
      list_key.clear();
    }
  }
  return facts;
}

core::Result<BaseBackupRecord> RecordOfFacts(const std::map<std::string, std::string>& facts) {
  BaseBackupRecord record;
  record.other = facts;
  HS_TRY(TakeIdentity(record.other, record));
  HS_TRY(TakePositions(record.other, record));
  HS_TRY(TakeServer(record.other, record));
  HS_TRY(TakeRead(record.other, record));
  return record;
}

core::Result<BaseBackupRecord> DecodeBaseBackup(const repo::Snapshot& snapshot) {
  HS_ASSIGN_OR_RETURN(BaseBackupRecord record, RecordOfFacts(TagFacts(snapshot.tags)));
  record.time = snapshot.time;
  return record;
}

std::map<std::string, std::string> FactsOf(const BaseBackupRecord& record) {
  std::map<std::string, std::string> facts = record.other;
  if (record.timeline) {
    facts["timeline"] = std::to_string(*record.timeline);
  }
  if (record.start_lsn) {
    facts["start_lsn"] = FormatLsnText(*record.start_lsn);
  }
  if (record.stop_lsn) {
    facts["stop_lsn"] = FormatLsnText(*record.stop_lsn);
  }
  if (!record.timeline_history.empty()) {
    facts[kTimelineHistory] = FormatTimelineHistoryFact(record.timeline_history);
  }
  if (record.gtid_position) {
    facts["gtid_position"] = *record.gtid_position;
  }
  if (record.gtid_slave_pos) {
    facts["gtid_slave_pos"] = *record.gtid_slave_pos;
  }
  if (!record.system_identifier.empty()) {
    facts["system_identifier"] = record.system_identifier;
  }
  if (!record.version_key.empty()) {
    facts[record.version_key] = record.server_version;
  }
  if (record.data_checksums) {
    facts["data_checksums"] = *record.data_checksums ? "on" : "off";
  }
  if (record.read != ReadMode::kUnrecorded) {
    facts["read"] = ReadModeName(record.read);
  }
  if (!record.reason.empty()) {
    facts["reason"] = record.reason;
  }
  if (!record.parent.empty()) {
    facts["parent"] = record.parent;
  }
  if (record.parent_proof != ParentProof::kUnrecorded) {
    facts["parent_proof"] = ParentProofName(record.parent_proof);
  }
  PutNumber(facts, "block_size", record.block_size);
  PutNumber(facts, "incremental_run", record.incremental_run);
  PutNumber(facts, "bytes_read", record.bytes_read);
  PutNumber(facts, "wal_bytes_read", record.wal_bytes_read);
  PutNumber(facts, "changed_blocks", record.changed_blocks);
  return facts;
}

std::vector<std::string> EncodeTags(const BaseBackupRecord& record) {
  std::vector<std::string> tags;
  if (record.native) {
    tags.emplace_back("method=native");
  }
  if (!record.source_instance.empty()) {
    tags.push_back("source_instance=" + record.source_instance);
  }
  for (const auto& [key, value] : FactsOf(record)) {
    std::string tag = key;
    tag += '=';
    tag += value;
    tags.push_back(std::move(tag));
  }
  return tags;
}

bool IsNativeBackup(const std::vector<std::string>& tags) {
  return std::find(tags.begin(), tags.end(), "method=native") != tags.end();
}

bool IsNativeBackup(const repo::Snapshot& snapshot) {
  return IsNativeBackup(snapshot.tags);
}

uint32_t NewestRecordedTimeline(const std::vector<repo::Snapshot>& snapshots,
                                const std::string& system) {
  uint32_t newest = 0;
  if (system.empty()) {
    return newest;
  }
  for (const repo::Snapshot& snapshot : snapshots) {
    // Read leniently, fact by fact: a snapshot with one unreadable fact still names timelines a
    // new history must stay above.
    std::map<std::string, std::string> facts = TagFacts(snapshot.tags);
    if (facts["system_identifier"] != system) {
      continue;
    }
    newest = std::max(newest, static_cast<uint32_t>(Decimal(facts["timeline"], 9).value_or(0)));
    const std::string& history = facts[kTimelineHistory];
    for (size_t at = 0; at < history.size();) {
      const size_t comma = std::min(history.find(',', at), history.size());
      const std::string entry = history.substr(at, comma - at);
      const auto timeline = Decimal(entry.substr(0, entry.find(':')), 9);
      newest = std::max(newest, static_cast<uint32_t>(timeline.value_or(0)));
      at = comma + 1;
    }
  }
  return newest;
}

}  // namespace hasteward::catalog
