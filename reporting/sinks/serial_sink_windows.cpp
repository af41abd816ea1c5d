// Windows: the serial console is COM1 (Azure's serial console and boot diagnostics read it), or a
// named pipe or file the owner names. Overlapped writes with a deadline: never blocks.
#include <algorithm>
#include <cctype>

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
    why = device + ": " + win32_message(GetLastError());
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
