// Windows: the serial console is COM1 (Azure's serial console and boot diagnostics read it), or a
// named pipe or file the owner names. Overlapped writes with a deadline: never blocks.
#include <algorithm>
#include <cctype>
#include <optional>
#include <vector>

#include "reporting/sinks/serial_port_windows.h"
#include "reporting/sinks/serial_sink.h"
#include "reporting/sinks/wide_text_windows.h"

namespace latchwatch::reporting {
namespace {

std::string upper(std::string text) {
  for (auto& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

/// "COM1" -> "\\.\COM1" (COM10 and up need the device namespace; it works for all).
std::wstring device_path(const std::string& device) {
  std::string name = upper(device);
  if (name.size() > 3 && name.compare(0, 3, "COM") == 0 &&
      name.find_first_not_of("0123456789", 3) == std::string::npos)
    return widen("\\\\.\\" + device);
  return widen(device);
}

bool is_pipe(const std::string& device) {
  std::string name = upper(device);
  for (auto& c : name)
    if (c == '/') c = '\\';
  return name.compare(0, 9, "\\\\.\\PIPE\\") == 0;
}

bool is_com(const std::string& device) {
  std::string name = upper(device);
  if (name.compare(0, 4, "\\\\.\\") == 0) name = name.substr(4);
  return name.size() > 3 && name.compare(0, 3, "COM") == 0 &&
         name.find_first_not_of("0123456789", 3) == std::string::npos;
}

/// EMS (Emergency Management Services, whose Special Administration Console runs on the serial
/// port) as the boot configuration says, read from the BCD store Windows keeps loaded at
/// HKLM\BCD00000000 (read access needs an administrator or LocalSystem, which the service is).
/// Element ids as the BCD element types define them (BcdBootMgrObject_DefaultObject 0x23000003,
/// BcdOSLoaderBoolean_EmsEnabled 0x260000B0, BcdLibraryInteger_EmsPort 0x15000022 in the
/// {emssettings} object): `bcdedit /ems {current} on` and `bcdedit /emssettings EMSPORT:1`.
struct EmsSettings {
  bool readable = false;  ///< the store could be read
  bool on = false;        ///< EMS on for the boot manager's default entry
  int port = 0;           ///< EMSPORT (1 = COM1); 0 when not set
};

constexpr const wchar_t* kBcdObjects = L"BCD00000000\\Objects\\";
constexpr const wchar_t* kBootMgr = L"{9dea862c-5cdd-4e70-acc1-f32b344d4795}";
constexpr const wchar_t* kEmsSettings = L"{0ce4991b-e6b3-4b16-b23c-5e0d9250e5d9}";

/// One element's "Element" value, as raw bytes (REG_SZ included); nullopt when absent.
std::optional<std::vector<unsigned char>> bcd_element(const std::wstring& object,
                                                      const wchar_t* element) {
  const std::wstring key = std::wstring(kBcdObjects) + object + L"\\Elements\\" + element;
  std::vector<unsigned char> data(256);
  DWORD size = static_cast<DWORD>(data.size());
  if (RegGetValueW(HKEY_LOCAL_MACHINE, key.c_str(), L"Element",
                   RRF_RT_REG_BINARY | RRF_RT_REG_SZ | RRF_NOEXPAND, nullptr, data.data(),
                   &size) != ERROR_SUCCESS)
    return std::nullopt;
  data.resize(size);
  return data;
}

EmsSettings read_ems_settings() {
  EmsSettings ems;
  auto default_entry = bcd_element(kBootMgr, L"23000003");
  if (!default_entry || default_entry->size() < 2 * sizeof(wchar_t)) return ems;
  ems.readable = true;
  std::wstring guid(reinterpret_cast<const wchar_t*>(default_entry->data()),
                    default_entry->size() / sizeof(wchar_t));
  while (!guid.empty() && guid.back() == L'\0') guid.pop_back();
  if (auto enabled = bcd_element(guid, L"260000b0"); enabled && !enabled->empty())
    ems.on = (*enabled)[0] != 0;
  if (auto port = bcd_element(kEmsSettings, L"15000022"); port && port->size() >= 1)
    ems.port = (*port)[0];
  return ems;
}

/// The port number of "COM1" / "\\.\COM1"; 0 for anything else.
int com_number(const std::string& device) {
  std::string name = upper(device);
  if (name.compare(0, 4, "\\\\.\\") == 0) name = name.substr(4);
  if (name.size() <= 3 || name.compare(0, 3, "COM") != 0 ||
      name.find_first_not_of("0123456789", 3) != std::string::npos || name.size() > 6)
    return 0;
  return std::stoi(name.substr(3));
}

/// A COM port that another handle holds (a port opens exclusively: the open fails with access
/// denied, or a sharing violation): on Windows Server images with EMS on, that is the Special
/// Administration Console, which owns the EMS port from boot. What to tell the owner; empty when
/// `code` is not that.
}  // namespace

std::string com_port_held_message(const std::string& device, unsigned long code) {
  const int port = com_number(device);
  if (port == 0 || (code != ERROR_ACCESS_DENIED && code != ERROR_SHARING_VIOLATION)) return {};
  const EmsSettings ems = read_ems_settings();
  const std::string tail =
      ": latchwatch cannot write its lines there (" + win32_message(code) +
      "). The verdict still reaches the KVP pool and the other sinks; to give the port to "
      "latchwatch, turn EMS off (bcdedit /ems {current} off, then restart) or set "
      "sinks.serial.device to another port";
  if (ems.on && (ems.port == 0 || ems.port == port))
    return device +
           " is used by the EMS console (Emergency Management Services / Special "
           "Administration Console: bcdedit /ems is on for the default boot entry)" +
           tail;
  return device +
         " is held by another program (the EMS console when bcdedit /ems is on for this "
         "boot entry; " +
         std::string(ems.readable ? "the boot configuration says EMS is not on for this port"
                                  : "the boot configuration could not be read") +
         ")" + tail;
}

namespace {

struct Handle {
  HANDLE h = INVALID_HANDLE_VALUE;
  ~Handle() {
    if (h != INVALID_HANDLE_VALUE) CloseHandle(h);
  }
};

}  // namespace

bool SerialSink::write_line(const std::string& line, PublishResult& result) {
  const std::string bytes = line + "\r\n";
  Handle file;
  // FILE_FLAG_OPEN_REPARSE_POINT: a link or junction planted at a file path is opened itself,
  // then refused below, never written through (ignored for COM ports and pipes).
  file.h = CreateFileW(device_path(options_.device).c_str(), GENERIC_WRITE,
                       FILE_SHARE_READ | FILE_SHARE_WRITE, nullptr, OPEN_EXISTING,
                       FILE_FLAG_OVERLAPPED | FILE_FLAG_OPEN_REPARSE_POINT, nullptr);
  if (file.h == INVALID_HANDLE_VALUE) {
    DWORD code = GetLastError();
    // A pipe nobody serves (or every instance busy): nobody is listening, drop it.
    if (is_pipe(options_.device) && (code == ERROR_FILE_NOT_FOUND || code == ERROR_PIPE_BUSY)) {
      ++dropped_;
      return false;
    }
    // A port the EMS console (or another program) holds: said as such, in the log and in the
    // sink's health (the dispatcher keeps the error), not as a bare "access denied".
    if (auto held = com_port_held_message(options_.device, code); !held.empty()) {
      ++dropped_;
      result = PublishResult::failure(held);
      return false;
    }
    result = PublishResult::failure(options_.device + ": " + win32_message(code));
    return false;
  }
  const DWORD kind = GetFileType(file.h);
  BY_HANDLE_FILE_INFORMATION info{};
  if (kind == FILE_TYPE_DISK && GetFileInformationByHandle(file.h, &info) &&
      (info.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT) != 0) {
    result = PublishResult::failure(options_.device +
                                    ": is a reparse point (link or junction); not written through");
    return false;
  }
  if (options_.character_device_only && kind != FILE_TYPE_CHAR) {
    result = PublishResult::failure(options_.device +
                                    ": not a character device (something else was put in its "
                                    "place); not written");
    return false;
  }
  const DWORD deadline_ms = static_cast<DWORD>(
      std::max<long long>(1, std::min<long long>(options_.write_timeout.count(), 0x7FFFFFFF)));
  if (kind == FILE_TYPE_CHAR) {
    // A port nobody reads (flow control holding it) gives up after the deadline.
    COMMTIMEOUTS timeouts{};
    timeouts.WriteTotalTimeoutConstant = deadline_ms;
    SetCommTimeouts(file.h, &timeouts);  // not every character device is a port: best effort
  }
  OVERLAPPED overlapped{};
  if (kind == FILE_TYPE_DISK) overlapped.Offset = overlapped.OffsetHigh = 0xFFFFFFFF;  // append
  overlapped.hEvent = CreateEventW(nullptr, TRUE, FALSE, nullptr);
  if (!overlapped.hEvent) {
    result = PublishResult::failure(options_.device + ": " + win32_message(GetLastError()));
    return false;
  }
  // One WriteFile for the whole line, so other console output cannot land inside it.
  DWORD written = 0;
  bool done =
      WriteFile(file.h, bytes.data(), static_cast<DWORD>(bytes.size()), nullptr, &overlapped) != 0;
  DWORD code = done ? ERROR_SUCCESS : GetLastError();
  bool timed_out = false;
  if (!done && code == ERROR_IO_PENDING) {
    if (WaitForSingleObject(overlapped.hEvent, deadline_ms) == WAIT_TIMEOUT) {
      CancelIoEx(file.h, &overlapped);
      timed_out = true;
    }
    done = GetOverlappedResult(file.h, &overlapped, &written, TRUE) != 0;
    code = done ? ERROR_SUCCESS : GetLastError();
  } else if (done) {
    GetOverlappedResult(file.h, &overlapped, &written, TRUE);
  }
  CloseHandle(overlapped.hEvent);
  if (written == bytes.size()) {
    ++written_;
    return true;
  }
  if (timed_out || code == ERROR_OPERATION_ABORTED || code == ERROR_NO_DATA ||
      code == ERROR_PIPE_NOT_CONNECTED ||
      (done && written < bytes.size() && kind == FILE_TYPE_CHAR)) {
    ++dropped_;  // nobody read it in time, or the reader went away
    return false;
  }
  result = PublishResult::failure(options_.device + ": " +
                                  (done ? std::string("short write") : win32_message(code)));
  return false;
}

bool is_character_device(const std::string& device) {
  if (is_pipe(device)) return false;
  HANDLE h = CreateFileW(device_path(device).c_str(), GENERIC_WRITE,
                         FILE_SHARE_READ | FILE_SHARE_WRITE, nullptr, OPEN_EXISTING,
                         FILE_FLAG_OVERLAPPED | FILE_FLAG_OPEN_REPARSE_POINT, nullptr);
  if (h == INVALID_HANDLE_VALUE) return is_com(device);
  const bool chr = GetFileType(h) == FILE_TYPE_CHAR;
  CloseHandle(h);
  return chr;
}

bool serial_console_usable(const std::string& device, const std::string&, std::string& why) {
  if (is_pipe(device)) {
    why = device +
          ": a named pipe named in the configuration (lines are dropped while nobody "
          "serves it)";
    return true;
  }
  HANDLE h =
      CreateFileW(device_path(device).c_str(), GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE,
                  nullptr, OPEN_EXISTING, FILE_FLAG_OVERLAPPED, nullptr);
  if (h == INVALID_HANDLE_VALUE) {
    const DWORD code = GetLastError();
    // Held by the EMS console: the sink stays on so that its health (and the start-up warning)
    // says why nothing reaches the console; a line is tried again at each transition.
    if (auto held = com_port_held_message(device, code); !held.empty()) {
      why = held;
      return true;
    }
    why = device + ": " + win32_message(code);
    return false;
  }
  const DWORD kind = GetFileType(h);
  CloseHandle(h);
  if (is_com(device) || kind == FILE_TYPE_CHAR) {
    why = device + ": a serial port (on Azure, the serial console and boot diagnostics)";
    return true;
  }
  why = device + ": a file named in the configuration";
  return true;
}

}  // namespace latchwatch::reporting
