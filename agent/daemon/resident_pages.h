#pragma once
/// Gives back the read-only pages of the program and its libraries that start-up touched (config
/// parsing, OpenSSL's error strings, option tables...) so that the daemon's resident set is what
/// its cycles use, not what its first second used.
///
/// Only segments the loader mapped without write permission are released, rounded inwards to
/// whole pages: they are clean copies of the files, and the kernel maps them again from the page
/// cache, unchanged, when the code runs again. Relocated (RELRO) and writable data are never
/// touched. Safe to call from any thread at any time; a failure only leaves the pages mapped.

#include <cstddef>

namespace latchwatch::agent {

/// Returns the bytes released (0 when nothing was, or madvise is refused).
std::size_t release_startup_pages();

}  // namespace latchwatch::agent
