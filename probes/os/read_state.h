#pragma once
/// How reading a local file or folder went: one vocabulary for every local reader.

namespace latchwatch::probes {

enum class ReadState {
  ok,
  missing,
  permission_denied,
  not_a_directory,
  not_a_regular_file,
  too_large,
  malformed,
  stale,
  error
};
const char* to_string(ReadState s);

}  // namespace latchwatch::probes
