// The simulator's sockets: the one Beast translation unit of the fabric simulator. What to answer
// and which files to write is decided in scenarios.cpp; this file accepts, reads, logs and writes.
// Everything network-side runs on one io_context thread, so listeners and sessions need no locks;
// only the scenario pointer and the request log are shared with callers (under `mutex_`).

#include "tests/fabric_sim/fabric_simulator.h"

#include <stdlib.h>

#include <algorithm>
#include <array>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <filesystem>
#include <future>
#include <mutex>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "tests/fabric_sim/scenarios.h"

namespace latchwatch::sim {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using json = nlohmann::json;
using namespace std::chrono_literals;

constexpr std::array<Role, 5> kRoles{Role::wireserver, Role::hostga, Role::imds, Role::gpa,
                                     Role::control};
/// A client that connects and goes quiet must not pin a session for ever.
constexpr auto kIdleDeadline = 10s;
/// Requests to the fabric have no body worth the name; a bigger one is a misbehaving client.
constexpr std::size_t kRequestBodyLimit = 16 * 1024;
constexpr std::uint32_t kRequestHeaderLimit = 16 * 1024;
/// A running GPA rewrites status.json every 60 s (domain brief §4); the simulator does too, so a
/// long-running standalone simulator does not drift into "stale".
constexpr auto kStatusRefresh = 60s;

std::size_t index_of(Role role) { return static_cast<std::size_t>(role); }

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

/// One role's port. It keeps its number for the simulator's life: "refused" is the same port
/// bound but not listening, so a client sees the real ECONNREFUSED, not an accept-and-reset.
struct Listener {
  Listener(asio::io_context& ioc, Role r) : role(r), acceptor(ioc) {}

  Role role;
  tcp::acceptor acceptor;
  std::uint16_t port = 0;
  bool listening = false;
  /// Bumped on every (re)listen, so an accept loop left over from a closed acceptor stops.
  unsigned generation = 0;
  PortMode mode = PortMode::serve;
  /// Connections a black-holed role accepted and never answers; closed on scenario change.
  std::vector<tcp::socket> held;
};

class Simulation;

/// One accepted connection of a serving role, shaped like Beast's http_server_async session:
/// read a request, answer it, loop while keep-alive.
class Session : public std::enable_shared_from_this<Session> {
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> response_;
  asio::steady_timer drip_timer_;
  std::string drip_bytes_;
  std::size_t drip_sent_ = 0;
  Role role_;
  Simulation& sim_;

 public:
  Session(tcp::socket socket, Role role, Simulation& sim)
      : stream_(std::move(socket)), drip_timer_(stream_.get_executor()), role_(role), sim_(sim) {}

  void run() { read(); }

 private:
  void read() {
    // A fresh parser per message, as Beast's advanced server does, so the limits apply to each.
    parser_.emplace();
    parser_->body_limit(kRequestBodyLimit);
    parser_->header_limit(kRequestHeaderLimit);
    stream_.expires_after(kIdleDeadline);
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&Session::on_read, shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t);
  void respond(const Reply& reply, bool keep_alive);

  void on_write(bool keep_alive, beast::error_code ec, std::size_t) {
    if (ec || !keep_alive) return close();
    read();
  }

  /// slow_drip: the whole response, status line first, one byte per interval on a timer.
  void drip_next(std::chrono::milliseconds interval) {
    if (drip_sent_ >= drip_bytes_.size()) return close();
    stream_.expires_after(interval + kIdleDeadline);
    asio::async_write(stream_, asio::buffer(&drip_bytes_[drip_sent_], 1),
                      [self = shared_from_this(), interval](beast::error_code ec, std::size_t) {
                        self->on_drip_written(interval, ec);
                      });
  }

  void on_drip_written(std::chrono::milliseconds interval, beast::error_code ec) {
    if (ec) return close();  // the client gave up: its deadline is the point of the scenario
    ++drip_sent_;
    drip_timer_.expires_after(interval);
    drip_timer_.async_wait([self = shared_from_this(), interval](beast::error_code timer_ec) {
      if (timer_ec) return self->close();
      self->drip_next(interval);
    });
  }

  void close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.close();
  }
};

/// Everything behind FabricSimulator. Listeners and sessions live on `ioc_`'s one thread.
class Simulation {
 public:
  explicit Simulation(SimulatorOptions options) : options_(std::move(options)) {
    if (options_.gpa_dir.empty()) {
      options_.gpa_dir = make_temp_dir();
      owns_gpa_dir_ = true;
    }
    paths_ = GpaPaths::under(options_.gpa_dir);
  }

