#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>

#include "reporting/sinks/serial_sink.h"

namespace latchwatch::reporting {

bool SerialSink::write_line(const std::string& line, PublishResult& result) {
  std::string bytes = line + "\r\n";
  // O_NOFOLLOW: a link planted at the device's path is never written through (root would
  // append to whatever file it names).
  int fd = ::open(options_.device.c_str(),
                  O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC | O_APPEND | O_NOFOLLOW);
  if (fd < 0) {
    if (errno == ENXIO) {  // a FIFO with no reader: nobody is listening, drop it
      ++dropped_;
      return false;
    }
    result = PublishResult::failure(options_.device + ": " +
                                    (errno == ELOOP
                                         ? std::string("is a symbolic link; not written through")
                                         : std::string(std::strerror(errno))));
    return false;
  }
  // The console is a character device; a file or FIFO put in its place is not written (from
  // the open descriptor: no window between the check and the write).
  struct stat st {};
  if (options_.character_device_only && (::fstat(fd, &st) != 0 || !S_ISCHR(st.st_mode))) {
    ::close(fd);
    result = PublishResult::failure(options_.device +
                                    ": not a character device (something else was put in its "
                                    "place); not written");
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

bool is_character_device(const std::string& device) {
  struct stat st {};
  return ::lstat(device.c_str(), &st) == 0 && S_ISCHR(st.st_mode);
}

bool serial_console_usable(const std::string& device, const std::string& asset_tag_file,
                           std::string& why) {
  struct stat st {};
  if (::lstat(device.c_str(), &st) == 0 && S_ISLNK(st.st_mode)) {
    why = device +
          ": a symbolic link; latchwatch never writes through one (name the device "
          "itself)";
    return false;
  }
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
