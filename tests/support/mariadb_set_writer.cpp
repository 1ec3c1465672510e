#include "support/mariadb_set_writer.h"

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>

#include <mysql.h>

#include "support/partition_network.h"

namespace hasteward::testing {

namespace {

// One connection, closed by the destructor.
class Connection {
 public:
  Connection(const std::string& host, int port, const std::string& user,
             const std::string& password, bool as_observer) {
    conn_ = mysql_init(nullptr);
    unsigned timeout = 2;
    mysql_options(conn_, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
    unsigned read_timeout = 20;
    mysql_options(conn_, MYSQL_OPT_READ_TIMEOUT, &read_timeout);
    mysql_options(conn_, MYSQL_OPT_WRITE_TIMEOUT, &read_timeout);
    unsigned protocol = MYSQL_PROTOCOL_TCP;
    mysql_options(conn_, MYSQL_OPT_PROTOCOL, &protocol);
    std::optional<AsObserver> observer;
    if (as_observer)
      observer.emplace();
    ok_ = mysql_real_connect(conn_, host.c_str(), user.c_str(), password.c_str(), nullptr,
                             static_cast<unsigned>(port), nullptr, 0) != nullptr;
  }
  ~Connection() { mysql_close(conn_); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  bool ok() const { return ok_; }
  bool Execute(const std::string& sql) {
    return ok_ && mysql_real_query(conn_, sql.data(), sql.size()) == 0;
  }
  // Whether the server answers that it is not read-only.
  bool Writable() {
    if (!Execute("SELECT @@global.read_only"))
      return false;
    MYSQL_RES* result = mysql_store_result(conn_);
    if (result == nullptr)
      return false;
    MYSQL_ROW row = mysql_fetch_row(result);
    bool writable = row != nullptr && row[0] != nullptr && std::string(row[0]) == "0";
    mysql_free_result(result);
    return writable;
  }

 private:
  MYSQL* conn_ = nullptr;
  bool ok_ = false;
};

}  // namespace

void MariadbSetWriter::Start() {
  thread_ = std::thread([this] { Run(); });
}

void MariadbSetWriter::Stop() {
  stop_ = true;
  if (thread_.joinable())
    thread_.join();
}

std::set<long> MariadbSetWriter::acknowledged() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return acknowledged_;
}

bool MariadbSetWriter::WaitForAcknowledged(long count, std::chrono::milliseconds timeout) const {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  long start = static_cast<long>(acknowledged().size());
  while (std::chrono::steady_clock::now() < deadline) {
    if (static_cast<long>(acknowledged().size()) >= start + count)
      return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

std::chrono::milliseconds MariadbSetWriter::longest_gap() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return longest_gap_;
}

void MariadbSetWriter::Run() {
  mysql_thread_init();
  size_t target = 0;
  long next_id = 1;
  std::unique_ptr<Connection> conn;
  while (!stop_) {
    if (conn == nullptr) {
      const auto& [host, port] = options_.endpoints[target];
      conn = std::make_unique<Connection>(host, port, options_.user, options_.password,
                                          options_.as_observer);
      if (options_.writable_on_connect && !conn->Writable()) {
        conn.reset();
        target = (target + 1) % options_.endpoints.size();
        std::this_thread::sleep_for(options_.retry_pause);
        continue;
      }
    }
    long id = next_id++;
    ++attempts_;
    if ((!options_.writable_only || conn->Writable()) &&
        conn->Execute("INSERT INTO " + options_.table + " (id) VALUES (" + std::to_string(id) +
                      ")")) {
      {
        std::lock_guard<std::mutex> lock(mutex_);
        acknowledged_.insert(id);
        const auto now = std::chrono::steady_clock::now();
        if (last_ack_ != std::chrono::steady_clock::time_point{}) {
          longest_gap_ = std::max(
              longest_gap_, std::chrono::duration_cast<std::chrono::milliseconds>(now - last_ack_));
        }
        last_ack_ = now;
      }
      if (options_.pace.count() > 0)
        std::this_thread::sleep_for(options_.pace);
      continue;
    }
    // Refused (read-only), lost or never connected: the next instance, with a new id.
    ++failures_;
    conn.reset();
    target = (target + 1) % options_.endpoints.size();
    std::this_thread::sleep_for(options_.retry_pause);
  }
  conn.reset();
  mysql_thread_end();
}

SetCheck CheckSet(const std::set<long>& acknowledged, const std::string& ids) {
  std::map<long, int> seen;
  std::istringstream in(ids);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty())
      ++seen[std::stol(line)];
  }
  SetCheck check;
  check.acknowledged = static_cast<long>(acknowledged.size());
  check.present = static_cast<long>(seen.size());
  for (long id : acknowledged) {
    if (seen.count(id) == 0)
      ++check.lost;
  }
  for (const auto& [id, count] : seen) {
    if (count > 1)
      ++check.duplicated;
  }
  return check;
}

}  // namespace hasteward::testing
