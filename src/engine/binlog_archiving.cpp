#include "engine/binlog_archiving.h"

namespace hasteward::engine {

const char* BinlogApplierName(BinlogApplier applier) {
  switch (applier) {
    case BinlogApplier::kParallel: return "parallel";
    case BinlogApplier::kClient: return "client";
  }
  return "client";
}

}  // namespace hasteward::engine
