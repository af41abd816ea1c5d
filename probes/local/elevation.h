#pragma once
/// Whether latchwatch runs with the rights GPA's files and endpoints need: root on Linux, an
/// elevated token (member of Administrators, or LocalSystem) on Windows.

namespace latchwatch::probes {

bool running_elevated();

}  // namespace latchwatch::probes
