// list_key_folder on Linux: the folder opened with O_NOFOLLOW, readdir, fstatat without
// following. No entry is ever opened.

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "probes/base/json_limits.h"
#include "probes/local/key_folder.h"

namespace latchwatch::probes {
namespace {

ReadState state_of(int error) {
  switch (error) {
    case ENOENT:
      return ReadState::missing;
    case EACCES:
    case EPERM:
      return ReadState::permission_denied;
    case ENOTDIR:
      return ReadState::not_a_directory;
    default:
      return ReadState::error;
  }
}

}  // namespace

KeyFolderListing list_key_folder(const std::string& path) {
  KeyFolderListing listing;
  listing.path = path;
  // O_NOFOLLOW: a symlink planted in place of the folder is not followed elsewhere. The folder
  // fd then feeds fdopendir (opendir without following) and fstatat on each entry.
  int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    const int error = errno;
    struct stat st {};
    // Linux reports a symlink opened with O_DIRECTORY | O_NOFOLLOW as ENOTDIR (or ELOOP).
    const bool is_link = ::lstat(path.c_str(), &st) == 0 && S_ISLNK(st.st_mode);
    if (is_link && (error == ELOOP || error == ENOTDIR)) {
      listing.state = ReadState::not_a_directory;
      listing.error = path + ": is a symbolic link; not followed";
    } else {
      listing.state = state_of(error);
      listing.error = path + ": " + std::strerror(error);
    }
    return listing;
  }
  DIR* dir = ::fdopendir(fd);
  if (!dir) {
    const int error = errno;
    listing.state = state_of(error);
    listing.error = path + ": " + std::strerror(error);
    ::close(fd);
    return listing;
  }
  while (dirent* entry = ::readdir(dir)) {
    std::string name = entry->d_name;
    if (name == "." || name == "..") continue;
    struct stat st {};
    // lstat-like on the folder's fd: names, sizes and times only; never open an entry. An
    // entry removed between readdir and fstatat is skipped (GPA rewrites its files atomically).
    if (::fstatat(::dirfd(dir), entry->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (!detail::add_key_folder_entry(listing, name, S_ISREG(st.st_mode), S_ISLNK(st.st_mode),
                                      static_cast<std::uint64_t>(st.st_size),
                                      time_from_unix_seconds(st.st_mtim.tv_sec)))
      break;
  }
  ::closedir(dir);
  detail::finish_key_folder_listing(listing);
  return listing;
}

}  // namespace latchwatch::probes
