#include "reporting/sinks/dispatcher.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <system_error>
#include <thread>

#include "reporting/sinks/sandbox_hint.h"

namespace latchwatch::reporting {
namespace {

/// How many sink threads are alive, process-wide. A retired sink's thread is detached and may
/// still be ending while the process exits, so this is never destroyed (no static destructor can
/// race the thread's last notify).
struct ThreadCount {
  std::mutex mutex;
  std::condition_variable done;
  int alive = 0;
};

ThreadCount& threads() {
  static auto* count = new ThreadCount;  // intentionally leaked: see above
  return *count;
}

/// Counts a thread about to start, unless the budget is used up.
bool thread_reserved() {
  std::lock_guard<std::mutex> lock(threads().mutex);
  if (threads().alive >= kMaxSinkThreads) return false;
  ++threads().alive;
  return true;
}

void thread_ended() {
  auto& t = threads();
  std::lock_guard<std::mutex> lock(t.mutex);
  if (--t.alive == 0) t.done.notify_all();
}

}  // namespace

/// One sink, its queue and its thread. Shared between the dispatcher and the thread, so a
/// retired lane outlives the dispatcher until its last publish returns.
struct Dispatcher::Lane {
  std::shared_ptr<Sink> sink;       ///< the sink this thread delivers with (under mutex)
  std::shared_ptr<Sink> next_sink;  ///< a reload's replacement, taken between deliveries
  bool parked = false;              ///< no sink configured since a reload
  bool has_thread = true;           ///< false: the thread budget was used up
  DispatcherOptions options;
  mutable std::mutex mutex;
  std::condition_variable wake;
  std::condition_variable idle;
  std::deque<CycleReport> queue;
  bool busy = false;
  std::chrono::steady_clock::time_point busy_since{};
  bool stopping = false;
  std::chrono::steady_clock::time_point stop_deadline{};
  SinkHealth health;

  /// The sink that takes new work: a reload's replacement if one waits. Under mutex.
  std::shared_ptr<Sink> current_sink() const { return next_sink ? next_sink : sink; }

  void run() {
    for (;;) {
      CycleReport report;
      std::shared_ptr<Sink> delivering;
      {
        std::unique_lock<std::mutex> lock(mutex);
        for (;;) {
          if (next_sink) sink = std::move(next_sink);  // a reload: same thread, new sink
          const bool ending = stopping || parked;
          if (ending && (queue.empty() || std::chrono::steady_clock::now() >= stop_deadline)) {
            // A retired or parked lane delivers what it holds until its deadline, no longer.
            health.dropped += queue.size();
            queue.clear();
            busy = false;
            idle.notify_all();
            if (stopping) return;
            sink.reset();  // parked: the sink goes; the thread waits for one of its name
            wake.wait(lock, [this] { return stopping || next_sink != nullptr; });
            continue;
          }
          if (!queue.empty() && sink) break;
          if (ending)
            wake.wait_until(lock, stop_deadline);
          else
            wake.wait(lock, [this] {
              return stopping || parked || next_sink != nullptr || !queue.empty();
            });
        }
        report = std::move(queue.front());
        queue.pop_front();
        busy = true;
        busy_since = options.clock->steady_now();
        delivering = sink;
      }
      PublishResult result;
      try {
        result = delivering->publish(report);
      } catch (const std::exception& e) {  // a sink bug must not take the others down
        result = PublishResult::failure(std::string("unexpected error: ") + e.what());
      }
      nlohmann::json extra;
      try {
        extra = delivering->health();
      } catch (const std::exception&) {
        extra = nlohmann::json::object();
      }
      delivering.reset();  // a replaced sink ends here, on its own thread
      {
        std::lock_guard<std::mutex> lock(mutex);
        auto& h = health;
        h.extra = std::move(extra);
        if (result.ok) {
          if (!h.up || h.stalled) spdlog::info("sink {} recovered", h.name);
          ++h.successes;
          h.up = true;
          h.last_error.clear();
        } else {
          std::string error = with_sandbox_hint(result.error, under_systemd());
          if (h.up || h.last_error != error)  // once per change, not once per cycle
            spdlog::warn("sink {} failed: {}", h.name, error);
          ++h.failures;
          h.up = false;
          h.last_error = std::move(error);
        }
        h.stalled = false;
        busy = false;
        if (queue.empty()) idle.notify_all();
      }
    }
  }

