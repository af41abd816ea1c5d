#pragma once
/// A real Alertmanager from Debian (prometheus-alertmanager) on loopback, with its own storage
/// and clustering off, for tests of the Alertmanager sink.

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/support/test_support.h"

namespace latchwatch::testing {

class AlertmanagerProcess {
 public:
  explicit AlertmanagerProcess(const std::string& dir);
  ~AlertmanagerProcess();
  AlertmanagerProcess(const AlertmanagerProcess&) = delete;
  AlertmanagerProcess& operator=(const AlertmanagerProcess&) = delete;

  bool ready() const { return ready_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  /// GET /api/v2/alerts (only active, unsilenced, uninhibited ones when `active_only`).
  nlohmann::json alerts(bool active_only);

 private:
  std::uint16_t port_;
  std::unique_ptr<BackgroundProcess> process_;
  bool ready_ = false;
};

/// Whether `alerts` holds an active alert for `verdict`.
bool has_active_alert(const nlohmann::json& alerts, const std::string& verdict);

}  // namespace latchwatch::testing
