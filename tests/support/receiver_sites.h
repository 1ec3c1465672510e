// The fixture of the recovery-point-zero drills (issue #52): two sandbox sites of one engine with
// two instances each, sharing an S3 repository on Ceph RGW (support/standby_sites.h); a receiver
// process at the source (`wal-receive`, `archive binlog --sync`) with its output in the site's
// directory; kill -9 of the whole source site; the repository reached through a fault proxy.
//
//   class WalReceiverTest : public ReceiverSitesTest {
//    protected:
//     void SetUp() override { StartSites(platform::EngineKind::kPostgres, "hs-receive-"); }
//   };
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/subprocess.h"
#include "platform/platform.h"
#include "support/fault_proxy.h"
#include "support/standby_sites.h"

namespace hasteward::testing {

class ReceiverSitesTest : public ::testing::Test {
 protected:
  void TearDown() override;

  void StartSites(platform::EngineKind engine, const std::string& temp_prefix);
  StandbySite& Source() { return sites_->source(); }
  StandbySite& Dr() { return sites_->dr(); }

  // `hasteward <verb...> --json -e E -c C -n NS <extra...>` for the source in the background,
  // stdout and stderr in its directory; `location` replaces the repository's.
  void StartReceiver(const std::vector<std::string>& verb, const std::vector<std::string>& extra,
                     const std::string& location = "");
  void KillReceiver();  // kill -9, waited for
  std::string ReceiverErr();
  std::string ReceiverOutPath();

  // The repository's location through a proxy started here that can refuse every request (503).
  std::string ProxiedLocation();
  FaultProxy& proxy() { return *proxy_; }

  // kill -9 of the receiver and of both source servers, back to back; waits until none answers.
  void Kill9Source();

  // Whether the sites share a local directory as their repository (HASTEWARD_DRILL_REPOSITORY).
  bool LocalRepository() const;
  // PostgreSQL on a local repository: the server's wal-push cannot write root's repository, so it
  // hands its segments to a `wal-agent` at the source (started once, part of the site: killed
  // with it); returns its socket, for `archive enable --agent-socket`.
  std::string WalAgentSocket();

  std::unique_ptr<StandbySites> sites_;
  std::unique_ptr<core::Subprocess> receiver_;
  std::unique_ptr<FaultProxy> proxy_;
  std::unique_ptr<core::Subprocess> agent_;
};

}  // namespace hasteward::testing
