#include "support/writable_probe.h"

#include <algorithm>
#include <cstdio>

#include <libpq-fe.h>
#include <mysql.h>

#include "support/partition_network.h"

namespace hasteward::testing {

std::unique_ptr<WritableProbe> WritableProbe::Start(
    std::vector<std::pair<std::string, ProbeFactory>> instances, std::chrono::milliseconds every) {
  std::unique_ptr<WritableProbe> probe(new WritableProbe());
  probe->started_ = Clock::now();
  for (auto& [name, factory] : instances) {
    auto instance = std::make_unique<Instance>();
    instance->name = name;
    instance->factory = std::move(factory);
    probe->instances_.push_back(std::move(instance));
  }
  for (auto& instance : probe->instances_) {
    Instance* raw = instance.get();
    WritableProbe* self = probe.get();
    instance->thread = std::thread([self, raw, every] { self->Loop(raw, every); });
  }
  return probe;
}

WritableProbe::~WritableProbe() {
  Stop();
}

void WritableProbe::Stop() {
  stop_ = true;
  for (auto& instance : instances_) {
    if (instance->thread.joinable())
      instance->thread.join();
  }
}

void WritableProbe::Loop(Instance* instance, std::chrono::milliseconds every) {
  Probe probe = instance->factory();
  auto next = Clock::now();
  while (!stop_) {
    auto sent = Clock::now();
    bool accepted = probe();
    auto answered = Clock::now();
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++instance->sent;
      if (accepted) {
        ++instance->accepted;
        if (instance->last_accepted && !instance->stretches.empty())
          instance->stretches.back().to = answered;
        else
          instance->stretches.push_back({sent, answered});
      }
      instance->last_accepted = accepted;
    }
    next += every;
    auto now = Clock::now();
    if (next < now)
      next = now;  // a slow probe: the next one goes at once, no burst to catch up
    std::this_thread::sleep_until(next);
  }
}

std::string WritableProbe::Overlap() const {
  std::lock_guard<std::mutex> lock(mu_);
  auto ms = [this](Clock::time_point t) {
    return std::to_string(
        std::chrono::duration_cast<std::chrono::milliseconds>(t - started_).count());
  };
  for (size_t a = 0; a < instances_.size(); ++a) {
    for (size_t b = a + 1; b < instances_.size(); ++b) {
      for (const Stretch& x : instances_[a]->stretches) {
        for (const Stretch& y : instances_[b]->stretches) {
          if (x.from <= y.to && y.from <= x.to) {
            return "'" + instances_[a]->name + "' accepted writes from " + ms(x.from) + " to " +
                   ms(x.to) + " ms and '" + instances_[b]->name + "' from " + ms(y.from) + " to " +
                   ms(y.to) + " ms";
          }
        }
      }
    }
  }
  return "";
}

const WritableProbe::Instance* WritableProbe::Find(const std::string& name) const {
  for (const auto& instance : instances_) {
    if (instance->name == name)
      return instance.get();
  }
  return nullptr;
}

size_t WritableProbe::Sent(const std::string& name) const {
  std::lock_guard<std::mutex> lock(mu_);
  const Instance* instance = Find(name);
  return instance == nullptr ? 0 : instance->sent;
}

size_t WritableProbe::Accepted(const std::string& name) const {
  std::lock_guard<std::mutex> lock(mu_);
  const Instance* instance = Find(name);
  return instance == nullptr ? 0 : instance->accepted;
}

namespace {

// One libpq connection, reopened (as the observer) after any failure.
class PostgresProbe {
 public:
  PostgresProbe(const platform::Cluster& cluster, const platform::Instance& instance,
                const std::string& table)
      : host_(instance.host),
        port_(std::to_string(instance.port)),
        user_(cluster.credentials.user.empty() ? "postgres" : cluster.credentials.user),
        sql_("BEGIN; INSERT INTO " + table + " VALUES (1); ROLLBACK") {
    auto password = cluster.credentials.password.Resolve();
    password_ = password.ok() ? *password : "";
  }
  ~PostgresProbe() { Close(); }
  PostgresProbe(const PostgresProbe&) = delete;
  PostgresProbe& operator=(const PostgresProbe&) = delete;

