#include "catalog/wal/wal_index_format.h"

#include <algorithm>
#include <iterator>

#include <nlohmann/json.hpp>

namespace hasteward::catalog {

namespace {

struct KindName {
  engine::ArchiveFileKind kind;
  const char* name;
};
constexpr KindName kKindNames[] = {{engine::ArchiveFileKind::kSegment, "segment"},
                                   {engine::ArchiveFileKind::kPartial, "partial"},
                                   {engine::ArchiveFileKind::kHistory, "history"},
                                   {engine::ArchiveFileKind::kBackupLabel, "backup"}};

struct PartName {
  IndexPart part;
  const char* name;
};
constexpr PartName kPartNames[] = {
    {IndexPart::kDelta, "delta"}, {IndexPart::kBucket, "bucket"}, {IndexPart::kSummary, "summary"}};

// Decoding throws nlohmann's exceptions on a mistyped field; they stop at DecodeIndexFile.
struct DecodeError {
  std::string what;
};

repo::Id IdOf(const nlohmann::json& hex) {
  auto id = repo::IdFromHex(hex.get<std::string>());
  if (!id.ok()) {
    throw DecodeError{"an ID is not 64 hex digits"};
  }
  return *id;
}

repo::GoTime TimeOf(const nlohmann::json& text) {
  auto time = repo::ParseGoTime(text.get<std::string>());
  if (!time.ok()) {
    throw DecodeError{"a time is not RFC 3339"};
  }
  return *time;
}

nlohmann::json EntryJson(const WalIndexEntry& entry) {
  nlohmann::json content = nlohmann::json::array();
  for (const IndexedBlob& blob : entry.content) {
    content.push_back({repo::IdToHex(blob.id), repo::IdToHex(blob.pack), blob.offset, blob.length,
                       blob.uncompressed_length});
  }
  const char* kind = "segment";
  for (const auto& known : kKindNames) {
    kind = known.kind == entry.kind ? known.name : kind;
  }
  return {{"n", entry.name},     {"k", kind},
          {"t", entry.timeline}, {"s", entry.segment},
          {"z", entry.size},     {"m", entry.mtime.Format()},
          {"h", entry.sha256},   {"p", repo::IdToHex(entry.snapshot)},
          {"c", content}};
}

WalIndexEntry EntryOf(const nlohmann::json& j) {
  WalIndexEntry entry;
  entry.name = j.at("n").get<std::string>();
  const std::string kind = j.at("k").get<std::string>();
  bool known = false;
  for (const auto& name : kKindNames) {
    if (kind == name.name) {
      entry.kind = name.kind;
      known = true;
    }
  }
  if (!known) {
    throw DecodeError{"unknown file kind '" + kind + "'"};
  }
  entry.timeline = j.at("t").get<uint32_t>();
  entry.segment = j.at("s").get<uint64_t>();
  entry.size = j.at("z").get<uint64_t>();
  entry.mtime = TimeOf(j.at("m"));
  entry.sha256 = j.at("h").get<std::string>();
  entry.snapshot = IdOf(j.at("p"));
  for (const auto& blob : j.at("c")) {
    entry.content.push_back(IndexedBlob{IdOf(blob.at(0)), IdOf(blob.at(1)),
                                        blob.at(2).get<uint32_t>(), blob.at(3).get<uint32_t>(),
                                        blob.at(4).get<uint32_t>()});
  }
  return entry;
}

nlohmann::json BaseJson(const IndexedBase& base) {
  return {repo::IdToHex(base.snapshot), base.time.Format(), base.timeline, base.start, base.stop};
}

IndexedBase BaseOf(const nlohmann::json& j) {
  return IndexedBase{IdOf(j.at(0)), TimeOf(j.at(1)), j.at(2).get<uint32_t>(),
                     j.at(3).get<uint64_t>(), j.at(4).get<uint64_t>()};
}

nlohmann::json BasesJson(const std::vector<IndexedBase>& bases) {
  nlohmann::json out = nlohmann::json::array();
  for (const IndexedBase& base : bases) {
    out.push_back(BaseJson(base));
  }
  return out;
}

// A bucket file's random part: the only part of its name a summary stores (the rest follows from
// the cluster and the bucket), checked so a name built from it is always a valid object name.
std::string FileIdOf(const nlohmann::json& j) {
  std::string id = j.get<std::string>();
  if (id.empty() || id.size() > 32 ||
      id.find_first_not_of("0123456789abcdef") != std::string::npos) {
    throw DecodeError{"an index file id is not 1-32 hex digits"};
  }
  return id;
}

nlohmann::json SummaryJson(const WalIndexSummary& summary) {
  nlohmann::json runs = nlohmann::json::array();
  for (const auto& [timeline, timeline_runs] : summary.runs) {
    for (const auto& [first, run] : timeline_runs) {
      runs.push_back(
          {timeline, run.first, run.last, run.first_mtime.Format(), run.last_mtime.Format()});
    }
  }
  nlohmann::json histories = nlohmann::json::array();
  for (const auto& [name, entry] : summary.histories) {
    histories.push_back(EntryJson(entry));
  }
  nlohmann::json bases = nlohmann::json::array();
  for (const auto& [id, base] : summary.bases) {
    bases.push_back(BaseJson(base));
  }
  nlohmann::json buckets = nlohmann::json::array();
  for (const auto& [key, files] : summary.buckets) {
    buckets.push_back({key.first, key.second, files});
  }
  return {{"runs", runs},
          {"histories", histories},
          {"others", summary.others},
          {"bases", bases},
          {"buckets", buckets},
          {"wal_snapshots", summary.wal_snapshots},
          {"merged_deltas", summary.merged_deltas}};
}

WalIndexSummary SummaryOf(const nlohmann::json& j) {
  WalIndexSummary summary;
  for (const auto& run : j.at("runs")) {
    SegmentRun parsed{run.at(1).get<uint64_t>(), run.at(2).get<uint64_t>(), TimeOf(run.at(3)),
                      TimeOf(run.at(4))};
    if (parsed.last < parsed.first) {
      throw DecodeError{"a run ends before it starts"};
    }
    // Through Merge, so overlapping or adjacent stored runs still come out disjoint.
    WalIndexSummary one;
    one.runs[run.at(0).get<uint32_t>()].emplace(parsed.first, parsed);
    summary.Merge(one);
  }
  for (const auto& history : j.at("histories")) {
    WalIndexEntry entry = EntryOf(history);
    summary.histories.emplace(entry.name, std::move(entry));
  }
  for (const auto& other : j.at("others")) {
    summary.others.insert(other.get<std::string>());
  }
  for (const auto& base : j.at("bases")) {
    IndexedBase parsed = BaseOf(base);
    summary.bases.emplace(parsed.snapshot, parsed);
  }
  for (const auto& bucket : j.at("buckets")) {
    std::set<std::string>& files =
        summary.buckets[{bucket.at(0).get<uint32_t>(), bucket.at(1).get<uint64_t>()}];
    for (const auto& file : bucket.at(2)) {
      files.insert(FileIdOf(file));
    }
  }
  summary.wal_snapshots = j.at("wal_snapshots").get<uint64_t>();
  for (const auto& delta : j.at("merged_deltas")) {
    summary.merged_deltas.insert(FileIdOf(delta));
  }
  return summary;
}

}  // namespace

void WalIndexSummary::Add(const WalIndexEntry& entry) {
  switch (entry.kind) {
    case engine::ArchiveFileKind::kSegment:
      AddToRuns(runs[entry.timeline], entry.segment, entry.mtime);
      return;
    case engine::ArchiveFileKind::kHistory: histories.emplace(entry.name, entry); return;
    case engine::ArchiveFileKind::kPartial:
    case engine::ArchiveFileKind::kBackupLabel: others.insert(entry.name); return;
  }
}

void WalIndexSummary::Merge(const WalIndexSummary& other) {
  for (const auto& [timeline, other_runs] : other.runs) {
    SegmentRuns& mine = runs[timeline];
    for (const auto& [first, run] : other_runs) {
      auto at = mine.upper_bound(run.first);
      bool inside = at != mine.begin() && std::prev(at)->second.last >= run.last;
      if (inside) {
        continue;
      }
      // The runs it overlaps or touches join it; the union keeps the outermost ends' times.
      SegmentRun merged = run;
      for (auto it = mine.begin(); it != mine.end();) {
        const SegmentRun& existing = it->second;
        if (existing.last + 1 >= merged.first && existing.first <= merged.last + 1) {
          if (existing.first < merged.first) {
            merged.first = existing.first;
            merged.first_mtime = existing.first_mtime;
          }
          if (existing.last > merged.last) {
            merged.last = existing.last;
            merged.last_mtime = existing.last_mtime;
          }
          it = mine.erase(it);
        } else {
          ++it;
        }
      }
      mine.emplace(merged.first, merged);
    }
  }
  for (const auto& [name, entry] : other.histories) {
    histories.emplace(name, entry);
  }
  others.insert(other.others.begin(), other.others.end());
  bases.insert(other.bases.begin(), other.bases.end());
  for (const auto& [key, files] : other.buckets) {
    buckets[key].insert(files.begin(), files.end());
  }
  // Two summaries both count what they merged from the same older one: the larger is the one
  // that merged more, never the sum.
  wal_snapshots = std::max(wal_snapshots, other.wal_snapshots);
  merged_deltas.insert(other.merged_deltas.begin(), other.merged_deltas.end());
}

size_t WalIndexSummary::files() const {
  size_t count = histories.size() + others.size();
  for (const auto& [timeline, timeline_runs] : runs) {
    for (const auto& [first, run] : timeline_runs) {
      count += run.last - run.first + 1;
    }
  }
  return count;
}

std::string EncodeIndexFile(const IndexFileContent& content) {
  const char* part = "delta";
  for (const auto& known : kPartNames) {
    part = known.part == content.part ? known.name : part;
  }
  nlohmann::json doc = {
      {"version", IndexFileContent::kVersion}, {"cluster", content.cluster}, {"part", part}};
  if (content.part == IndexPart::kSummary) {
    doc["summary"] = SummaryJson(content.summary);
  } else {
    nlohmann::json entries = nlohmann::json::array();
    for (const WalIndexEntry& entry : content.entries) {
      entries.push_back(EntryJson(entry));
    }
    doc["entries"] = std::move(entries);
  }
  if (content.part == IndexPart::kDelta) {
    doc["bases"] = BasesJson(content.bases);
  }
  if (content.part == IndexPart::kBucket) {
    doc["supersedes"] = content.supersedes;
  }
  return doc.dump();
}

core::Result<IndexFileContent> DecodeIndexFile(const std::string& json) {
  nlohmann::json doc = nlohmann::json::parse(json, nullptr, false);
  if (!doc.is_object()) {
    return core::Corruption("archive index file is not a JSON object");
  }
  IndexFileContent content;
  try {
    if (doc.at("version").get<int>() != IndexFileContent::kVersion) {
      return core::Corruption("archive index file version " + doc.at("version").dump() +
                              " is not the version this build reads");
    }
    content.cluster = doc.at("cluster").get<std::string>();
    const std::string part = doc.at("part").get<std::string>();
    bool known = false;
    for (const auto& name : kPartNames) {
      if (part == name.name) {
        content.part = name.part;
        known = true;
      }
    }
    if (!known) {
      return core::Corruption("archive index file has an unknown part '" + part + "'");
    }
    if (content.part == IndexPart::kSummary) {
      content.summary = SummaryOf(doc.at("summary"));
    } else {
      for (const auto& entry : doc.at("entries")) {
        content.entries.push_back(EntryOf(entry));
      }
    }
    if (content.part == IndexPart::kDelta) {
      for (const auto& base : doc.at("bases")) {
        content.bases.push_back(BaseOf(base));
      }
    }
    if (content.part == IndexPart::kBucket) {
      for (const auto& file : doc.at("supersedes")) {
        content.supersedes.insert(FileIdOf(file));
      }
    }
  } catch (const nlohmann::json::exception& error) {
    return core::Corruption(std::string("archive index file: ") + error.what());
  } catch (const DecodeError& error) {
    return core::Corruption("archive index file: " + error.what);
  }
  return content;
}

}  // namespace hasteward::catalog
