#pragma once
/// Quoting by construction for the commands latchwatch prints. Every value that reaches a printed
/// command has passed a character-class check (probes/base/azure_names.h) and is then quoted
/// here, so that even a value the check let through cannot end the quote: defence in depth.

#include <string>
#include <string_view>

namespace latchwatch {

/// One POSIX shell word that stands for exactly `text`: single quotes, each ' written as '\''.
/// When `text` holds a single quote but nothing double quotes would expand ($ ` \ " ! or a
/// control character), double quotes are used instead, for readability
/// ("[?vmId=='…'].id").
std::string sh_quote(std::string_view text);

/// One PowerShell single-quoted string for exactly `text`: every single quote (ASCII ' and the
/// typographic U+2018..U+201B, which PowerShell also treats as single quotes) is doubled.
std::string ps_quote(std::string_view text);

}  // namespace latchwatch
