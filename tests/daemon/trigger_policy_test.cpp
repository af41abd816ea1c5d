// The file trigger's policy, driven by injected time (no clock, no sleeps): what starts a cycle,
// what does not, how triggers coalesce and how the budget and confirmation behave.

#include "agent/daemon/trigger_policy.h"

#include <gtest/gtest.h>

#include "agent/daemon/gpa_file_watch.h"
#include "tests/support/test_support.h"

namespace latchwatch::agent {
namespace {

using namespace std::chrono_literals;
using Time = TriggerPolicy::Time;

const std::string kKey = "e3882f98-da8d-4410-8394-06c23462781c.key";
const std::string kNewKey = "5b1e0c2a-7d4f-4c1e-9a3b-2f6e8d9c0a11.key";

Time at(std::chrono::milliseconds t) { return Time{} + 1h + t; }  // an arbitrary steady origin

TriggerSettings defaults() { return TriggerSettings{}; }  // min_gap 5 s, 3/h, confirm 15 s

/// A policy that has seen `keys` and status "A" and has run one cycle at t = 0 (1 s long).
TriggerPolicy after_first_cycle(TriggerSettings settings = defaults(),
                                std::vector<std::string> keys = {kKey}) {
  TriggerPolicy p(settings, at(0s));
  p.key_folder_seen(at(0s), keys);
  p.status_file_seen(at(0s), "A", false);
  p.cycle_started(at(0s));
  p.cycle_finished(at(1s), false);
  return p;
}

TEST(TriggerPolicy, NothingIsDueWithoutAChange) {
  auto p = after_first_cycle();
  EXPECT_FALSE(p.due());
  EXPECT_EQ(p.due_reason(), TriggerReason::none);
}

TEST(TriggerPolicy, KeyFileDeleteTriggersACycle) {
  auto p = after_first_cycle();
  p.key_folder_seen(at(100s), std::vector<std::string>{});
  ASSERT_TRUE(p.due());
  EXPECT_EQ(*p.due(), at(105s)) << "once the folder has been quiet for min_gap";
  EXPECT_EQ(p.due_reason(), TriggerReason::change);
  p.cycle_started(at(105s));
  EXPECT_EQ(p.triggered_cycles(), 1);
  p.cycle_finished(at(106s), false);
  EXPECT_FALSE(p.due()) << "the cycle saw the change";
}

TEST(TriggerPolicy, KeyFolderRemovedTriggersACycle) {
  auto p = after_first_cycle();
  p.key_folder_seen(at(50s), std::nullopt);
  ASSERT_TRUE(p.due());
  EXPECT_EQ(*p.due(), at(55s));
}

TEST(TriggerPolicy, RecoveryKeyFileAppearingTriggersACycle) {
  auto p = after_first_cycle(defaults(), {});
  p.key_folder_seen(at(200s), std::vector<std::string>{kNewKey});
  ASSERT_TRUE(p.due());
  EXPECT_EQ(*p.due(), at(205s));
}

TEST(TriggerPolicy, KeyReplacedByRenameIsNoChange) {
  auto p = after_first_cycle();
  // GPA writes {guid}.tmp then renames it over {guid}.key: the set of names stays the same.
  p.key_folder_seen(at(30s), std::vector<std::string>{kKey});
  EXPECT_FALSE(p.due());
}

TEST(TriggerPolicy, KeyFolderEventsAskForOneListingOnceQuietAndTheChangeDatesFromTheLast) {
  auto p = after_first_cycle();
  for (int i = 0; i < 1000; ++i) p.key_folder_touched(at(100s) + i * 10ms);  // 10 s of events
  EXPECT_TRUE(p.keys_dirty());
  EXPECT_FALSE(p.due()) << "nothing is known to have changed before the folder is listed";
  ASSERT_TRUE(p.listing_due());
  EXPECT_EQ(*p.listing_due(), at(100s) + 999 * 10ms + 5s) << "once quiet for min_gap";
  p.key_folder_seen(*p.listing_due(), std::vector<std::string>{});
  EXPECT_FALSE(p.keys_dirty());
  EXPECT_FALSE(p.listing_due());
  ASSERT_TRUE(p.due());
  EXPECT_EQ(*p.due(), at(100s) + 999 * 10ms + 5s) << "due at once: quiet since the last event";
}

TEST(TriggerPolicy, KeyFolderEventsThatLeaveTheNamesAloneStartNothing) {
  auto p = after_first_cycle();
  p.key_folder_touched(at(100s));
  p.key_folder_seen(at(105s), std::vector<std::string>{kKey});  // GPA's rename over its key
  EXPECT_FALSE(p.due());
  EXPECT_FALSE(p.listing_due());
}

TEST(TriggerPolicy, UnchangedRewriteStartsNothing) {
  auto p = after_first_cycle();
  for (int s = 2; s < 600; ++s) p.status_file_seen(at(std::chrono::seconds(s)), "A", true);
  EXPECT_FALSE(p.due());
  EXPECT_EQ(p.triggered_cycles(), 0);
}

TEST(TriggerPolicy, RelevantStatusChangeTriggersACycle) {
  auto p = after_first_cycle();
  p.status_file_seen(at(40s), "B", true);
  ASSERT_TRUE(p.due());
  EXPECT_EQ(*p.due(), at(45s));
}

TEST(TriggerPolicy, TriggersInsideTheRateLimitCoalesce) {
  auto p = after_first_cycle();
  // Key deleted, GPA rewrites its status twice, a temp file comes and goes: 3 s of changes.
  p.key_folder_seen(at(60s), std::vector<std::string>{});
  p.status_file_seen(at(61s), "B", true);
  p.status_file_seen(at(63s), "C", true);
  ASSERT_TRUE(p.due());
  EXPECT_EQ(*p.due(), at(68s)) << "one cycle, min_gap after the last change";
  p.cycle_started(at(68s));
  p.cycle_finished(at(69s), false);
  EXPECT_FALSE(p.due());
  EXPECT_EQ(p.triggered_cycles(), 1);
}

TEST(TriggerPolicy, NoTriggeredCycleWithinMinGapOfThePreviousCycle) {
  auto p = after_first_cycle();
  p.key_folder_seen(at(1500ms), std::vector<std::string>{});  // right after the cycle
  ASSERT_TRUE(p.due());
  EXPECT_EQ(*p.due(), at(6500ms));
  auto settings = defaults();
  settings.min_gap = 20s;
  auto q = after_first_cycle(settings);
  q.key_folder_seen(at(2s), std::vector<std::string>{});
  EXPECT_EQ(*q.due(), at(22s));
}

TEST(TriggerPolicy, AChangeUndoneInsideTheWindowStartsNothing) {
  auto p = after_first_cycle();
  p.status_file_seen(at(10s), "B", true);
  p.status_file_seen(at(11s), "A", true);
  p.key_folder_seen(at(12s), std::vector<std::string>{});
  p.key_folder_seen(at(13s), std::vector<std::string>{kKey});
  EXPECT_FALSE(p.due());
}

TEST(TriggerPolicy, AFileFlappingEverySecondNeverTriggers) {
  auto p = after_first_cycle();
  for (int s = 2; s < 3600; ++s) {
    p.status_file_seen(at(std::chrono::seconds(s)), s % 2 ? "B" : "C", true);
    auto due = p.due();
    ASSERT_TRUE(due);
    EXPECT_GT(*due, at(std::chrono::seconds(s))) << "never due while the file keeps changing";
  }
  EXPECT_EQ(p.triggered_cycles(), 0);
}

TEST(TriggerPolicy, ATimerCycleCoversAChangeWithoutSpendingTheBudget) {
  auto settings = defaults();
  settings.max_per_hour = 1;
  auto p = after_first_cycle(settings);
  p.status_file_seen(at(100s), "B", true);
  p.cycle_started(at(101s));  // the timer came first
  p.cycle_finished(at(102s), false);
  EXPECT_EQ(p.triggered_cycles(), 0);
  EXPECT_DOUBLE_EQ(p.tokens(at(102s)), 1.0);
}

TEST(TriggerPolicy, TheHourlyBudgetDelaysFurtherTriggers) {
  auto p = after_first_cycle();  // 3 per hour
  Time t = at(0s);
  for (int i = 0; i < 3; ++i) {
    t += 60s;
    p.status_file_seen(t, "S" + std::to_string(i), true);
    ASSERT_EQ(*p.due(), t + 5s);
    p.cycle_started(t + 5s);
    p.cycle_finished(t + 6s, false);
  }
  EXPECT_EQ(p.triggered_cycles(), 3);
  // The bucket is empty but for what 3 minutes earned back (0.1 token, one per 20 minutes):
  // a fourth change waits for the rest of a token, 0.9 x 20 min after the last spend.
  t += 60s;
  p.status_file_seen(t, "S3", true);
  ASSERT_TRUE(p.due());
  const auto last_spend = at(185s);
  EXPECT_GE(*p.due(), last_spend + 1079s);
  EXPECT_LE(*p.due(), last_spend + 1081s);
}

TEST(TriggerPolicy, ZeroBudgetMeansNoChangeTriggers) {
  auto settings = defaults();
  settings.max_per_hour = 0;
  auto p = after_first_cycle(settings);
  p.key_folder_seen(at(10s), std::vector<std::string>{});
  EXPECT_FALSE(p.due());
}

TEST(TriggerPolicy, DisabledNeverTriggers) {
  auto settings = defaults();
  settings.enabled = false;
  auto p = after_first_cycle(settings);
  p.key_folder_seen(at(10s), std::vector<std::string>{});
  EXPECT_FALSE(p.due());
  p.cycle_finished(at(20s), true);
  EXPECT_FALSE(p.due());
}

TEST(TriggerPolicy, NothingIsDueBeforeTheFirstCycleOrWhileOneRuns) {
  TriggerPolicy p(defaults(), at(0s));
  p.key_folder_seen(at(0s), std::vector<std::string>{kKey});
  p.key_folder_seen(at(1s), std::vector<std::string>{});
  EXPECT_FALSE(p.due()) << "the first cycle runs at start anyway";
  p.cycle_started(at(2s));
  p.key_folder_seen(at(3s), std::vector<std::string>{kKey});
  EXPECT_FALSE(p.due()) << "a cycle is running";
  p.cycle_finished(at(4s), false);
  ASSERT_TRUE(p.due()) << "a change during the cycle may have come after its listing";
  EXPECT_EQ(*p.due(), at(8s));
}

TEST(TriggerPolicy, PendingKeyVerdictIsConfirmedAfterConfirmAfter) {
  auto p = after_first_cycle();
  p.key_folder_seen(at(100s), std::vector<std::string>{});
  p.cycle_started(at(105s));
  p.cycle_finished(at(106s), true);  // key_loss_latent seen once
  ASSERT_TRUE(p.due());
  EXPECT_EQ(*p.due(), at(121s)) << "15 s after the cycle, not the next timer cycle";
  EXPECT_EQ(p.due_reason(), TriggerReason::confirm);
  p.cycle_started(at(121s));
  EXPECT_EQ(p.confirm_cycles(), 1);
  EXPECT_EQ(p.triggered_cycles(), 1);
  EXPECT_NEAR(p.tokens(at(121s)), 1.0, 0.02) << "the change and the confirmation spent one each";
  p.cycle_finished(at(122s), false);
  EXPECT_FALSE(p.due());
}

TEST(TriggerPolicy, AConfirmationWithNoTokenLeftWaitsForOne) {
  auto settings = defaults();
  settings.max_per_hour = 1;
  auto p = after_first_cycle(settings);
  p.key_folder_seen(at(100s), std::vector<std::string>{});
  p.cycle_started(at(105s));  // spends the only token
  EXPECT_EQ(p.triggered_cycles(), 1);
  p.cycle_finished(at(106s), true);
  ASSERT_TRUE(p.due());
  EXPECT_EQ(p.due_reason(), TriggerReason::confirm);
  // An hour per token: the confirmation waits until one is earned back, not 15 s.
  EXPECT_GE(*p.due(), at(105s) + 3599s);
  EXPECT_LE(*p.due(), at(105s) + 3601s);
  // The timer's cycle comes first and confirms for free; nothing stays armed.
  p.cycle_started(at(400s));
  EXPECT_EQ(p.confirm_cycles(), 0);
  p.cycle_finished(at(401s), false);
  EXPECT_FALSE(p.due());
}

TEST(TriggerPolicy, ZeroBudgetMeansNoConfirmationCyclesEither) {
  auto settings = defaults();
  settings.max_per_hour = 0;
  auto p = after_first_cycle(settings);
  p.cycle_started(at(100s));
  p.cycle_finished(at(101s), true);
  EXPECT_FALSE(p.due()) << "the timer confirms";
}

TEST(TriggerPolicy, PendingKeyVerdictIsConfirmedAtGpasNextStatusWrite) {
  auto p = after_first_cycle();
  p.status_file_seen(at(100s), "refused", true);
  p.cycle_started(at(105s));
  p.cycle_finished(at(106s), true);
  p.status_file_seen(at(110s), "refused", true);  // unchanged content, but a fresh write
  ASSERT_TRUE(p.due());
  EXPECT_EQ(*p.due(), at(110s));
  EXPECT_EQ(p.due_reason(), TriggerReason::confirm);
}

TEST(TriggerPolicy, ConfirmationKeepsTheMinimumGap) {
  auto p = after_first_cycle();
  p.cycle_started(at(100s));
  p.cycle_finished(at(101s), true);
  p.status_file_seen(at(102s), "A", true);
  EXPECT_EQ(*p.due(), at(105s));
}

TEST(TriggerPolicy, ConfirmationsDoNotChainPastTheDebounce) {
  auto p = after_first_cycle();  // debounce 2: one confirmation per pending verdict
  p.cycle_started(at(100s));
  p.cycle_finished(at(101s), true);
  p.cycle_started(at(116s));  // the confirmation; the verdict changed to another key verdict
  p.cycle_finished(at(117s), true);
  EXPECT_FALSE(p.due()) << "a second pending verdict in a row waits for the timer";
  auto settings = defaults();
  settings.debounce_cycles = 3;
  auto q = after_first_cycle(settings);
  q.cycle_started(at(100s));
  q.cycle_finished(at(101s), true);
  q.cycle_started(at(116s));
  q.cycle_finished(at(117s), true);
  ASSERT_TRUE(q.due()) << "debounce 3 needs two confirmations";
  q.cycle_started(at(132s));
  q.cycle_finished(at(133s), true);
  EXPECT_FALSE(q.due());
}

// ---- status fingerprint: what in status.json counts ----

std::string fixture(const std::string& name) {
  return testing::read_file(std::string(LATCHWATCH_FIXTURES_DIR) + "/gpa/" + name);
}

std::string replaced(std::string text, const std::string& from, const std::string& to) {
  auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

TEST(StatusFingerprint, ARewriteWithANewTimestampAndCountersIsTheSame) {
  auto body = fixture("aggregate-status-synthesized-healthy.json");
  auto rewritten = replaced(replaced(body, "2026-07-22T10:15:42.123", "2026-07-22T10:16:42.456"),
                            "\"proxyConnectionsCount\": 590", "\"proxyConnectionsCount\": 611");
  EXPECT_EQ(status_fingerprint(body), status_fingerprint(rewritten));
}

TEST(StatusFingerprint, KeyLatchMessageGuidIncarnationAndStateCount) {
  auto body = fixture("aggregate-status-synthesized-healthy.json");
  const auto base = status_fingerprint(body);
  EXPECT_NE(base, status_fingerprint(fixture("aggregate-status-synthesized-key-lost.json")));
  EXPECT_NE(base, status_fingerprint(replaced(
                      body, "Found key details from local and ready to use.",
                      "Failed to acquire key details: Key(KeyResponse(\\\"acquire\\\", 403))")));
  EXPECT_NE(base, status_fingerprint(replaced(body, "e3882f98-da8d-4410-8394-06c23462781c",
                                              "5b1e0c2a-7d4f-4c1e-9a3b-2f6e8d9c0a11")));
  EXPECT_NE(base, status_fingerprint(replaced(body, "\"keyIncarnationId\": \"10\"",
                                              "\"keyIncarnationId\": \"11\"")));
  EXPECT_NE(base, status_fingerprint(replaced(body, "IMDS Enforce", "IMDS Audit")));
}

TEST(StatusFingerprint, GarbageIsAValueNotAThrow) {
  EXPECT_EQ(status_fingerprint("{\"proxyAgentStatus\": "), "unparsable");
  EXPECT_EQ(status_fingerprint(""), "unparsable");
  EXPECT_EQ(status_fingerprint("[1,2,3]"), "unparsable");
}

}  // namespace
}  // namespace latchwatch::agent
