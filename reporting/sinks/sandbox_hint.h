#pragma once
/// A sink failure caused by the packaged systemd unit's sandbox says which unit setting to change.
///
/// Under systemd (INVOCATION_ID is set for every unit's processes), an error that reads as the
/// sandbox's doing gets a hint appended:
/// - "Read-only file system": ProtectSystem=strict keeps every path read-only but the unit's
///   ReadWritePaths=; a folder created after the start (node_exporter or the KVP daemon installed
///   later) stays read-only in the running unit's namespace until it restarts.
/// - "Operation not permitted" on a connection: IPAddressDeny=any drops every address the unit's
///   IPAddressAllow= does not list.
/// Anything else, or outside systemd, comes back as it was.

#include <string>

namespace latchwatch::reporting {

std::string with_sandbox_hint(const std::string& error, bool under_systemd);

/// Whether this process runs as (part of) a systemd unit.
bool under_systemd();

}  // namespace latchwatch::reporting
