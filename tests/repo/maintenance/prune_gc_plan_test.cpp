// Pack classification on hand-built indexes (gc_plan.h): no repository, no I/O.
#include <gtest/gtest.h>

#include "repo/maintenance/gc_plan.h"

namespace hasteward::repo {
namespace {

Id MakeId(uint32_t n) {
  Id id{};
  for (int i = 0; i < 4; ++i)
    id[i] = static_cast<uint8_t>(n >> (8 * i));
  id[31] = 0xab;
  return id;
}

// A hand-built repository: packs in an index, the pack files that exist, the used blobs.
class GcPlanTest : public ::testing::Test {
 protected:
  // Adds a pack of `n` blobs of `len` bytes each; blob ids are first_blob, first_blob+1, ...
  Id AddPack(uint32_t pack, uint32_t first_blob, int n, BlobType type = BlobType::kData,
             uint32_t len = 1 << 20, bool file_exists = true) {
    std::vector<PackedBlob> blobs;
    uint32_t offset = 0;
    for (int i = 0; i < n; ++i) {
      blobs.push_back(PackedBlob{MakeId(first_blob + i), type, offset, len, 0});
      offset += len;
    }
    Id id = MakeId(0x1000000 + pack);
    index_.AddPack(id, blobs);
    if (file_exists)
      files_.push_back({IdToHex(id), PackSizeFromBlobs(blobs)});
    return id;
  }
  void Use(uint32_t first_blob, int n, BlobType type = BlobType::kData) {
    for (int i = 0; i < n; ++i)
      used_.Of(type).insert(MakeId(first_blob + i));
  }
  GcPlan Plan(const std::string& max_unused = "5%", uint64_t max_repack_bytes = UINT64_MAX) {
    GcPlanOptions o;
    o.max_unused = *ParseMaxUnused(max_unused);
    o.max_repack_bytes = max_repack_bytes;
    auto plan = PlanGc(index_, used_, files_, o);
    EXPECT_TRUE(plan.ok()) << plan.status().ToString();
    return plan.ok() ? *plan : GcPlan{};
  }
  static PackAction ActionOf(const GcPlan& plan, const Id& id) {
    for (const auto& d : plan.packs) {
      if (d.id == id)
        return d.action;
    }
    ADD_FAILURE() << "pack not in plan";
    return PackAction::kKeep;
  }

