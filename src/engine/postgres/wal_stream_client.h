// engine/postgres/wal_stream_client: the PostgreSQL replication protocol of a WAL receiver
// (engine/wal_stream.h): IDENTIFY_SYSTEM, READ_REPLICATION_SLOT and CREATE_REPLICATION_SLOT,
// START_REPLICATION ... PHYSICAL, the CopyBoth stream's XLogData ('w') and keepalive ('k')
// messages, standby status updates ('r'), and the end of a timeline (the server's CopyDone and
// the next timeline's row), per the protocol chapter "Streaming Replication Protocol".
#pragma once

#include <memory>

#include "engine/postgres/pg_connection.h"
#include "engine/wal_stream.h"
#include "platform/platform.h"

namespace hasteward::engine::postgres {

// Connects to the instance of `primary` as the cluster's admin, a replication connection named
// kWalReceiverName, and makes kWalReceiverSlot when it is missing.
core::Result<std::unique_ptr<WalStreamSource>> OpenWalStreamSource(
    const platform::InstanceHandle& primary);

// The receiver's fallback on an ordinary connection to the primary whose commits must stop
// waiting: synchronous_standby_names emptied and reloaded, and the mark that lets a receiver that
// caught up name itself again (WalStreamSource::FallBack; serve's watchdog). The session commits
// locally (it must not wait for the receiver itself).
core::Status FallBackFromReceiver(PgConnection& conn);

}  // namespace hasteward::engine::postgres