  ~Simulation() {
    stop();
    if (owns_gpa_dir_) {
      std::error_code ignored;
      std::filesystem::remove_all(options_.gpa_dir, ignored);
    }
  }

  void start() {
    if (runtime_) throw std::logic_error("fabric simulator: start() called twice");
    // The scenario set before start() (or before a stop), else the one in the options.
    const Scenario& initial = current_scenario() ? *current_scenario() : lookup(options_.scenario);
    runtime_ = std::make_unique<Runtime>();
    try {
      for (Role role : kRoles) {
        auto listener = std::make_unique<Listener>(runtime_->ioc, role);
        bind(*listener);
        ports_[index_of(role)] = listener->port;
        runtime_->listeners.push_back(std::move(listener));
      }
      // The io thread is not running yet: applying here is race-free, and start() returns only
      // when every port is in the scenario's mode.
      apply(initial);
    } catch (...) {
      runtime_.reset();
      throw;
    }
    runtime_->thread = std::thread([this] { runtime_->ioc.run(); });
  }

  void stop() {
    if (!runtime_) return;
    runtime_->ioc.stop();
    if (runtime_->thread.joinable()) runtime_->thread.join();
    // Closes the listeners, then the io_context destroys the pending handlers and with them
    // every session and its socket.
    runtime_.reset();
  }

  void set_scenario(const std::string& name) {
    const Scenario& next = lookup(name);
    if (!runtime_ || runtime_->ioc.get_executor().running_in_this_thread()) return apply(next);
    // Listeners belong to the io thread: switch there, and wait so the caller's next request
    // sees the new scenario. The promise is owned by the handler so that a handler dropped by
    // stop() breaks the future instead of leaving it hanging.
    auto done = std::make_shared<std::promise<void>>();
    auto result = done->get_future();
    asio::post(runtime_->ioc, [this, &next, done] {
      try {
        apply(next);
        done->set_value();
      } catch (...) {
        done->set_exception(std::current_exception());
      }
    });
    result.get();
  }

  std::string scenario() const {
    const Scenario* current = current_scenario();
    return current ? current->name : options_.scenario;
  }

