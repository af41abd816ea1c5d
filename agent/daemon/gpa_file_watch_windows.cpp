// Windows: no file watch yet. The watch reports itself unavailable, so CycleTrigger logs that
// once and the daemon's timer alone starts cycles (the same path as Linux without inotify).
// A ReadDirectoryChangesW watcher (names only, as inotify here) can take this file's place
// behind the same header.

#include "agent/daemon/gpa_file_watch.h"

namespace latchwatch::agent {

GpaFileWatch::GpaFileWatch(std::string key_dir, std::string status_file)
    : key_dir_(std::move(key_dir)), status_file_(std::move(status_file)) {
  error_ = "no file watch on Windows in this version";
}

GpaFileWatch::~GpaFileWatch() = default;

GpaFileWatch::Armed GpaFileWatch::arm() { return {}; }

std::string GpaFileWatch::unwatched_reason() const { return error_; }

GpaFileWatch::Events GpaFileWatch::read_events() { return {}; }

/// Not listed without a watch: nothing asks (CycleTrigger stops at fd() < 0).
KeyNames GpaFileWatch::key_names() const { return std::nullopt; }

}  // namespace latchwatch::agent
