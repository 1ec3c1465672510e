#include "engine/postgres/wal_end.h"

#include <regex>
#include <string>

#include "engine/postgres/triage_timeline.h"

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

}  // namespace hasteward::engine::postgres
