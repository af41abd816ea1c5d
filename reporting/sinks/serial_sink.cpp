#include "reporting/sinks/serial_sink.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>

namespace latchwatch::reporting {

SerialLine serial_line_for(const CycleReport& cycle, const std::string& event) {
  const auto& r = cycle.report;
  SerialLine line;
  line.event = event;
  line.verdict = diagnosis::to_string(r.verdict.code);
  line.generated_at = r.generated_at;
  // The same "largest keyIncarnationId seen" a plan reads from a JSON report.
  auto take = [&](const std::optional<std::int64_t>& n) {
    if (n && *n >= 0 && (!line.incarnation || *n > *line.incarnation)) line.incarnation = n;
  };
  if (r.remedy) take(r.remedy->current_incarnation);
  if (r.resolved) {
    take(r.resolved->new_incarnation);
    take(r.resolved->old_incarnation);
  }
  if (r.remedy) line.next_incarnation = r.remedy->next_incarnation;
  line.vm_id = r.identity.vm_id;
  line.smbios_uuid = r.identity.smbios_uuid;
  line.source = r.identity.moved_to_other_vm ? "moved" : r.identity.source;
  line.source_age_seconds = r.identity.age_seconds;
  line.resource_id = r.identity.resource_id;
  if (!cycle.host.empty() && cycle.host != r.identity.name) line.host = cycle.host;
  return line;
}

bool SerialSink::write_line(const std::string& line, PublishResult& result) {
  std::string bytes = line + "\r\n";
  int fd = ::open(options_.device.c_str(), O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC | O_APPEND);
  if (fd < 0) {
    if (errno == ENXIO) {  // a FIFO with no reader: nobody is listening, drop it
      ++dropped_;
      return false;
    }
    result = PublishResult::failure(options_.device + ": " + std::strerror(errno));
    return false;
  }
  // One write(2) for the whole line, so other console output cannot land inside it.
  ssize_t n = ::write(fd, bytes.data(), bytes.size());
  int saved = errno;
  ::close(fd);
  if (n < 0 && (saved == EAGAIN || saved == EWOULDBLOCK)) {
    ++dropped_;
    return false;
  }
  if (n != static_cast<ssize_t>(bytes.size())) {
    result = PublishResult::failure(options_.device + ": " + std::strerror(n < 0 ? saved : EIO));
    return false;
  }
  ++written_;
  return true;
}

PublishResult SerialSink::publish(const CycleReport& report) {
  const auto now = report.finished;
  const bool firing = !report.pending && report.key_alert_firing() &&
                      report.report.verdict.code == report.confirmed;
  std::string event;
  if (report.transition != Transition::unchanged) {
    event = to_string(report.transition);
  } else if (firing) {
    // A wall clock that went back (a resumed VM) makes the reminder due rather than silent.
    bool due = !last_key_line_ || now < *last_key_line_ ||
               now - *last_key_line_ >= options_.reminder_interval;
    if (!due) return {};
    event = "reminder";
  } else {
    return {};
  }
  PublishResult result;
  bool written =
      write_line(format_serial_line(serial_line_for(report, event), options_.max_line), result);
  if (!firing)
    last_key_line_.reset();
  else if (written)
    last_key_line_ = now;  // a dropped line leaves the reminder due: tried again next cycle
  return result;
}

bool serial_console_usable(const std::string& device, const std::string& asset_tag_file,
                           std::string& why) {
  struct stat st {};
  if (::stat(device.c_str(), &st) != 0) {
    why = device + ": " + std::strerror(errno);
    return false;
  }
  if (::access(device.c_str(), W_OK) != 0) {
    why = device + ": not writable (" + std::strerror(errno) + ")";
    return false;
  }
  if (!S_ISCHR(st.st_mode)) {
    why = device + ": a file or FIFO named in the configuration";
    return true;
  }
  // Unix98 pseudo-terminal slaves (majors 136-143, Documentation/admin-guide/devices.txt): a
  // terminal someone opened to read, never the machine's console.
  if (major(st.st_rdev) >= 136 && major(st.st_rdev) <= 143) {
    why = device + ": a pseudo-terminal named in the configuration";
    return true;
  }
  std::ifstream in(asset_tag_file);
  std::string tag;
  std::getline(in, tag);
  tag.erase(std::find_if(tag.rbegin(), tag.rend(), [](unsigned char c) { return !std::isspace(c); })
                .base(),
            tag.end());
  if (tag != kAzureChassisAssetTag) {
    why =
        device + ": not an Azure VM (SMBIOS chassis asset tag is not Azure's), console left alone";
    return false;
  }
  why = device + ": the Azure serial console (boot diagnostics)";
  return true;
}

}  // namespace latchwatch::reporting
