#include "support/ceph_rgw_server.h"

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <random>
#include <thread>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/fd.h"
#include "storage/http/http_client.h"
#include "storage/s3/s3_backend.h"

namespace hasteward::testing {
namespace {

std::string NewUuid() {
  auto u = core::ReadFileToString("/proc/sys/kernel/random/uuid");
  std::string s = u.ok() ? *u : "00000000-0000-4000-8000-000000000000";
  while (!s.empty() && (s.back() == '\n'))
    s.pop_back();
  return s;
}

std::string Tail(const std::string& path) {
  auto text = core::ReadFileToString(path);
  if (!text.ok())
    return "";
  return text->size() > 2000 ? text->substr(text->size() - 2000) : *text;
}

}  // namespace

int PickFreePort() {
  core::UniqueFd fd(socket(AF_INET, SOCK_STREAM, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0)
    return 0;
  socklen_t len = sizeof(addr);
  getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len);
  return ntohs(addr.sin_port);
}

core::Result<std::unique_ptr<CephRgwServer>> CephRgwServer::Start() {
  HS_ASSIGN_OR_RETURN(auto dir, core::TempDir::Create("hs-ceph-rgw-"));
  std::unique_ptr<CephRgwServer> s(new CephRgwServer(std::move(dir)));
  auto st = s->Boot();
  if (!st.ok()) {
    std::string logs;
    for (const char* n : {"mon.a", "osd.0", "client.rgw.gw", "rgw.stderr"})
      logs += Tail(s->dir() + "/log/" + n + ".log");
    return st.Wrap("start ceph rgw").WithHint("log tail:\n" + logs);
  }
  return s;
}

CephRgwServer* CephRgwServer::Shared() {
  static std::unique_ptr<CephRgwServer> shared = [] {
    auto s = Start();
    if (!s.ok()) {
      std::cerr << "ceph rgw failed to start: " << s.status().ToString() << "\n";
      return std::unique_ptr<CephRgwServer>();
    }
    return std::move(*s);
  }();
  return shared.get();
}

CephRgwServer::~CephRgwServer() {
  Stop();
}

std::string CephRgwServer::Endpoint() const {
  return "http://127.0.0.1:" + std::to_string(port_);
}

std::string CephRgwServer::Location(const std::string& prefix) const {
  return "s3:" + Endpoint() + "/" + kBucket + (prefix.empty() ? "" : "/" + prefix);
}

std::vector<std::pair<std::string, std::string>> CephRgwServer::ClientEnv() const {
  return {{"AWS_ACCESS_KEY_ID", kAccessKey}, {"AWS_SECRET_ACCESS_KEY", kSecretKey}};
}

void CephRgwServer::ExportClientEnv() const {
  for (const auto& [k, v] : ClientEnv())
    setenv(k.c_str(), v.c_str(), 1);
}

core::Status CephRgwServer::WriteConfig(int mon_port) {
  HS_TRY(core::MakeDirs(dir() + "/log"));
  for (const char* d : {"mon/a", "osd/0", "rgw/gw", "run", "crash"})
    HS_TRY(core::MakeDirs(dir() + "/" + d));
  std::mt19937 rng(std::random_device{}());
  int pbase = 20000 + static_cast<int>(rng() % 400) * 100;
  const std::string& d = dir();
  std::ofstream f(d + "/ceph.conf");
  f << "[global]\nfsid = " << NewUuid() << "\nmon host = v2:127.0.0.1:" << mon_port
    << "\nmon initial members = a\npublic addr = 127.0.0.1\npublic network = 127.0.0.0/8\n"
       "ms bind msgr1 = false\nms bind ipv6 = false\nms bind port min = "
    << pbase << "\nms bind port max = " << pbase + 499
    << "\nauth cluster required = none\nauth service required = none\nauth client required = none\n"
       "auth allow insecure global id reclaim = false\n"
    << "run dir = " << d << "/run\ncrash dir = " << d << "/crash\nlog file = " << d
    << "/log/$name.log\n"
    << "admin socket = " << d << "/run/$name.asok\npid file = " << d << "/run/$name.pid\n"
    << "keyring = " << d
    << "/keyring\nlog to stderr = false\nerr to stderr = false\nlog to syslog = false\n"
       "debug ms = 0/0\npaxos propose interval = 0.05\npaxos min wait = 0.01\n"
       "osd fast shutdown notify mon = false\nosd pool default size = 1\nosd pool default min size "
       "= 1\n"
       "osd pool default pg num = 8\nosd pool default pgp num = 8\nosd pool default pg autoscale "
       "mode = off\n"
       "osd crush chooseleaf type = 0\nmon allow pool size one = true\nmon warn on pool no "
       "redundancy = false\n"
       "mon warn on too few osds = false\nmon data avail warn = 1\nmon data avail crit = 0\n"
       "mon osd down out interval = 0\nmon warn on osd down out interval zero = false\n"
       "mon max pg per osd = 1000\nosd max pg per osd hard ratio = 10\nosd objectstore = memstore\n"
       "memstore device bytes = 3221225472\nosd op num shards = 1\nosd op num threads per shard = "
       "2\n"
    << "osd data = " << d << "/osd/$id\nmon data = " << d << "/mon/$id\nrgw data = " << d
    << "/rgw/$id\n"
    << "rgw frontends = beast endpoint=127.0.0.1:" << port_
    << "\nrgw thread pool size = 32\n"
       "rgw dns name = 127.0.0.1\nrgw enable usage log = false\nrgw gc processor period = 60\n"
       "rgw crypt require ssl = false\n\n[client.rgw.gw]\nms mon client mode = crc\n"
       "auth client required = none\n";
  f.close();
  if (!f)
    return core::Internal("cannot write ceph.conf");
  env_["CEPH_CONF"] = d + "/ceph.conf";
  return core::Status::Ok();
}

core::Result<std::string> CephRgwServer::Ceph(std::vector<std::string> args) {
  core::SubprocessOptions o;
  o.argv = {"ceph", "--connect-timeout", "15"};
  o.argv.insert(o.argv.end(), args.begin(), args.end());
  o.env_set = env_;
  return core::RunChecked(o);
}

core::Status CephRgwServer::StartDaemon(std::vector<std::string> argv,
                                        const std::string& log_name) {
  core::SubprocessOptions o;
  o.argv = std::move(argv);
  o.env_set = env_;
  o.stdout_mode = core::StdioMode::kNull;
  o.stderr_mode = core::StdioMode::kFile;
  o.stderr_file = dir() + "/log/" + log_name + ".stderr";
  HS_ASSIGN_OR_RETURN(auto proc, core::Subprocess::Start(o));
  daemons_.push_back(std::move(proc));
  return core::Status::Ok();
}

core::Status CephRgwServer::WaitFor(const std::string& what, const std::function<bool()>& ready,
                                    int seconds) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    if (ready())
      return core::Status::Ok();
    if (!daemons_.empty() && daemons_.back()->WaitFor(std::chrono::milliseconds(0)).has_value()) {
      return core::Internal(what + ": '" + daemons_.back()->name() + "' exited");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // polling a daemon's readiness
  }
  return core::Status(core::ErrorCode::kTimeout,
                      what + ": not ready after " + std::to_string(seconds) + "s");
}

