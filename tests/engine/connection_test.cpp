#include <chrono>
#include <cstdlib>

#include <gtest/gtest.h>

#include "engine/mariadb/mariadb_connection.h"
#include "engine/postgres/pg_connection.h"

namespace hasteward::engine {
namespace {

// Port 1 on loopback: nothing listens there, so the connection is refused at once.
TEST(PgConnectionTest, RefusedPortIsUnreachableWithoutServer) {
  postgres::PgConnectParams p;
  p.port = 1;
  p.password = "s3cret-pw";
  auto c = postgres::PgConnection::Connect(p);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), core::ErrorCode::kUnreachable);
  EXPECT_TRUE(c.status().retryable());
  EXPECT_EQ(c.status().ToString().find("s3cret-pw"), std::string::npos);
  EXPECT_NE(c.status().message().find("127.0.0.1:1"), std::string::npos);
}

TEST(PgConnectionTest, ClassifiesAuthenticationFailures) {
  EXPECT_EQ(postgres::ClassifyPgConnectError(
                "FATAL:  password authentication failed for user \"postgres\""),
            core::ErrorCode::kAuthFailed);
  EXPECT_EQ(postgres::ClassifyPgConnectError("fe_sendauth: no password supplied"),
            core::ErrorCode::kAuthFailed);
  EXPECT_EQ(postgres::ClassifyPgConnectError("FATAL:  role \"x\" does not exist"),
            core::ErrorCode::kAuthFailed);
  EXPECT_EQ(postgres::ClassifyPgConnectError("Connection refused"), core::ErrorCode::kUnreachable);
  EXPECT_EQ(postgres::ClassifyPgConnectError("timeout expired"), core::ErrorCode::kUnreachable);
}

TEST(MariadbConnectionTest, RefusedPortIsUnreachableWithoutServer) {
  mariadb::MariadbConnectParams p;
  p.port = 1;
  p.password = "s3cret-pw";
  auto c = mariadb::MariadbConnection::Connect(p);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), core::ErrorCode::kUnreachable);
  EXPECT_EQ(c.status().ToString().find("s3cret-pw"), std::string::npos);
}

TEST(MariadbConnectionTest, ClassifiesAccessDenied) {
  EXPECT_EQ(mariadb::ClassifyMariadbConnectError(1045), core::ErrorCode::kAuthFailed);
  EXPECT_EQ(mariadb::ClassifyMariadbConnectError(1698), core::ErrorCode::kAuthFailed);
  EXPECT_EQ(mariadb::ClassifyMariadbConnectError(2003), core::ErrorCode::kUnreachable);
  EXPECT_EQ(mariadb::ClassifyMariadbConnectError(2013), core::ErrorCode::kUnreachable);
}

TEST(MariadbConnectionTest, AStepsStatementTimeoutIsItsBoundRoundedUpPlusTheMargin) {
  using std::chrono::milliseconds;
  using std::chrono::seconds;
  EXPECT_EQ(mariadb::MariadbStatementTimeout(seconds(10)), 15);
  EXPECT_EQ(mariadb::MariadbStatementTimeout(milliseconds(1500)), 7);
  EXPECT_EQ(mariadb::MariadbStatementTimeout(milliseconds(0)), 5);
  EXPECT_EQ(mariadb::MariadbStatementTimeout(milliseconds(-3000)), 5);
  EXPECT_EQ(mariadb::MariadbStatementTimeout(seconds(30), seconds(15)), 45);
}

// A non-routable address: the connect timeout bounds the wait.
TEST(PgConnectionTest, ConnectTimeoutIsBounded) {
  postgres::PgConnectParams p;
  p.host = "10.255.255.1";
  p.connect_timeout_seconds = 2;
  auto start = std::chrono::steady_clock::now();
  auto c = postgres::PgConnection::Connect(p);
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), core::ErrorCode::kUnreachable);
  EXPECT_LT(took, std::chrono::seconds(6));
}

}  // namespace
}  // namespace hasteward::engine
