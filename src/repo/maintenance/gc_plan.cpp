#include "repo/maintenance/gc_plan.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <unordered_map>

#include "repo/maintenance/gc_plan_steps.h"

namespace hasteward::repo {

namespace {

// One indexed pack while planning.
struct PackState {
  Id id{};
  const std::vector<PackedBlob>* blobs = nullptr;
  bool eligible = false;  // exists with the size the index implies
  bool exists = false;
  size_t hits = 0;  // blobs that are in the used set (before deduplication)
};

uint64_t HeaderBytes(const std::vector<PackedBlob>& blobs) {
  uint64_t sum = 0;
  for (const auto& b : blobs)
    sum += b.length;
  return PackSizeFromBlobs(blobs) - sum;
}

// Fully used packs first, then by share of used blobs: the copies there are the ones counted.
std::vector<size_t> AssignmentOrderOf(const std::vector<PackState>& packs) {
  std::vector<PackFill> fill;
  fill.reserve(packs.size());
  for (const auto& p : packs) {
    fill.push_back({p.hits, p.blobs->size()});
  }
  return AssignmentOrder(fill);
}

PackDecision Account(const PackState& p, BlobSet* used) {
  PackDecision d;
  d.id = p.id;
  d.size = PackSizeFromBlobs(*p.blobs);
  d.used_bytes = HeaderBytes(*p.blobs);
  for (const auto& b : *p.blobs) {
    (b.type == BlobType::kTree ? d.has_tree : d.has_data) = true;
    if (p.eligible && used->Of(b.type).erase(b.id) != 0) {
      ++d.used_blobs;
      d.used_bytes += b.length;
      d.copy_bytes += b.length;
      d.copy.push_back(b);
    } else {
      ++d.unused_blobs;
      d.unused_bytes += b.length;
    }
  }
  return d;
}

// First classification; partly used data packs stay kKeep and are returned as candidates.
bool Classify(bool exists, PackDecision* d, uint64_t target) {
  if (!exists) {
    d->action = PackAction::kDrop;
  } else if (d->used_blobs == 0) {
    d->action = PackAction::kRemove;
  } else if (d->has_data && d->has_tree) {  // NOLINT(bugprone-branch-clone): must precede kKeep
    d->action = PackAction::kRepack;        // mixed packs are split
  } else if (d->unused_blobs == 0) {
    d->action = PackAction::kKeep;
  } else if (d->has_tree || d->size < target) {
    d->action = PackAction::kRepack;
  } else {
    return true;
  }
  return false;
}

// restic 0.14: repack candidates with the most unused space first until what remains unused
// fits the budget.
std::vector<size_t> ApplyBudget(GcPlan* plan, std::vector<size_t> candidates, uint64_t budget) {
  auto& packs = plan->packs;
  uint64_t remaining = 0;  // candidates are still kKeep here
  for (const auto& d : packs) {
    if (d.action == PackAction::kKeep)
      remaining += d.unused_bytes;
  }
  std::stable_sort(candidates.begin(), candidates.end(), [&](size_t a, size_t b) {
    // unused_a / used_a > unused_b / used_b
    return static_cast<long double>(packs[a].unused_bytes) * packs[b].used_bytes >
           static_cast<long double>(packs[b].unused_bytes) * packs[a].used_bytes;
  });
  for (size_t i : candidates) {
    if (remaining <= budget)
      break;
    packs[i].action = PackAction::kRepack;
    remaining -= packs[i].unused_bytes;
  }
  plan->stats.unused_after = remaining;
  return candidates;  // in budget order
}

// Keeps repacks within `cap` bytes, in priority order: packs that Classify marked (trees and
// mixed packs first, then small data packs), then the budget's choices, emptiest first.
void ApplyRepackCap(GcPlan* plan, const std::vector<size_t>& budget_order, uint64_t cap) {
  if (cap == UINT64_MAX)
    return;
  auto& packs = plan->packs;
  std::vector<size_t> order;
  std::vector<bool> from_budget(packs.size(), false);
  for (size_t i : budget_order)
    from_budget[i] = true;
  for (bool trees : {true, false}) {
    for (size_t i = 0; i < packs.size(); ++i) {
      if (packs[i].action == PackAction::kRepack && !from_budget[i] && packs[i].has_tree == trees)
        order.push_back(i);
    }
  }
  for (size_t i : budget_order) {
    if (packs[i].action == PackAction::kRepack)
      order.push_back(i);
  }
  uint64_t total = 0;
  for (size_t i : order) {
    if (total + packs[i].size <= cap) {
      total += packs[i].size;
      continue;
    }
    packs[i].action = PackAction::kKeep;
    plan->stats.unused_after += packs[i].unused_bytes;
  }
}

void Tally(GcPlan* plan) {
  GcStats& s = plan->stats;
  for (auto& d : plan->packs) {
    if (d.action != PackAction::kRepack)
      d.copy.clear();
    ++s.packs;
    s.used_blobs += d.used_blobs;
    s.unused_blobs += d.unused_blobs;
    s.used_bytes += d.used_bytes;
    s.unused_bytes += d.unused_bytes;
    switch (d.action) {
      case PackAction::kKeep: ++s.keep; break;
      case PackAction::kRemove:
        ++s.remove;
        s.remove_bytes += d.size;
        break;
      case PackAction::kDrop: ++s.drop; break;
      case PackAction::kRepack:
        ++s.repack;
        s.repack_bytes += d.size;
        s.repack_copy_bytes += d.copy_bytes;
        break;
    }
  }
  s.unreferenced = plan->unreferenced.size();
  for (const auto& f : plan->unreferenced)
    s.remove_bytes += f.size;
}

}  // namespace

uint64_t MaxUnused::Budget(uint64_t used_bytes) const {
  switch (kind) {
    case Kind::kUnlimited: return UINT64_MAX;
    case Kind::kBytes: return bytes;
    case Kind::kPercent:
      return static_cast<uint64_t>(static_cast<long double>(used_bytes) * percent /
                                   (100 - percent));
  }
  return 0;
}

std::string MaxUnused::ToString() const {
  if (kind == Kind::kUnlimited)
    return "unlimited";
  if (kind == Kind::kBytes)
    return std::to_string(bytes);
  std::string p = std::to_string(percent);
  p.erase(p.find_last_not_of('0') + 1);
  if (!p.empty() && p.back() == '.')
    p.pop_back();
  return p + "%";
}

core::Result<MaxUnused> ParseMaxUnused(std::string_view text) {
  auto bad = [&] {
    return core::Usage("invalid --max-unused '" + std::string(text) + "'",
                       "give a percentage (5%), a size (100M, 2G) or 'unlimited'");
  };
  MaxUnused m;
  if (text == "unlimited") {
    m.kind = MaxUnused::Kind::kUnlimited;
    return m;
  }
  if (text.empty())
    return bad();
  std::string s(text);
  char* end = nullptr;
  if (s.back() == '%') {
    double p = std::strtod(s.c_str(), &end);
    if (end != s.c_str() + s.size() - 1 || !(p >= 0) || p >= 100)
      return bad();
    m.percent = p;
    return m;
  }
  unsigned long long n = std::strtoull(s.c_str(), &end, 10);
  if (end == s.c_str() || s[0] == '-')
    return bad();
  int shift = 0;
  std::string unit(end);
  if (unit == "K" || unit == "k") {
    shift = 10;
  } else if (unit == "M" || unit == "m") {
    shift = 20;
  } else if (unit == "G" || unit == "g") {
    shift = 30;
  } else if (unit == "T" || unit == "t") {
    shift = 40;
  } else if (!unit.empty()) {
    return bad();
  }
  if (shift > 0 && n > (UINT64_MAX >> shift))
    return bad();
  m.kind = MaxUnused::Kind::kBytes;
  m.bytes = static_cast<uint64_t>(n) << shift;
  return m;
}

const char* PackActionName(PackAction a) {
  switch (a) {
    case PackAction::kKeep: return "keep";
    case PackAction::kRemove: return "remove";
    case PackAction::kRepack: return "repack";
    case PackAction::kDrop: return "drop";
  }
  return "?";
}

std::vector<size_t> AssignmentOrder(const std::vector<PackFill>& packs) {
  std::vector<size_t> order(packs.size());
  for (size_t i = 0; i < order.size(); ++i)
    order[i] = i;
  auto full = [&](size_t i) {
    return packs[i].hits == packs[i].blobs;
  };
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (full(a) != full(b))
      return full(a);
    // hits_a / n_a > hits_b / n_b, without division
    return packs[a].hits * packs[b].blobs > packs[b].hits * packs[a].blobs;
  });
  return order;
}

