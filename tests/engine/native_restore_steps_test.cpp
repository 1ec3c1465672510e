#include "engine/native_restore_steps.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <random>
#include <set>

#include <gtest/gtest.h>
#include <sys/mount.h>
#include <unistd.h>

#include "core/temp_dir.h"
#include "platform/local/local_platform.h"

namespace hasteward::engine {
namespace {

platform::Cluster ThreeInstances() {
  platform::Cluster cluster;
  cluster.name = "shop";
  cluster.ns = "prod";
  for (int ordinal = 0; ordinal < 3; ++ordinal) {
    platform::Instance instance;
    instance.name = "shop-" + std::to_string(ordinal);
    instance.ordinal = ordinal;
    instance.data_dir = "/data/" + instance.name;
    cluster.instances.push_back(instance);
  }
  return cluster;
}

TEST(NativeRestoreStepsTest, ThePlanRebuildsEveryOtherInstanceAndNamesThem) {
  platform::Cluster cluster = ThreeInstances();
  NativeRestorePlan plan;
  NativeRestoreOptions options;
  options.confirm_overwrite = true;
  ASSERT_TRUE(
      CompleteNativeRestorePlan(cluster, cluster.instances[1], "re-cloned", options, plan).ok());
  ASSERT_EQ(plan.rebuild.size(), 2U);
  EXPECT_EQ(plan.rebuild[0].name, "shop-0");
  EXPECT_EQ(plan.rebuild[1].name, "shop-2");
  EXPECT_EQ(plan.reason,
            "data directory of 'shop-1' (/data/shop-1); then 'shop-0', 'shop-2' re-cloned from it");
}

TEST(NativeRestoreStepsTest, WithoutConfirmationItRefusesNamingWhatWouldBeReplaced) {
  platform::Cluster cluster = ThreeInstances();
  cluster.instances.resize(1);
  NativeRestorePlan plan;
  core::Status refused =
      CompleteNativeRestorePlan(cluster, cluster.instances[0], "rebuilt", {}, plan);
  EXPECT_EQ(refused.code(), core::ErrorCode::kConfirmationRequired);
  EXPECT_NE(refused.message().find("data directory of 'shop-0' (/data/shop-0)"), std::string::npos)
      << refused.message();
  EXPECT_TRUE(plan.rebuild.empty());
}

namespace fs = std::filesystem;

// Every entry under `dir` (recursively, relative paths) with a file's bytes; a directory is "/".
std::map<std::string, std::string> TreeOf(const std::string& dir) {
  std::map<std::string, std::string> tree;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    std::string relative = fs::relative(entry.path(), dir).string();
    if (entry.is_directory()) {
      tree[relative] = "/";
    } else {
      std::ifstream in(entry.path(), std::ios::binary);
      tree[relative] = std::string(std::istreambuf_iterator<char>(in), {});
    }
  }
  return tree;
}

// `tree` without the entries under any of `tops` (top-level names).
std::map<std::string, std::string> Without(std::map<std::string, std::string> tree,
                                           const std::set<std::string>& tops) {
  std::erase_if(tree, [&](const auto& entry) {
    const std::string top = entry.first.substr(0, entry.first.find('/'));
    return tops.count(top) > 0;
  });
  return tree;
}

void Write(const std::string& path, const std::string& bytes) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << bytes;
}

// A data directory's kind of entries: plain and hidden files, database directories, names with
// spaces and a leading dash (the scripts' quoting and `--`).
void FillDataDirectory(const std::string& dir, const std::string& tag, std::mt19937& random) {
  const std::vector<std::string> names = {"ibdata1",          "ib_logfile0",  ".hidden",
                                          "..twodots",        "-dash",        "with space",
                                          "aria_log_control", "mysql/db.frm", "shop/orders.ibd",
                                          "shop/.opt",        "my db/t.frm"};
  for (const auto& name : names) {
    if (random() % 4 != 0) {
      Write(dir + "/" + name, tag + ":" + name + ":" + std::to_string(random()));
    }
  }
  Write(dir + "/mysql/user.frm", tag + ":user");  // never empty
}

class InsideSwapTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto tmp = core::TempDir::Create("hasteward-swap-test-");
    ASSERT_TRUE(tmp.ok()) << tmp.status().ToString();
    tmp_ = std::make_unique<core::TempDir>(std::move(tmp).value());
    auto local = platform::LocalPlatform::Open(tmp_->path() + "/inventory.yaml");
    ASSERT_TRUE(local.ok()) << local.status().ToString();
    platform_ = std::move(local).value();
    data_dir_ = tmp_->path() + "/data";
    fs::create_directories(data_dir_);
    platform::Instance instance;
    instance.name = "shop-0";
    instance.data_dir = data_dir_;
    cluster_.name = "shop";
    cluster_.ns = "prod";
    cluster_.instances = {instance};
    plan_.target = instance;
    plan_.swap_place = SwapPlace::kInsideDataDir;
    plan_.staging_dir = data_dir_ + "/#sql-hasteward-restore";
    plan_.snapshot_id = "0123456789abcdef";
  }

  // Staging made by the step itself, then filled with a restored tree.
  void Stage(const std::string& tag, std::mt19937& random) {
    ASSERT_TRUE(MakeStagingDirectory(*platform_, cluster_, plan_).ok());
    FillDataDirectory(plan_.staging_dir, tag, random);
  }

  std::unique_ptr<core::TempDir> tmp_;
  std::unique_ptr<platform::LocalPlatform> platform_;
  std::string data_dir_;
  platform::Cluster cluster_;
  NativeRestorePlan plan_;
};

