#pragma once
/// What one static binary needs to behave the same on every distribution (glibc 2.28 and newer,
/// Debian- and RPM-based). Called once at the start of `run_cli`, before any thread starts.
///
/// - Host names (webhook, Alertmanager, any HOST:PORT) resolve with the resolvers built into
///   glibc only: `files` then `dns`. A static binary must not load the host's NSS modules
///   (`myhostname`, `mdns4_minimal`, `resolve`, ...): they are built for another glibc.
/// - OpenSSL reads no openssl.cnf: Debian's static OpenSSL would look in /usr/lib/ssl, which RPM
///   distributions lack, and a config could load provider modules (shared objects) into it.
/// - The system CA bundle is found where each distribution keeps it (SSL_CERT_FILE, unless the
///   environment sets SSL_CERT_FILE or SSL_CERT_DIR already).
///
/// Never throws; a step that cannot be applied leaves the library default in place.

#include <string>
#include <vector>

namespace latchwatch::agent {

void prepare_portable_runtime();

/// The CA bundles searched, most common first (Debian/Ubuntu, RHEL/Azure Linux, SLES, ...).
const std::vector<std::string>& ca_bundle_candidates();

/// The first candidate under `root` that is a regular file, as an absolute path without `root`;
/// empty when none is.
std::string find_ca_bundle(const std::string& root = "");

}  // namespace latchwatch::agent
