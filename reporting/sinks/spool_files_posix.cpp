#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "reporting/sinks/spool_files.h"

namespace latchwatch::reporting {

std::vector<std::string> list_spool_folder(const std::string& dir, std::string* error) {
  std::vector<std::string> names;
  // O_NOFOLLOW: a symlink planted at STATE/spool is refused, never listed through.
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  DIR* folder = fd < 0 ? nullptr : ::fdopendir(fd);
  if (!folder) {
    if (error) *error = dir + ": " + std::strerror(errno);
    if (fd >= 0) ::close(fd);
    return names;
  }
  while (dirent* entry = ::readdir(folder)) {
    std::string name = entry->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  ::closedir(folder);
  return names;
}

bool remove_spool_file(const std::string& path) { return ::unlink(path.c_str()) == 0; }

bool rename_spool_file(const std::string& from, const std::string& to) {
  return ::rename(from.c_str(), to.c_str()) == 0;
}

}  // namespace latchwatch::reporting
