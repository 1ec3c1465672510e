#include "pitr/wal/wal_index.h"

#include <algorithm>
#include <cstdio>

#include "core/log.h"
#include "platform/platform.h"
#include "repo/lock/repo_lock.h"

namespace hasteward::pitr {

namespace {

std::string Hex(uint64_t value, int digits) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%0*llx", digits, static_cast<unsigned long long>(value));
  return buf;
}

// One file name's fields after the cluster key: "d-<random>", "s-<random>",
// "b-<timeline>-<bucket>-<random>".
struct ParsedName {
  char part = 0;
  uint32_t timeline = 0;
  uint64_t bucket = 0;
};

std::optional<ParsedName> ParseName(const std::string& rest) {
  ParsedName parsed;
  if (rest.size() < 3 || rest[1] != '-') {
    return std::nullopt;
  }
  parsed.part = rest[0];
  if (parsed.part == 'b') {
    unsigned timeline = 0;
    unsigned long long bucket = 0;
    if (std::sscanf(rest.c_str() + 2, "%8x-%16llx-", &timeline, &bucket) != 2) {
      return std::nullopt;
    }
    parsed.timeline = timeline;
    parsed.bucket = bucket;
  }
  return parsed;
}

// One entry per name: the first listed wins (two copies of one name hold the same bytes, or the
// second push was refused).
std::vector<WalIndexEntry> Unique(std::vector<WalIndexEntry> entries) {
  std::stable_sort(entries.begin(), entries.end(),
                   [](const WalIndexEntry& a, const WalIndexEntry& b) { return a.name < b.name; });
  entries.erase(
      std::unique(entries.begin(), entries.end(),
                  [](const WalIndexEntry& a, const WalIndexEntry& b) { return a.name == b.name; }),
      entries.end());
  return entries;
}

bool InBucket(const WalIndexEntry& entry, uint32_t timeline, uint64_t bucket) {
  return entry.kind != engine::ArchiveFileKind::kHistory && entry.timeline == timeline &&
         BucketOf(entry.segment) == bucket;
}

}  // namespace

WalIndex WalIndex::Unlisted(repo::Repository& repo, const platform::Cluster& cluster) {
  // The WAL index's files keep the key they had before other archive kinds had an index.
  return WalIndex(ArchiveIndexStore(repo, cluster, ""));
}

core::Result<WalIndex> WalIndex::Open(repo::Repository& repo, const platform::Cluster& cluster) {
  WalIndex index = Unlisted(repo, cluster);
  HS_TRY(index.List());
  return index;
}

core::Status WalIndex::List() {
  return store_.List([this](const std::string& name, const std::string& rest) {
    auto parsed = ParseName(rest);
    if (!parsed) {
      return;  // not a name this build writes
    }
    if (parsed->part == 's') {
      summaries_.push_back(name);
    } else if (parsed->part == 'd') {
      deltas_.push_back(name);
    } else if (parsed->part == 'b') {
      buckets_[{parsed->timeline, parsed->bucket}].push_back(name);
    }
  });
}

size_t WalIndex::listed_files() const {
  size_t count = summaries_.size() + deltas_.size();
  for (const auto& [bucket, names] : buckets_) {
    count += names.size();
  }
  return count;
}

std::string WalIndex::NewName(const std::string& middle) const {
  return store_.NewName(middle);
}

core::Result<IndexFileContent> WalIndex::ReadFile(const std::string& name, IndexPart part) {
  const std::string where = "archive index file 'hasteward/archive-index/" + name + "'";
  HS_ASSIGN_OR_RETURN(std::string json, store_.Load(name));
  auto content = DecodeIndexFile(json);
  if (!content.ok()) {
    return core::Status(core::ErrorCode::kCorruption, where + ": " + content.status().message(),
                        kArchiveIndexRebuildHint);
  }
  if (content->cluster != store_.cluster() || content->part != part) {
    return core::Status(
        core::ErrorCode::kCorruption,
        where + " belongs to '" + content->cluster + "', not '" + store_.cluster() + "'",
        kArchiveIndexRebuildHint);
  }
  return content;
}

core::Status WalIndex::WriteFile(const std::string& name, const IndexFileContent& content) {
  return store_.Save(name, EncodeIndexFile(content));
}

core::Result<std::vector<WalIndexEntry>> WalIndex::ReadDeltas() {
  if (!delta_entries_) {
    std::vector<WalIndexEntry> entries;
    for (const std::string& name : deltas_) {
      HS_ASSIGN_OR_RETURN(IndexFileContent delta, ReadFile(name, IndexPart::kDelta));
      std::move(delta.entries.begin(), delta.entries.end(), std::back_inserter(entries));
    }
    delta_entries_ = std::move(entries);
  }
  return *delta_entries_;
}

core::Result<WalIndexSummary> WalIndex::ReadSummary() {
  WalIndexSummary summary;
  for (const std::string& name : summaries_) {
    HS_ASSIGN_OR_RETURN(IndexFileContent content, ReadFile(name, IndexPart::kSummary));
    summary.Merge(content.summary);
  }
  HS_ASSIGN_OR_RETURN(std::vector<WalIndexEntry> deltas, ReadDeltas());
  for (const WalIndexEntry& entry : deltas) {
    summary.Add(entry);
  }
  return summary;
}

core::Result<std::vector<WalIndexEntry>> WalIndex::ReadBucket(uint32_t timeline, uint64_t bucket) {
  std::vector<WalIndexEntry> entries;
  auto names = buckets_.find({timeline, bucket});
  if (names != buckets_.end()) {
    for (const std::string& name : names->second) {
      HS_ASSIGN_OR_RETURN(IndexFileContent content, ReadFile(name, IndexPart::kBucket));
      std::move(content.entries.begin(), content.entries.end(), std::back_inserter(entries));
    }
  }
  HS_ASSIGN_OR_RETURN(std::vector<WalIndexEntry> deltas, ReadDeltas());
  for (WalIndexEntry& entry : deltas) {
    if (InBucket(entry, timeline, bucket)) {
      entries.push_back(std::move(entry));
    }
  }
  return Unique(std::move(entries));
}

