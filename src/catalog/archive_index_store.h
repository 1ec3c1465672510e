// catalog/archive_index_store: where an archive kind's index files live and how their bytes are
// kept, independent of what they hold (docs/pitr.md "The archive index"). Files sit under
// hasteward/archive-index/ (storage::FileType::kArchiveIndex), named
// "<key>-<part>[-<fields>]-<random>.idx", each JSON compressed with zstd and encrypted with the
// repository's key, so stock restic ignores the directory and never reads them. <key> hashes the
// archive kind's namespace and the cluster: two kinds of one repository (the WAL index and the
// binlog piece index) never list each other's files. The kind decides the parts and the JSON.
#pragma once

#include <functional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "platform/platform.h"
#include "repo/repository.h"

namespace hasteward::catalog {

// The three kinds of index file every archive index has: a delta one writer appends, the merged
// entries of one part of the archive, and a summary whose presence says the index is complete.
enum class ArchiveIndexPart { kDelta, kBucket, kSummary };
const char* ArchiveIndexPartName(ArchiveIndexPart part);
// kCorruption naming the unknown name.
core::Result<ArchiveIndexPart> ParseArchiveIndexPart(const std::string& name);

class ArchiveIndexStore {
 public:
  // `kind_namespace` separates archive kinds: "" is the WAL index's (its key predates this class
  // and must not change, or every existing WAL index would look missing), "binlog" the binlog
  // piece index's.
  ArchiveIndexStore(repo::Repository& repo, const platform::Cluster& cluster,
                    std::string_view kind_namespace);

  // Calls fn(name, rest) for each of this store's files, `rest` being the name after "<key>-".
  // Errors: the listing's.
  core::Status List(
      const std::function<void(const std::string& name, const std::string& rest)>& fn);
  // A new file name "<key>-<middle>-<16 random hex>.idx".
  std::string NewName(const std::string& middle) const;
  // The file's JSON. kNotFound when it vanished (another writer merged it); kCorruption, with a
  // hint to rebuild, when it cannot be decrypted or decompressed; storage errors.
  core::Result<std::string> Load(const std::string& name);
  // Writes `json` as `name`; durable when it returns. kUsage when the backend cannot store it.
  core::Status Save(const std::string& name, const std::string& json);
  // Removes the files, in parallel over the backend's connections.
  core::Status Remove(const std::vector<std::string>& names);

  // "ns/name": checked against each file's own record of its cluster.
  const std::string& cluster() const { return cluster_; }
  repo::Repository& repo() { return *repo_; }

 private:
  repo::Repository* repo_;
  std::string cluster_;
  std::string key_;
};

// An index entry naming a snapshot that is gone means the index is stale: something other than
// hasteward prune (stock restic's forget) deleted `kind` ("WAL", "binlog") snapshots. That is
// damage like a torn file (kCorruption): the caller rebuilds the index from the snapshots that
// remain, so a gap is never hidden from a plan and nothing forgotten passes for archived.
// `listed`: the snapshot files' names when the caller listed them all, else each is looked up.
core::Status CheckIndexedSnapshotsExist(repo::Repository& repo, const std::set<repo::Id>& ids,
                                        const std::set<std::string>* listed, std::string_view kind);

// The hint of a damaged index file: the readers rebuild the index from the snapshots.
extern const char* const kArchiveIndexRebuildHint;

}  // namespace hasteward::catalog
