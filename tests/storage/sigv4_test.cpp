// AWS Signature V4 against AWS's published test-suite vectors (credentials AKIDEXAMPLE, region
// us-east-1, service "service", 20150830T123600Z) and the S3 location/credential parsing.
#include "storage/s3/sigv4.h"

#include <gtest/gtest.h>

#include "storage/s3/aws_credentials.h"
#include "storage/s3/s3_config.h"

namespace hasteward::storage::s3 {
// Its own namespace: a helper's name is also another test file's (unity batches, CMakeLists.txt).
namespace sigv4_test {
namespace {

const SigV4Scope kScope{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "us-east-1",
                        "service", "20150830T123600Z"};
const std::string kEmptyHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const std::string kPrefix =
    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, ";

SigV4Request Vanilla(const std::string& method, KeyValues query = {}) {
  return SigV4Request{method,
                      "/",
                      std::move(query),
                      {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}},
                      kEmptyHash};
}

TEST(SigV4Test, GetVanillaCanonicalRequestStringToSignAndSignature) {
  std::string signed_headers;
  std::string canon = CanonicalRequest(Vanilla("GET"), &signed_headers);
  EXPECT_EQ(
      canon,
      "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n" +
          kEmptyHash);
  EXPECT_EQ(signed_headers, "host;x-amz-date");
  EXPECT_EQ(StringToSign(kScope, canon),
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
            "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63");
  EXPECT_EQ(Authorization(kScope, Vanilla("GET")),
            kPrefix +
                "SignedHeaders=host;x-amz-date, "
                "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
}

TEST(SigV4Test, GetVanillaQueryOrderKeyCaseSortsParameters) {
  auto req = Vanilla("GET", {{"Param2", "value2"}, {"Param1", "value1"}});
  std::string canon = CanonicalRequest(req, nullptr);
  EXPECT_EQ(StringToSign(kScope, canon).substr(StringToSign(kScope, canon).rfind('\n') + 1),
            "816cd5b414d056048ba4f7c5386d6e0533120fb1fcfa93762cf0fc39e2cf19e0");
  EXPECT_EQ(Authorization(kScope, req),
            kPrefix +
                "SignedHeaders=host;x-amz-date, "
                "Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500");
}

TEST(SigV4Test, GetVanillaEmptyQueryKey) {
  EXPECT_EQ(Authorization(kScope, Vanilla("GET", {{"Param1", "value1"}})),
            kPrefix +
                "SignedHeaders=host;x-amz-date, "
                "Signature=a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb");
}

TEST(SigV4Test, PostVanilla) {
  EXPECT_EQ(Authorization(kScope, Vanilla("POST")),
            kPrefix +
                "SignedHeaders=host;x-amz-date, "
                "Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b");
}

TEST(SigV4Test, PostXWwwFormUrlencodedSignsTheBodyAndContentType) {
  SigV4Request req{"POST",
                   "/",
                   {},
                   {{"Content-Type", "application/x-www-form-urlencoded"},
                    {"Host", "example.amazonaws.com"},
                    {"X-Amz-Date", "20150830T123600Z"}},
                   Sha256Hex(core::AsBytes(std::string("Param1=value1")))};
  EXPECT_EQ(Authorization(kScope, req),
            kPrefix +
                "SignedHeaders=content-type;host;x-amz-date, "
                "Signature=ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a");
}

TEST(SigV4Test, UriEncodeKeepsUnreservedAndOptionallySlash) {
  EXPECT_EQ(UriEncode("a b/c~d_e-f.g", false), "a%20b/c~d_e-f.g");
  EXPECT_EQ(UriEncode("a/b+c", true), "a%2Fb%2Bc");
}

TEST(SigV4Test, AmzDateFormatsUtc) {
  EXPECT_EQ(AmzDate(1440938160), "20150830T123600Z");
}

EnvLookup MapEnv(std::map<std::string, std::string> m) {
  return [m](const std::string& k) -> std::optional<std::string> {
    auto it = m.find(k);
    return it == m.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
}

TEST(S3ConfigTest, ParsesPathStyleLocationWithPrefix) {
  auto cfg = ParseS3Location("s3:http://127.0.0.1:7480/bucket/some/prefix/",
                             MapEnv({{"AWS_ACCESS_KEY_ID", "a"}, {"AWS_SECRET_ACCESS_KEY", "s"}}));
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  EXPECT_EQ(cfg->scheme, "http");
  EXPECT_EQ(cfg->endpoint, "127.0.0.1:7480");
  EXPECT_EQ(cfg->bucket, "bucket");
  EXPECT_EQ(cfg->prefix, "some/prefix");
  EXPECT_TRUE(cfg->path_style);
  EXPECT_EQ(cfg->region, "us-east-1");
  EXPECT_TRUE(cfg->http.verify_tls);
}

TEST(S3ConfigTest, AmazonEndpointUsesVirtualHostsAndRegionFromEnv) {
  auto cfg = ParseS3Location("s3:s3.eu-west-1.amazonaws.com/b",
                             MapEnv({{"AWS_ACCESS_KEY_ID", "a"},
                                     {"AWS_SECRET_ACCESS_KEY", "s"},
                                     {"AWS_DEFAULT_REGION", "eu-west-1"},
                                     {"HASTEWARD_S3_CA_FILE", "/ca.pem"}}));
  ASSERT_TRUE(cfg.ok());
  EXPECT_EQ(cfg->scheme, "https");
  EXPECT_FALSE(cfg->path_style);
  EXPECT_EQ(cfg->region, "eu-west-1");
  EXPECT_EQ(cfg->prefix, "");
  EXPECT_EQ(cfg->http.ca_file, "/ca.pem");
}

TEST(S3ConfigTest, RejectsMalformedLocationsAndMissingCredentials) {
  auto env = MapEnv({{"AWS_ACCESS_KEY_ID", "a"}, {"AWS_SECRET_ACCESS_KEY", "s"}});
  EXPECT_EQ(ParseS3Location("s3:http://host", env).status().code(), core::ErrorCode::kUsage);
  EXPECT_EQ(ParseS3Location("s3:ftp://host/b", env).status().code(), core::ErrorCode::kUsage);
  EXPECT_EQ(ParseS3Location("s3:http://h/b", MapEnv({{"HOME", "/nonexistent"}})).status().code(),
            core::ErrorCode::kUsage);
}

TEST(AwsCredentialsTest, ReadsTheSelectedProfile) {
  std::string ini =
      "[default]\naws_access_key_id = D\naws_secret_access_key = DS\n\n"
      "[backup]\naws_access_key_id=B\naws_secret_access_key=BS\naws_session_token = T\n";
  auto c = ParseCredentialsFile(ini, "backup");
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->access_key, "B");
  EXPECT_EQ(c->secret_key, "BS");
  EXPECT_EQ(c->session_token, "T");
  EXPECT_EQ(ParseCredentialsFile(ini, "default")->access_key, "D");
  EXPECT_FALSE(ParseCredentialsFile(ini, "other").has_value());
}

TEST(AwsCredentialsTest, EnvironmentWinsOverTheFile) {
  auto c = LoadAwsCredentials(MapEnv(
      {{"AWS_ACCESS_KEY_ID", "E"}, {"AWS_SECRET_ACCESS_KEY", "ES"}, {"AWS_SESSION_TOKEN", "ET"}}));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->access_key, "E");
  EXPECT_EQ(c->session_token, "ET");
}

}  // namespace
}  // namespace sigv4_test
}  // namespace hasteward::storage::s3
