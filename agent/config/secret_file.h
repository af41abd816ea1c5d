#pragma once
/// Secrets kept outside the config: `sinks.alertmanager.bearer_token_file`,
/// `sinks.webhook.secret_file`, `sinks.webhook.event_grid_key_file` and the URL files
/// (`sinks.alertmanager.url_file`, `sinks.webhook.url_file`, `sinks.blob.url_file`: a URL whose
/// query string is the credential) name files read at load (and at every reload).
///
/// A secret file must be a regular file (a final symlink is not followed), owned by root or by
/// the user running latchwatch, neither readable nor writable by others and not group-writable,
/// at most 4 KiB, and hold one line of printable characters (a trailing newline is dropped):
/// the token goes into an HTTP header, so no control character may pass. Errors name the file,
/// never its content. Works with systemd credentials too: point the key at
/// /run/credentials/latchwatch.service/NAME after `LoadCredential=NAME:/path` in a drop-in.
///
/// On Windows (secret_file_windows.cpp) the file is opened without following a reparse point
/// (symlink, junction), must be a regular file of at most 4 KiB, and its DACL must grant no
/// read or write right to Everyone, Users or Authenticated Users (a NULL DACL, which grants
/// everyone everything, is refused too). Allow entries for those groups are refused even when a
/// deny entry would mask them: the check errs towards refusing.

#include <string>

#include "agent/config/config.h"

namespace latchwatch::agent {

/// A systemd credential, /run/credentials/UNIT/NAME, exists only while UNIT runs. Outside the
/// unit (CREDENTIALS_DIRECTORY unset: `config validate`, a hand-run `check`, while the daemon is
/// stopped) and when that path is missing, the credential is read from its source instead: the
/// PATH of `LoadCredential=NAME:PATH` in UNIT's file or drop-ins under `root`/etc/systemd/system,
/// /run/systemd/system, /usr/lib/systemd/system or /lib/systemd/system (later drop-ins win), or
/// /etc/credstore/NAME and /run/credstore/NAME for a bare `LoadCredential=NAME`.
/// Returns the path to read (`path` itself when it is no credential or exists), or empty with
/// `error` saying precisely what to do.
std::string credential_source(const std::string& path, const std::string& root, std::string& error);

/// Reads one secret file into `secret`; returns an error naming `key` and the path, or empty.
std::string read_secret_file(const std::string& key, const std::string& path, std::string& secret);

/// Reads every configured secret file into its secret. Setting both a secret and its file is an
/// error, as is an unreadable file. Returns the first error, or empty.
std::string read_secret_files(Config& config);

namespace detail {
/// The platform half (secret_file_{posix,windows}.cpp): opens `path` without following a final
/// link, checks the file's kind, owner/permissions and size, and reads at most `limit` + 1 bytes
/// into `content`. Returns an error starting with `where`, or empty.
std::string read_guarded_secret(const std::string& where, const std::string& path,
                                std::size_t limit, std::string& content);
}  // namespace detail

}  // namespace latchwatch::agent
