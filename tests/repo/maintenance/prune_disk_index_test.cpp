// Prune over the on-disk index (gc_disk_plan.h) against prune over the in-memory index, on copies
// of the same repository: the same plan (every count and byte of the garbage collection), the
// same original packs left, stock restic 0.14's `check --read-data` passing after each, and every
// remaining snapshot restoring byte-identical. Also after an interrupted prune, whose index lists
// packs and blobs twice (which copy of a blob counts must be decided alike).
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <random>
#include <set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "repo/maintenance/gc_disk_plan.h"
#include "repo/maintenance/gc_mark.h"
#include "storage/local/local_backend.h"
#include "support/hasteward_env.h"

namespace hasteward::repo {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;
using testing::HastewardEnv;

constexpr int kParts = 6;
constexpr size_t kPartBytes = size_t{1} << 20;

// Backup n's input: six 1 MiB parts, of which backup n rewrites part n % 6, so consecutive
// inputs share most chunks and forgetting old snapshots leaves packs partly used.
std::string Input(int n) {
  std::string out;
  for (int part = 0; part < kParts; ++part) {
    const int version = (n + kParts - 1 - part) / kParts;  // how often part was rewritten by n
    std::mt19937_64 rng(static_cast<uint64_t>(part) * 7919 + static_cast<uint64_t>(version));
    std::string bytes(kPartBytes, '\0');
    for (auto& c : bytes) {
      c = static_cast<char>(rng());
    }
    out += bytes;
  }
  return out;
}

// What one prune did, to compare between the two index modes.
struct Outcome {
  Json gc;
  std::set<std::string> original_packs_left;
  std::set<std::string> snapshots;
};

class PruneDiskIndexTest : public ::testing::Test {
 protected:
  void SetUp() override {
    hs_.Set("HASTEWARD_INDEX_CACHE_DIR", hs_.Path("index-cache"));
    ASSERT_EQ(hs_.Run({"repo", "init"}).exit_code, 0);
    for (int n = 1; n <= 9; ++n) {
      const std::string in = hs_.Path("in-" + std::to_string(n));
      testing::WriteFile(in, Input(n));
      char time[32];
      std::snprintf(time, sizeof(time), "2023-01-%02d 10:00:00", n);
      auto r = hs_.Run({"backup", "--stdin", "--stdin-filename", "ns/db1/dump.sql", "--tag",
                        "engine=cnpg,cluster=db1,namespace=ns,type=backup", "--time", time,
                        "--host", "pod-0", "--json"},
                       in);
      ASSERT_EQ(r.exit_code, 0) << r.err;
      inputs_[Json::parse(r.out).value("snapshot_id", "")] = in;
    }
    base_ = hs_.repository();
  }

  std::vector<std::string> PruneArgs() const {
    return {"prune",  "-c",           "db1", "--max-unused",  "0", "--keep-last",    "2",
            "--json", "--keep-daily", "0",   "--keep-weekly", "0", "--keep-monthly", "0"};
  }

  static std::set<std::string> Packs(const std::string& repository) {
    std::set<std::string> names;
    for (const auto& e : fs::recursive_directory_iterator(repository + "/data")) {
      if (e.is_regular_file()) {
        names.insert(e.path().filename().string());
      }
    }
    return names;
  }

