#pragma once
/// inotify on GPA's key folder and on the folder that holds status.json: read-only, and for the
/// key folder names only (IN_CREATE/IN_DELETE/IN_MOVED_*; the folder is listed with readdir, no
/// key file is ever opened or stat'ed). status.json is watched through its folder because GPA
/// replaces it by rename (`status.tmp` → `status.json`, misc_helpers::json_write_to_file_async),
/// which a watch on the file itself would lose.
///
/// A folder that does not exist yet (GPA not provisioned) or cannot be watched is simply not
/// watched: `arm()` retries, and until then the daemon's timer is the only trigger. The key
/// folder's parent is watched for the folder's name as well, so a key folder that is deleted (or
/// moved away) and then recreated is watched again as soon as it is back.
///
/// Errors: nothing throws; a failed watch is a state (`key_folder_watched()` false) with a reason.
/// Thread-safety: none; CycleTrigger serialises calls.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "agent/daemon/trigger_policy.h"

namespace latchwatch::agent {

/// The two inotify calls a watch makes (Linux only), so a test can make the first attempts fail
/// as a full descriptor table (EMFILE) or the watch limit (ENOSPC) would; an empty member is the
/// real call.
struct InotifyCalls {
  std::function<int(int flags)> init1;
  std::function<int(int fd, const char* path, std::uint32_t mask)> add_watch;
};

class GpaFileWatch {
 public:
  GpaFileWatch(std::string key_dir, std::string status_file);
  /// The same, through `calls` (Linux; Windows takes and ignores them).
  GpaFileWatch(std::string key_dir, std::string status_file, InotifyCalls calls);
  ~GpaFileWatch();
  GpaFileWatch(const GpaFileWatch&) = delete;
  GpaFileWatch& operator=(const GpaFileWatch&) = delete;

  /// The inotify descriptor (non-blocking), for poll(); -1 when inotify itself is unavailable.
  /// (Windows: the event both folder reads signal, as HandleToLong, for WaitForMultipleObjects.)
  int fd() const { return fd_; }
  const std::string& error() const { return error_; }  ///< why inotify is unavailable

  struct Armed {
    bool key_folder = false;  ///< the key folder's watch was set by this call
    bool status = false;      ///< the status folder's watch was set by this call
  };
  /// Sets each watch not set yet.
  Armed arm();
  bool key_folder_watched() const { return key_wd_ >= 0; }
  bool status_watched() const { return status_wd_ >= 0; }
  /// Why a watch is not set (empty when both are).
  std::string unwatched_reason() const;

  struct Events {
    bool key_folder = false;      ///< a key-file name came or went, or the folder itself did
    bool status_written = false;  ///< status.json was (re)written
    bool status_gone = false;     ///< status.json (or its folder) was removed or renamed away
    int read = 0;                 ///< raw events read
  };
  /// Reads every queued event without blocking. A lost watch (folder deleted or moved) is
  /// reported as a change of that side and re-armed at once when the path is back.
  Events read_events();

  /// `*.key` names in the key folder, sorted; nullopt when it cannot be listed.
  KeyNames key_names() const;
  /// How many times key_names() listed the folder (a listing reads every entry: the watcher
  /// lists at most once per trigger decision, however many events came).
  long listings() const { return listings_; }
  /// status.json's relevant content (see status_fingerprint).
  std::string status_fingerprint() const;

  const std::string& key_dir() const { return key_dir_; }
  const std::string& status_file() const { return status_file_; }

 private:
  std::string key_dir_;
  std::string status_file_;
  std::string status_dir_;
  std::string status_name_;
  int fd_ = -1;
  int key_wd_ = -1;
  int status_wd_ = -1;
  int key_parent_wd_ = -1;  ///< the key folder's parent, for the folder's own name
  InotifyCalls calls_;
  mutable long listings_ = 0;
  std::string error_;
  std::string key_error_;
  std::string status_error_;
  /// Windows only (gpa_file_watch_windows.cpp): the folder handles and their overlapped reads.
  /// A shared_ptr so the POSIX twin never needs the type complete.
  struct Native;
  std::shared_ptr<Native> native_;
};

/// The part of a status.json body that a key diagnosis depends on, as one comparable string:
/// keyLatchStatus status and message, states.keyGuid, states.keyIncarnationId and
/// states.secureChannelState. The timestamp and counters GPA refreshes on every write are left
/// out, so an unchanged rewrite gives the same string. A body that does not parse gives
/// "unparsable"; it never throws.
std::string status_fingerprint(std::string_view body);

}  // namespace latchwatch::agent
