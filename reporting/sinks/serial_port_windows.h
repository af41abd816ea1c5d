#pragma once
/// Windows only (serial_sink_windows.cpp): what to say when a COM port cannot be opened because
/// another handle holds it. A port opens exclusively; on Windows Server images with EMS on
/// (`bcdedit /ems {current} on`) the Special Administration Console holds the EMS port from boot.

#include <string>

namespace latchwatch::reporting {

/// For a "COMn" device whose open failed with access denied or a sharing violation: that the EMS
/// console uses it (when the BCD store says EMS is on for that port) or that another program
/// holds it, with what to do. Empty for any other device or error code.
std::string com_port_held_message(const std::string& device, unsigned long code);

}  // namespace latchwatch::reporting
