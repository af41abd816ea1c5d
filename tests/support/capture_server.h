#pragma once
/// Test support (POSIX): an HTTP receiver that keeps what it was sent.

#include <unistd.h>

#include <atomic>
#include <cctype>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "tests/support/raw_server.h"

namespace latchwatch::testing {

/// A receiver (webhook, Event Grid topic, blob store, Alertmanager) on 127.0.0.1 that keeps every
/// request whole (head and body) and answers `status`, which a test may change (`answer`).
class CaptureServer {
 public:
  struct Captured {
    std::map<std::string, std::string> headers;  ///< lower-case names
    std::string body;
  };
  explicit CaptureServer(int status = 200)
      : status_(status), server_([this](int& fd) {
          std::string data;
          char buffer[8192];
          std::size_t need = std::string::npos;
          while (need == std::string::npos || data.size() < need) {
            ssize_t n = ::read(fd, buffer, sizeof buffer);
            if (n <= 0) return;
            data.append(buffer, static_cast<std::size_t>(n));
            auto end = data.find("\r\n\r\n");
            if (end == std::string::npos || need != std::string::npos) continue;
            Captured c;
            std::size_t line = data.find("\r\n") + 2;
            while (line < end) {
              auto next = data.find("\r\n", line);
              auto text = data.substr(line, next - line);
              auto colon = text.find(':');
              std::string name = text.substr(0, colon);
              for (auto& ch : name) ch = static_cast<char>(std::tolower(ch));
              c.headers[name] = text.substr(text.find_first_not_of(' ', colon + 1));
              line = next + 2;
            }
            need = end + 4 +
                   std::stoul(c.headers.count("content-length") ? c.headers["content-length"]
                                                                : std::string("0"));
            pending_ = std::move(c);
            body_at_ = end + 4;
          }
          pending_.body = data.substr(body_at_, need - body_at_);
          {
            std::lock_guard<std::mutex> lock(mutex_);
            captured_.push_back(pending_);
          }
          write_all(fd, "HTTP/1.1 " + std::to_string(status_.load()) +
                            " X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        }) {}
  std::uint16_t port() const { return server_.endpoint().port; }
  void answer(int status) { status_ = status; }
  std::vector<Captured> captured() {
    std::lock_guard<std::mutex> lock(mutex_);
    return captured_;
  }

 private:
  std::mutex mutex_;
  std::vector<Captured> captured_;
  Captured pending_;
  std::atomic<int> status_;
  std::size_t body_at_ = 0;
  RawServer server_;
};

}  // namespace latchwatch::testing