  SinkHealth snapshot() const {
    std::lock_guard<std::mutex> lock(mutex);
    SinkHealth h = health;
    h.queued = queue.size();
    if (busy) {
      auto running = options.clock->steady_now() - busy_since;
      h.busy_seconds = std::chrono::duration<double>(running).count();
      if (running >= options.stall_after) {
        h.stalled = true;
        h.up = false;
        if (h.last_error.empty())
          h.last_error = "delivery in progress for " +
                         std::to_string(static_cast<long long>(h.busy_seconds)) + " s";
      }
    }
    return h;
  }
};

nlohmann::json to_json(const std::vector<SinkHealth>& health) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& h : health) {
    j[h.name] = {
        {"up", h.up},           {"successes", h.successes}, {"failures", h.failures},
        {"dropped", h.dropped}, {"stalled", h.stalled},     {"busy_seconds", h.busy_seconds},
        {"queued", h.queued}};
    if (!h.last_error.empty()) j[h.name]["last_error"] = h.last_error;
    if (!h.extra.empty()) j[h.name]["extra"] = h.extra;
  }
  return j;
}

Dispatcher::Dispatcher(std::vector<std::unique_ptr<Sink>> sinks, DispatcherOptions options)
    : options_(options) {
  if (!options_.clock) options_.clock = &real_clock();
  if (options_.queue_limit == 0) options_.queue_limit = 1;
  // The sinks' threads log; spdlog's registry is a function-local static in its shared library.
  // Creating it here, before any thread starts, orders its construction before every use in a
  // way ThreadSanitizer can see (it cannot see the guard inside the uninstrumented library).
  (void)spdlog::default_logger_raw();
  for (auto& sink : sinks) lanes_.push_back(start_lane(std::move(sink)));
}

std::shared_ptr<Dispatcher::Lane> Dispatcher::start_lane(std::unique_ptr<Sink> sink) {
  auto lane = std::make_shared<Lane>();
  lane->health.name = sink->name();
  lane->sink = std::move(sink);
  lane->options = options_;
  std::string why;
  if (!thread_reserved()) {
    why = "no thread: the sink thread budget (" + std::to_string(kMaxSinkThreads) + ") is used up";
  } else {
    try {
      // The thread holds the lane: a retired lane lives until its last publish returns.
      std::thread([lane]() mutable {
        lane->run();
        lane.reset();  // a retired lane (and its sink) is destroyed before the thread ends
        thread_ended();
      }).detach();
    } catch (const std::system_error& e) {  // the task limit: this sink is down, not the process
      thread_ended();
      why = std::string("no thread: ") + e.what();
    }
  }
  if (!why.empty()) {
    spdlog::error("sink {} off: {}", lane->health.name, why);
    lane->has_thread = false;
    lane->health.up = false;
    lane->health.last_error = why;
  }
  return lane;
}

int Dispatcher::threads_alive() {
  std::lock_guard<std::mutex> lock(threads().mutex);
  return threads().alive;
}

void Dispatcher::replace_sinks(std::vector<std::unique_ptr<Sink>> sinks,
                               std::chrono::steady_clock::time_point deadline,
                               DispatcherOptions options) {
  if (!options.clock) options.clock = &real_clock();
  if (options.queue_limit == 0) options.queue_limit = 1;
  options_ = options;
  std::vector<std::shared_ptr<Lane>> all = lanes_;
  all.insert(all.end(), parked_.begin(), parked_.end());
  std::vector<std::shared_ptr<Lane>> active, parked;
  std::vector<std::shared_ptr<Sink>> to_interrupt;
  for (auto& sink : sinks) {
    std::shared_ptr<Lane> lane;
    for (auto& candidate : all)
      if (candidate && candidate->has_thread && candidate->health.name == sink->name()) {
        lane = std::move(candidate);  // taken: a second sink of one name gets a lane of its own
        break;
      }
    if (!lane) {
      active.push_back(start_lane(std::move(sink)));
      continue;
    }
    {
      std::lock_guard<std::mutex> lock(lane->mutex);
      if (lane->sink) to_interrupt.push_back(lane->sink);
      lane->next_sink = std::shared_ptr<Sink>(std::move(sink));
      lane->parked = false;
      lane->options = options_;
    }
    lane->wake.notify_all();
    active.push_back(std::move(lane));
  }
  for (auto& lane : all) {
    if (!lane) continue;
    if (!lane->has_thread) continue;  // never started: nothing to park
    {
      std::lock_guard<std::mutex> lock(lane->mutex);
      if (!lane->parked) {
        lane->parked = true;
        lane->stop_deadline = deadline;
        if (lane->sink) to_interrupt.push_back(lane->sink);
      }
    }
    lane->wake.notify_all();
    parked.push_back(std::move(lane));
  }
  lanes_ = std::move(active);
  parked_ = std::move(parked);
  // A publish in progress by a replaced sink gives up at its next safe point; what it had not
  // delivered is the new sink's (the webhook's spool is on disk, mirrored state is re-sent).
  for (auto& sink : to_interrupt) sink->interrupt();
}

