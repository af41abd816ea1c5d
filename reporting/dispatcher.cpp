#include "reporting/dispatcher.h"

#include <spdlog/spdlog.h>

namespace latchwatch::reporting {

nlohmann::json to_json(const std::vector<SinkHealth>& health) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& h : health) {
    j[h.name] = {{"up", h.up},
                 {"successes", h.successes},
                 {"failures", h.failures},
                 {"dropped", h.dropped}};
    if (!h.last_error.empty()) j[h.name]["last_error"] = h.last_error;
    if (!h.extra.empty()) j[h.name]["extra"] = h.extra;
  }
  return j;
}

Dispatcher::Dispatcher(std::vector<std::unique_ptr<Sink>> sinks, std::size_t queue_limit)
    : sinks_(std::move(sinks)), queue_limit_(queue_limit) {
  for (const auto& sink : sinks_) health_.push_back({sink->name(), 0, 0, 0, true, {}, {}});
  worker_ = std::thread([this] { work(); });
}

Dispatcher::~Dispatcher() { stop(std::chrono::steady_clock::now() + std::chrono::seconds(1)); }

void Dispatcher::submit(CycleReport report) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_) return;
    if (queue_.size() >= queue_limit_) {
      queue_.pop_front();
      for (auto& h : health_) ++h.dropped;
      spdlog::warn("sinks are behind: dropped the oldest undelivered cycle");
    }
    queue_.push_back(std::move(report));
  }
  wake_.notify_one();
}

bool Dispatcher::drain(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock<std::mutex> lock(mutex_);
  return idle_.wait_until(lock, deadline, [this] { return queue_.empty() && !busy_; });
}

void Dispatcher::stop(std::chrono::steady_clock::time_point deadline) {
  drain(deadline);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_ && !worker_.joinable()) return;
    stopping_ = true;
  }
  wake_.notify_all();
  if (worker_.joinable()) worker_.join();
}

std::vector<SinkHealth> Dispatcher::health() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return health_;
}

void Dispatcher::work() {
  for (;;) {
    CycleReport report;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, nothing left
      report = std::move(queue_.front());
      queue_.pop_front();
      busy_ = true;
    }
    for (std::size_t i = 0; i < sinks_.size(); ++i) {
      PublishResult result;
      try {
        result = sinks_[i]->publish(report);
      } catch (const std::exception& e) {  // a sink bug must not take the others down
        result = PublishResult::failure(std::string("unexpected error: ") + e.what());
      }
      auto extra = sinks_[i]->health();
      std::lock_guard<std::mutex> lock(mutex_);
      auto& h = health_[i];
      h.extra = std::move(extra);
      if (result.ok) {
        if (!h.up) spdlog::info("sink {} recovered", h.name);
        ++h.successes;
        h.up = true;
        h.last_error.clear();
      } else {
        if (h.up || h.last_error != result.error)  // once per change, not once per cycle
          spdlog::warn("sink {} failed: {}", h.name, result.error);
        ++h.failures;
        h.up = false;
        h.last_error = result.error;
      }
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      busy_ = false;
    }
    idle_.notify_all();
  }
}

}  // namespace latchwatch::reporting