  const Scenario* current_scenario() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return scenario_;
  }

  std::vector<LoggedRequest> requests() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return requests_;
  }

  void clear_requests() {
    std::lock_guard<std::mutex> lock(mutex_);
    requests_.clear();
  }

  net::Endpoint endpoint(Role role) const { return {"127.0.0.1", ports_[index_of(role)]}; }
  const GpaPaths& paths() const { return paths_; }
  std::chrono::milliseconds drip_interval() const { return options_.drip_interval; }

  /// Called by a session for every complete request.
  Reply handle(const LoggedRequest& received) {
    if (received.role == Role::control) return control(received);
    LoggedRequest request = received;
    const Scenario& scenario = *current_scenario();
    Reply reply;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      // GPA answers from its state, then the notified key keeper acts (asynchronously in GPA):
      // the answer to the request that woke it still shows the state before.
      reply = answer(scenario, request, std::chrono::system_clock::now(), gpa_state_);
      request.effect = apply_gpa_effect(scenario, request, gpa_state_);
      requests_.push_back(request);
    }
    if (options_.on_request) options_.on_request(request);
    return reply;
  }

  GpaState gpa_state() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return gpa_state_;
  }

 private:
  struct Runtime {
    // Declared first so it is destroyed last: every socket below refers to it.
    asio::io_context ioc;
    asio::executor_work_guard<asio::io_context::executor_type> work{ioc.get_executor()};
    std::vector<std::unique_ptr<Listener>> listeners;
    asio::steady_timer status_refresh{ioc};
    std::thread thread;
  };

  static const Scenario& lookup(const std::string& name) {
    const Scenario* s = find_scenario(name);
    if (!s) throw std::invalid_argument("fabric simulator: unknown scenario '" + name + "'");
    return *s;
  }

  static std::string make_temp_dir() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base && *base ? base : "/tmp") + "/latchwatch-sim-XXXXXX";
    if (!::mkdtemp(pattern.data()))
      throw std::runtime_error("fabric simulator: cannot create a folder like " + pattern);
    return pattern;
  }

  /// Files first (they can fail on a bad folder), then ports. Runs on the io thread, or before
  /// it starts, or with no runtime at all.
  void apply(const Scenario& s) {
    write_gpa_files(s, paths_, std::chrono::system_clock::now());
    {
      std::lock_guard<std::mutex> lock(mutex_);
      scenario_ = &s;
      gpa_state_ = {};  // a new scenario is a GPA (re)started
    }
    if (!runtime_) return;
    for (auto& listener : runtime_->listeners) set_mode(*listener, s.port_mode(listener->role));
    schedule_status_refresh();
  }

  void set_mode(Listener& l, PortMode mode) {
    l.held.clear();  // a black hole lasts until the scenario changes
    l.mode = mode;
    if (mode == PortMode::refuse) {
      // Linux cannot stop a socket listening; close it and bind a fresh one to the same port.
      if (l.listening) {
        l.acceptor.close();
        l.listening = false;
      }
      bind(l);
      return;
    }
    bind(l);
    if (l.listening) return;
    beast::error_code ec;
    l.acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) throw_port_error("listen on", l, ec);
    l.listening = true;
    accept(l, ++l.generation);
  }

  /// Binds 127.0.0.1:<port> (port 0 the first time). SO_REUSEADDR because connections this
  /// port served may linger in TIME_WAIT when it is rebound.
  void bind(Listener& l) {
    if (l.acceptor.is_open()) return;
    tcp::endpoint endpoint(asio::ip::address_v4::loopback(), l.port);
    beast::error_code ec;
    l.acceptor.open(endpoint.protocol(), ec);
    if (!ec) l.acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) l.acceptor.bind(endpoint, ec);
    if (!ec) l.port = l.acceptor.local_endpoint(ec).port();
    if (ec) {
      beast::error_code ignored;
      l.acceptor.close(ignored);
      throw_port_error("bind", l, ec);
    }
  }

  [[noreturn]] static void throw_port_error(const char* what, const Listener& l,
                                            const beast::error_code& ec) {
    throw std::runtime_error(std::string("fabric simulator: cannot ") + what + " the " +
                             to_string(l.role) + " port 127.0.0.1:" + std::to_string(l.port) +
                             ": " + ec.message());
  }

  void accept(Listener& l, unsigned generation) {
    l.acceptor.async_accept([this, &l, generation](beast::error_code ec, tcp::socket socket) {
      if (generation != l.generation || !l.listening) return;  // closed or re-listened since
      if (!ec) on_accept(l, std::move(socket));
      accept(l, generation);
    });
  }

  void on_accept(Listener& l, tcp::socket socket) {
    if (l.mode == PortMode::silent) {
      l.held.push_back(std::move(socket));
      return;
    }
    std::make_shared<Session>(std::move(socket), l.role, *this)->run();
  }

  void schedule_status_refresh() {
    runtime_->status_refresh.expires_after(kStatusRefresh);
    runtime_->status_refresh.async_wait([this](beast::error_code ec) {
      if (ec) return;  // cancelled by a scenario switch or stop
      const Scenario* current = current_scenario();
      // Only a live GPA refreshes its file; gpa_down's must keep ageing.
      if (current && current->status_age.count() == 0) {
        try {
          refresh_status_file(*current, paths_, std::chrono::system_clock::now());
        } catch (const std::exception&) {
          // The folder went away under us (a test removed it): the next switch will say so.
        }
      }
      schedule_status_refresh();
    });
  }

  Reply control(const LoggedRequest& request) {
    const std::string scenario_prefix = "/scenario/";
    Reply reply;
    if (request.method == "GET" && request.target == "/scenario") {
      reply = json_reply(
          200, {{"scenario", scenario()}, {"scenarios", FabricSimulator::scenario_names()}});
    } else if (request.method == "POST" && request.target.rfind(scenario_prefix, 0) == 0) {
      reply = switch_from_control(request.target.substr(scenario_prefix.size()));
    } else if (request.method == "GET" && request.target == "/gpa-state") {
      reply = json_reply(200, json(gpa_state()));
    } else if (request.method == "GET" && request.target == "/requests") {
      reply = json_reply(200, json(requests()));
    } else if (request.method == "DELETE" && request.target == "/requests") {
      clear_requests();
      reply = json_reply(200, {{"cleared", true}});
    } else {
      reply = json_reply(
          404, {{"error", "unknown control call " + request.method + " " + request.target}});
    }
    reply.headers.emplace_back("Date", http_date(std::chrono::system_clock::now()));
    reply.headers.emplace_back("Server", "latchwatch-fabric-sim");
    return reply;
  }

  Reply switch_from_control(const std::string& name) {
    try {
      set_scenario(name);  // on the io thread: applies directly
      return json_reply(200, {{"scenario", name}});
    } catch (const std::invalid_argument& e) {
      return json_reply(404, {{"error", e.what()}});
    } catch (const std::exception& e) {
      return json_reply(500, {{"error", e.what()}});
    }
  }

  static Reply json_reply(int status, const json& body) {
    Reply reply;
    reply.status = status;
    reply.headers.emplace_back("Content-Type", "application/json; charset=utf-8");
    reply.body = body.dump();
    return reply;
  }

  SimulatorOptions options_;
  bool owns_gpa_dir_ = false;
  GpaPaths paths_;
  std::array<std::uint16_t, kRoles.size()> ports_{};
  std::unique_ptr<Runtime> runtime_;

  mutable std::mutex mutex_;  // guards scenario_, requests_ and gpa_state_
  const Scenario* scenario_ = nullptr;
  std::vector<LoggedRequest> requests_;
  GpaState gpa_state_;
};

