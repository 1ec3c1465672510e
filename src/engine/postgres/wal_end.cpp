#include "engine/postgres/wal_end.h"

#include <regex>
#include <string>

#include "engine/postgres/triage_timeline.h"
#include "engine/postgres/wal_record_stream.h"

namespace hasteward::engine::postgres {

std::optional<WalEnd> WalEndFromWaldump(std::string_view output) {
  static const std::regex kError("error in WAL record at ([0-9A-Fa-f]+/[0-9A-Fa-f]+): ([^\n]*)");
  static const std::regex kAt(" at ([0-9A-Fa-f]+/[0-9A-Fa-f]+)");
  std::string text(output);
  std::smatch error;
  if (!std::regex_search(text, error, kError))
    return std::nullopt;
  auto last = ParseLsn(error[1].str());
  if (!last)
    return std::nullopt;
  // The reason names where the next record would have started ("invalid record length at Y",
  // "record with incorrect prev-link A at Y"): the end of the valid WAL.
  const std::string reason = error[2].str();
  std::optional<uint64_t> next;
  for (auto it = std::sregex_iterator(reason.begin(), reason.end(), kAt);
       it != std::sregex_iterator(); ++it) {
    next = ParseLsn((*it)[1].str());
  }
  if (next && *next > *last)
    return WalEnd{*next, true};
  return WalEnd{*last, false};
}

std::optional<uint64_t> LastTransactionEndFromWaldump(std::string_view output) {
  static const std::regex kRecord(
      "rmgr: Transaction +len \\(rec/tot\\): *[0-9]+/ *([0-9]+),[^\n]*lsn: "
      "([0-9A-Fa-f]+/[0-9A-Fa-f]+)");
  std::string text(output);
  std::optional<uint64_t> end;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), kRecord);
       it != std::sregex_iterator(); ++it) {
    auto lsn = ParseLsn((*it)[2].str());
    if (lsn)
      end = *lsn + std::stoull((*it)[1].str());
  }
  return end;
}

uint64_t TransactionEndAtOrBefore(uint64_t redo) {
  // The long header opens a segment's first page; others have the short one.
  const uint64_t offset = redo % kWalPageBytes;
  return offset <= kWalLongPageHeaderBytes ? redo - offset : redo;
}

}  // namespace hasteward::engine::postgres