TEST_F(InsideSwapTest, TheStagedTreeTakesThePlaceOfEveryEntryAndTheOldOnesAreKeptInside) {
  std::mt19937 random(7);
  FillDataDirectory(data_dir_, "old", random);
  // A volume's root keeps its own mode (a real pod's is another user's: chmod is refused there).
  fs::permissions(data_dir_, fs::perms(0775));
  fs::create_directories(data_dir_ + "/lost+found");
  fs::create_directories(data_dir_ + "/#sql-hasteward-replaced-earlier/mysql");
  const auto old_tree =
      Without(TreeOf(data_dir_), {"lost+found", "#sql-hasteward-replaced-earlier"});
  Stage("new", random);
  const auto new_tree = TreeOf(plan_.staging_dir);

  auto kept = SwapInStaging(*platform_, cluster_, plan_, KeptDirFor(plan_, "20261129T070000Z"));
  ASSERT_TRUE(kept.ok()) << kept.status().ToString();
  ASSERT_TRUE(kept->has_value());
  EXPECT_EQ(**kept, data_dir_ + "/#sql-hasteward-replaced-20261129T070000Z");
  EXPECT_EQ(TreeOf(**kept), old_tree);
  EXPECT_EQ(Without(TreeOf(data_dir_),
                    {"lost+found", "#sql-hasteward-replaced-earlier",
                     "#sql-hasteward-replaced-20261129T070000Z", "#sql-hasteward-restoring"}),
            new_tree);
  EXPECT_EQ(fs::status(data_dir_).permissions(), fs::perms(0775));
  EXPECT_TRUE(fs::exists(data_dir_ + "/lost+found"));
  EXPECT_TRUE(fs::exists(data_dir_ + "/#sql-hasteward-replaced-earlier/mysql"));
  EXPECT_FALSE(fs::exists(plan_.staging_dir));
  EXPECT_FALSE(fs::exists(data_dir_ + "/#sql-hasteward-swap"));
  // The unfinished-restore record is inside too, and read and cleared there.
  auto unfinished = StopUnfinishedRestores(*platform_, cluster_, plan_.snapshot_id);
  ASSERT_TRUE(unfinished.ok()) << unfinished.status().ToString();
  EXPECT_EQ(*unfinished, std::vector<std::string>{"shop-0"});
  ASSERT_TRUE(ClearUnfinishedRestores(*platform_, cluster_).ok());
  EXPECT_FALSE(fs::exists(data_dir_ + "/#sql-hasteward-restoring"));
}

TEST_F(InsideSwapTest, AnEmptyVolumeKeepsNothingAndAStagedKeptCopyIsNotBroughtIn) {
  std::mt19937 random(11);
  Stage("new", random);
  // A backup taken of a data directory that held a kept copy carried it along.
  Write(plan_.staging_dir + "/#sql-hasteward-replaced-x/ibdata1", "older");
  auto kept = SwapInStaging(*platform_, cluster_, plan_, KeptDirFor(plan_, "s"));
  ASSERT_TRUE(kept.ok()) << kept.status().ToString();
  EXPECT_FALSE(kept->has_value());
  EXPECT_FALSE(fs::exists(data_dir_ + "/#sql-hasteward-replaced-s"));
  EXPECT_FALSE(fs::exists(data_dir_ + "/#sql-hasteward-replaced-x"));
  EXPECT_TRUE(fs::exists(data_dir_ + "/mysql/user.frm"));
}

