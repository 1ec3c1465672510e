#include "engine/mariadb/binlog_stream_client.h"

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>

#include <mysql.h>
#include <sys/socket.h>
// After mysql.h, whose types it uses.
#include <mariadb_rpl.h>

#include "engine/mariadb/mariadb_connection.h"

namespace hasteward::engine::mariadb {

namespace {

constexpr size_t kEventHeaderBytes = 19;
constexpr uint8_t kRotateEvent = 4;
constexpr uint8_t kHeartbeatEvent = 27;
constexpr uint16_t kArtificialFlag = 0x20;
constexpr uint8_t kSemiSyncMagic = 0xEF;
constexpr uint8_t kSemiSyncAckRequested = 0x01;
// BINLOG_SEND_ANNOTATE_ROWS_EVENT: without it the writer leaves out the Annotate_rows events,
// and the stream would no longer be the file's bytes.
constexpr unsigned kSendAnnotateRows = 2;
// The writer sends a heartbeat when it has nothing else for this long; a read that waits five
// times as long is a lost connection (a partition, a frozen writer).
constexpr int kHeartbeatSeconds = 1;
constexpr int kReadTimeoutSeconds = 5;
// Connector/C's packet_error: ((unsigned int) -1) widened to the return type, not ULONG_MAX (a
// real run caught the difference: a lost connection read as a 4 GiB packet).
constexpr unsigned long kPacketError = 0xFFFFFFFFUL;

uint32_t Le32(const char* p) {
  uint32_t value = 0;
  for (int i = 3; i >= 0; --i) {
    value = (value << 8) | static_cast<uint8_t>(p[i]);
  }
  return value;
}

uint64_t Le64(const char* p) {
  uint64_t value = 0;
  for (int i = 7; i >= 0; --i) {
    value = (value << 8) | static_cast<uint8_t>(p[i]);
  }
  return value;
}

core::Status Lost(const std::string& what) {
  core::Status status(core::ErrorCode::kUnreachable, what,
                      "the receiver reconnects to the writer and continues where the repository "
                      "ends");
  status.SetRetryable();
  return status;
}

// One dump connection: the reader thread owns the reads, the caller the acknowledgements.
class MariadbBinlogStream : public BinlogStream {
 public:
  MariadbBinlogStream(std::unique_ptr<platform::InstanceHandle> handle,
                      std::unique_ptr<MariadbConnection> connection, MARIADB_RPL* rpl,
                      bool checksums)
      : handle_(std::move(handle)),
        connection_(std::move(connection)),
        rpl_(rpl),
        checksums_(checksums),
        name_(connection_->display_name()) {
    reader_ = std::thread([this] { ReadLoop(); });
  }
  MariadbBinlogStream(const MariadbBinlogStream&) = delete;
  MariadbBinlogStream& operator=(const MariadbBinlogStream&) = delete;

  ~MariadbBinlogStream() override {
    // Wakes the reader blocked on the socket; it sees the error and ends.
    {
      std::lock_guard lock(mu_);
      closing_ = true;
    }
    ::shutdown(static_cast<int>(mysql_get_socket(connection_->native())), SHUT_RDWR);
    reader_.join();
    mariadb_rpl_close(rpl_);
  }

  core::Result<BinlogStreamEvent> Next(std::chrono::milliseconds wait) override {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, wait, [this] { return !queue_.empty() || !error_.ok(); });
    if (!queue_.empty()) {
      BinlogStreamEvent event = std::move(queue_.front());
      queue_.pop_front();
      return event;
    }
    if (!error_.ok()) {
      return error_;
    }
    return BinlogStreamEvent{};
  }

  core::Status Acknowledge(const std::string& file, uint64_t position) override {
    const std::string payload = SemiSyncAckPayload(file, position);
    // One packet with sequence number 0: the writer's acknowledgement reader starts a new
    // exchange for every reply.
    std::string packet;
    const auto length = static_cast<uint32_t>(payload.size());
    packet.push_back(static_cast<char>(length & 0xff));
    packet.push_back(static_cast<char>((length >> 8) & 0xff));
    packet.push_back(static_cast<char>((length >> 16) & 0xff));
    packet.push_back('\0');
    packet += payload;
    const int fd = static_cast<int>(mysql_get_socket(connection_->native()));
    size_t sent = 0;
    while (sent < packet.size()) {
      ssize_t n = ::send(fd, packet.data() + sent, packet.size() - sent, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n <= 0) {
        return Lost("acknowledge " + file + ":" + std::to_string(position) + " to " + name_ + ": " +
                    std::strerror(errno));
      }
      sent += static_cast<size_t>(n);
    }
    return core::Status::Ok();
  }

