#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>
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
  // The folder is opened once, O_NOFOLLOW when a linked folder is refused, and everything after
  // happens relative to that descriptor (openat, renameat): a link swapped in for the folder
  // after the check cannot redirect the write. A link planted at the file itself is never
  // followed: the temp file is created O_EXCL | O_NOFOLLOW and the rename replaces the link.
  const std::string folder = parent_of(path);
  const std::string name =
      path.substr(path.rfind('/') == std::string::npos ? 0 : path.rfind('/') + 1);
  int dir = ::open(folder.c_str(),
                   O_RDONLY | O_DIRECTORY | O_CLOEXEC | (refuse_linked_folder ? O_NOFOLLOW : 0));
  if (dir < 0) {
    struct stat st {};
    if (errno == ELOOP ||
        (errno == ENOTDIR && ::lstat(folder.c_str(), &st) == 0 && S_ISLNK(st.st_mode)))
      return folder + " is a symbolic link; refused";
    return errno_text("cannot open the folder of", path);
  }
  // A name of our own making (mkostemp has no *at form): 6 random letters, retried on a clash.
  std::random_device random;
  const char letters[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  std::string temp_name;
  int fd = -1;
  for (int attempt = 0; attempt < 100 && fd < 0; ++attempt) {
    temp_name = name + ".tmp-";
    for (int i = 0; i < 6; ++i) temp_name += letters[random() % (sizeof letters - 1)];
    fd = ::openat(dir, temp_name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                  0600);
    if (fd < 0 && errno != EEXIST) break;
  }
  if (fd < 0) {
    std::string error = errno_text("cannot create a temporary file for", path);
    ::close(dir);
    return error;
  }
  auto fail = [&](const std::string& what) {
    std::string error = errno_text(what, path);
    ::close(fd);
    ::unlinkat(dir, temp_name.c_str(), 0);
    ::close(dir);
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
  int closed = ::close(fd);
  fd = -1;
  if (closed != 0) {
    std::string error = errno_text("cannot close", path);
    ::unlinkat(dir, temp_name.c_str(), 0);
    ::close(dir);
    return error;
  }
  if (::renameat(dir, temp_name.c_str(), dir, name.c_str()) != 0) {
    std::string error = errno_text("cannot rename into", path);
    ::unlinkat(dir, temp_name.c_str(), 0);
    ::close(dir);
    return error;
  }
  // The rename itself survives a crash only once the folder is flushed.
  if (durable) ::fsync(dir);
  ::close(dir);
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
