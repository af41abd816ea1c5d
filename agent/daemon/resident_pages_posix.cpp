#include <link.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

#include "agent/daemon/resident_pages.h"

namespace latchwatch::agent {
namespace {

/// An object with text relocations has code pages the loader wrote to: those are not clean copies
/// of the file and must stay. (x86-64 Debian objects have none; this only guards the promise.)
bool has_text_relocations(const dl_phdr_info* info) {
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    if (info->dlpi_phdr[i].p_type != PT_DYNAMIC) continue;
    const auto* entry =
        reinterpret_cast<const ElfW(Dyn)*>(info->dlpi_addr + info->dlpi_phdr[i].p_vaddr);
    for (; entry->d_tag != DT_NULL; ++entry)
      if (entry->d_tag == DT_TEXTREL ||
          (entry->d_tag == DT_FLAGS && (entry->d_un.d_val & DF_TEXTREL)))
        return true;
  }
  return false;
}

int release_object(dl_phdr_info* info, std::size_t, void* data) {
  auto* released = static_cast<std::size_t*>(data);
  // The vDSO is the kernel's own mapping, not a file: leave it alone.
  if (info->dlpi_name && std::strncmp(info->dlpi_name, "linux-", 6) == 0) return 0;
  if (has_text_relocations(info)) return 0;
  const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& segment = info->dlpi_phdr[i];
    if (segment.p_type != PT_LOAD || (segment.p_flags & PF_W)) continue;
    std::uintptr_t start = info->dlpi_addr + segment.p_vaddr;
    std::uintptr_t end = start + segment.p_memsz;
    // Inwards: a page shared with a writable or relocated neighbour must keep its contents.
    start = (start + page - 1) & ~(page - 1);
    end &= ~(page - 1);
    if (end <= start) continue;
    if (::madvise(reinterpret_cast<void*>(start), end - start, MADV_DONTNEED) == 0)
      *released += end - start;
  }
  return 0;
}

}  // namespace

std::size_t release_startup_pages() {
  std::size_t released = 0;
  ::dl_iterate_phdr(release_object, &released);
  return released;
}

ProcessMemory process_memory() {
  ProcessMemory memory;
  std::ifstream status("/proc/self/status");
  std::string line;
  auto kib = [&line](std::size_t at) {
    return static_cast<std::size_t>(std::strtoull(line.c_str() + at, nullptr, 10)) * 1024;
  };
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) memory.resident = kib(6);
    if (line.rfind("RssAnon:", 0) == 0) memory.private_bytes = kib(8);
  }
  return memory;
}

}  // namespace latchwatch::agent