 private:
  void Push(BinlogStreamEvent event) {
    std::lock_guard lock(mu_);
    queue_.push_back(std::move(event));
    cv_.notify_all();
  }
  void Fail(core::Status status) {
    std::lock_guard lock(mu_);
    error_ = std::move(status);
    cv_.notify_all();
  }

  // Reads until the connection ends. Every event queued is one the file holds, in file order,
  // or a rotate saying which file the next ones are in.
  void ReadLoop() {
    MYSQL* mysql = connection_->native();
    while (true) {
      const unsigned long length = mysql_net_read_packet(mysql);
      {
        std::lock_guard lock(mu_);
        if (closing_) {
          return;
        }
      }
      if (length == kPacketError || length == 0) {
        Fail(Lost("the binlog dump from " + name_ + " ended: " + mysql_error(mysql) + " (error " +
                  std::to_string(mysql_errno(mysql)) + ")"));
        return;
      }
      const auto* data = reinterpret_cast<const char*>(mysql->net.read_pos);
      if (static_cast<uint8_t>(data[0]) == 0xFE && length < 9) {
        Fail(Lost("the writer " + name_ + " ended the binlog dump"));
        return;
      }
      auto packet = ParseDumpPacket(std::string_view(data + 1, length - 1));
      if (!packet.ok()) {
        Fail(packet.TakeStatus().Wrap("binlog dump from " + name_));
        return;
      }
      if (packet->type == kHeartbeatEvent) {
        continue;
      }
      const bool artificial = packet->log_pos == 0 || (packet->flags & kArtificialFlag) != 0;
      if (!artificial) {
        BinlogStreamEvent event;
        event.kind = BinlogStreamEventKind::kEvent;
        event.position = packet->log_pos;
        event.bytes = std::string(packet->event);
        event.ack_requested = packet->ack_requested;
        Push(std::move(event));
      }
      if (packet->type == kRotateEvent) {
        auto target = ParseRotate(packet->event, checksums_);
        if (!target.ok()) {
          Fail(target.TakeStatus().Wrap("binlog dump from " + name_));
          return;
        }
        BinlogStreamEvent rotate;
        rotate.kind = BinlogStreamEventKind::kRotate;
        rotate.file = target->file;
        rotate.position = target->position;
        Push(std::move(rotate));
      }
    }
  }

  std::unique_ptr<platform::InstanceHandle> handle_;
  std::unique_ptr<MariadbConnection> connection_;
  MARIADB_RPL* rpl_;
  bool checksums_;
  std::string name_;
  std::thread reader_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<BinlogStreamEvent> queue_;
  core::Status error_;
  bool closing_ = false;
};

}  // namespace

core::Result<DumpPacket> ParseDumpPacket(std::string_view payload) {
  DumpPacket packet;
  if (payload.size() >= 2 && static_cast<uint8_t>(payload[0]) == kSemiSyncMagic) {
    packet.semi_sync = true;
    packet.ack_requested = (static_cast<uint8_t>(payload[1]) & kSemiSyncAckRequested) != 0;
    payload.remove_prefix(2);
  }
  if (payload.size() < kEventHeaderBytes) {
    return core::Status(core::ErrorCode::kCorruption, "a replication packet of " +
                                                          std::to_string(payload.size()) +
                                                          " bytes is too short for an event");
  }
  packet.type = static_cast<uint8_t>(payload[4]);
  const uint32_t event_length = Le32(payload.data() + 9);
  packet.log_pos = Le32(payload.data() + 13);
  packet.flags = static_cast<uint16_t>(static_cast<uint8_t>(payload[17]) |
                                       (static_cast<uint8_t>(payload[18]) << 8));
  if (event_length != payload.size()) {
    return core::Status(core::ErrorCode::kCorruption,
                        "a replication packet holds " + std::to_string(payload.size()) +
                            " bytes, its event header says " + std::to_string(event_length));
  }
  packet.event = payload;
  return packet;
}