  MasterIndex index_;
  BlobSet used_;
  std::vector<storage::FileInfo> files_;
};

TEST_F(GcPlanTest, FullyUsedKeptUnusedRemovedUnreferencedDeleted) {
  Id full = AddPack(1, 0, 4);
  Id dead = AddPack(2, 100, 4);
  Use(0, 4);
  files_.push_back({IdToHex(MakeId(77)), 1234});
  files_.push_back({"not-a-pack-name", 1});
  GcPlan plan = Plan();
  EXPECT_EQ(ActionOf(plan, full), PackAction::kKeep);
  EXPECT_EQ(ActionOf(plan, dead), PackAction::kRemove);
  ASSERT_EQ(plan.unreferenced.size(), 1u) << "only names that are pack IDs are ours to delete";
  EXPECT_EQ(plan.unreferenced[0].name, IdToHex(MakeId(77)));
  EXPECT_EQ(plan.stats.remove_bytes, PackSizeFromBlobs(*index_.PackBlobs(dead)) + 1234);
  EXPECT_TRUE(plan.RewritesIndex());
}

TEST_F(GcPlanTest, NothingToDoWhenEverythingIsUsed) {
  AddPack(1, 0, 3);
  AddPack(2, 10, 3, BlobType::kTree, 500);
  Use(0, 3);
  Use(10, 3, BlobType::kTree);
  GcPlan plan = Plan();
  EXPECT_TRUE(plan.NothingToDo());
  EXPECT_EQ(plan.stats.keep, 2u);
  EXPECT_EQ(plan.stats.unused_bytes, 0u);
}

TEST_F(GcPlanTest, PartlyUsedDataPackRepackedOverBudgetKeptWithinIt) {
  Id half = AddPack(1, 0, 10);
  Use(0, 5);
  GcPlan plan = Plan("5%");
  EXPECT_EQ(ActionOf(plan, half), PackAction::kRepack);
  const auto& d = plan.packs[0];
  ASSERT_EQ(d.copy.size(), 5u) << "only the used blobs are copied";
  for (const auto& b : d.copy)
    EXPECT_EQ(used_.data.count(b.id), 1u);
  EXPECT_EQ(plan.stats.unused_after, 0u);
  EXPECT_EQ(ActionOf(Plan("unlimited"), half), PackAction::kKeep);
}

TEST_F(GcPlanTest, TreePackWithUnusedBlobsIsAlwaysRepacked) {
  Id tree = AddPack(1, 0, 10, BlobType::kTree, 1 << 20);
  Use(0, 9, BlobType::kTree);
  EXPECT_EQ(ActionOf(Plan("unlimited"), tree), PackAction::kRepack);
}

TEST_F(GcPlanTest, SmallPartlyUsedPackIsRepackedEvenWithinBudget) {
  Id small = AddPack(1, 0, 4, BlobType::kData, 1000);
  Use(0, 3);
  EXPECT_EQ(ActionOf(Plan("unlimited"), small), PackAction::kRepack);
}

TEST_F(GcPlanTest, BudgetRepacksTheEmptiestPacksFirst) {
  // Four 10-blob packs, 1 MiB blobs: used 9, 8, 2, 9 blobs; 40 used-ish MiB.
  Id a = AddPack(1, 0, 10);
  Id b = AddPack(2, 100, 10);
  Id c = AddPack(3, 200, 10);
  Id d = AddPack(4, 300, 10);
  Use(0, 9);
  Use(100, 8);
  Use(200, 2);
  Use(300, 9);
  // used = 28 MiB (+headers), unused = 12 MiB. 25% budget ~ 9.3 MiB: repacking c (8 unused)
  // leaves 4 MiB <= budget.
  GcPlan plan = Plan("25%");
  EXPECT_EQ(ActionOf(plan, c), PackAction::kRepack);
  EXPECT_EQ(ActionOf(plan, a), PackAction::kKeep);
  EXPECT_EQ(ActionOf(plan, b), PackAction::kKeep);
  EXPECT_EQ(ActionOf(plan, d), PackAction::kKeep);
  EXPECT_EQ(plan.stats.unused_after, 4u << 20);
  // 5%: budget ~1.5 MiB, so b (2 unused) goes next, then a or d: 1 MiB left.
  plan = Plan("5%");
  EXPECT_EQ(ActionOf(plan, b), PackAction::kRepack);
  EXPECT_EQ(plan.stats.repack, 3u);
  EXPECT_EQ(plan.stats.unused_after, 1u << 20);
  // Absolute budget: 0 bytes repacks every partly used pack.
  EXPECT_EQ(Plan("0").stats.repack, 4u);
}

TEST_F(GcPlanTest, MaxRepackSizeCapsTheRepackTreesFirstThenTheEmptiestDataPacks) {
  Id tree = AddPack(1, 0, 4, BlobType::kTree, 1 << 18);  // 1 MiB, half unused: always repacked
  Use(0, 2, BlobType::kTree);
  Id emptiest = AddPack(2, 100, 8);  // 8 MiB, 1 used
  Use(100, 1);
  Id middle = AddPack(3, 200, 8);  // 8 MiB, 4 used
  Use(200, 4);
  Id fullish = AddPack(4, 300, 8);  // 8 MiB, 7 used
  Use(300, 7);
  GcPlan all = Plan("0");
  EXPECT_EQ(all.stats.repack, 4u);
  // Room for the tree pack and one 8 MiB data pack: the emptiest one.
  GcPlan capped = Plan("0", 10ull << 20);
  EXPECT_EQ(ActionOf(capped, tree), PackAction::kRepack);
  EXPECT_EQ(ActionOf(capped, emptiest), PackAction::kRepack);
  EXPECT_EQ(ActionOf(capped, middle), PackAction::kKeep);
  EXPECT_EQ(ActionOf(capped, fullish), PackAction::kKeep);
  EXPECT_LE(capped.stats.repack_bytes, 10ull << 20);
  EXPECT_EQ(capped.stats.unused_after, (4ull + 1) << 20) << "what stays unused is reported";
  // A cap smaller than any pack repacks nothing, and removing unused packs is not capped.
  Id dead = AddPack(5, 400, 2);
  GcPlan tiny = Plan("0", 1000);
  EXPECT_EQ(tiny.stats.repack, 0u);
  EXPECT_EQ(ActionOf(tiny, dead), PackAction::kRemove);
}

TEST_F(GcPlanTest, DuplicateCountsOnceAndPrefersTheFullyUsedCopy) {
  // An interrupted earlier prune left new pack n (all used) beside old pack o (half used).
  Id o = AddPack(1, 0, 10);
  Id n = AddPack(2, 0, 5);
  Use(0, 5);
  GcPlan plan = Plan("unlimited");
  EXPECT_EQ(ActionOf(plan, n), PackAction::kKeep);
  EXPECT_EQ(ActionOf(plan, o), PackAction::kRemove) << "its used blobs are counted in n";
  EXPECT_EQ(plan.stats.used_blobs, 5u);
  EXPECT_EQ(plan.stats.duplicate_blobs, 5u);
}

TEST_F(GcPlanTest, MixedPackIsSplit) {
  std::vector<PackedBlob> blobs = {{MakeId(1), BlobType::kData, 0, 100, 0},
                                   {MakeId(2), BlobType::kTree, 100, 100, 0}};
  Id mixed = MakeId(0x2000000);
  index_.AddPack(mixed, blobs);
  files_.push_back({IdToHex(mixed), PackSizeFromBlobs(blobs)});
  Use(1, 1);
  Use(2, 1, BlobType::kTree);
  EXPECT_EQ(ActionOf(Plan("unlimited"), mixed), PackAction::kRepack);
}

TEST_F(GcPlanTest, MissingPackWithoutUsedBlobsIsDroppedFromTheIndex) {
  Id gone = AddPack(1, 0, 3, BlobType::kData, 1 << 20, /*file_exists=*/false);
  AddPack(2, 10, 3);
  Use(10, 3);
  GcPlan plan = Plan();
  EXPECT_EQ(ActionOf(plan, gone), PackAction::kDrop);
  EXPECT_TRUE(plan.RewritesIndex());
}

TEST_F(GcPlanTest, UsedBlobOnlyInAMissingOrWrongSizedPackIsCorruption) {
  AddPack(1, 0, 3, BlobType::kData, 1 << 20, /*file_exists=*/false);
  Use(0, 1);
  auto plan = PlanGc(index_, used_, files_, GcPlanOptions{});
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), core::ErrorCode::kCorruption);
  EXPECT_NE(plan.status().message().find(IdToHex(MakeId(0))), std::string::npos);

