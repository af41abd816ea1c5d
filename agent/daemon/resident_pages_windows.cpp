#include <windows.h>
// psapi.h after windows.h: it uses its types.
#include <psapi.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "agent/daemon/resident_pages.h"

namespace latchwatch::agent {
namespace {

/// The read-only sections of one loaded image, rounded inwards to whole pages, leave the working
/// set. VirtualUnlock on pages that are not locked fails with ERROR_NOT_LOCKED and removes them
/// from the working set: that failure is the expected result.
std::size_t release_module(HMODULE module, std::uintptr_t page) {
  const auto base = reinterpret_cast<std::uintptr_t>(module);
  const auto* dos = reinterpret_cast<const IMAGE_DOS_HEADER*>(base);
  if (dos->e_magic != IMAGE_DOS_SIGNATURE) return 0;
  const auto* nt =
      reinterpret_cast<const IMAGE_NT_HEADERS*>(base + static_cast<std::uintptr_t>(dos->e_lfanew));
  if (nt->Signature != IMAGE_NT_SIGNATURE) return 0;
  const IMAGE_SECTION_HEADER* section = IMAGE_FIRST_SECTION(nt);
  std::size_t released = 0;
  for (WORD i = 0; i < nt->FileHeader.NumberOfSections; ++i, ++section) {
    if (section->Characteristics & IMAGE_SCN_MEM_WRITE) continue;
    if (!(section->Characteristics & (IMAGE_SCN_MEM_READ | IMAGE_SCN_MEM_EXECUTE))) continue;
    std::uintptr_t start = base + section->VirtualAddress;
    std::uintptr_t end = start + section->Misc.VirtualSize;
    // Inwards: a page shared with a writable neighbour must keep its contents.
    start = (start + page - 1) & ~(page - 1);
    end &= ~(page - 1);
    if (end <= start) continue;
    void* at = reinterpret_cast<void*>(start);
    if (::VirtualUnlock(at, end - start) || ::GetLastError() == ERROR_NOT_LOCKED)
      released += end - start;
  }
  return released;
}

}  // namespace

std::size_t release_startup_pages() {
  SYSTEM_INFO system{};
  ::GetSystemInfo(&system);
  const auto page = static_cast<std::uintptr_t>(system.dwPageSize);
  HANDLE self = ::GetCurrentProcess();
  std::vector<HMODULE> modules(256);
  DWORD needed = 0;
  if (!::EnumProcessModules(self, modules.data(),
                            static_cast<DWORD>(modules.size() * sizeof(HMODULE)), &needed))
    return 0;
  modules.resize(std::min<std::size_t>(modules.size(), needed / sizeof(HMODULE)));
  std::size_t released = 0;
  for (HMODULE module : modules) released += release_module(module, page);
  return released;
}

ProcessMemory process_memory() {
  ProcessMemory memory;
  PROCESS_MEMORY_COUNTERS_EX counters{};
  counters.cb = sizeof counters;
  if (::GetProcessMemoryInfo(::GetCurrentProcess(),
                             reinterpret_cast<PROCESS_MEMORY_COUNTERS*>(&counters),
                             sizeof counters)) {
    memory.resident = counters.WorkingSetSize;
    // PagefileUsage is the same commit charge ("the total amount of private memory that the
    // memory manager has committed for a running process"); wine fills only the basic counters.
    memory.private_bytes =
        counters.PrivateUsage != 0 ? counters.PrivateUsage : counters.PagefileUsage;
  }
  return memory;
}

}  // namespace latchwatch::agent
