// `failover --require-sync` cannot rest on a synchronous primary whose synchronous standby is
// HASteward's WAL receiver (engine/postgres/synchronous_primary.h): every form of
// synchronous_standby_names that names it is recognised, and none other ("*" is the cluster's
// own semisync setting).
#include "engine/postgres/synchronous_primary.h"

#include <gtest/gtest.h>

namespace hasteward::engine::postgres {
namespace {

TEST(WalReceiverMayAcknowledgeTest, EveryFormThatNamesTheReceiver) {
  for (const char* names :
       {"hasteward_receiver", "HASTEWARD_RECEIVER", "\"hasteward_receiver\"",
        "pg-1, hasteward_receiver", "FIRST 1 (hasteward_receiver, pg-1)",
        "ANY 1 (pg-1,hasteward_receiver)", "2 (pg-1, \"hasteward_receiver\")"}) {
    EXPECT_TRUE(WalReceiverMayAcknowledge(names)) << names;
  }
}

TEST(WalReceiverMayAcknowledgeTest, NamesThatAreNotTheReceiver) {
  for (const char* names :
       {"", "pg-1", "*", "ANY 1 (*)", "FIRST 1 (pg-1, pg-2)", "hasteward_receiver2",
        "\"HASTEWARD_RECEIVER\"", "my_hasteward_receiver"}) {
    EXPECT_FALSE(WalReceiverMayAcknowledge(names)) << names;
  }
}

}  // namespace
}  // namespace hasteward::engine::postgres
