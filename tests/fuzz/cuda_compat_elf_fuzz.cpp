// The CUDA forward-compatibility note of a container's compat libcuda.so (common/cdihooks/
// enable_cuda_compat_elf_note.h): the ELF section-header walk on the file, then the note and its JSON. The file
// comes from the image.
#include "common/cdihooks/enable_cuda_compat_elf_note.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  gpuhooks::UniqueFd fd = gpuhooks::fuzz::memory_file(gpuhooks::fuzz::as_text(data, size));
  gpuhooks::fuzz::expect_no_crash([&] { (void)gpuhooks::cdihook::read_cuda_compat_note(fd.get()); });
  return 0;
}