core::Result<std::vector<WalIndexEntry>> WalIndex::ReadAll() {
  std::vector<WalIndexEntry> entries;
  for (const auto& [bucket, names] : buckets_) {
    for (const std::string& name : names) {
      HS_ASSIGN_OR_RETURN(IndexFileContent content, ReadFile(name, IndexPart::kBucket));
      std::move(content.entries.begin(), content.entries.end(), std::back_inserter(entries));
    }
  }
  HS_ASSIGN_OR_RETURN(WalIndexSummary summary, ReadSummary());  // histories live there
  for (auto& [name, history] : summary.histories) {
    entries.push_back(std::move(history));
  }
  HS_ASSIGN_OR_RETURN(std::vector<WalIndexEntry> deltas, ReadDeltas());
  std::move(deltas.begin(), deltas.end(), std::back_inserter(entries));
  return Unique(std::move(entries));
}

core::Status WalIndex::Append(const std::vector<WalIndexEntry>& entries) {
  IndexFileContent delta;
  delta.cluster = store_.cluster();
  delta.part = IndexPart::kDelta;
  delta.entries = entries;
  return WriteFile(NewName("d"), delta);
}

// Writes one bucket file per (timeline, bucket) the entries touch; history files go to the
// summary only.
core::Status WalIndex::WriteBuckets(const std::vector<WalIndexEntry>& entries) {
  std::map<std::pair<uint32_t, uint64_t>, IndexFileContent> files;
  for (const WalIndexEntry& entry : entries) {
    if (entry.kind == engine::ArchiveFileKind::kHistory) {
      continue;
    }
    IndexFileContent& file = files[{entry.timeline, BucketOf(entry.segment)}];
    file.cluster = store_.cluster();
    file.part = IndexPart::kBucket;
    file.entries.push_back(entry);
  }
  return repo::ParallelFor(files.size(), store_.repo().backend().Connections(), [&](size_t i) {
    auto it = std::next(files.begin(), static_cast<std::ptrdiff_t>(i));
    return WriteFile(NewName("b-" + Hex(it->first.first, 8) + "-" + Hex(it->first.second, 16)),
                     it->second);
  });
}

core::Status WalIndex::RemoveAll(const std::vector<std::string>& names) {
  return store_.Remove(names);
}

core::Status WalIndex::Compact(size_t max_deltas) {
  if (deltas_.size() <= max_deltas || !exists()) {
    return core::Status::Ok();
  }
  auto lock = repo::RepoLock::Acquire(store_.repo(), repo::LockOptions{});
  if (!lock.ok()) {
    core::LogInfo("archive index not merged now: " + lock.status().message());
    return core::Status::Ok();
  }
  // Everything merged is read first; a file that vanished means another writer merged it.
  auto merged = [&]() -> core::Result<std::vector<std::string>> {
    HS_ASSIGN_OR_RETURN(std::vector<WalIndexEntry> deltas, ReadDeltas());
    HS_ASSIGN_OR_RETURN(WalIndexSummary summary, ReadSummary());
    std::set<std::pair<uint32_t, uint64_t>> touched;
    for (const WalIndexEntry& entry : deltas) {
      if (entry.kind != engine::ArchiveFileKind::kHistory) {
        touched.insert({entry.timeline, BucketOf(entry.segment)});
      }
    }
    std::vector<WalIndexEntry> entries;
    std::vector<std::string> replaced = summaries_;
    for (const auto& [timeline, bucket] : touched) {
      HS_ASSIGN_OR_RETURN(std::vector<WalIndexEntry> bucket_entries, ReadBucket(timeline, bucket));
      std::move(bucket_entries.begin(), bucket_entries.end(), std::back_inserter(entries));
      auto names = buckets_.find({timeline, bucket});
      if (names != buckets_.end()) {
        replaced.insert(replaced.end(), names->second.begin(), names->second.end());
      }
    }
    // Merged files are durable before the ones they replace go: a crash between leaves both,
    // which readers union.
    HS_TRY(WriteBuckets(entries));
    IndexFileContent summary_file;
    summary_file.cluster = store_.cluster();
    summary_file.part = IndexPart::kSummary;
    summary_file.summary = std::move(summary);
    HS_TRY(WriteFile(NewName("s"), summary_file));
    replaced.insert(replaced.end(), deltas_.begin(), deltas_.end());
    return replaced;
  }();
  if (!merged.ok()) {
    if (merged.status().code() == core::ErrorCode::kNotFound) {
      return core::Status::Ok();
    }
    return merged.TakeStatus();
  }
  HS_TRY(RemoveAll(*merged));
  return (*lock)->Release();
}

core::Status WalIndex::Replace(const std::vector<WalIndexEntry>& entries) {
  HS_TRY(WriteBuckets(entries));
  IndexFileContent summary_file;
  summary_file.cluster = store_.cluster();
  summary_file.part = IndexPart::kSummary;
  for (const WalIndexEntry& entry : entries) {
    summary_file.summary.Add(entry);
  }
  HS_TRY(WriteFile(NewName("s"), summary_file));
  std::vector<std::string> listed = summaries_;
  listed.insert(listed.end(), deltas_.begin(), deltas_.end());
  for (const auto& [bucket, names] : buckets_) {
    listed.insert(listed.end(), names.begin(), names.end());
  }
  return RemoveAll(listed);
}

}  // namespace hasteward::pitr