void Session::on_read(beast::error_code ec, std::size_t) {
  // end_of_stream: the client closed between requests, the normal end of a connection. Any
  // other error (deadline, limits, garbage) ends it too: there is nobody worth answering.
  if (ec) return close();
  const auto& message = parser_->get();
  LoggedRequest request;
  request.role = role_;
  request.method = std::string(message.method_string());
  request.target = std::string(message.target());
  for (const auto& field : message)
    request.headers[lower(std::string(field.name_string()))] = std::string(field.value());
  respond(sim_.handle(request), message.keep_alive());
}

void Session::respond(const Reply& reply, bool keep_alive) {
  if (reply.delay.count() > 0) {
    Reply now = reply;
    now.delay = std::chrono::milliseconds(0);
    drip_timer_.expires_after(reply.delay);
    drip_timer_.async_wait([self = shared_from_this(), now, keep_alive](beast::error_code ec) {
      if (!ec) self->respond(now, keep_alive);
    });
    return;
  }
  response_ = {};
  response_.version(11);
  response_.result(static_cast<unsigned>(reply.status));
  for (const auto& [name, value] : reply.headers) response_.set(name, value);
  response_.body() = reply.body;
  keep_alive = keep_alive && !reply.close && !reply.drip;
  response_.keep_alive(keep_alive);
  response_.prepare_payload();
  if (reply.drip) {
    std::ostringstream bytes;
    bytes << response_;
    drip_bytes_ = bytes.str();
    drip_sent_ = 0;
    return drip_next(sim_.drip_interval());
  }
  stream_.expires_after(kIdleDeadline);
  http::async_write(stream_, response_,
                    beast::bind_front_handler(&Session::on_write, shared_from_this(), keep_alive));
}

}  // namespace

struct FabricSimulator::Impl : Simulation {
  using Simulation::Simulation;
};

FabricSimulator::FabricSimulator(SimulatorOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}

FabricSimulator::~FabricSimulator() = default;

void FabricSimulator::start() { impl_->start(); }
void FabricSimulator::stop() { impl_->stop(); }

net::Endpoint FabricSimulator::wireserver() const { return impl_->endpoint(Role::wireserver); }
net::Endpoint FabricSimulator::hostga() const { return impl_->endpoint(Role::hostga); }
net::Endpoint FabricSimulator::imds() const { return impl_->endpoint(Role::imds); }
net::Endpoint FabricSimulator::gpa() const { return impl_->endpoint(Role::gpa); }
net::Endpoint FabricSimulator::control() const { return impl_->endpoint(Role::control); }

std::string FabricSimulator::key_dir() const { return impl_->paths().key_dir; }
std::string FabricSimulator::status_file() const { return impl_->paths().status_file; }
std::string FabricSimulator::unit_file() const { return impl_->paths().unit_file; }
std::string FabricSimulator::binary() const { return impl_->paths().binary; }
std::string FabricSimulator::smbios_file() const { return impl_->paths().smbios_file; }

void FabricSimulator::set_scenario(const std::string& name) { impl_->set_scenario(name); }
std::string FabricSimulator::scenario() const { return impl_->scenario(); }

std::vector<LoggedRequest> FabricSimulator::requests() const { return impl_->requests(); }
GpaState FabricSimulator::gpa_state() const { return impl_->gpa_state(); }
void FabricSimulator::clear_requests() { impl_->clear_requests(); }

std::vector<std::string> FabricSimulator::check_flags() const {
  return {"--wireserver",
          wireserver().to_string(),
          "--hostga",
          hostga().to_string(),
          "--imds",
          imds().to_string(),
          "--gpa",
          gpa().to_string(),
          "--gpa-key-dir",
          key_dir(),
          "--gpa-status-file",
          status_file(),
          "--gpa-unit-file",
          unit_file(),
          "--gpa-binary",
          binary(),
          "--smbios-uuid-file",
          smbios_file(),
          "--uptime-file",
          impl_->paths().uptime_file};
}

}  // namespace latchwatch::sim