void DecidePacks(GcPlan* plan, const std::vector<bool>& exists, const GcPlanOptions& options) {
  std::vector<size_t> candidates;
  uint64_t target = options.pack_size / 25;
  for (size_t i = 0; i < plan->packs.size(); ++i) {
    if (Classify(exists[i], &plan->packs[i], target))
      candidates.push_back(i);
  }
  uint64_t used_total = 0;
  for (const auto& d : plan->packs)
    used_total += d.used_bytes;
  plan->stats.unused_budget = options.max_unused.Budget(used_total);
  auto budget_order = ApplyBudget(plan, std::move(candidates), plan->stats.unused_budget);
  ApplyRepackCap(plan, budget_order, options.max_repack_bytes);
  Tally(plan);
}

core::Status UnclaimedBlobs(size_t count, BlobType type, const Id& example) {
  return core::Corruption(std::to_string(count) + " used blob(s) are in no intact pack, e.g. " +
                          BlobTypeName(type) + " blob '" + IdToHex(example) + "'")
      .WithHint(
          "the pack holding it is missing or has the wrong size; nothing was deleted. "
          "Run 'restic check' and 'restic rebuild-index'");
}

core::Result<GcPlan> PlanGc(const MasterIndex& index, BlobSet used,
                            const std::vector<storage::FileInfo>& pack_files,
                            const GcPlanOptions& options) {
  std::unordered_map<Id, uint64_t, IdHash> sizes;
  GcPlan plan;
  for (const auto& f : pack_files) {
    auto id = IdFromHex(f.name);
    if (!id.ok())
      continue;  // not a pack name; never ours to delete
    sizes.emplace(*id, f.size);
    if (!index.HasPack(*id))
      plan.unreferenced.push_back(f);
  }
  std::vector<PackState> packs;
  index.ForEachPack([&](const Id& id, const std::vector<PackedBlob>& blobs) {
    PackState p{id, &blobs};
    auto it = sizes.find(id);
    p.exists = it != sizes.end();
    p.eligible = p.exists && it->second == PackSizeFromBlobs(blobs) && !blobs.empty();
    for (const auto& b : blobs)
      p.hits += used.Of(b.type).count(b.id);
    packs.push_back(p);
  });
  plan.packs.resize(packs.size());
  for (size_t i : AssignmentOrderOf(packs))
    plan.packs[i] = Account(packs[i], &used);
  for (BlobType t : {BlobType::kTree, BlobType::kData}) {
    if (!used.Of(t).empty())
      return UnclaimedBlobs(used.size(), t, *used.Of(t).begin());
  }
  std::vector<bool> exists;
  exists.reserve(packs.size());
  for (const auto& p : packs)
    exists.push_back(p.exists);
  DecidePacks(&plan, exists, options);
  size_t hits = 0;
  for (const auto& p : packs)
    hits += p.eligible ? p.hits : 0;
  plan.stats.duplicate_blobs = hits - plan.stats.used_blobs;
  return plan;
}

}  // namespace hasteward::repo
