#pragma once
/// Everything latchwatch reads in one cycle, as plain values. Collecting does the I/O (probes,
/// listing, files); diagnosing is a pure function of this struct.

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "agent/diagnosis/identity_cache.h"
#include "probes/fabric/probe_cycle.h"
#include "probes/local/gpa_presence.h"
#include "probes/local/host_facts.h"
#include "probes/local/key_folder.h"
#include "probes/os/bounded_file.h"
#include "probes/payloads/gpa_status_file.h"

namespace latchwatch::diagnosis {

struct EvidenceSources {
  probes::ProbeCycleOptions probes;
  std::string key_dir = "/var/lib/azure-proxy-agent/keys";
  std::string status_file = "/var/log/azure-proxy-agent/status.json";
  probes::GpaPresencePaths presence;
  std::string smbios_uuid_file = "/sys/class/dmi/id/product_uuid";
  std::string uptime_file = "/proc/uptime";  ///< first number: seconds since boot
  probes::HostFactsPaths host_facts;
  std::string state_dir = "/var/lib/latchwatch";  ///< empty: no identity cache
};

struct StatusFileEvidence {
  probes::ReadState state = probes::ReadState::missing;
  std::string error;
  std::optional<probes::GpaStatusFile> content;
  double age_seconds = 0;  ///< now minus its own timestamp (or mtime); negative when ahead
  /// Every read saw a file cut short (looks_torn): GPA ≤ 1.0.23 was rewriting it in place.
  /// Not evidence of anything but a GPA that is writing; state is then `malformed`.
  bool torn = false;
  int reads = 0;  ///< how many reads it took (more than 1: a torn read was retried)
};

/// How many times a status file that reads torn is read again at most, in a row.
constexpr int kStatusFileReads = 4;

/// Reads status.json through `read` (read_bounded_file in production) up to kStatusFileReads
/// times while what it sees looks torn; parses the first whole read. A file that stays torn is
/// reported torn, not malformed-by-GPA.
StatusFileEvidence read_status_evidence(const std::function<probes::FileRead()>& read,
                                        const std::string& path,
                                        std::chrono::system_clock::time_point now);

struct Evidence {
  std::chrono::system_clock::time_point now{};
  probes::ProbeCycle cycle;
  probes::KeyFolderListing keys;
  StatusFileEvidence status_file;
  probes::GpaPresence presence;
  std::string smbios_uuid;  ///< empty when unreadable
  std::string smbios_error;
  /// Seconds since boot (CLOCK_BOOTTIME, from the uptime file); empty when unreadable.
  std::optional<double> uptime_seconds;
  std::string uptime_error;
  bool running_as_root = true;
  CacheLoad cache;         ///< the identity cache as it was before this cycle
  probes::HostFacts host;  ///< names the machine without IMDS
  /// GPA's era as read before probing (status.json's version, or the aggregate status when
  /// the file gave none): it decided which GPA-facing requests were sent.
  probes::GpaEra gpa_era;
};

/// Reads the local sources first, then runs the probe cycle with GPA's era (docs/gpa-eras.md):
/// GET /provision goes only to a GPA known to be 1.0.26 or later. When the file gave no version
/// and the cycle's aggregate status names a version ≥ 1.0.26, /provision is asked afterwards. Never
/// throws for a source that cannot be read: its state and error land in the evidence.
Evidence collect_evidence(const EvidenceSources& sources,
                          std::chrono::system_clock::time_point now);

}  // namespace latchwatch::diagnosis
