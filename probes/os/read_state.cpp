#include "probes/os/read_state.h"

namespace latchwatch::probes {

const char* to_string(ReadState s) {
  switch (s) {
    case ReadState::ok:
      return "ok";
    case ReadState::missing:
      return "missing";
    case ReadState::permission_denied:
      return "permission_denied";
    case ReadState::not_a_directory:
      return "not_a_directory";
    case ReadState::not_a_regular_file:
      return "not_a_regular_file";
    case ReadState::too_large:
      return "too_large";
    case ReadState::malformed:
      return "malformed";
    case ReadState::stale:
      return "stale";
    case ReadState::error:
      return "error";
  }
  return "error";
}

}  // namespace latchwatch::probes
