#pragma once
/// What `check` needs that the calling user lacks, said before probing: a hand-run check as an
/// ordinary user otherwise ends in "Permission denied" with no hint.
///
/// POSIX (privilege_posix.cpp): not root, and GPA's key folder cannot be listed or the state
/// folder cannot be entered for lack of permission. Windows: never (the service and an
/// elevated prompt decide; privilege_windows.cpp).

#include <string>

#include "agent/config/config.h"

namespace latchwatch::agent {

/// One sentence naming what is needed and how to get it; empty when nothing is missing.
std::string missing_privilege(const Config& config);

}  // namespace latchwatch::agent
