#include "server/api_json.h"

#include <gtest/gtest.h>

namespace lockstep::server {
namespace {

TEST(ApiJsonTest, IsoTimeKeepsTheMilliseconds) {
  EXPECT_EQ(IsoTime(1'796'423'465'123), "2026-12-04T22:31:05.123Z");
  EXPECT_EQ(IsoTime(1'796'423'465'007), "2026-12-04T22:31:05.007Z");
  EXPECT_EQ(IsoTime(1'796'423'465'000), "2026-12-04T22:31:05.000Z");
  EXPECT_EQ(IsoTime(0), "1970-01-01T00:00:00.000Z");
}

TEST(ApiJsonTest, DeploymentTimesHaveMillisecondsSoTheirDifferenceIsMeaningful) {
  store::DeploymentRecord deployment;
  deployment.started_at = 1'796'423'465'123;
  deployment.finished_at = 1'796'423'465'141;
  nlohmann::ordered_json json = DeploymentJson(deployment);
  EXPECT_EQ(json["started_at"], "2026-12-04T22:31:05.123Z");
  EXPECT_EQ(json["finished_at"], "2026-12-04T22:31:05.141Z");
}

}  // namespace
}  // namespace lockstep::server
