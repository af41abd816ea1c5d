#include <nss.h>
#include <openssl/crypto.h>
#include <sys/stat.h>

#include <cstdlib>

#include "agent/cli/portable_runtime.h"

namespace latchwatch::agent {

const std::vector<std::string>& ca_bundle_candidates() {
  // The list Go's crypto/x509 searches (root_linux.go), which covers every distribution Azure
  // endorses: Debian/Ubuntu, RHEL/Fedora/Azure Linux, openSUSE/SLES, older RHEL layouts.
  static const std::vector<std::string> candidates = {
      "/etc/ssl/certs/ca-certificates.crt",
      "/etc/pki/tls/certs/ca-bundle.crt",
      "/etc/ssl/ca-bundle.pem",
      "/etc/pki/tls/cacert.pem",
      "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
      "/etc/ssl/cert.pem",
  };
  return candidates;
}

std::string find_ca_bundle(const std::string& root) {
  for (const auto& candidate : ca_bundle_candidates()) {
    struct stat info {};
    if (::stat((root + candidate).c_str(), &info) == 0 && S_ISREG(info.st_mode)) return candidate;
  }
  return {};
}

void prepare_portable_runtime() {
  // glibc 2.34+ has `files` and `dns` built in; any other service named in nsswitch.conf would be
  // dlopen()ed, which a static binary must not do.
  ::__nss_configure_lookup("hosts", "files dns");
  ::OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG, nullptr);
  if (!std::getenv("SSL_CERT_FILE") && !std::getenv("SSL_CERT_DIR")) {
    auto bundle = find_ca_bundle();
    if (!bundle.empty()) ::setenv("SSL_CERT_FILE", bundle.c_str(), 0);
  }
}

}  // namespace latchwatch::agent