  files_.push_back({IdToHex(MakeId(0x1000000 + 1)), 5});  // exists now, but truncated
  plan = PlanGc(index_, used_, files_, GcPlanOptions{});
  EXPECT_EQ(plan.status().code(), core::ErrorCode::kCorruption);
}

TEST_F(GcPlanTest, UsedBlobWithAnIntactCopyElsewhereSurvivesAMissingPack) {
  Id gone = AddPack(1, 0, 3, BlobType::kData, 1 << 20, /*file_exists=*/false);
  Id copy = AddPack(2, 0, 3);
  Use(0, 3);
  GcPlan plan = Plan();
  EXPECT_EQ(ActionOf(plan, gone), PackAction::kDrop);
  EXPECT_EQ(ActionOf(plan, copy), PackAction::kKeep);
}

TEST(MaxUnusedTest, ParsesRestic) {
  EXPECT_EQ(ParseMaxUnused("5%")->Budget(95), 5u);
  EXPECT_EQ(ParseMaxUnused("0%")->Budget(1000), 0u);
  EXPECT_EQ(ParseMaxUnused("50%")->Budget(1000), 1000u);
  EXPECT_EQ(ParseMaxUnused("12.5%")->ToString(), "12.5%");
  EXPECT_EQ(ParseMaxUnused("100M")->Budget(1), 100u << 20);
  EXPECT_EQ(ParseMaxUnused("2G")->bytes, 2ull << 30);
  EXPECT_EQ(ParseMaxUnused("500")->bytes, 500u);
  EXPECT_EQ(ParseMaxUnused("unlimited")->Budget(1), UINT64_MAX);
  for (const char* bad : {"", "100%", "-1%", "x%", "5X", "-5", "abc", "5%%"}) {
    auto m = ParseMaxUnused(bad);
    ASSERT_FALSE(m.ok()) << bad;
    EXPECT_EQ(m.status().code(), core::ErrorCode::kUsage);
  }
}

}  // namespace
}  // namespace hasteward::repo
