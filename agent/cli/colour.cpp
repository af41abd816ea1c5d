#include "agent/cli/colour.h"

#include <cstring>

namespace latchwatch::agent {

bool colour_allowed(bool stdout_is_terminal, const char* no_color_env, const char* term_env) {
  if (!stdout_is_terminal) return false;
  if (no_color_env && *no_color_env) return false;
  return term_env && *term_env && std::strcmp(term_env, "dumb") != 0;
}

}  // namespace latchwatch::agent