// A swap killed anywhere inside either phase: the journal names the phase, and whatever subset
// of the entries the kill left moved, the next restore's MakeStagingDirectory completes it. After
// each completion the data directory holds exactly the staged tree and the kept directory exactly
// the old one. Seeds are printed; HASTEWARD_SEED reruns one.
TEST_F(InsideSwapTest, ASwapKilledAfterAnyMoveIsCompletedByTheNextRestore) {
  const char* fixed = std::getenv("HASTEWARD_SEED");
  const unsigned first = fixed != nullptr ? std::stoul(fixed) : std::random_device{}();
  const int runs = fixed != nullptr ? 1 : 40;
  for (int run = 0; run < runs; ++run) {
    const unsigned seed = first + run;
    SCOPED_TRACE("HASTEWARD_SEED=" + std::to_string(seed));
    std::mt19937 random(seed);
    ASSERT_TRUE(core::RemoveAll(data_dir_).ok());
    fs::create_directories(data_dir_);
    FillDataDirectory(data_dir_, "old", random);
    const auto old_tree = TreeOf(data_dir_);
    Stage("new", random);
    const auto new_tree = TreeOf(plan_.staging_dir);
    const std::string kept = KeptDirFor(plan_, "k");

    // The state a kill leaves: the journal, then some moves of its phase done.
    const bool phase_in = random() % 2 == 0;
    Write(data_dir_ + "/#sql-hasteward-swap",
          std::string(phase_in ? "in" : "out") + "\n" + kept + "\n");
    const bool kept_made = phase_in || random() % 4 != 0;
    if (kept_made) {
      fs::create_directories(kept);
    }
    auto move_some = [&](const std::string& from, const std::string& to, bool all) {
      std::vector<fs::path> entries;
      for (const auto& entry : fs::directory_iterator(from)) {
        if (entry.path().filename().string().rfind("#sql-hasteward-", 0) != 0) {
          entries.push_back(entry.path());
        }
      }
      for (const auto& entry : entries) {
        if (all || random() % 2 == 0) {
          fs::rename(entry, fs::path(to) / entry.filename());
        }
      }
    };
    if (kept_made) {
      move_some(data_dir_, kept, phase_in);
    }
    if (phase_in) {
      move_some(plan_.staging_dir, data_dir_, false);
      if (random() % 4 == 0) {  // every entry moved, only the staging's and journal's removal left
        move_some(plan_.staging_dir, data_dir_, true);
        fs::remove(plan_.staging_dir);
      }
    }

    ASSERT_TRUE(MakeStagingDirectory(*platform_, cluster_, plan_).ok());
    EXPECT_FALSE(fs::exists(data_dir_ + "/#sql-hasteward-swap"));
    EXPECT_EQ(TreeOf(plan_.staging_dir).size(), 0U) << "the new staging directory is empty";
    EXPECT_EQ(Without(TreeOf(data_dir_), {"#sql-hasteward-restore", "#sql-hasteward-replaced-k"}),
              new_tree);
    EXPECT_EQ(TreeOf(kept), old_tree);
    if (HasFailure()) {
      return;
    }
    ASSERT_TRUE(core::RemoveAll(plan_.staging_dir).ok());
  }
}

TEST(SwapPlaceTest, AMountPointIsSwappedInsideAndAPlainDirectoryBeside) {
  auto tmp = core::TempDir::Create("hasteward-swap-place-");
  ASSERT_TRUE(tmp.ok()) << tmp.status().ToString();
  auto local = platform::LocalPlatform::Open(tmp->path() + "/inventory.yaml");
  ASSERT_TRUE(local.ok()) << local.status().ToString();
  const std::string data_dir = tmp->path() + "/data";
  fs::create_directories(data_dir);
  NativeRestorePlan plan;
  plan.target.name = "shop-0";
  plan.target.data_dir = data_dir;
  platform::Cluster cluster;
  cluster.instances = {plan.target};

  ASSERT_TRUE(ChooseSwapPlace(**local, cluster, plan).ok());
  EXPECT_EQ(plan.swap_place, SwapPlace::kBesideDataDir);
  EXPECT_EQ(plan.staging_dir, data_dir + ".hasteward-restore");
  EXPECT_EQ(KeptDirFor(plan, "s"), data_dir + ".hasteward-replaced-s");

  // A data directory a killed swap beside it moved away is no mount point either.
  plan.target.data_dir = data_dir + "-gone";
  ASSERT_TRUE(ChooseSwapPlace(**local, cluster, plan).ok());
  EXPECT_EQ(plan.swap_place, SwapPlace::kBesideDataDir);
  plan.target.data_dir = data_dir;

  if (::geteuid() != 0) {
    GTEST_SKIP() << "a bind mount needs root (CI runs as root)";
  }
  // Bound onto itself, the directory is a mount point, as a pod's volume at its data directory.
  ASSERT_EQ(::mount(data_dir.c_str(), data_dir.c_str(), nullptr, MS_BIND, nullptr), 0)
      << std::strerror(errno);
  core::Status chosen = ChooseSwapPlace(**local, cluster, plan);
  ::umount2(data_dir.c_str(), MNT_DETACH);
  ASSERT_TRUE(chosen.ok()) << chosen.ToString();
  EXPECT_EQ(plan.swap_place, SwapPlace::kInsideDataDir);
  EXPECT_EQ(plan.staging_dir, data_dir + "/#sql-hasteward-restore");
  EXPECT_EQ(KeptDirFor(plan, "s"), data_dir + "/#sql-hasteward-replaced-s");
}

}  // namespace
}  // namespace hasteward::engine
