#include "agent/secret_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace latchwatch::agent {
namespace {

constexpr std::size_t kSecretLimit = 4096;

std::string octal_mode(mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
  return text;
}

}  // namespace

std::string read_secret_file(const std::string& key, const std::string& path, std::string& secret) {
  const std::string where = "config key '" + key + "': secret file " + path;
  int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return where + " cannot be opened: " + std::strerror(errno);
  struct stat info {};
  std::string error;
  if (::fstat(fd, &info) != 0) {
    error = where + " cannot be examined: " + std::strerror(errno);
  } else if (!S_ISREG(info.st_mode)) {
    error = where + " is not a regular file";
  } else if (info.st_uid != 0 && info.st_uid != ::geteuid()) {
    error = where + " must be owned by root (owner uid " + std::to_string(info.st_uid) + ")";
  } else if (info.st_mode & (S_IRWXO | S_IWGRP)) {
    error = where + " has mode " + octal_mode(info.st_mode) +
            ": others must not read or write it, nor its group write it (chmod 0600 " + path + ")";
  } else if (static_cast<std::size_t>(info.st_size) > kSecretLimit) {
    error = where + " is larger than 4 KiB";
  }
  std::string content;
  if (error.empty()) {
    content.resize(kSecretLimit + 1);
    std::size_t used = 0;
    while (used < content.size()) {
      ssize_t n = ::read(fd, &content[used], content.size() - used);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        error = where + " cannot be read: " + std::strerror(errno);
        break;
      }
      if (n == 0) break;
      used += static_cast<std::size_t>(n);
    }
    content.resize(used);
    if (error.empty() && used > kSecretLimit) error = where + " is larger than 4 KiB";
  }
  ::close(fd);
  if (!error.empty()) return error;
  if (!content.empty() && content.back() == '\n') content.pop_back();
  if (!content.empty() && content.back() == '\r') content.pop_back();
  if (content.empty()) return where + " is empty";
  for (unsigned char c : content)
    if (c < 0x20 || c == 0x7f)
      return where + " must hold one line of printable characters (it goes into an HTTP header)";
  secret = std::move(content);
  return {};
}

std::string read_secret_files(Config& config) {
  struct Pair {
    const char* key;
    const std::string& file;
    std::string& secret;
  };
  Pair pairs[] = {
      {"sinks.alertmanager.bearer_token_file", config.alertmanager.bearer_token_file,
       config.alertmanager.bearer_token},
      {"sinks.webhook.secret_file", config.webhook.secret_file, config.webhook.secret},
  };
  for (auto& pair : pairs) {
    if (pair.file.empty()) continue;
    if (!pair.secret.empty())
      return std::string("config key '") + pair.key +
             "': set the secret or its file, not both";
    if (auto error = read_secret_file(pair.key, pair.file, pair.secret); !error.empty())
      return error;
  }
  return {};
}

}  // namespace latchwatch::agent
