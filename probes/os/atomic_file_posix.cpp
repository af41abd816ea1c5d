#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "probes/os/atomic_file.h"

namespace latchwatch::probes {
namespace {

std::string errno_text(const std::string& what, const std::string& path) {
  return what + " " + path + ": " + std::strerror(errno);
}

std::string parent_of(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

}  // namespace

std::string refuse_symlinks(const std::string& path) {
  struct stat st {};
  if (::lstat(parent_of(path).c_str(), &st) == 0 && S_ISLNK(st.st_mode))
    return parent_of(path) + " is a symbolic link; refused";
  return {};
}

std::string write_file_atomically(const std::string& path, const std::string& content,
                                  unsigned mode, bool durable, bool refuse_linked_folder) {
  // A folder that is a link would put the file somewhere else: refused. A link planted at the
  // file itself is never followed: the temp file is created with O_EXCL and the rename replaces
  // the link, which also heals the folder.
  if (auto error = refuse_linked_folder ? refuse_symlinks(path) : std::string(); !error.empty())
    return error;
  std::string pattern = path + ".tmp-XXXXXX";
  std::vector<char> temp(pattern.begin(), pattern.end());
  temp.push_back('\0');
  int fd = ::mkostemp(temp.data(), O_CLOEXEC);
  if (fd < 0) return errno_text("cannot create a temporary file for", path);
  std::string temp_path = temp.data();
  auto fail = [&](const std::string& what) {
    std::string error = errno_text(what, path);
    ::close(fd);
    ::unlink(temp_path.c_str());
    return error;
  };
  if (::fchmod(fd, static_cast<mode_t>(mode)) != 0) return fail("cannot set the mode of");
  const char* data = content.data();
  std::size_t left = content.size();
  while (left > 0) {
    ssize_t n = ::write(fd, data, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return fail("cannot write");
    data += n;
    left -= static_cast<std::size_t>(n);
  }
  if (durable && ::fsync(fd) != 0) return fail("cannot flush");
  if (::close(fd) != 0) {
    std::string error = errno_text("cannot close", path);
    ::unlink(temp_path.c_str());
    return error;
  }
  if (::rename(temp_path.c_str(), path.c_str()) != 0) {
    std::string error = errno_text("cannot rename into", path);
    ::unlink(temp_path.c_str());
    return error;
  }
  if (!durable) return {};
  int dir = ::open(parent_of(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);  // the rename itself survives a crash only once the folder is flushed
    ::close(dir);
  }
  return {};
}

std::string ensure_directory(const std::string& path, unsigned mode) {
  if (path.empty()) return "empty folder path";
  std::string partial;
  std::size_t pos = 0;
  while (pos != std::string::npos) {
    pos = path.find('/', pos + 1);
    partial = path.substr(0, pos);
    if (partial.empty()) continue;
    if (::mkdir(partial.c_str(), static_cast<mode_t>(mode)) != 0 && errno != EEXIST)
      return errno_text("cannot create folder", partial);
  }
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return errno_text("cannot stat", path);
  if (S_ISLNK(st.st_mode)) return path + " is a symbolic link; refused";
  if (!S_ISDIR(st.st_mode)) return path + " is not a folder";
  return {};
}

std::string touch(const std::string& path) {
  if (::utimensat(AT_FDCWD, path.c_str(), nullptr, AT_SYMLINK_NOFOLLOW) != 0)
    return errno_text("cannot touch", path);
  return {};
}

}  // namespace latchwatch::probes