core::Status CephRgwServer::Boot() {
  int mon_port = PickFreePort();
  port_ = PickFreePort();
  HS_TRY(WriteConfig(mon_port));
  core::SubprocessOptions o;
  o.env_set = env_;
  o.argv = {"monmaptool",
            "--create",
            "--clobber",
            "--fsid",
            "",
            "--addv",
            "a",
            "[v2:127.0.0.1:" + std::to_string(mon_port) + "]",
            dir() + "/monmap"};
  auto conf = core::ReadFileToString(dir() + "/ceph.conf");
  o.argv[4] = conf->substr(conf->find("fsid = ") + 7, 36);
  HS_TRY(core::RunChecked(o).status());
  o.argv = {"ceph-mon", "--mkfs", "-i", "a", "--monmap", dir() + "/monmap"};
  HS_TRY(core::RunChecked(o).status());
  HS_TRY(StartDaemon({"ceph-mon", "-f", "-i", "a"}, "mon"));
  HS_TRY(WaitFor(
      "ceph mon", [&] { return Ceph({"-s"}).ok(); }, 60));
  std::string uuid = NewUuid();
  HS_ASSIGN_OR_RETURN(std::string id, Ceph({"osd", "new", uuid}));
  while (!id.empty() && id.back() == '\n')
    id.pop_back();
  o.argv = {"ceph-osd", "-i", id, "--mkfs", "--osd-uuid", uuid};
  HS_TRY(core::RunChecked(o).status());
  HS_TRY(StartDaemon({"ceph-osd", "-f", "-i", id}, "osd"));
  HS_TRY(WaitFor(
      "ceph osd",
      [&] {
        auto s = Ceph({"osd", "stat", "-f", "json"});
        return s.ok() && s->find("\"num_up_osds\":1,") != std::string::npos &&
               s->find("\"num_in_osds\":1,") != std::string::npos;
      },
      60));
  HS_TRY(StartDaemon({"radosgw", "-f", "-n", "client.rgw.gw"}, "rgw"));
  storage::http::HttpClient probe;
  HS_TRY(WaitFor(
      "radosgw",
      [&] {
        return probe.Do({"GET", Endpoint() + "/", {}, {}}).ok();
      },
      60));
  o.argv = {"radosgw-admin",
            "user",
            "create",
            "--uid=test",
            "--display-name=test",
            std::string("--access-key=") + kAccessKey,
            std::string("--secret=") + kSecretKey};
  HS_TRY(core::RunChecked(o).status());
  storage::s3::S3Config cfg;
  cfg.scheme = "http";
  cfg.endpoint = "127.0.0.1:" + std::to_string(port_);
  cfg.bucket = kBucket;
  cfg.credentials = {kAccessKey, kSecretKey, ""};
  return storage::s3::S3Backend(cfg).Create();
}

void CephRgwServer::Stop() {
  for (auto it = daemons_.rbegin(); it != daemons_.rend(); ++it) {
    (*it)->Signal(SIGTERM);
    if (!(*it)->WaitFor(std::chrono::seconds(5)).has_value()) {
      (*it)->Signal(SIGKILL);
      (*it)->Wait();
    }
  }
  daemons_.clear();
}

}  // namespace hasteward::testing
