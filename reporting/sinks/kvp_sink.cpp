#include "reporting/sinks/kvp_sink.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
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

/// Cuts `text` into pieces of at most `size` bytes without splitting a UTF-8 character.
std::vector<std::string> split_utf8(const std::string& text, std::size_t size) {
  std::vector<std::string> pieces;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = std::min(start + size, text.size());
    while (end < text.size() && end > start && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80)
      --end;
    pieces.push_back(text.substr(start, end - start));
    start = end;
  }
  return pieces;
}

class LockedFile {
 public:
  explicit LockedFile(const std::string& path) {
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd_ < 0) return;
    struct flock lock {};
    lock.l_type = F_WRLCK;
    lock.l_whence = SEEK_SET;
    if (::flock(fd_, LOCK_EX) != 0 || ::fcntl(fd_, F_SETLKW, &lock) != 0) close_with_error();
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

std::vector<std::pair<std::string, std::string>> kvp_records(const CycleReport& r) {
  const auto& id = r.report.identity;
  const std::string key = std::string(kKvpPrefix) + (id.vm_id.empty() ? r.host : id.vm_id) + "|verdict";
  const auto verdict = r.has_confirmed ? r.confirmed : r.report.verdict.code;
  nlohmann::json value = {{"verdict", diagnosis::to_string(verdict)},
                          {"severity", diagnosis::to_string(diagnosis::info(verdict).severity)},
                          {"transition", r.transition},
                          {"at", diagnosis::iso8601_utc(r.finished)},
                          {"summary", diagnosis::info(verdict).meaning}};
  if (r.report.remedy) {
    value["resource_id"] = r.report.remedy->resource_id;
    if (r.report.remedy->next_incarnation) value["key_incarnation_id"] = *r.report.remedy->next_incarnation;
    value["action"] = "raise keyIncarnationId from outside the VM (ARM PATCH, api-version 2024-03-01)";
  }
  std::string text = value.dump(-1, ' ', true, nlohmann::json::error_handler_t::replace);
  if (text.size() <= kKvpMaxValue) return {{key, text}};
  std::vector<std::pair<std::string, std::string>> out;
  auto pieces = split_utf8(text, kKvpMaxValue - 40);
  for (std::size_t i = 0; i < pieces.size(); ++i)
    out.emplace_back(key + "|" + std::to_string(i),
                     nlohmann::json({{"msg_i", i}, {"msg", pieces[i]}}).dump(-1, ' ', true));
  return out;
}

PublishResult KvpSink::publish(const CycleReport& report) {
  if (report.transition == "unchanged" && report.cycle > 1) return {};
  LockedFile file(pool_file_);
  if (file.fd() < 0)
    return PublishResult::failure(pool_file_ + ": " + std::strerror(file.error() ? file.error() : errno));
  struct stat st {};
  if (::fstat(file.fd(), &st) != 0) return PublishResult::failure(pool_file_ + ": cannot stat");
  std::string content(static_cast<std::size_t>(st.st_size), '\0');
  if (!content.empty() && ::pread(file.fd(), content.data(), content.size(), 0) != st.st_size)
    return PublishResult::failure(pool_file_ + ": short read");
  // Keep every record that is not ours, byte for byte. A torn tail (not a whole record) is kept
  // too, padded to a whole record so that the records after it stay aligned.
  std::string kept;
  std::size_t whole = content.size() - content.size() % kKvpRecordSize;
  for (std::size_t offset = 0; offset < whole; offset += kKvpRecordSize) {
    std::string key = field(content.data() + offset, kKvpKeySize);
    if (key.rfind(kKvpPrefix, 0) != 0) kept.append(content, offset, kKvpRecordSize);
  }
  if (whole < content.size()) {
    kept.append(content, whole, std::string::npos);
    kept.resize(kept.size() + kKvpRecordSize - (content.size() - whole), '\0');
  }
  for (const auto& [key, value] : kvp_records(report)) kept += record(key, value);
  if (::pwrite(file.fd(), kept.data(), kept.size(), 0) != static_cast<ssize_t>(kept.size()) ||
      ::ftruncate(file.fd(), static_cast<off_t>(kept.size())) != 0)
    return PublishResult::failure(pool_file_ + ": " + std::strerror(errno));
  return {};
}

}  // namespace latchwatch::reporting
