#include "agent/daemon/resident_pages.h"

#include <link.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>

namespace latchwatch::agent {
namespace {

int release_object(dl_phdr_info* info, std::size_t, void* data) {
  auto* released = static_cast<std::size_t*>(data);
  // The vDSO is the kernel's own mapping, not a file: leave it alone.
  if (info->dlpi_name && std::strncmp(info->dlpi_name, "linux-", 6) == 0) return 0;
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

}  // namespace latchwatch::agent
