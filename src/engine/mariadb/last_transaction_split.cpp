#include "engine/mariadb/last_transaction_split.h"

#include <sstream>

#include "core/atomic_file.h"
#include "core/fd.h"

namespace hasteward::engine::mariadb {

namespace {

core::Status WritePrivate(const std::string& path, const std::string& bytes) {
  core::AtomicFileOptions options;
  options.mode = 0600;  // the cluster's data
  return core::WriteFileAtomically(path, core::AsBytes(bytes), options);
}

}  // namespace

core::Result<LastTransactionSplit> SplitOffLastTransaction(const std::vector<std::string>& paths,
                                                           const std::string& dir) {
  std::vector<std::string> files;
  std::vector<std::vector<ReplayFileTransaction>> transactions;
  for (const auto& path : paths) {
    HS_ASSIGN_OR_RETURN(std::string bytes, core::ReadFileToString(path));
    HS_ASSIGN_OR_RETURN(std::vector<ReplayFileTransaction> found, ReplayFileTransactions(bytes));
    files.push_back(std::move(bytes));
    transactions.push_back(std::move(found));
  }
  size_t last_file = files.size();
  for (size_t index = files.size(); index > 0; --index) {
    if (!transactions[index - 1].empty()) {
      last_file = index - 1;
      break;
    }
  }
  if (last_file == files.size()) {
    return core::Status(core::ErrorCode::kNotFound, "the replay files hold no transaction");
  }
  LastTransactionSplit split;
  for (size_t index = 0; index < last_file; ++index) {
    if (!transactions[index].empty()) {
      split.before_paths.push_back(paths[index]);
      split.before_transactions += transactions[index].size();
    }
  }
  const std::string& file = files[last_file];
  const std::vector<ReplayFileTransaction>& in_last = transactions[last_file];
  const uint64_t last_start = in_last.back().offset;
  if (in_last.size() > 1) {
    split.before_paths.push_back(dir + "/before-last.binlog");
    split.before_transactions += in_last.size() - 1;
    HS_TRY(WritePrivate(split.before_paths.back(), file.substr(0, last_start)));
  }
  // The header is all before the file's first transaction (format description, Gtid_list, ...).
  split.last_path = dir + "/last.binlog";
  std::string last = file.substr(0, in_last.front().offset);
  last.append(file, last_start, std::string::npos);
  HS_TRY(WritePrivate(split.last_path, last));
  split.last_gtid = in_last.back().gtid;
  return split;
}

std::string StateBeforeLast(const std::string& state_after, const BinlogGtid& last) {
  std::istringstream entries(state_after);
  std::string out;
  const std::string domain_prefix = std::to_string(last.domain) + "-";
  for (std::string entry; std::getline(entries, entry, ',');) {
    if (entry.rfind(domain_prefix, 0) == 0) {
      if (last.sequence <= 1) {
        continue;  // nothing of this domain before it
      }
      entry =
          domain_prefix + std::to_string(last.server_id) + "-" + std::to_string(last.sequence - 1);
    }
    out += (out.empty() ? "" : ",") + entry;
  }
  return out;
}

}  // namespace hasteward::engine::mariadb
