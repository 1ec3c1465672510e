#include "catalog/binlog/binlog_index.h"

#include <algorithm>
#include <iterator>
#include <tuple>

#include "core/log.h"
#include "repo/crypto/crypto.h"
#include "repo/lock/repo_lock.h"

namespace hasteward::catalog {

namespace {

// The store's namespace: the binlog index's key differs from the WAL index's for one cluster.
constexpr std::string_view kBinlogIndexNamespace = "binlog";
constexpr size_t kBucketDigits = 16;

}  // namespace

BinlogIndexRecords UniqueRecords(BinlogIndexRecords records) {
  // Keys computed once (a piece's name is built from five fields) and the position as the last
  // key: the first listed copy of a duplicate stays, as the snapshot scan keeps the first.
  std::vector<std::tuple<std::string, repo::Id, size_t>> keys;
  keys.reserve(records.pieces.size());
  for (size_t i = 0; i < records.pieces.size(); ++i) {
    keys.emplace_back(records.pieces[i].piece.PieceName(), records.pieces[i].snapshot, i);
  }
  std::sort(keys.begin(), keys.end());
  std::vector<BinlogIndexPiece> pieces;
  pieces.reserve(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    if (i == 0 || std::get<0>(keys[i]) != std::get<0>(keys[i - 1]) ||
        std::get<1>(keys[i]) != std::get<1>(keys[i - 1])) {
      pieces.push_back(std::move(records.pieces[std::get<2>(keys[i])]));
    }
  }
  records.pieces = std::move(pieces);
  auto rewind_key = [](const BinlogIndexRewind& record) {
    return std::make_tuple(record.snapshot, record.rewind.at_ns, record.rewind.state);
  };
  std::stable_sort(records.rewinds.begin(), records.rewinds.end(),
                   [&](const BinlogIndexRewind& left, const BinlogIndexRewind& right) {
                     return rewind_key(left) < rewind_key(right);
                   });
  records.rewinds.erase(
      std::unique(records.rewinds.begin(), records.rewinds.end(),
                  [&](const BinlogIndexRewind& left, const BinlogIndexRewind& right) {
                    return rewind_key(left) == rewind_key(right);
                  }),
      records.rewinds.end());
  return records;
}

core::Result<BinlogIndex> BinlogIndex::Open(repo::Repository& repo,
                                            const platform::Cluster& cluster) {
  BinlogIndex index(ArchiveIndexStore(repo, cluster, kBinlogIndexNamespace));
  HS_TRY(index.List());
  return index;
}

core::Status BinlogIndex::List() {
  return store_.List([this](const std::string& name, const std::string& rest) {
    if (rest.size() < 3 || rest[1] != '-') {
      return;  // not a name this build writes
    }
    if (rest[0] == 's') {
      summaries_.push_back(name);
    } else if (rest[0] == 'd') {
      deltas_.push_back(name);
    } else if (rest[0] == 'b' && rest.size() > 2 + kBucketDigits) {
      buckets_[rest.substr(2, kBucketDigits)].push_back(name);
    }
  });
}

size_t BinlogIndex::listed_files() const {
  size_t count = summaries_.size() + deltas_.size();
  for (const auto& [bucket, names] : buckets_) {
    count += names.size();
  }
  return count;
}

core::Result<BinlogIndexRecords> BinlogIndex::ReadFile(const std::string& name,
                                                       ArchiveIndexPart part) {
  const std::string where = "archive index file 'hasteward/archive-index/" + name + "'";
  HS_ASSIGN_OR_RETURN(std::string json, store_.Load(name));
  auto file = DecodeBinlogIndexFile(json);
  if (!file.ok()) {
    return core::Status(core::ErrorCode::kCorruption, where + ": " + file.status().message(),
                        kArchiveIndexRebuildHint);
  }
  if (file->cluster != store_.cluster() || file->part != part) {
    return core::Status(core::ErrorCode::kCorruption,
                        where + " belongs to '" + file->cluster + "', not '" + store_.cluster() +
                            "', or is not a " + ArchiveIndexPartName(part),
                        kArchiveIndexRebuildHint);
  }
  return std::move(file->records);
}

core::Status BinlogIndex::WriteFile(const std::string& name, ArchiveIndexPart part,
                                    const BinlogIndexRecords& records) {
  BinlogIndexFile file{store_.cluster(), part, records};
  return store_.Save(name, EncodeBinlogIndexFile(file));
}

core::Result<BinlogIndexRecords> BinlogIndex::ReadListed(std::set<std::string>* read) {
  std::vector<std::pair<std::string, ArchiveIndexPart>> names;
  for (const std::string& name : summaries_) {
    names.emplace_back(name, ArchiveIndexPart::kSummary);
  }
  for (const auto& [bucket, bucket_names] : buckets_) {
    for (const std::string& name : bucket_names) {
      names.emplace_back(name, ArchiveIndexPart::kBucket);
    }
  }
  for (const std::string& name : deltas_) {
    names.emplace_back(name, ArchiveIndexPart::kDelta);
  }
  std::erase_if(names, [read](const auto& entry) {
    return read != nullptr && read->count(entry.first) != 0;
  });
  std::vector<BinlogIndexRecords> parts(names.size());
  HS_TRY(repo::ParallelFor(names.size(), store_.repo().backend().Connections(), [&](size_t i) {
    HS_ASSIGN_OR_RETURN(parts[i], ReadFile(names[i].first, names[i].second));
    return core::Status::Ok();
  }));
  BinlogIndexRecords records;
  for (size_t i = 0; i < names.size(); ++i) {
    records.Append(std::move(parts[i]));
    if (read != nullptr) {
      read->insert(names[i].first);
    }
  }
  return UniqueRecords(std::move(records));
}

core::Status BinlogIndex::Append(const BinlogIndexRecords& records) {
  return WriteFile(store_.NewName("d"), ArchiveIndexPart::kDelta, records);
}

// One bucket file per bucket the pieces touch, then the summary (rewinds): the summary is written
// last, so an index whose build stopped half way has none and is built again.
core::Status BinlogIndex::WriteBucketsAndSummary(const BinlogIndexRecords& records) {
  std::map<std::string, BinlogIndexRecords> buckets;
  for (const BinlogIndexPiece& record : records.pieces) {
    buckets[BinlogBucketOf(record.piece.identity)].pieces.push_back(record);
  }
  HS_TRY(repo::ParallelFor(buckets.size(), store_.repo().backend().Connections(), [&](size_t i) {
    auto it = std::next(buckets.begin(), static_cast<std::ptrdiff_t>(i));
    return WriteFile(store_.NewName("b-" + it->first), ArchiveIndexPart::kBucket, it->second);
  }));
  BinlogIndexRecords summary;
  summary.rewinds = records.rewinds;
  return WriteFile(store_.NewName("s"), ArchiveIndexPart::kSummary, summary);
}

core::Status BinlogIndex::Compact(size_t max_deltas) {
  if (deltas_.size() <= max_deltas || !exists()) {
    return core::Status::Ok();
  }
  auto lock = repo::RepoLock::Acquire(store_.repo(), repo::LockOptions{});
  if (!lock.ok()) {
    core::LogInfo("binlog index not merged now: " + lock.status().message());
    return core::Status::Ok();
  }
  // Everything merged is read first; a file that vanished means another writer merged it.
  auto merged = [&]() -> core::Result<std::vector<std::string>> {
    BinlogIndexRecords records;
    std::set<std::string> touched;
    for (const std::string& name : deltas_) {
      HS_ASSIGN_OR_RETURN(BinlogIndexRecords delta, ReadFile(name, ArchiveIndexPart::kDelta));
      for (const BinlogIndexPiece& record : delta.pieces) {
        touched.insert(BinlogBucketOf(record.piece.identity));
      }
      records.Append(std::move(delta));
    }
    std::vector<std::string> replaced = summaries_;
    for (const std::string& name : summaries_) {
      HS_ASSIGN_OR_RETURN(BinlogIndexRecords summary, ReadFile(name, ArchiveIndexPart::kSummary));
      records.Append(std::move(summary));
    }
    for (const std::string& bucket : touched) {
      for (const std::string& name : buckets_[bucket]) {
        HS_ASSIGN_OR_RETURN(BinlogIndexRecords pieces, ReadFile(name, ArchiveIndexPart::kBucket));
        records.Append(std::move(pieces));
        replaced.push_back(name);
      }
    }
    // Merged files are durable before the ones they replace go: a crash between leaves both,
    // which readers union.
    HS_TRY(WriteBucketsAndSummary(UniqueRecords(std::move(records))));
    replaced.insert(replaced.end(), deltas_.begin(), deltas_.end());
    return replaced;
  }();
  if (!merged.ok()) {
    if (merged.status().code() == core::ErrorCode::kNotFound) {
      return core::Status::Ok();
    }
    return merged.TakeStatus();
  }
  HS_TRY(store_.Remove(*merged));
  return (*lock)->Release();
}

core::Status BinlogIndex::Replace(const BinlogIndexRecords& records) {
  HS_TRY(WriteBucketsAndSummary(UniqueRecords(records)));
  std::vector<std::string> listed = summaries_;
  listed.insert(listed.end(), deltas_.begin(), deltas_.end());
  for (const auto& [bucket, names] : buckets_) {
    listed.insert(listed.end(), names.begin(), names.end());
  }
  return store_.Remove(listed);
}

}  // namespace hasteward::catalog
