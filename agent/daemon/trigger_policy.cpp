#include "agent/daemon/trigger_policy.h"

#include <algorithm>

namespace latchwatch::agent {
namespace {

using Duration = std::chrono::steady_clock::duration;

Duration seconds_per_token(int max_per_hour) {
  return std::chrono::duration_cast<Duration>(
      std::chrono::duration<double>(3600.0 / std::max(1, max_per_hour)));
}

}  // namespace

const char* to_string(TriggerReason r) {
  switch (r) {
    case TriggerReason::none:
      return "none";
    case TriggerReason::change:
      return "change";
    case TriggerReason::confirm:
      return "confirm";
  }
  return "none";
}

TriggerPolicy::TriggerPolicy(TriggerSettings settings, Time now)
    : settings_(settings), tokens_(std::max(0, settings.max_per_hour)), tokens_at_(now) {}

void TriggerPolicy::refill(Time now) {
  if (now <= tokens_at_) return;
  const double earned = std::chrono::duration<double>(now - tokens_at_).count() *
                        std::max(0, settings_.max_per_hour) / 3600.0;
  tokens_ = std::min<double>(settings_.max_per_hour, tokens_ + earned);
  tokens_at_ = now;
}

double TriggerPolicy::tokens(Time now) const {
  TriggerPolicy copy = *this;
  copy.refill(now);
  return copy.tokens_;
}

void TriggerPolicy::key_folder_seen(Time now, KeyNames names) {
  const bool touched = keys_dirty_;
  keys_dirty_ = false;
  if (keys_known_ && names == keys_now_) return;  // a rename over an existing key, a .tmp file
  // Listed after touches: the change happened at the last touch, not at the listing.
  const Time changed_at = touched ? std::min(now, key_touch_) : now;
  if (keys_known_) last_change_ = last_change_ ? std::max(*last_change_, changed_at) : changed_at;
  keys_now_ = std::move(names);
  keys_known_ = true;
}

void TriggerPolicy::key_folder_touched(Time now) {
  keys_dirty_ = true;
  key_touch_ = now;
}

std::optional<TriggerPolicy::Time> TriggerPolicy::listing_due() const {
  if (!keys_dirty_) return std::nullopt;
  return key_touch_ + settings_.min_gap;
}

void TriggerPolicy::status_file_seen(Time now, const std::string& fingerprint, bool written) {
  // GPA's next status write, whatever it says, is the moment to confirm a pending verdict.
  if (written && confirm_armed_ && !status_written_since_arm_) status_written_since_arm_ = now;
  if (status_known_ && fingerprint == status_now_) return;  // an unchanged rewrite
  if (status_known_) last_change_ = now;
  status_now_ = fingerprint;
  status_known_ = true;
}

bool TriggerPolicy::changed() const {
  return keys_now_ != keys_at_cycle_ || status_now_ != status_at_cycle_;
}

std::optional<TriggerPolicy::Time> TriggerPolicy::token_due() const {
  if (settings_.max_per_hour <= 0) return std::nullopt;
  if (tokens_ >= 1.0) return tokens_at_;
  const auto wait = std::chrono::duration_cast<Duration>(
      (1.0 - tokens_) * std::chrono::duration<double>(seconds_per_token(settings_.max_per_hour)));
  return tokens_at_ + wait;
}

std::optional<TriggerPolicy::Time> TriggerPolicy::change_due() const {
  const auto token = token_due();
  if (!changed() || !last_change_ || !token) return std::nullopt;
  Time due = std::max(*last_cycle_start_ + settings_.min_gap, *last_change_ + settings_.min_gap);
  return std::max(due, *token);
}

std::optional<TriggerPolicy::Time> TriggerPolicy::confirm_due() const {
  // A confirmation is an extra cycle like a change-triggered one: it spends from the same budget
  // (the documented "max_per_hour extra cycles"), so with no token it waits for one (or for the
  // timer, which confirms as well).
  const auto token = token_due();
  if (!confirm_armed_ || !token) return std::nullopt;
  Time due = confirm_since_ + settings_.confirm_after;
  if (status_written_since_arm_) due = std::min(due, *status_written_since_arm_);
  return std::max({due, *last_cycle_start_ + settings_.min_gap, *token});
}

std::optional<TriggerPolicy::Time> TriggerPolicy::due() const {
  if (!settings_.enabled || !last_cycle_start_ || in_cycle_) return std::nullopt;
  auto change = change_due();
  auto confirm = confirm_due();
  if (change && confirm) return std::min(*change, *confirm);
  return change ? change : confirm;
}

TriggerReason TriggerPolicy::due_reason() const {
  if (!settings_.enabled || !last_cycle_start_ || in_cycle_) return TriggerReason::none;
  auto change = change_due();
  auto confirm = confirm_due();
  if (confirm && (!change || *confirm <= *change)) return TriggerReason::confirm;
  return change ? TriggerReason::change : TriggerReason::none;
}

void TriggerPolicy::cycle_started(Time now) {
  refill(now);
  // Whether this cycle is the one the policy asked for, or the timer's (which covers any
  // change just as well and costs nothing extra).
  const auto change = settings_.enabled && last_cycle_start_ ? change_due() : std::nullopt;
  const auto confirm = settings_.enabled && last_cycle_start_ ? confirm_due() : std::nullopt;
  const bool by_confirm = confirm && *confirm <= now;
  const bool by_change = !by_confirm && change && *change <= now;
  if (by_change || by_confirm) tokens_ = std::max(0.0, tokens_ - 1.0);
  if (by_change) ++triggered_;
  if (by_confirm) {
    ++confirms_;
    ++confirm_chain_;
  } else {
    confirm_chain_ = 0;
  }
  confirm_armed_ = false;
  status_written_since_arm_.reset();
  keys_at_cycle_ = keys_now_;
  status_at_cycle_ = status_now_;
  last_cycle_start_ = now;
  in_cycle_ = true;
}

void TriggerPolicy::cycle_finished(Time now, bool key_verdict_pending) {
  in_cycle_ = false;
  if (key_verdict_pending && confirm_chain_ < settings_.debounce_cycles - 1) {
    confirm_armed_ = true;
    confirm_since_ = now;
    status_written_since_arm_.reset();
  }
}

}  // namespace latchwatch::agent