Dispatcher::~Dispatcher() { retire(std::chrono::steady_clock::now() + std::chrono::seconds(1)); }

bool Dispatcher::wait_all_ended(std::chrono::steady_clock::time_point deadline) {
  auto& t = threads();
  std::unique_lock<std::mutex> lock(t.mutex);
  return t.done.wait_until(lock, deadline, [&t] { return t.alive == 0; });
}

void Dispatcher::submit(const CycleReport& report) {
  // Every sink keeps what it promised to first, then the deliveries start: no sink can show a
  // cycle (report.json, history) before the webhook has spooled it.
  std::vector<PublishResult> accepted(lanes_.size());
  for (std::size_t i = 0; i < lanes_.size(); ++i) {
    std::shared_ptr<Sink> sink;
    {
      std::lock_guard<std::mutex> lock(lanes_[i]->mutex);
      if (!lanes_[i]->has_thread) continue;
      sink = lanes_[i]->current_sink();
    }
    if (!sink) continue;
    try {
      accepted[i] = sink->accept(report);
    } catch (const std::exception& e) {
      accepted[i] = PublishResult::failure(std::string("unexpected error: ") + e.what());
    }
  }
  for (std::size_t i = 0; i < lanes_.size(); ++i) {
    auto& lane = lanes_[i];
    {
      std::lock_guard<std::mutex> lock(lane->mutex);
      if (lane->stopping || !lane->has_thread) continue;
      if (!accepted[i].ok) {
        if (lane->health.last_error != accepted[i].error)
          spdlog::warn("sink {} could not keep the report: {}", lane->health.name,
                       accepted[i].error);
        ++lane->health.failures;
        lane->health.up = false;
        lane->health.last_error = accepted[i].error;
      }
      if (lane->queue.size() >= options_.queue_limit) {
        lane->queue.pop_front();
        ++lane->health.dropped;
        spdlog::warn("sink {} is behind: dropped its oldest undelivered cycle", lane->health.name);
      }
      lane->queue.push_back(report);
    }
    lane->wake.notify_one();
  }
}

bool Dispatcher::drain(std::chrono::steady_clock::time_point deadline) {
  bool all = true;
  for (std::size_t i = 0; i < lanes_.size(); ++i)
    if (!drain_sink(i, deadline)) all = false;
  return all;
}

bool Dispatcher::drain_sink(std::size_t index, std::chrono::steady_clock::time_point deadline) {
  auto& lane = lanes_.at(index);
  std::unique_lock<std::mutex> lock(lane->mutex);
  return lane->idle.wait_until(lock, deadline, [&] { return lane->queue.empty() && !lane->busy; });
}

void Dispatcher::retire(std::chrono::steady_clock::time_point deadline) {
  lanes_.insert(lanes_.end(), parked_.begin(), parked_.end());
  parked_.clear();
  std::vector<std::shared_ptr<Sink>> to_interrupt;
  for (auto& lane : lanes_) {
    {
      std::lock_guard<std::mutex> lock(lane->mutex);
      if (lane->stopping) continue;
      lane->stopping = true;
      lane->stop_deadline = deadline;
      if (auto sink = lane->current_sink()) to_interrupt.push_back(sink);
      if (lane->sink && lane->next_sink) to_interrupt.push_back(lane->sink);
    }
    lane->wake.notify_all();
  }
  // Past the deadline a publish in progress is asked to stop at its next safe point. The
  // deadline is short (a second): a watcher thread would cost more than this simple rule, so
  // sinks are interrupted now and finish only the delivery already in flight.
  for (auto& sink : to_interrupt) sink->interrupt();
}

std::vector<SinkHealth> Dispatcher::health() const {
  std::vector<SinkHealth> out;
  for (const auto& lane : lanes_) out.push_back(lane->snapshot());
  return out;
}

}  // namespace latchwatch::reporting