  std::set<std::string> Snapshots() const {
    auto r = hs_.Restic({"snapshots", "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::set<std::string> ids;
    for (const auto& s : Json::parse(r.out)) {
      ids.insert(s["id"].get<std::string>());
    }
    return ids;
  }

  // Prunes a fresh copy of the repository at `from` with HASTEWARD_INDEX=mode, then has restic
  // check it and every remaining snapshot restore.
  Outcome PruneCopy(const std::string& from, const std::string& mode) {
    const std::string copy = hs_.Path("repo-" + mode);
    fs::remove_all(copy);
    fs::copy(from, copy, fs::copy_options::recursive);
    hs_.UseRepository(copy);
    const std::set<std::string> before = Packs(copy);
    auto r = hs_.Run(PruneArgs(), "", {{"HASTEWARD_INDEX", mode}});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    Outcome out;
    if (r.exit_code != 0) {
      return out;
    }
    Json j = Json::parse(r.out);
    EXPECT_EQ(j["index"], mode) << "the prune did not take the path asked for";
    out.gc = j["gc"];
    for (const char* varies : {"packs_written", "bytes_written"}) {
      out.gc.erase(varies);  // how the copied blobs fall into new packs depends on thread timing
    }
    for (const auto& pack : Packs(copy)) {
      if (before.count(pack) != 0) {
        out.original_packs_left.insert(pack);
      }
    }
    auto check = hs_.Restic({"check", "--read-data"});
    EXPECT_EQ(check.exit_code, 0) << mode << ": " << check.out << check.err;
    out.snapshots = Snapshots();
    for (const auto& id : out.snapshots) {
      const std::string exported = hs_.Path("export.bin");
      auto e = hs_.Run({"export", "--snapshot", id, "-o", exported});
      EXPECT_EQ(e.exit_code, 0) << mode << ": " << e.err;
      EXPECT_EQ(testing::Sha256File(exported), testing::Sha256File(inputs_[id]))
          << mode << " " << id;
    }
    return out;
  }

  void ExpectSameOutcome(const std::string& from) {
    Outcome memory = PruneCopy(from, "memory");
    Outcome disk = PruneCopy(from, "disk");
    ASSERT_FALSE(memory.gc.is_null());
    EXPECT_EQ(memory.gc.dump(2), disk.gc.dump(2));
    EXPECT_EQ(memory.original_packs_left, disk.original_packs_left);
    EXPECT_EQ(memory.snapshots, disk.snapshots);
    EXPECT_EQ(memory.snapshots.size(), 2U);
    EXPECT_GT(memory.gc["remove"].get<int>() + memory.gc["repack"].get<int>(), 0) << memory.gc;
  }

  HastewardEnv hs_{"hs-prune-disk-", "prune-disk-pw"};
  std::map<std::string, std::string> inputs_;
  std::string base_;
};

TEST_F(PruneDiskIndexTest, OnDiskPrunesAsInMemory) {
  // The plans first, on the same repository: a dry run changes nothing.
  auto args = PruneArgs();
  args.push_back("--dry-run");
  auto memory = hs_.Run(args, "", {{"HASTEWARD_INDEX", "memory"}});
  auto disk = hs_.Run(args, "", {{"HASTEWARD_INDEX", "disk"}});
  ASSERT_EQ(memory.exit_code, 0) << memory.err;
  ASSERT_EQ(disk.exit_code, 0) << disk.err;
  EXPECT_EQ(Json::parse(memory.out)["gc"].dump(2), Json::parse(disk.out)["gc"].dump(2));
  // Most runs repack (a pack holding kept and forgotten chunks); in about one run of five the
  // packer threads shared the blobs out so that no pack is partly used, and both plans say so.
  std::printf("packs to repack: %d\n", Json::parse(disk.out)["gc"]["repack"].get<int>());
  ExpectSameOutcome(base_);
}

TEST_F(PruneDiskIndexTest, AnInterruptedPruneIsFinishedAlike) {
  // Killed right after saving the new index: the old index files remain beside it, so every kept
  // pack is listed twice and every repacked blob is stored in an old and a new pack. Whether the
  // backups left a pack partly used (so that something is repacked) depends on how the packer
  // threads shared the blobs out: the plan says which case this run is.
  auto plan_args = PruneArgs();
  plan_args.push_back("--dry-run");
  auto plan = hs_.Run(plan_args);
  ASSERT_EQ(plan.exit_code, 0) << plan.err;
  const bool repacks = Json::parse(plan.out)["gc"]["repack"].get<int>() > 0;
  auto killed = hs_.Run(PruneArgs(), "", {{"HASTEWARD_FAILPOINT", "prune-after-index-save:1"}});
  ASSERT_EQ(killed.exit_code, -1) << killed.err;
  const std::string interrupted = hs_.Path("interrupted");
  fs::copy(base_, interrupted, fs::copy_options::recursive);
  fs::remove_all(interrupted + "/locks");
  fs::create_directories(interrupted + "/locks");
  auto dry = hs_.Run({"prune", "-c", "db1", "--max-unused", "0", "--json", "--dry-run"}, "",
                     {{"HASTEWARD_INDEX", "disk"}});
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_EQ(Json::parse(dry.out)["gc"]["duplicate_blobs"].get<int>() > 0, repacks)
      << "a repack killed after its index save leaves each copied blob in two packs: " << dry.out;
  ExpectSameOutcome(interrupted);
}

// The two planners on the library level, with the index files read in a chosen order: which
// copy of a blob stored twice counts must not depend on which index file lists it first. Blobs
// are stored twice only when the interrupted prune repacked (`repacked`).
void ExpectSamePlans(const std::string& repository, const std::string& password,
                     const std::string& cache, bool repacked) {
  auto opened = Repository::Open(std::make_unique<storage::LocalBackend>(repository), password);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  Repository& repo = **opened;
  IndexOptions options;
  options.mode = IndexMode::kDisk;
  options.cache_dir = cache;
  repo.SetIndexOptions(options);
  ASSERT_TRUE(repo.LoadIndex().ok());
  auto snapshots = repo.ListSnapshots();
  ASSERT_TRUE(snapshots.ok());
  auto used = MarkUsedBlobs(repo, *snapshots, 2);
  ASSERT_TRUE(used.ok()) << used.status().ToString();
  auto pack_files = repo.ListFiles(storage::FileType::kPack);
  ASSERT_TRUE(pack_files.ok());
  std::vector<Id> order = repo.index_files();
  ASSERT_GT(order.size(), 1U);
  for (bool reversed : {false, true}) {
    SCOPED_TRACE(reversed ? "index files reversed" : "index files as listed");
    if (reversed) {
      std::reverse(order.begin(), order.end());
    }
    MasterIndex index;  // as LoadIndex fills it, in this order
    for (const Id& file : order) {
      auto json = repo.LoadUnpacked(storage::FileType::kIndex, file);
      ASSERT_TRUE(json.ok());
      auto parsed = ParseIndexJson(*json);
      ASSERT_TRUE(parsed.ok());
      for (const auto& [pack, blobs] : parsed->packs) {
        index.AddPack(pack, blobs);
      }
    }
    auto memory = PlanGc(index, *used, *pack_files, GcPlanOptions{});
    ASSERT_TRUE(memory.ok()) << memory.status().ToString();
    auto gc = DiskGc::Open(repo, order);
    ASSERT_TRUE(gc.ok()) << gc.status().ToString();
    ASSERT_TRUE((*gc)->Mark(repo, *snapshots, 2).ok());
    auto disk = (*gc)->Plan(*pack_files, GcPlanOptions{});
    ASSERT_TRUE(disk.ok()) << disk.status().ToString();
    EXPECT_EQ(memory->stats.duplicate_blobs > 0, repacked);
    ASSERT_EQ(memory->packs.size(), disk->packs.size());
    for (size_t i = 0; i < memory->packs.size(); ++i) {
      const PackDecision& m = memory->packs[i];
      const PackDecision& d = disk->packs[i];
      EXPECT_EQ(IdToHex(m.id), IdToHex(d.id)) << i;
      EXPECT_EQ(std::string(PackActionName(m.action)), PackActionName(d.action)) << IdToHex(m.id);
      EXPECT_EQ(m.used_blobs, d.used_blobs) << IdToHex(m.id);
      EXPECT_EQ(m.used_bytes, d.used_bytes) << IdToHex(m.id);
      EXPECT_EQ(m.unused_bytes, d.unused_bytes) << IdToHex(m.id);
    }
    EXPECT_EQ(memory->stats.repack_copy_bytes, disk->stats.repack_copy_bytes);
    EXPECT_EQ(memory->stats.duplicate_blobs, disk->stats.duplicate_blobs);
  }
}

TEST_F(PruneDiskIndexTest, WhichCopyCountsDoesNotDependOnTheIndexFileOrder) {
  // As above: whether anything is repacked (and so stored twice) depends on the packer threads.
  auto plan_args = PruneArgs();
  plan_args.push_back("--dry-run");
  auto plan = hs_.Run(plan_args);
  ASSERT_EQ(plan.exit_code, 0) << plan.err;
  const bool repacks = Json::parse(plan.out)["gc"]["repack"].get<int>() > 0;
  std::printf("packs to repack: %d\n", Json::parse(plan.out)["gc"]["repack"].get<int>());
  auto killed = hs_.Run(PruneArgs(), "", {{"HASTEWARD_FAILPOINT", "prune-after-index-save:1"}});
  ASSERT_EQ(killed.exit_code, -1) << killed.err;
  ExpectSamePlans(base_, "prune-disk-pw", hs_.Path("library-cache"), repacks);
}

}  // namespace
}  // namespace hasteward::repo
