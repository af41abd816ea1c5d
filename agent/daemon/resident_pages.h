#pragma once
/// Gives back the read-only pages of the program and its libraries that start-up touched (config
/// parsing, OpenSSL's error strings, option tables...) so that the daemon's resident set is what
/// its cycles use, not what its first second used.
///
/// Only segments the loader mapped without write permission are released, rounded inwards to
/// whole pages: they are clean copies of the files, and the kernel maps them again from the page
/// cache, unchanged, when the code runs again. Relocated (RELRO) and writable data are never
/// touched. Safe to call from any thread at any time; a failure only leaves the pages mapped.
/// On Windows the same sections (PE sections without write permission, of every loaded module)
/// leave the working set through VirtualUnlock on unlocked pages, which the documentation names
/// as the way to remove pages from it; they come back from the image file when used.

#include <cstddef>

namespace latchwatch::agent {

/// Returns the bytes released (0 when nothing was, or madvise is refused).
std::size_t release_startup_pages();

/// The process's memory as the system counts it, in bytes (0 when it cannot be read).
struct ProcessMemory {
  std::size_t resident = 0;       ///< Linux VmRSS; Windows WorkingSetSize
  std::size_t private_bytes = 0;  ///< anonymous/private: Linux RssAnon; Windows PrivateUsage
};
ProcessMemory process_memory();

}  // namespace latchwatch::agent
