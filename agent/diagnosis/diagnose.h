#pragma once
/// Evidence in, report out: the decision table of the domain brief §6, as one readable function.
/// Pure: no I/O, time comes from the evidence.

#include "agent/diagnosis/evidence.h"
#include "reporting/report/report.h"

namespace latchwatch::diagnosis {

struct DiagnosisSettings {
  double status_stale_after_seconds = 300;  ///< GPA rewrites it every 60 s
  double clock_skew_threshold_seconds = 300;
  /// GPA's first poll happens seconds after boot and it retries every second for up to 5
  /// minutes: before this much uptime, "no key yet" and "GPA not answering" are normal.
  double boot_grace_seconds = 300;
};

Report diagnose(const Evidence& evidence, const DiagnosisSettings& settings = {});

/// What the identity cache should hold after this cycle (identity from IMDS; last key while
/// healthy), or
/// nothing when this cycle learnt nothing worth keeping.
std::optional<CachedIdentity> identity_to_cache(const Evidence& evidence, const Report& report);

}  // namespace latchwatch::diagnosis
