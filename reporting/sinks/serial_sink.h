#pragma once
/// The serial console: the one channel an owner can read from outside a VM whose key is lost
/// under WireServer Enforce (boot diagnostics, `az vm boot-diagnostics get-boot-log`). One line
/// per transition (format in reporting/report/serial_line.h), and while a key verdict keeps firing
/// a reminder line every `reminder_interval` (by the report's own time, the daemon's clock seam),
/// so the verdict stays in the part of the log an owner reads, and a new boot's log has it too.
///
/// Never blocks: the device is opened O_NONBLOCK each time; a full device (EAGAIN) or a FIFO
/// nobody reads (ENXIO) drops the line and counts it, and a dropped reminder is tried again on
/// the next cycle. Thread-safety: publish from one thread (the dispatcher's), health from any.
///
/// Windows (serial_sink_windows.cpp): the device is "COM1" (or "\\.\COMn"), a named pipe
/// "\\.\pipe\NAME" or a file; opened per line for overlapped writing, a COM port with
/// SetCommTimeouts, and the write is cancelled after `write_timeout`: a port nobody reads never
/// blocks, the line is dropped and counted. A pipe nobody serves drops the line, as a FIFO does.

#include <atomic>
#include <chrono>
#include <optional>

#include "reporting/report/serial_line.h"
#include "reporting/sinks/sink.h"

namespace latchwatch::reporting {

struct SerialSinkOptions {
  std::string device = "/dev/ttyS0";
  std::chrono::seconds reminder_interval = std::chrono::hours(6);
  std::size_t max_line = kSerialLineMax;
  /// Windows: how long one line's write may take before it is cancelled and dropped (Linux
  /// writes O_NONBLOCK and never waits).
  std::chrono::milliseconds write_timeout{1000};
  /// Only a character device is written (a file or FIFO put at the path later is refused, with
  /// the reason in the sink's health). Off only for a file or FIFO the configuration names
  /// (tests, a console capture): sink_list keeps it on when the device was a character device
  /// at start. A symbolic link at the path is never written through either way.
  bool character_device_only = true;
};

/// The line a cycle report gives for `event` (a transition, or "reminder").
SerialLine serial_line_for(const CycleReport& report, const std::string& event);

class SerialSink : public Sink {
 public:
  /// A device, file or FIFO named as is (tests, a console capture): not held to be a character
  /// device. The daemon builds its sink from options (sink_list.cpp).
  explicit SerialSink(std::string device) {
    options_.device = std::move(device);
    options_.character_device_only = false;
  }
  explicit SerialSink(SerialSinkOptions options) : options_(std::move(options)) {}
  std::string name() const override { return "serial"; }
  PublishResult publish(const CycleReport& report) override;
  nlohmann::json health() const override {
    return {{"dropped_lines", dropped_.load()}, {"lines_written", written_.load()}};
  }

 private:
  /// Writes one line; true when it reached the device.
  bool write_line(const std::string& line, PublishResult& result);

  SerialSinkOptions options_;
  std::optional<std::chrono::system_clock::time_point> last_key_line_;  ///< while firing
  std::atomic<std::uint64_t> dropped_{0};
  std::atomic<std::uint64_t> written_{0};
};

/// Whether `device` is a character device now (sink_list: pins the console's kind at start).
bool is_character_device(const std::string& device);

/// Azure's SMBIOS chassis asset tag (cloud-init's ds-identify checks the same value).
constexpr const char* kAzureChassisAssetTag = "7783-7084-3265-9085-8269-3286-77";

/// Whether the default-on serial sink should run: the device exists and is writable, and a
/// character device (a real console) is written only on an Azure VM (chassis asset tag read
/// from `asset_tag_file`). A regular file, FIFO or pseudo-terminal the owner names is always
/// used. `why` says
/// what was decided, for the start-up log.
bool serial_console_usable(const std::string& device, const std::string& asset_tag_file,
                           std::string& why);

}  // namespace latchwatch::reporting
