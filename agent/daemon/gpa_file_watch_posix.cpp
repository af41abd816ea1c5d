#include <dirent.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "agent/daemon/gpa_file_watch.h"

namespace latchwatch::agent {
namespace {

constexpr std::size_t kMaxKeyNames = 4096;  // GPA keeps the folder small

constexpr std::uint32_t kKeyMask = IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO |
                                   IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR;
// The key folder's parent: the folder's own name appearing (mkdir, or moved into place).
constexpr std::uint32_t kParentMask =
    IN_CREATE | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR;
constexpr std::uint32_t kStatusMask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE |
                                      IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR;

bool is_key_name(const char* name) {
  static constexpr std::string_view kSuffix = ".key";
  std::string_view n(name);
  return n.size() > kSuffix.size() && n.substr(n.size() - kSuffix.size()) == kSuffix;
}

std::string parent_of(const std::string& path) {
  auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string base_of(const std::string& path) {
  auto slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

GpaFileWatch::GpaFileWatch(std::string key_dir, std::string status_file)
    : GpaFileWatch(std::move(key_dir), std::move(status_file), InotifyCalls{}) {}

GpaFileWatch::GpaFileWatch(std::string key_dir, std::string status_file, InotifyCalls calls)
    : key_dir_(std::move(key_dir)),
      status_file_(std::move(status_file)),
      status_dir_(parent_of(status_file_)),
      status_name_(base_of(status_file_)),
      calls_(std::move(calls)) {
  if (!calls_.init1) calls_.init1 = [](int flags) { return ::inotify_init1(flags); };
  if (!calls_.add_watch)
    calls_.add_watch = [](int fd, const char* path, std::uint32_t mask) {
      return ::inotify_add_watch(fd, path, mask);
    };
  fd_ = calls_.init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd_ < 0) error_ = std::string("inotify_init1: ") + std::strerror(errno);
}

GpaFileWatch::~GpaFileWatch() {
  if (fd_ >= 0) ::close(fd_);
}

GpaFileWatch::Armed GpaFileWatch::arm() {
  Armed armed;
  if (fd_ < 0) return armed;
  if (key_parent_wd_ < 0) {
    // Best effort: without it a recreated folder is re-tried at the next cycle instead.
    key_parent_wd_ = calls_.add_watch(fd_, parent_of(key_dir_).c_str(), kParentMask | IN_MASK_ADD);
  }
  if (key_wd_ < 0) {
    key_wd_ = calls_.add_watch(fd_, key_dir_.c_str(), kKeyMask | IN_MASK_ADD);
    if (key_wd_ >= 0) {
      armed.key_folder = true;
      key_error_.clear();
    } else {
      key_error_ = key_dir_ + ": " + std::strerror(errno);
    }
  }
  if (status_wd_ < 0) {
    // IN_MASK_ADD: when both live in one folder, inotify gives the same watch; keep both masks.
    status_wd_ = calls_.add_watch(fd_, status_dir_.c_str(), kStatusMask | IN_MASK_ADD);
    if (status_wd_ >= 0) {
      armed.status = true;
      status_error_.clear();
    } else {
      status_error_ = status_dir_ + ": " + std::strerror(errno);
    }
  }
  return armed;
}

std::string GpaFileWatch::unwatched_reason() const {
  if (fd_ < 0) return error_;
  std::string reason = key_wd_ < 0 ? key_error_ : "";
  if (status_wd_ < 0) reason += (reason.empty() ? "" : "; ") + status_error_;
  return reason;
}

GpaFileWatch::Events GpaFileWatch::read_events() {
  Events events;
  if (fd_ < 0) return events;
  alignas(struct inotify_event) char buffer[8192];
  const std::string key_name = base_of(key_dir_);
  bool rearm = false;  // a watched folder went, or the key folder's name appeared
  for (;;) {
    ssize_t n = ::read(fd_, buffer, sizeof buffer);
    if (n <= 0) break;  // EAGAIN: drained
    for (char* p = buffer; p < buffer + n;) {
      const auto* event = reinterpret_cast<const struct inotify_event*>(p);
      p += sizeof(struct inotify_event) + event->len;
      ++events.read;
      const char* name = event->len > 0 ? event->name : "";
      if (event->mask & IN_Q_OVERFLOW) {  // events lost: look at both again
        events.key_folder = true;
        events.status_written = true;
        rearm = true;
        continue;
      }
      const bool self_gone = event->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED);
      if (event->wd == key_wd_) {
        if (self_gone || is_key_name(name)) events.key_folder = true;
      }
      if (event->wd == key_parent_wd_ && !self_gone && key_name == name &&
          (event->mask & (IN_CREATE | IN_MOVED_TO))) {
        events.key_folder = true;  // the key folder is back: watched below, listed by the owner
        rearm = true;
      }
      if (event->wd == status_wd_) {
        if (self_gone) {
          events.status_gone = true;
        } else if (status_name_ == name) {
          if (event->mask & (IN_CLOSE_WRITE | IN_MOVED_TO)) events.status_written = true;
          if (event->mask & (IN_DELETE | IN_MOVED_FROM)) events.status_gone = true;
        }
      }
      if (self_gone && event->wd >= 0) {
        // A moved folder keeps its watch on the old inode: drop it, and watch the path again.
        if (!(event->mask & IN_IGNORED)) ::inotify_rm_watch(fd_, event->wd);
        rearm = true;
        if (event->wd == key_parent_wd_) key_parent_wd_ = -1;
        if (event->wd == key_wd_) {
          key_wd_ = -1;
          key_error_ = key_dir_ + ": folder removed or moved";
        }
        if (event->wd == status_wd_) {
          status_wd_ = -1;
          status_error_ = status_dir_ + ": folder removed or moved";
        }
      }
    }
  }
  // Only when something came or went: a watch refused for lack of room (ENOSPC) is re-tried by
  // the owner on its backoff, not at every event.
  if (rearm && (key_wd_ < 0 || status_wd_ < 0 || key_parent_wd_ < 0)) arm();
  return events;
}

KeyNames GpaFileWatch::key_names() const {
  ++listings_;
  DIR* dir = ::opendir(key_dir_.c_str());
  if (!dir) return std::nullopt;
  std::vector<std::string> names;
  while (const dirent* entry = ::readdir(dir)) {
    if (is_key_name(entry->d_name)) names.emplace_back(entry->d_name);
    if (names.size() >= kMaxKeyNames) break;
  }
  ::closedir(dir);
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace latchwatch::agent
