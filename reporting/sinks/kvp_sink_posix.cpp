#include "reporting/sinks/kvp_sink.h"

// Linux: the pool file /var/lib/hyperv/.kvp_pool_1 (records in kvp_records.cpp).

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace latchwatch::reporting {
namespace {

std::string field(const char* data, std::size_t size) {
  std::size_t length = 0;
  while (length < size && data[length] != '\0') ++length;
  return std::string(data, length);
}

std::string record(const std::string& key, const std::string& value) {
  std::string out(kKvpRecordSize, '\0');
  out.replace(0, std::min(key.size(), kKvpKeySize - 1), key.substr(0, kKvpKeySize - 1));
  out.replace(kKvpKeySize, std::min(value.size(), kKvpValueSize - 1),
              value.substr(0, kKvpValueSize - 1));
  return out;
}

/// Every record that is not ours, byte for byte. A torn tail (not a whole record) is kept too,
/// padded to a whole record so that the records after it stay aligned.
std::string others_records(const std::string& content, std::size_t& removed) {
  std::string kept;
  std::size_t whole = content.size() - content.size() % kKvpRecordSize;
  for (std::size_t offset = 0; offset < whole; offset += kKvpRecordSize) {
    std::string key = field(content.data() + offset, kKvpKeySize);
    if (key.rfind(kKvpPrefix, 0) != 0)
      kept.append(content, offset, kKvpRecordSize);
    else
      ++removed;
  }
  if (whole < content.size()) {
    kept.append(content, whole, std::string::npos);
    kept.resize(kept.size() + kKvpRecordSize - (content.size() - whole), '\0');
  }
  return kept;
}

class LockedFile {
 public:
  LockedFile(const std::string& path, std::chrono::steady_clock::time_point deadline,
             const Clock& clock, bool create = true) {
    fd_ = ::open(path.c_str(), O_RDWR | (create ? O_CREAT : 0) | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd_ < 0) {
      error_ = errno;
      return;
    }
    if (int e = lock_pool_until(fd_, deadline, clock); e != 0) {
      errno = e;
      close_with_error();
    }
  }
  ~LockedFile() {
    if (fd_ >= 0) ::close(fd_);  // releases both locks
  }
  int fd() const { return fd_; }
  int error() const { return error_; }

 private:
  void close_with_error() {
    error_ = errno;
    ::close(fd_);
    fd_ = -1;
  }
  int fd_ = -1;
  int error_ = 0;
};

}  // namespace

/// A real pool holds a few hundred 2560-byte records; anything this large is not one.
constexpr off_t kPoolLimit = off_t{64} << 20;

bool KvpSink::pool_holds(const std::vector<std::string>& states) const {
  // Read without the lock: records are written whole, and a torn look only costs a rewrite.
  int fd = ::open(pool_file_.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return false;
  struct stat st {};
  std::string content;
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size < kPoolLimit) {
    content.resize(static_cast<std::size_t>(st.st_size));
    if (::pread(fd, content.data(), content.size(), 0) != st.st_size) content.clear();
  }
  ::close(fd);
  std::vector<std::string> found;
  for (std::size_t off = 0; off + kKvpRecordSize <= content.size(); off += kKvpRecordSize) {
    std::string key = field(content.data() + off, kKvpKeySize);
    if (key.rfind(kKvpPrefix, 0) != 0) continue;
    found.push_back(
        kvp_record_state(key, field(content.data() + off + kKvpKeySize, kKvpValueSize)));
  }
  return found == states;
}

int lock_pool_until(int fd, std::chrono::steady_clock::time_point deadline, const Clock& clock) {
  bool have_flock = false;
  for (;;) {
    if (!have_flock) {
      if (::flock(fd, LOCK_EX | LOCK_NB) == 0)
        have_flock = true;
      else if (errno != EWOULDBLOCK && errno != EINTR)
        return errno;
    }
    if (have_flock) {
      struct flock lock {};
      lock.l_type = F_WRLCK;
      lock.l_whence = SEEK_SET;
      if (::fcntl(fd, F_SETLK, &lock) == 0) return 0;
      if (errno != EACCES && errno != EAGAIN && errno != EINTR) return errno;
    }
    if (clock.steady_now() >= deadline) {
      if (have_flock) ::flock(fd, LOCK_UN);
      return EWOULDBLOCK;
    }
    // Neither lock has a timed wait: poll every 20 ms until the deadline. Other writers hold
    // the pool for a single write of a few KiB, so a free lock is seen at once.
    struct timespec pause {
      0, 20 * 1000 * 1000
    };
    ::nanosleep(&pause, nullptr);
  }
}

PublishResult KvpSink::publish(const CycleReport& report) {
  // Mirrors state: rewritten until the pool holds what is confirmed now, then left alone.
  const std::string state = kvp_state(report);
  if (state == written_ && pool_holds(kvp_state_records(report))) return {};
  LockedFile file(pool_file_, clock_->steady_now() + lock_timeout_, *clock_);
  if (file.fd() < 0) {
    if (file.error() == EWOULDBLOCK)
      return PublishResult::failure(pool_file_ + ": locked by another process for more than " +
                                    std::to_string(lock_timeout_.count()) +
                                    " ms; retried next cycle");
    return PublishResult::failure(pool_file_ + ": " + std::strerror(file.error()));
  }
  struct stat st {};
  if (::fstat(file.fd(), &st) != 0) return PublishResult::failure(pool_file_ + ": cannot stat");
  // Read whole and written back whole: bounded, as pool_holds reads it.
  if (!S_ISREG(st.st_mode) || st.st_size >= kPoolLimit)
    return PublishResult::failure(pool_file_ + ": not a regular file, or larger than " +
                                  std::to_string(kPoolLimit >> 20) + " MiB; left as it is");
  std::string content(static_cast<std::size_t>(st.st_size), '\0');
  if (!content.empty() && ::pread(file.fd(), content.data(), content.size(), 0) != st.st_size)
    return PublishResult::failure(pool_file_ + ": short read");
  std::size_t removed = 0;
  std::string kept = others_records(content, removed);
  for (const auto& [key, value] : kvp_records(report)) kept += record(key, value);
  if (::pwrite(file.fd(), kept.data(), kept.size(), 0) != static_cast<ssize_t>(kept.size()) ||
      ::ftruncate(file.fd(), static_cast<off_t>(kept.size())) != 0)
    return PublishResult::failure(pool_file_ + ": " + std::strerror(errno));
  written_ = state;
  return {};
}

std::string withdraw_kvp_records(const std::string& pool_file,
                                 std::chrono::milliseconds lock_timeout, std::size_t& removed,
                                 const Clock& clock) {
  removed = 0;
  LockedFile file(pool_file, clock.steady_now() + lock_timeout, clock, false);
  if (file.fd() < 0) {
    if (file.error() == ENOENT) return {};  // no pool: nothing was published
    if (file.error() == EWOULDBLOCK)
      return pool_file + ": locked by another process for more than " +
             std::to_string(lock_timeout.count()) + " ms; latchwatch's records are still there";
    return pool_file + ": " + std::strerror(file.error());
  }
  struct stat st {};
  if (::fstat(file.fd(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size >= kPoolLimit)
    return pool_file + ": not a regular file, or larger than " + std::to_string(kPoolLimit >> 20) +
           " MiB; left as it is";
  std::string content(static_cast<std::size_t>(st.st_size), '\0');
  if (!content.empty() && ::pread(file.fd(), content.data(), content.size(), 0) != st.st_size)
    return pool_file + ": short read";
  std::string kept = others_records(content, removed);
  if (removed == 0) return {};
  if (::pwrite(file.fd(), kept.data(), kept.size(), 0) != static_cast<ssize_t>(kept.size()) ||
      ::ftruncate(file.fd(), static_cast<off_t>(kept.size())) != 0)
    return pool_file + ": " + std::strerror(errno);
  return {};
}

}  // namespace latchwatch::reporting
