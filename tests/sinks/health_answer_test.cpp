// The health endpoint's answer (reporting/sinks/health_answer.h) decided from the daemon's typed
// decision: only a confirmed, counted verdict answers 503; pending and latent answer 200.
#include "reporting/sinks/health_answer.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace latchwatch::reporting {
namespace {

CycleReport decided(bool has_confirmed, VerdictCode confirmed, bool pending = false) {
  CycleReport cycle;
  cycle.has_confirmed = has_confirmed;
  cycle.confirmed = confirmed;
  cycle.pending = pending;
  cycle.report.verdict.code = pending ? VerdictCode::key_lost : confirmed;
  cycle.report.identity.resource_id =
      "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/"
      "Microsoft.Compute/virtualMachines/vm1";
  return cycle;
}

TEST(HealthAnswer, StartsHealthyBeforeAnyCycleSoARestartNeverPullsTheVm) {
  HealthAnswer answer;
  answer.configure(true, default_health_verdicts());
  EXPECT_EQ(answer.reply().status, 200);
  EXPECT_EQ(nlohmann::json::parse(answer.reply().body)["status"], "starting");
}

TEST(HealthAnswer, APendingKeyVerdictIsNotYetUnhealthy) {
  HealthAnswer answer;
  answer.configure(true, default_health_verdicts());
  answer.update(decided(true, VerdictCode::healthy, /*pending=*/true));
  EXPECT_EQ(answer.reply().status, 200);
  answer.update(decided(false, VerdictCode::healthy, /*pending=*/true));  // first verdict pending
  EXPECT_EQ(answer.reply().status, 200);
}

TEST(HealthAnswer, AConfirmedKeyVerdictAnswers503WithVerdictActionAndResource) {
  HealthAnswer answer;
  answer.configure(true, default_health_verdicts());
  answer.update(decided(true, VerdictCode::key_lost));
  auto reply = answer.reply();
  EXPECT_EQ(reply.status, 503);
  auto body = nlohmann::json::parse(reply.body);
  EXPECT_EQ(body["status"], "unhealthy");
  EXPECT_EQ(body["verdict"], "key_lost");
  EXPECT_NE(body["action"].get<std::string>().find("keyIncarnationId"), std::string::npos);
  EXPECT_EQ(body["resource"].get<std::string>().rfind("/subscriptions/", 0), 0u);
  answer.update(decided(true, VerdictCode::healthy));
  EXPECT_EQ(answer.reply().status, 200);
}

TEST(HealthAnswer, LatentLossAndOperatorVerdictsAreHealthyUnlessCounted) {
  HealthAnswer answer;
  answer.configure(true, default_health_verdicts());
  answer.update(decided(true, VerdictCode::key_loss_latent));
  EXPECT_EQ(answer.reply().status, 200);
  answer.update(decided(true, VerdictCode::gpa_down));
  EXPECT_EQ(answer.reply().status, 200);
  std::vector<VerdictCode> counted;
  std::string error;
  ASSERT_TRUE(parse_health_verdicts("gpa_down, key_lost", counted, error)) << error;
  answer.configure(true, counted);
  EXPECT_EQ(answer.reply().status, 503);
}

TEST(HealthAnswer, AHostileResourceIdNeverReachesTheBody) {
  HealthAnswer answer;
  answer.configure(true, default_health_verdicts());
  auto cycle = decided(true, VerdictCode::key_lost);
  cycle.report.identity.resource_id = "/subscriptions/x/../../etc\"<script>";
  answer.update(cycle);
  auto body = nlohmann::json::parse(answer.reply().body);
  EXPECT_TRUE(body["resource"].is_null());
}

TEST(HealthAnswer, HealthyAndUnknownNamesAreRefusedAsCountedVerdicts) {
  std::vector<VerdictCode> counted;
  std::string error;
  EXPECT_FALSE(parse_health_verdicts("healthy", counted, error));
  EXPECT_FALSE(parse_health_verdicts("key_lost,nope", counted, error));
  EXPECT_NE(error.find("'nope'"), std::string::npos);
  EXPECT_FALSE(parse_health_verdicts("", counted, error));
}

}  // namespace
}  // namespace latchwatch::reporting
