#pragma once
/// The owner's key reset (domain brief §7), as text and a request to run from outside the VM.

#include <cstdint>
#include <optional>
#include <string>

#include "agent/diagnosis/report.h"

namespace latchwatch::diagnosis {

constexpr const char* kArmApiVersion = "2024-03-01";

/// Builds the remedy for `identity` (resource may be unknown) and the largest incarnation seen.
Remedy build_remedy(const Identity& identity, std::optional<std::int64_t> largest_incarnation,
                    bool planned);

/// The instance resource id from IMDS compute fields when resourceId itself is absent.
std::string derive_resource_id(const std::string& subscription_id, const std::string& group,
                               const std::string& name, const std::string& scale_set);

}  // namespace latchwatch::diagnosis
