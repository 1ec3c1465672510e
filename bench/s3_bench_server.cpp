// For bench/s3_compare.sh: starts a Ceph RGW (tests/support/ceph_rgw_server.h) behind a
// FaultProxy with no faults, used only to count requests. Prints "endpoint http://127.0.0.1:PORT"
// (the proxy) and the AWS_* variables, then answers every line on stdin with the cumulative
// counters ("requests N GET n PUT n HEAD n DELETE n POST n bytes_up n bytes_down n"). Exits
// (stopping everything) at end of input.
#include <iostream>
#include <string>

#include "support/ceph_rgw_server.h"
#include "support/fault_proxy.h"

int main() {
  using hasteward::testing::CephRgwServer;
  using hasteward::testing::FaultProxy;
  auto rgw = CephRgwServer::Start();
  if (!rgw.ok()) {
    std::cerr << rgw.status().ToString() << "\n";
    return 1;
  }
  FaultProxy::Options o;
  o.upstream_port = (*rgw)->port();
  auto proxy = FaultProxy::Start(o);
  if (!proxy.ok()) {
    std::cerr << proxy.status().ToString() << "\n";
    return 1;
  }
  std::cout << "endpoint http://127.0.0.1:" << (*proxy)->port() << "\n"
            << "bucket " << CephRgwServer::kBucket << "\n"
            << "AWS_ACCESS_KEY_ID " << CephRgwServer::kAccessKey << "\n"
            << "AWS_SECRET_ACCESS_KEY " << CephRgwServer::kSecretKey << std::endl;
  std::string line;
  while (std::getline(std::cin, line)) {
    auto s = (*proxy)->stats();
    std::cout << "requests " << s.requests;
    for (const char* m : {"GET", "PUT", "HEAD", "DELETE", "POST"}) {
      std::cout << " " << m << " " << (s.by_method.count(m) ? s.by_method.at(m) : 0);
    }
    std::cout << " bytes_up " << s.bytes_up << " bytes_down " << s.bytes_down << std::endl;
  }
  return 0;
}
