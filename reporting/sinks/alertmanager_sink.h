#pragma once
/// Pushes alerts to a Prometheus Alertmanager (API v2): a debounced alerting verdict fires an
/// alert, re-sent while it lasts (endsAt a few intervals ahead, as Prometheus does); a recovery
/// or a change sends the old alert with endsAt = now, which resolves it.
///
/// The sink mirrors state and converges: what Alertmanager was last told (the firing alert and
/// any resolution not yet delivered) is kept in `state_file` (STATE/alertmanager.json, never
/// through a symlink), so a recovery that is the first cycle after a restart or a reload still
/// resolves the alert; a failed POST is retried every cycle until it is delivered.

#include <optional>

#include "probes/base/clock.h"
#include "reporting/sinks/sink.h"
#include "reporting/sinks/url.h"

namespace latchwatch::reporting {

struct AlertmanagerOptions {
  std::string url;  ///< base, e.g. http://127.0.0.1:9093
  std::string bearer_token;
  std::chrono::milliseconds timeout{5000};
  std::chrono::seconds resend_interval{60};
  std::string state_file;  ///< empty: nothing survives a restart (tests of the pure logic)
  const Clock* clock = &real_clock();
};

/// The JSON alert for `report`'s confirmed verdict (pure; tests read it).
nlohmann::json alert_for(const CycleReport& report, latchwatch::VerdictCode verdict,
                         std::chrono::system_clock::time_point starts_at,
                         std::chrono::system_clock::time_point ends_at);

class AlertmanagerSink : public Sink {
 public:
  explicit AlertmanagerSink(AlertmanagerOptions options);
  std::string name() const override { return "alertmanager"; }
  PublishResult publish(const CycleReport& report) override;

 private:
  PublishResult post(const nlohmann::json& alerts);
  void load_state();
  void save_state();

  AlertmanagerOptions options_;
  Url url_;
  std::string url_error_;
  bool loaded_ = false;
  struct Firing {
    latchwatch::VerdictCode verdict;
    std::chrono::system_clock::time_point starts_at;
    nlohmann::json alert;  ///< as last sent, to resolve it with the same labels
    bool sent = false;     ///< Alertmanager has it (at least once)
    std::chrono::steady_clock::time_point last_sent{};
  };
  std::optional<Firing> firing_;
  nlohmann::json unsent_resolutions_ = nlohmann::json::array();  ///< retried until delivered
};

}  // namespace latchwatch::reporting
