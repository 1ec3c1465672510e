// engine::InstanceHandles (one handle per instance per run) and the connection parameters the
// engines take from a handle: its endpoint and its cluster's credentials.
#include "engine/instance_handles.h"

#include <gtest/gtest.h>

#include "core/temp_dir.h"
#include "engine/mariadb/mariadb_connection.h"
#include "engine/postgres/pg_connection.h"
#include "platform/registry.h"

namespace hasteward::engine {
namespace {

class InstanceHandlesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = core::TempDir::Create("hs-handles-");
    ASSERT_TRUE(dir.ok());
    dir_ = std::make_unique<core::TempDir>(std::move(*dir));
    platform::PlatformOptions options;
    options.inventory_path = dir_->path() + "/inventory.yaml";  // missing: no clusters
    auto opened = platform::OpenPlatform(options);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    platform_ = std::move(*opened);
    cluster_.name = "shop";
    cluster_.ns = "prod";
    cluster_.credentials.user = "admin";
    cluster_.credentials.password = platform::SecretRef::Fetched(
        []() -> core::Result<std::string> { return std::string("s3cret"); });
    for (int ordinal : {0, 1}) {
      platform::Instance instance;
      instance.name = "db-" + std::to_string(ordinal);
      instance.ordinal = ordinal;
      instance.host = "127.0.0." + std::to_string(10 + ordinal);
      instance.port = 6000 + ordinal;
      cluster_.instances.push_back(instance);
    }
  }

  std::unique_ptr<core::TempDir> dir_;
  std::unique_ptr<platform::Platform> platform_;
  platform::Cluster cluster_;
};

TEST_F(InstanceHandlesTest, EachInstanceIsOpenedOnceForTheRun) {
  InstanceHandles handles(*platform_, cluster_);
  auto first = handles.Open(cluster_.instances[0]);
  auto again = handles.Open(cluster_.instances[0]);
  auto other = handles.Open(cluster_.instances[1]);
  ASSERT_TRUE(first.ok() && again.ok() && other.ok());
  EXPECT_EQ(*first, *again);
  EXPECT_NE(*first, *other);
  EXPECT_EQ(handles.size(), 2U);
  EXPECT_EQ((*first)->instance().name, "db-0");
  EXPECT_EQ((*other)->instance().name, "db-1");
  EXPECT_EQ(&handles.platform(), platform_.get());
  EXPECT_EQ(handles.cluster().name, "shop");
}

TEST_F(InstanceHandlesTest, AnInstanceIsKnownByItsNameWhateverCopyAsksForIt) {
  InstanceHandles handles(*platform_, cluster_);
  platform::Instance copy = cluster_.instances[1];  // e.g. a plan's copy of the instance
  auto from_cluster = handles.Open(cluster_.instances[1]);
  auto from_copy = handles.Open(copy);
  ASSERT_TRUE(from_cluster.ok() && from_copy.ok());
  EXPECT_EQ(*from_cluster, *from_copy);
  EXPECT_EQ(handles.size(), 1U);
}

TEST_F(InstanceHandlesTest, PostgresParametersComeFromTheEndpointAndTheClusterCredentials) {
  InstanceHandles handles(*platform_, cluster_);
  auto handle = handles.Open(cluster_.instances[1]);
  ASSERT_TRUE(handle.ok());
  const platform::Endpoint endpoint = (*handle)->endpoint();
  auto params = postgres::InstanceConnectParams(**handle, "app");
  ASSERT_TRUE(params.ok()) << params.status().ToString();
  EXPECT_EQ(params->host, endpoint.host);
  EXPECT_EQ(params->port, endpoint.port);
  EXPECT_EQ(params->user, "admin");
  EXPECT_EQ(params->password, "s3cret");
  EXPECT_EQ(params->dbname, "app");
  EXPECT_NE(params->display_name.find("'db-1'"), std::string::npos) << params->display_name;
}

TEST_F(InstanceHandlesTest, PostgresUsesTheEndpointSocketDirectoryWithoutAHost) {
  cluster_.instances[0].host.clear();
  cluster_.instances[0].port = 0;
  cluster_.instances[0].socket = "/run/pg";
  InstanceHandles handles(*platform_, cluster_);
  auto handle = handles.Open(cluster_.instances[0]);
  ASSERT_TRUE(handle.ok());
  auto params = postgres::InstanceConnectParams(**handle);
  ASSERT_TRUE(params.ok());
  EXPECT_EQ(params->host, "/run/pg");
  EXPECT_EQ(params->port, 5432);
  EXPECT_EQ(params->dbname, "postgres");
}

TEST_F(InstanceHandlesTest, MariadbParametersComeFromTheEndpointAndTheClusterCredentials) {
  cluster_.instances[1].socket = "/run/mysqld.sock";
  InstanceHandles handles(*platform_, cluster_);
  auto handle = handles.Open(cluster_.instances[1]);
  ASSERT_TRUE(handle.ok());
  const platform::Endpoint endpoint = (*handle)->endpoint();
  auto params = mariadb::InstanceConnectParams(**handle);
  ASSERT_TRUE(params.ok()) << params.status().ToString();
  EXPECT_EQ(params->host, endpoint.host);
  EXPECT_EQ(params->port, endpoint.port);
  EXPECT_EQ(params->socket, "/run/mysqld.sock");
  EXPECT_EQ(params->user, "admin");
  EXPECT_EQ(params->password, "s3cret");
}

TEST_F(InstanceHandlesTest, AnUnresolvablePasswordIsTheConnectionsError) {
  cluster_.credentials.password = platform::SecretRef::Fetched([]() -> core::Result<std::string> {
    return core::NotFound("no secret 'db-pass'", "create it");
  });
  InstanceHandles handles(*platform_, cluster_);
  auto handle = handles.Open(cluster_.instances[0]);
  ASSERT_TRUE(handle.ok());
  auto pg = postgres::PgConnection::ConnectInstance(**handle);
  ASSERT_FALSE(pg.ok());
  EXPECT_EQ(pg.status().code(), core::ErrorCode::kNotFound);
  auto my = mariadb::MariadbConnection::ConnectInstance(**handle);
  ASSERT_FALSE(my.ok());
  EXPECT_EQ(my.status().code(), core::ErrorCode::kNotFound);
}

}  // namespace
}  // namespace hasteward::engine
