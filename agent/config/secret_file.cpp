#include "agent/config/secret_file.h"

namespace latchwatch::agent {
namespace {

constexpr std::size_t kSecretLimit = 4096;

}  // namespace

std::string read_secret_file(const std::string& key, const std::string& path, std::string& secret) {
  const std::string where = "config key '" + key + "': secret file " + path;
  std::string content;
  if (auto error = detail::read_guarded_secret(where, path, kSecretLimit, content); !error.empty())
    return error;
  if (content.size() > kSecretLimit) return where + " is larger than 4 KiB";
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
      {"sinks.webhook.event_grid_key_file", config.webhook.event_grid_key_file,
       config.webhook.event_grid_key},
      // A URL whose query string or userinfo is the credential (a Logic App's sig=, a SAS).
      {"sinks.alertmanager.url_file", config.alertmanager.url_file, config.alertmanager.url},
      {"sinks.webhook.url_file", config.webhook.url_file, config.webhook.url},
      {"sinks.blob.url_file", config.blob.url_file, config.blob.url},
  };
  for (auto& pair : pairs) {
    if (pair.file.empty()) continue;
    if (!pair.secret.empty())
      return std::string("config key '") + pair.key + "': set the value or its file, not both";
    if (auto error = read_secret_file(pair.key, pair.file, pair.secret); !error.empty())
      return error;
  }
  return {};
}

}  // namespace latchwatch::agent