core::Result<RotateTarget> ParseRotate(std::string_view event, bool checksums) {
  const size_t tail = checksums ? 4 : 0;
  if (event.size() < kEventHeaderBytes + 8 + tail) {
    return core::Status(core::ErrorCode::kCorruption, "a rotate event is too short");
  }
  RotateTarget target;
  target.position = Le64(event.data() + kEventHeaderBytes);
  target.file =
      std::string(event.substr(kEventHeaderBytes + 8, event.size() - kEventHeaderBytes - 8 - tail));
  return target;
}

std::string SemiSyncAckPayload(const std::string& file, uint64_t position) {
  std::string payload(1, static_cast<char>(kSemiSyncMagic));
  for (int i = 0; i < 8; ++i) {
    payload.push_back(static_cast<char>((position >> (8 * i)) & 0xff));
  }
  return payload + file;
}

core::Result<std::unique_ptr<BinlogStream>> OpenMariadbBinlogStream(
    std::unique_ptr<platform::InstanceHandle> handle, const std::string& file, uint64_t offset) {
  HS_ASSIGN_OR_RETURN(MariadbConnectParams params, InstanceConnectParams(*handle));
  params.read_timeout_seconds = kReadTimeoutSeconds;
  HS_ASSIGN_OR_RETURN(std::unique_ptr<MariadbConnection> connection,
                      MariadbConnection::Connect(params));
  MYSQL* mysql = connection->native();
  // Why refuse: the acknowledgement is written on the socket beside Connector/C, which cannot
  // send one itself without acknowledging on arrival; under TLS that write would break the
  // session.
  if (mysql_get_ssl_cipher(mysql) != nullptr) {
    return core::Usage(
        "the binlog receiver's connection to " + connection->display_name() + " is encrypted (TLS)",
        "the semi-synchronous receiver needs a plain connection to the writer "
        "(loopback, a pod network, or a tunnel of its own)");
  }
  HS_ASSIGN_OR_RETURN(auto checksum, connection->QueryValue("SELECT @@global.binlog_checksum"));
  const bool checksums = checksum.value_or("NONE") != "NONE";
  // The writer sends the file's bytes as they are (checksums, GTID events, annotations) only to
  // a replica that says it understands them.
  HS_TRY(connection->Execute("SET @master_binlog_checksum = @@global.binlog_checksum"));
  HS_TRY(connection->Execute("SET @mariadb_slave_capability = 4"));
  HS_TRY(connection->Execute("SET @master_heartbeat_period = " +
                             std::to_string(kHeartbeatSeconds * 1000000000LL)));
  MARIADB_RPL* rpl = mariadb_rpl_init(mysql);
  if (rpl == nullptr) {
    return core::Status(core::ErrorCode::kInternal, "could not start a binlog dump");
  }
  mariadb_rpl_optionsv(rpl, MARIADB_RPL_SERVER_ID, static_cast<unsigned>(kBinlogReceiverServerId));
  mariadb_rpl_optionsv(rpl, MARIADB_RPL_FILENAME, file.c_str(), file.size());
  mariadb_rpl_optionsv(rpl, MARIADB_RPL_START, static_cast<unsigned long>(offset));
  mariadb_rpl_optionsv(rpl, MARIADB_RPL_FLAGS, kSendAnnotateRows);
  mariadb_rpl_optionsv(rpl, MARIADB_RPL_SEMI_SYNC, 1U);
  if (mariadb_rpl_open(rpl) != 0) {
    std::string why = mysql_error(mysql);
    mariadb_rpl_close(rpl);
    return Lost("start the binlog dump of " + file + " at " + std::to_string(offset) + " on " +
                connection->display_name() + ": " + why);
  }
  return std::unique_ptr<BinlogStream>(std::make_unique<MariadbBinlogStream>(
      std::move(handle), std::move(connection), rpl, checksums));
}

}  // namespace hasteward::engine::mariadb
