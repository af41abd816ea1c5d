#pragma once
/// Whether human output may use colour: only on a terminal, never with NO_COLOR set to anything
/// but the empty string (https://no-color.org), never when TERM is unset or `dumb`.

namespace latchwatch::agent {

bool colour_allowed(bool stdout_is_terminal, const char* no_color_env, const char* term_env);

}  // namespace latchwatch::agent
