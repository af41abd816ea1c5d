#include "tests/support/alertmanager_process.h"

#include <signal.h>

#include "probes/net/http_exchange.h"

namespace latchwatch::testing {
namespace {

using namespace std::chrono_literals;

net::Response get(std::uint16_t port, const std::string& target) {
  net::Request request;
  request.target = target;
  net::Options options;
  options.budget = 2s;
  return net::exchange({"127.0.0.1", port}, request, options);
}

}  // namespace

AlertmanagerProcess::AlertmanagerProcess(const std::string& dir) : port_(free_port()) {
  write_file(dir + "/am.yml",
             "route:\n  receiver: none\n  group_wait: 1s\nreceivers:\n  - name: none\n");
  process_ = std::make_unique<BackgroundProcess>(
      std::vector<std::string>{
          "/usr/bin/prometheus-alertmanager", "--config.file=" + dir + "/am.yml",
          "--storage.path=" + dir + "/am-data",
          "--web.listen-address=127.0.0.1:" + std::to_string(port_), "--cluster.listen-address="},
      dir, "alertmanager");
  ready_ = wait_for([&] { return get(port_, "/-/ready").status == 200; }, 30s);
}

AlertmanagerProcess::~AlertmanagerProcess() {
  process_->signal(SIGTERM);
  process_->wait_exit(5s);
}

nlohmann::json AlertmanagerProcess::alerts(bool active_only) {
  auto r = get(port_, std::string("/api/v2/alerts") +
                          (active_only ? "?active=true&silenced=false&inhibited=false" : ""));
  auto doc = nlohmann::json::parse(r.body, nullptr, false);
  return doc.is_discarded() ? nlohmann::json::array() : doc;
}

bool has_active_alert(const nlohmann::json& alerts, const std::string& verdict) {
  for (const auto& a : alerts)
    if (a["labels"]["verdict"] == verdict && a["status"]["state"] == "active") return true;
  return false;
}

}  // namespace latchwatch::testing
