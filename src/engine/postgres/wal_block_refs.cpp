#include "engine/postgres/wal_block_refs.h"

#include <charconv>
#include <vector>

#include "engine/postgres/wal_file_changes.h"
#include "engine/postgres/wal_record_decode.h"

namespace hasteward::engine::postgres {

namespace {

constexpr uint32_t kDefaultTablespace = 1663;       // base/
constexpr uint32_t kGlobalTablespace = 1664;        // global/
constexpr uint32_t kBlocksPerFileSegment = 131072;  // 1 GiB of 8 KiB blocks

std::vector<std::string_view> SplitPath(std::string_view path) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    const size_t slash = path.find('/', start);
    parts.push_back(path.substr(start, slash - start));
    if (slash == std::string_view::npos)
      return parts;
    start = slash + 1;
  }
}

// An OID or segment number as the server prints it: decimal, no sign, no leading zero, not 0.
std::optional<uint32_t> ParsePositive(std::string_view text) {
  if (text.empty() || text[0] == '0')
    return std::nullopt;
  uint32_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size())
    return std::nullopt;
  return value;
}

// "16384", "16384_vm", "16384.2", "16384_fsm.1": the relfilenode, fork and segment.
std::optional<RelationFile> ParseRelationFileName(std::string_view name, uint32_t tablespace,
                                                  uint32_t database) {
  RelationFile file;
  file.fork.tablespace = tablespace;
  file.fork.database = database;
  const size_t dot = name.find('.');
  if (dot != std::string_view::npos) {
    auto segment = ParsePositive(name.substr(dot + 1));
    if (!segment || *segment >= UINT32_MAX / kBlocksPerFileSegment + 1)
      return std::nullopt;
    file.first_block = *segment * kBlocksPerFileSegment;
    name = name.substr(0, dot);
  }
  const size_t underscore = name.find('_');
  if (underscore != std::string_view::npos) {
    const std::string_view suffix = name.substr(underscore + 1);
    if (suffix == "fsm") {
      file.fork.fork = ForkNumber::kFsm;
    } else if (suffix == "vm") {
      file.fork.fork = ForkNumber::kVisibilityMap;
    } else if (suffix == "init") {
      file.fork.fork = ForkNumber::kInit;
    } else {
      return std::nullopt;
    }
    name = name.substr(0, underscore);
  }
  auto relfilenode = ParsePositive(name);  // temp relations ("t3_16384") fail here
  if (!relfilenode)
    return std::nullopt;
  file.fork.relfilenode = *relfilenode;
  return file;
}

}  // namespace

std::optional<RelationFile> RelationFileOf(std::string_view relative_path) {
  const std::vector<std::string_view> parts = SplitPath(relative_path);
  if (parts.size() == 3 && parts[0] == "base") {
    auto database = ParsePositive(parts[1]);
    if (!database)
      return std::nullopt;
    return ParseRelationFileName(parts[2], kDefaultTablespace, *database);
  }
  if (parts.size() == 2 && parts[0] == "global")
    return ParseRelationFileName(parts[1], kGlobalTablespace, 0);
  // pg_tblspc/<tablespace oid>/PG_<major>_<catalog version>/<database>/<file>
  if (parts.size() == 5 && parts[0] == "pg_tblspc" && parts[2].starts_with("PG_")) {
    auto tablespace = ParsePositive(parts[1]);
    auto database = ParsePositive(parts[3]);
    if (!tablespace || !database)
      return std::nullopt;
    return ParseRelationFileName(parts[4], *tablespace, *database);
  }
  return std::nullopt;
}

void ChangedBlocks::Add(const RelationFork& fork, uint32_t block) {
  if (blocks_[fork].insert(block).second)
    ++block_count_;
}

void ChangedBlocks::MarkWhole(const RelationFork& fork) {
  whole_forks_.insert(fork);
}

void ChangedBlocks::MarkRelationWhole(uint32_t tablespace, uint32_t database,
                                      uint32_t relfilenode) {
  whole_relations_.insert({tablespace, database, relfilenode});
}

void ChangedBlocks::MarkDatabaseWhole(uint32_t tablespace, uint32_t database) {
  whole_databases_.insert({tablespace, database});
}

bool ChangedBlocks::WholeFork(const RelationFork& fork) const {
  return whole_forks_.contains(fork) ||
         whole_relations_.contains({fork.tablespace, fork.database, fork.relfilenode}) ||
         whole_databases_.contains({fork.tablespace, fork.database});
}

bool ChangedBlocks::MayHaveChanged(const RelationFork& fork, uint32_t block) const {
  if (WholeFork(fork))
    return true;
  auto it = blocks_.find(fork);
  return it != blocks_.end() && it->second.contains(block);
}

size_t ChangedBlocks::BlockCount() const {
  return block_count_;
}

void ChangedBlocks::ForEachBlock(
    const std::function<void(const RelationFork&, uint32_t)>& visit) const {
  for (const auto& [fork, blocks] : blocks_) {
    for (uint32_t block : blocks)
      visit(fork, block);
  }
}

WalBlockReferenceReader::WalBlockReferenceReader(uint64_t from_lsn, uint64_t to_lsn)
    : stream_(from_lsn, to_lsn) {}

core::Status WalBlockReferenceReader::AddSegment(uint64_t segment_start_lsn,
                                                 std::string_view bytes) {
  // A reader that failed once has lost its place in the WAL: every later answer is the same.
  if (!failed_.ok())
    return failed_;
  core::Status status = stream_.AddSegment(
      segment_start_lsn, bytes, [this](const WalRecord& record) { return Apply(record); });
  if (!status.ok())
    failed_ = status;
  return status;
}

core::Status WalBlockReferenceReader::AddSegmentPart(uint64_t segment_start_lsn, uint64_t offset,
                                                     std::string_view bytes) {
  if (!failed_.ok())
    return failed_;
  core::Status status = stream_.AddSegmentPart(
      segment_start_lsn, offset, bytes, [this](const WalRecord& record) { return Apply(record); });
  if (!status.ok())
    failed_ = status;
  return status;
}

uint64_t WalBlockReferenceReader::NextWantedLsn() const {
  return stream_.NextWantedLsn();
}

core::Status WalBlockReferenceReader::Apply(const WalRecord& record) {
  DecodedWalRecord decoded;
  HS_TRY(DecodeWalRecord(record, decoded));
  ++records_;
  for (uint8_t i = 0; i < decoded.block_count; ++i)
    blocks_.Add(decoded.blocks[i].fork, decoded.blocks[i].block);
  return ApplyFileChanges(decoded, record.lsn, blocks_);
}

bool WalBlockReferenceReader::Covered() const {
  return failed_.ok() && stream_.Reached();
}

const ChangedBlocks& WalBlockReferenceReader::Blocks() const {
  return blocks_;
}

uint64_t WalBlockReferenceReader::RecordCount() const {
  return records_;
}

}  // namespace hasteward::engine::postgres
