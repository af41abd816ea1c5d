#include "agent/config/secret_file.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <vector>

namespace latchwatch::agent {
namespace {

constexpr std::size_t kSecretLimit = 4096;
constexpr const char* kCredentialRoot = "/run/credentials/";

bool exists(const std::string& path) {
  std::error_code ec;
  return std::filesystem::exists(std::filesystem::symlink_status(path, ec));
}

/// The unit file and its drop-ins, in the order systemd applies them (the last setting wins).
std::vector<std::string> unit_files(const std::string& root, const std::string& unit) {
  namespace fs = std::filesystem;
  static const char* const dirs[] = {"/lib/systemd/system", "/usr/lib/systemd/system",
                                     "/run/systemd/system", "/etc/systemd/system"};
  std::vector<std::string> files;
  for (const char* dir : dirs) {
    const std::string base = root + dir + "/" + unit;
    if (exists(base)) files.push_back(base);
  }
  for (const char* dir : dirs) {
    std::error_code ec;
    std::vector<std::string> drop_ins;
    for (fs::directory_iterator it(root + dir + "/" + unit + ".d", ec), end; !ec && it != end;
         it.increment(ec))
      if (it->path().extension() == ".conf") drop_ins.push_back(it->path().string());
    std::sort(drop_ins.begin(), drop_ins.end());
    files.insert(files.end(), drop_ins.begin(), drop_ins.end());
  }
  return files;
}

}  // namespace

std::string credential_source(const std::string& path, const std::string& root,
                              std::string& error) {
  error.clear();
  if (path.rfind(kCredentialRoot, 0) != 0 || exists(path)) return path;
  const char* in_unit = std::getenv("CREDENTIALS_DIRECTORY");
  if (in_unit && *in_unit) return path;  // inside the unit: the missing file is the error
  const std::string rest = path.substr(std::string(kCredentialRoot).size());
  const auto slash = rest.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 >= rest.size()) return path;
  const std::string unit = rest.substr(0, slash), name = rest.substr(slash + 1);
  std::string source, encrypted;
  for (const auto& file : unit_files(root, unit)) {
    std::ifstream in(file);
    for (std::string line; std::getline(in, line);) {
      line.erase(0, line.find_first_not_of(" \t"));
      for (const char* setting : {"LoadCredential=", "LoadCredentialEncrypted="}) {
        const std::string prefix = setting;
        if (line.rfind(prefix, 0) != 0) continue;
        std::string value = line.substr(prefix.size());
        value.erase(value.find_last_not_of(" \t\r") + 1);
        const auto colon = value.find(':');
        if (value.substr(0, colon) != name) continue;
        std::string from = colon == std::string::npos ? "" : value.substr(colon + 1);
        if (prefix == "LoadCredentialEncrypted=") {
          encrypted = file;
          source.clear();
        } else {
          encrypted.clear();
          source = from;
          if (source.empty())  // a bare NAME: the credential stores
            for (const char* store : {"/etc/credstore/", "/run/credstore/"})
              if (exists(root + store + name)) {
                source = std::string(store) + name;
                break;
              }
        }
      }
    }
  }
  if (!encrypted.empty()) {
    error = path + " is an encrypted systemd credential (LoadCredentialEncrypted= in " + encrypted +
            "); it exists only while " + unit +
            " runs, so this command cannot read it: run it inside the unit's credentials, e.g. "
            "`systemd-run -P --wait -p LoadCredentialEncrypted=" +
            name + ":... latchwatch ...`";
    return {};
  }
  if (!source.empty() && source.front() == '/') return root + source;
  error = path + " is a systemd credential that exists only while " + unit +
          " runs, and no 'LoadCredential=" + name + ":PATH' was found in " + unit +
          " or its drop-ins (/etc/systemd/system/" + unit +
          ".d/*.conf): add it there (`systemctl edit " + unit.substr(0, unit.rfind(".service")) +
          "`), or point the key at the file itself";
  return {};
}

std::string read_secret_file(const std::string& key, const std::string& path, std::string& secret) {
  std::string credential_error;
  const std::string source = credential_source(path, "", credential_error);
  if (source.empty()) return "config key '" + key + "': " + credential_error;
  const std::string where = "config key '" + key + "': secret file " + path +
                            (source == path ? "" : " (read from its source " + source + ")");
  std::string content;
  if (auto error = detail::read_guarded_secret(where, source, kSecretLimit, content);
      !error.empty())
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
