// The start most kubernetes platform tests share: a FakeKubeApi and a KubeClient holding its
// admin token. Header-only (gtest assertions in a fixture), so only its users compile it.
#pragma once

#include <memory>
#include <utility>

#include <gtest/gtest.h>

#include "platform/kubernetes/kube_client.h"
#include "platform/kubernetes/kube_config.h"
#include "support/fake_kube_api.h"

namespace hasteward::testing {

class FakeKubeAdminTest : public ::testing::Test {
 protected:
  // Call as ASSERT_NO_FATAL_FAILURE(StartApi()): a server that does not start fails the test.
  void StartApi(FakeKubeApiOptions options = {}) {
    auto started = FakeKubeApi::Start(std::move(options));
    ASSERT_TRUE(started.ok()) << started.status().ToString();
    api_ = std::move(started).value();
    auto config = platform::kubernetes::LoadKubeconfig(*api_->WriteKubeconfig(api_->admin_token()));
    ASSERT_TRUE(config.ok()) << config.status().ToString();
    client_ = std::make_unique<platform::kubernetes::KubeClient>(*config);
  }

  std::unique_ptr<FakeKubeApi> api_;
  std::unique_ptr<platform::kubernetes::KubeClient> client_;
};

}  // namespace hasteward::testing