  bool operator()() {
    if (conn_ == nullptr && !Open())
      return false;
    PGresult* result = PQexec(conn_, sql_.c_str());
    bool accepted = PQresultStatus(result) == PGRES_COMMAND_OK;
    PQclear(result);
    // A refused INSERT leaves the transaction aborted (the ROLLBACK after it never ran).
    if (PQtransactionStatus(conn_) == PQTRANS_INERROR)
      PQclear(PQexec(conn_, "ROLLBACK"));
    if (PQstatus(conn_) != CONNECTION_OK)
      Close();
    return accepted;
  }

 private:
  bool Open() {
    const char* keys[] = {
        "host", "port", "user", "password", "dbname", "connect_timeout", "tcp_user_timeout",
        nullptr};
    const char* values[] = {host_.c_str(), port_.c_str(), user_.c_str(), password_.c_str(),
                            "postgres",    "1",           "2000",        nullptr};
    AsObserver observer;
    conn_ = PQconnectdbParams(keys, values, 0);
    if (PQstatus(conn_) == CONNECTION_OK)
      return true;
    Close();
    return false;
  }
  void Close() {
    if (conn_ != nullptr)
      PQfinish(conn_);
    conn_ = nullptr;
  }

  std::string host_, port_, user_, password_, sql_;
  PGconn* conn_ = nullptr;
};

class MariadbProbe {
 public:
  MariadbProbe(const platform::Instance& instance, std::string user, std::string password,
               const std::string& table)
      : host_(instance.host),
        port_(instance.port),
        user_(std::move(user)),
        password_(std::move(password)),
        sql_("START TRANSACTION; INSERT INTO " + table + " VALUES (1); ROLLBACK") {}
  ~MariadbProbe() { Close(); }
  MariadbProbe(const MariadbProbe&) = delete;
  MariadbProbe& operator=(const MariadbProbe&) = delete;

  bool operator()() {
    if (conn_ == nullptr && !Open())
      return false;
    bool accepted = mysql_real_query(conn_, sql_.data(), sql_.size()) == 0;
    // Every statement's result must be read; one that failed ends the batch with an error.
    for (;;) {
      MYSQL_RES* result = mysql_store_result(conn_);
      if (result != nullptr)
        mysql_free_result(result);
      int more = mysql_next_result(conn_);
      if (more > 0)
        accepted = false;
      if (more != 0)
        break;
    }
    if (!accepted && mysql_real_query(conn_, "ROLLBACK", 8) != 0)
      Close();  // gone, not just read-only: reconnect next time
    return accepted;
  }

 private:
  bool Open() {
    conn_ = mysql_init(nullptr);
    unsigned timeout = 1;
    mysql_options(conn_, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
    unsigned read_timeout = 2;
    mysql_options(conn_, MYSQL_OPT_READ_TIMEOUT, &read_timeout);
    mysql_options(conn_, MYSQL_OPT_WRITE_TIMEOUT, &read_timeout);
    unsigned protocol = MYSQL_PROTOCOL_TCP;
    mysql_options(conn_, MYSQL_OPT_PROTOCOL, &protocol);
    AsObserver observer;
    if (mysql_real_connect(conn_, host_.c_str(), user_.c_str(), password_.c_str(), nullptr,
                           static_cast<unsigned>(port_), nullptr,
                           CLIENT_MULTI_STATEMENTS) != nullptr)
      return true;
    Close();
    return false;
  }
  void Close() {
    if (conn_ != nullptr)
      mysql_close(conn_);
    conn_ = nullptr;
  }

  std::string host_;
  int port_;
  std::string user_, password_, sql_;
  MYSQL* conn_ = nullptr;
};

}  // namespace

WritableProbe::ProbeFactory PostgresWriteProbe(const platform::Cluster& cluster,
                                               const platform::Instance& instance,
                                               const std::string& table) {
  return [cluster, instance, table]() -> WritableProbe::Probe {
    auto probe = std::make_shared<PostgresProbe>(cluster, instance, table);
    return [probe] {
      return (*probe)();
    };
  };
}

WritableProbe::ProbeFactory MariadbWriteProbe(const platform::Instance& instance,
                                              const std::string& user, const std::string& password,
                                              const std::string& table) {
  return [instance, user, password, table]() -> WritableProbe::Probe {
    auto probe = std::make_shared<MariadbProbe>(instance, user, password, table);
    return [probe] {
      return (*probe)();
    };
  };
}

}  // namespace hasteward::testing
