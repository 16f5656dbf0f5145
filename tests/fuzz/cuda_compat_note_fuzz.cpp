// The bytes of a `.note.cuda.fwd_compatibility` section (common/cdihooks/enable_cuda_compat_elf_note.h), reached
// directly: the ELF walk rarely produces a well-formed section for the note parser. The first byte picks the byte
// order and the section alignment; the rest is the section.
#include "common/cdihooks/enable_cuda_compat_elf_note.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  bool big_endian = (data[0] & 1) != 0;
  static constexpr unsigned long kAligns[] = {0, 1, 2, 4, 8, 16, 3, 1ul << 40};
  unsigned long align = kAligns[(data[0] >> 1) & 7];
  std::string bytes(gpuhooks::fuzz::as_text(data + 1, size - 1));
  gpuhooks::fuzz::expect_no_crash([&] { (void)gpuhooks::cdihook::parse_cuda_compat_note(bytes, big_endian, align); });
  return 0;
}
