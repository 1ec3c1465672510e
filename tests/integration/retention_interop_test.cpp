// Referee test for the retention engine: random snapshot histories are written with the real
// restic 0.14, read back with `restic snapshots --json`, and our kept set is compared with
// `restic forget --dry-run --json` for random policies (docs/retention.md).
//
// Seed: HASTEWARD_RETENTION_SEED=<n> replays a run; otherwise a random seed is printed.
#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <functional>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/subprocess.h"
#include "core/temp_dir.h"
#include "repo/maintenance/retention_plan.h"
#include "repo/repository.h"
#include "storage/registry.h"

namespace hasteward::repo {
namespace {

using IdSet = std::set<std::string>;

constexpr const char* kPassword = "retention-interop";

struct Zone {
  const char* tz;
  int offset;  // fixed offset in seconds; ignored for DST zones
  bool fixed;
};

// Fixed zones let one instant be written with several offsets; DST zones exercise Go's zone
// lookup (their wall clock is chosen directly, away from the 01:00-04:00 transition hours).
constexpr Zone kZones[] = {{"UTC", 0, true},
                           {"Asia/Kolkata", 19800, true},
                           {"Pacific/Kiritimati", 50400, true},
                           {"Etc/GMT+5", -18000, true},
                           {"Etc/GMT-1", 3600, true},
                           {"America/New_York", 0, false},
                           {"Europe/Berlin", 0, false},
                           {"Pacific/Auckland", 0, false}};

struct Cluster {
  std::string engine, ns, name;
};

const Cluster kClusters[] = {{"cnpg", "ns-a", "pg-main"},
                             {"cnpg", "ns-b", "pg-main"},
                             {"galera", "ns-a", "maria"},
                             {"cnpg", "ns-a", "pg-aux"}};

// One `restic backup --stdin` to run.
struct BackupCall {
  std::string tz;
  std::string wall;  // "YYYY-MM-DD HH:MM:SS" in tz
  std::string host;
  std::string filename;
  std::vector<std::string> tags;
};

std::string Wall(int64_t unix_seconds, int offset) {
  const std::string f = SnapshotTime(unix_seconds, 0, offset).Format();  // ...THH:MM:SS[Z|±]
  return f.substr(0, 10) + " " + f.substr(11, 8);
}

core::Result<std::string> Restic(const std::string& repo, std::vector<std::string> args,
                                 const std::string& tz = "UTC",
                                 const std::optional<std::string>& input = {}) {
  core::SubprocessOptions o;
  o.argv = {"restic", "-r", repo, "--no-cache"};
  o.argv.insert(o.argv.end(), args.begin(), args.end());
  o.env_set = {{"RESTIC_PASSWORD", kPassword}, {"TZ", tz}};
  if (input)
    o.stdin_mode = core::StdioMode::kPipe;
  return core::RunChecked(o, input);
}

std::string Filename(const Cluster& c, const std::string& prefix) {
  return c.ns + "/" + c.name + "/" + prefix +
         (c.engine == "cnpg" ? "pgdumpall.sql" : "mysqldump.sql");
}

std::vector<std::string> Tags(const Cluster& c, const std::string& type) {
  return {"engine=" + c.engine, "cluster=" + c.name, "namespace=" + c.ns, "type=" + type};
}

// A random history: backups clustered on a limited set of days (so buckets collide), some near
// midnight in non-UTC offsets, some sharing an instant, diverged jobs of 2-3 members.
std::vector<BackupCall> MakeHistory(std::mt19937_64& rng) {
  auto uniform = [&](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  };
  const int64_t start = 1664582400;  // 2022-10-01T00:00:00Z, so histories cross a new year
  const int target = static_cast<int>(uniform(60, 100));
  const int days = static_cast<int>(uniform(target / 3, target / 2));
  std::vector<int64_t> day_list;
  for (int i = 0; i < days; ++i)
    day_list.push_back(start + uniform(0, 195) * 86400);
  std::vector<BackupCall> calls;
  std::map<size_t, std::vector<std::pair<int64_t, BackupCall>>> history;  // cluster -> backups
  int jobs = 0;
  while (static_cast<int>(calls.size()) < target) {
    const size_t ci = static_cast<size_t>(uniform(0, std::size(kClusters) - 1));
    const Cluster& c = kClusters[ci];
    const int hour = uniform(0, 9) < 3 ? static_cast<int>(uniform(0, 1) ? 23 : 0)
                                       : static_cast<int>(uniform(4, 22));
    int64_t instant =
        day_list[static_cast<size_t>(uniform(0, days - 1))] + hour * 3600 + uniform(0, 59) * 60;
    const Zone& zone = uniform(0, 1) ? kZones[0] : kZones[uniform(1, std::size(kZones) - 1)];
    BackupCall call{zone.tz, "", "node-" + c.ns + "-" + c.name, Filename(c, ""), Tags(c, "backup")};
    call.wall = zone.fixed ? Wall(instant, zone.offset) : Wall(instant, 0);
    bool known_instant = zone.fixed;
    std::vector<std::pair<int64_t, BackupCall>>& previous = history[ci];
    if (!previous.empty() && uniform(0, 9) == 0) {
      // Same instant as an earlier backup of this cluster, with another offset when the earlier
      // instant is known (fixed zone), else an exact copy of its zone and wall clock.
      const std::pair<int64_t, BackupCall> prev =
          previous[static_cast<size_t>(uniform(0, static_cast<int64_t>(previous.size()) - 1))];
      if (prev.first >= 0) {
        const Zone& fixed_zone = kZones[uniform(0, 4)];
        call.tz = fixed_zone.tz;
        call.wall = Wall(prev.first, fixed_zone.offset);
        instant = prev.first;
      } else {
        call.tz = prev.second.tz;
        call.wall = prev.second.wall;
      }
      known_instant = prev.first >= 0;
    }
    if (uniform(0, 9) == 0)
      call.tags.push_back("keepme");
    if (uniform(0, 7) == 0) {  // a repair job: 2-3 diverged captures at the job start time
      const std::string job = "job" + std::to_string(++jobs);
      const int members = static_cast<int>(uniform(2, 3));
      for (int m = 0; m < members; ++m) {
        BackupCall d{call.tz, call.wall, "node-" + c.ns + "-" + c.name,
                     Filename(c, std::to_string(m) + "-"), Tags(c, "diverged")};
        d.tags.push_back("job=" + job);
        calls.push_back(d);
      }
      continue;
    }
    calls.push_back(call);
    previous.emplace_back(known_instant ? instant : -1, call);
  }
  return calls;
}

core::Status RunBackups(const std::string& repo, const std::vector<BackupCall>& calls) {
  std::atomic<size_t> next{0};
  std::mutex mu;
  core::Status first_error;
  auto worker = [&] {
    for (size_t i = next++; i < calls.size(); i = next++) {
      const BackupCall& c = calls[i];
      std::vector<std::string> args = {"backup",   "-q",     "--stdin", "--stdin-filename",
                                       c.filename, "--time", c.wall,    "--host",
                                       c.host};
      for (const std::string& t : c.tags)
        args.insert(args.end(), {"--tag", t});
      core::Result<std::string> r = Restic(repo, args, c.tz, "dump " + std::to_string(i) + "\n");
      if (!r.ok()) {
        std::lock_guard<std::mutex> lock(mu);
        if (first_error.ok())
          first_error = r.TakeStatus();
      }
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t)
    threads.emplace_back(worker);
  for (std::thread& t : threads)
    t.join();
  return first_error;
}

std::vector<SnapshotMeta> ReadSnapshots(const std::string& repo) {
  core::Result<std::string> out = Restic(repo, {"snapshots", "--json"});
  EXPECT_TRUE(out.ok()) << out.status().ToString();
  std::vector<SnapshotMeta> snaps;
  if (!out.ok())
    return snaps;
  for (const nlohmann::json& j : nlohmann::json::parse(*out)) {
    snaps.push_back({j.at("id"), j.at("time"), j.at("hostname"),
                     j.at("paths").get<std::vector<std::string>>(),
                     j.value("tags", std::vector<std::string>{})});
  }
  return snaps;
}

// restic's answer: per group, the kept and removed IDs.
struct ResticGroup {
  IdSet keep, remove;
};

std::vector<ResticGroup> ResticForget(const std::string& repo, const RetentionPolicy& policy,
                                      const std::vector<std::string>& selection) {
  std::vector<std::string> args = {"forget", "--dry-run", "--json"};
  args.insert(args.end(), selection.begin(), selection.end());
  const std::vector<std::string> policy_args = policy.ToResticArgs();
  args.insert(args.end(), policy_args.begin(), policy_args.end());
  core::Result<std::string> out = Restic(repo, args);
  EXPECT_TRUE(out.ok()) << out.status().ToString();
  std::vector<ResticGroup> groups;
  if (!out.ok())
    return groups;
  for (const nlohmann::json& g : nlohmann::json::parse(*out)) {
    ResticGroup rg;
    for (const char* field : {"keep", "remove"}) {
      if (!g.contains(field) || g[field].is_null())
        continue;
      for (const nlohmann::json& sn : g[field])
        (field[0] == 'k' ? rg.keep : rg.remove).insert(sn.at("id").get<std::string>());
    }
    groups.push_back(std::move(rg));
  }
  return groups;
}

SnapshotTime TimeOf(const SnapshotMeta& s) {
  return *ParseRfc3339Nano(s.time_rfc3339);
}

// restic orders equal instants by listing order, which is arbitrary; so a result matches when
// some order of the tied snapshots yields it. Returns the number of orders tried (0 = no match).
size_t MatchUnderSomeTieOrder(
    std::vector<SnapshotMeta> list, const IdSet& want_kept,
    const std::function<IdSet(const std::vector<SnapshotMeta>&)>& decide) {
  std::stable_sort(list.begin(), list.end(), [](const SnapshotMeta& a, const SnapshotMeta& b) {
    return TimeOf(a).After(TimeOf(b)) || (TimeOf(a).SameInstant(TimeOf(b)) && a.id < b.id);
  });
  std::vector<std::pair<size_t, size_t>> runs;  // [begin, end) of equal instants
  for (size_t i = 0; i < list.size();) {
    size_t j = i + 1;
    while (j < list.size() && TimeOf(list[j]).SameInstant(TimeOf(list[i])))
      ++j;
    if (j - i > 1)
      runs.emplace_back(i, j);
    i = j;
  }
  size_t tried = 0;
  std::function<bool(size_t)> search = [&](size_t run) -> bool {
    if (run == runs.size()) {
      ++tried;
      return decide(list) == want_kept;
    }
    const auto begin = list.begin() + static_cast<std::ptrdiff_t>(runs[run].first);
    const auto end = list.begin() + static_cast<std::ptrdiff_t>(runs[run].second);
    do {
      if (search(run + 1))
        return true;
      if (tried > 200000)
        return false;
    } while (std::next_permutation(
        begin, end, [](const SnapshotMeta& a, const SnapshotMeta& b) { return a.id < b.id; }));
    return false;
  };
  return search(0) ? tried : 0;
}

RetentionPolicy RandomPolicy(std::mt19937_64& rng) {
  auto chance = [&](int percent) {
    return std::uniform_int_distribution<int>(0, 99)(rng) < percent;
  };
  auto count = [&](int hi) {
    return std::uniform_int_distribution<int>(1, hi)(rng);
  };
  RetentionPolicy p;
  if (chance(50))
    p.keep_last = count(6);
  if (chance(20))
    p.keep_hourly = count(12);
  if (chance(60))
    p.keep_daily = count(25);
  if (chance(50))
    p.keep_weekly = count(10);
  if (chance(50))
    p.keep_monthly = count(5);
  if (chance(20))
    p.keep_yearly = count(2);
  if (chance(30))
    p.keep_tags = {{"keepme"}};
  if (chance(20))
    p.keep_within = {0, count(2) - 1, count(20), count(30) - 1};
  if (chance(15))
    p.keep_within_daily = {0, 0, count(40), 0};
  if (chance(15))
    p.keep_within_weekly = {0, count(3), 0, 0};
  if (chance(10))
    p.keep_within_hourly = {0, 0, count(10), count(5)};
  if (p.IsEmpty())
    p.keep_last = count(3);
  return p;
}

std::string Describe(const RetentionPolicy& p) {
  std::string out;
  for (const std::string& a : p.ToResticArgs())
    out += a + " ";
  return out;
}

// HASteward's prune (type=backup, whole repository) vs restic grouped by host,paths over the
// type=backup snapshots: with one host and one path per cluster these groupings coincide.
void CompareBackupPlan(const std::string& repo, const std::vector<SnapshotMeta>& snaps,
                       const RetentionPolicy& policy, size_t* tie_searches) {
  const auto now = std::chrono::system_clock::now();
  const std::vector<ResticGroup> restic =
      ResticForget(repo, policy, {"--tag", "type=backup", "--group-by", "host,paths"});
  PruneOptions options;
  options.policy = policy;
  options.allow_empty = true;
  options.now = now;
  core::Result<RetentionPlan> plan = PlanRetention(snaps, options);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  std::map<std::string, const SnapshotMeta*> by_id;
  for (const SnapshotMeta& s : snaps)
    by_id[s.id] = &s;
  ASSERT_EQ(restic.size(), plan->groups.size());
  for (const PlanGroup& g : plan->groups) {
    SCOPED_TRACE("group " + g.Key());
    IdSet all;
    std::vector<SnapshotMeta> members;
    for (const PlannedSnapshot& s : g.snapshots) {
      all.insert(s.id);
      members.push_back(*by_id[s.id]);
    }
    const auto rg = std::find_if(restic.begin(), restic.end(), [&](const ResticGroup& r) {
      IdSet u = r.keep;
      u.insert(r.remove.begin(), r.remove.end());
      return u == all;
    });
    ASSERT_NE(rg, restic.end()) << "restic has no group with exactly these snapshots";
    const size_t tried = MatchUnderSomeTieOrder(members, rg->keep, [&](const auto& list) {
      core::Result<RetentionPlan> p = PlanRetention(list, options);
      const std::vector<std::string> ids = p.ok() ? p->KeepIds() : std::vector<std::string>{};
      return IdSet(ids.begin(), ids.end());
    });
    EXPECT_GT(tried, 0u) << "no order of tied snapshots reproduces restic's kept set";
    if (tried > 1)
      ++*tie_searches;
  }
}

// The restic-parity layer on its own: restic's own grouping by tags over every snapshot
// (diverged ones count singly here, as restic sees them).
void CompareResticGrouping(const std::string& repo, const std::vector<SnapshotMeta>& snaps,
                           const RetentionPolicy& policy) {
  const auto now = std::chrono::system_clock::now();
  const std::vector<ResticGroup> restic = ResticForget(repo, policy, {"--group-by", "tags"});
  const ResticGroupBy by_tags = *ParseResticGroupBy("tags");
  std::map<std::string, std::vector<SnapshotMeta>> ours;
  for (const SnapshotMeta& s : snaps)
    ours[ResticGroupKey(by_tags, s.hostname, s.paths, s.tags)].push_back(s);
  ASSERT_EQ(restic.size(), ours.size());
  for (const auto& [key, members] : ours) {
    SCOPED_TRACE("restic group " + key);
    const auto rg = std::find_if(restic.begin(), restic.end(), [&](const ResticGroup& r) {
      return r.keep.count(members[0].id) + r.remove.count(members[0].id) > 0;
    });
    ASSERT_NE(rg, restic.end());
    ASSERT_EQ(rg->keep.size() + rg->remove.size(), members.size());
    const size_t tried = MatchUnderSomeTieOrder(members, rg->keep, [&](const auto& list) {
      std::vector<RetentionItem> items;
      for (const SnapshotMeta& s : list)
        items.push_back({TimeOf(s), {s.tags}});
      const RetentionResult r = ApplyRetentionPolicy(items, policy, now);
      IdSet kept;
      for (size_t i = 0; i < list.size(); ++i) {
        if (r.decisions[i].keep)
          kept.insert(list[i].id);
      }
      return kept;
    });
    EXPECT_GT(tried, 0u) << "no order of tied snapshots reproduces restic's kept set";
  }
}

TEST(RetentionInteropTest, KeptSetsEqualResticForgetForRandomHistories) {
  const char* env_seed = std::getenv("HASTEWARD_RETENTION_SEED");
  const uint64_t seed = env_seed ? std::strtoull(env_seed, nullptr, 10) : std::random_device{}();
  SCOPED_TRACE("HASTEWARD_RETENTION_SEED=" + std::to_string(seed));
  std::mt19937_64 rng(seed);

  core::Result<core::TempDir> dir = core::TempDir::Create("hasteward-retention-");
  ASSERT_TRUE(dir.ok());
  const std::string repo = dir->path() + "/repo";
  {
    // Created with a low scrypt cost: restic's own init calibrates about half a CPU-second, which
    // each of the 60-100 restic commands below would pay again when it opens the repository.
    InitOptions init;
    init.kdf = KdfParams{1024, 8, 1};
    auto backend = storage::OpenBackend(repo);
    ASSERT_TRUE(backend.ok()) << backend.status().ToString();
    auto created = Repository::Init(std::move(*backend), kPassword, init);
    ASSERT_TRUE(created.ok()) << created.status().ToString();
  }
  const std::vector<BackupCall> calls = MakeHistory(rng);
  const core::Status st = RunBackups(repo, calls);
  ASSERT_TRUE(st.ok()) << st.ToString();
  const std::vector<SnapshotMeta> snaps = ReadSnapshots(repo);
  ASSERT_EQ(snaps.size(), calls.size());
  std::set<int> offsets;
  for (const SnapshotMeta& s : snaps)
    offsets.insert(TimeOf(s).offset_seconds());
  std::printf("seed %llu: %zu snapshots, %zu distinct UTC offsets\n",
              static_cast<unsigned long long>(seed), snaps.size(), offsets.size());

  std::vector<RetentionPolicy> policies;
  RetentionPolicy defaults;  // HASteward's prune defaults
  defaults.keep_last = 7, defaults.keep_daily = 30, defaults.keep_weekly = 12,
  defaults.keep_monthly = 24;
  policies.push_back(defaults);
  for (int i = 0; i < 7; ++i)
    policies.push_back(RandomPolicy(rng));
  size_t tie_searches = 0;
  for (size_t i = 0; i < policies.size(); ++i) {
    SCOPED_TRACE("policy " + Describe(policies[i]));
    CompareBackupPlan(repo, snaps, policies[i], &tie_searches);
    if (i % 2 == 0)
      CompareResticGrouping(repo, snaps, policies[i]);
  }
  std::printf("groups that needed a tie-order search: %zu\n", tie_searches);
}

}  // namespace
}  // namespace hasteward::repo
