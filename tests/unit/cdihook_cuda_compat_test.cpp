// enable-cuda-compat (nvidia-hooks.md §1.5): the ELF note reader, the version rules and the in-root drop-in.
#include <elf.h>
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <chrono>
#include <regex>

#include "common/cdihooks/enable_cuda_compat.h"
#include "common/cdihooks/enable_cuda_compat_elf_note.h"
#include "common/cdihooks/enable_cuda_compat_version.h"
#include "common/error.h"
#include "common/sanitizer.h"
#include "support/test_support.h"

using namespace gpuhooks;
using namespace gpuhooks::cdihook;
using gpuhooks::test::TempDir;
using ::testing::HasSubstr;

namespace {

// A minimal ELF file: sections [0] null, [1] .shstrtab, [2] the note (SHT_NOTE, 4-byte aligned).
struct ElfBuilder {
  bool is64 = true, big = false;
  std::string out;
  void put(uint64_t v, int width) {
    for (int i = 0; i < width; ++i) out += static_cast<char>(v >> (8 * (big ? width - 1 - i : i)));
  }
  void pad_to(size_t n) { out.resize(std::max(out.size(), n), '\0'); }
  std::string build(const std::string& note_name, const std::string& note, unsigned note_type = SHT_NOTE) {
    const std::string shstrtab = std::string("\0.shstrtab\0", 11) + note_name + '\0';
    const size_t ehsize = is64 ? 64 : 52, shentsize = is64 ? 64 : 40;
    const size_t strtab_off = ehsize, note_off = (strtab_off + shstrtab.size() + 3) / 4 * 4;
    const size_t shoff = (note_off + note.size() + 7) / 8 * 8;
    out = std::string(ELFMAG) + char(is64 ? ELFCLASS64 : ELFCLASS32) + char(big ? ELFDATA2MSB : ELFDATA2LSB) +
          char(EV_CURRENT);
    pad_to(EI_NIDENT);
    put(ET_DYN, 2), put(EM_X86_64, 2), put(EV_CURRENT, 4);
    put(0, is64 ? 8 : 4), put(0, is64 ? 8 : 4), put(shoff, is64 ? 8 : 4);  // entry, phoff, shoff
    put(0, 4), put(ehsize, 2), put(0, 2), put(0, 2), put(shentsize, 2), put(3, 2), put(1, 2);
    pad_to(strtab_off);
    out += shstrtab;
    pad_to(note_off);
    out += note;
    pad_to(shoff);
    section(0, 0, 0, 0, 0);
    section(1, SHT_STRTAB, strtab_off, shstrtab.size(), 1);
    section(11, note_type, note_off, note.size(), 4);
    return out;
  }
  void section(uint32_t name, uint32_t type, uint64_t off, uint64_t size, uint64_t align) {
    const int w = is64 ? 8 : 4;
    put(name, 4), put(type, 4), put(0, w), put(0, w), put(off, w), put(size, w), put(0, 4), put(0, 4), put(align, w),
        put(0, w);
  }
  std::string note(const std::string& owner, const std::string& desc) {
    std::string n;
    std::swap(n, out);
    put(owner.size() + 1, 4), put(desc.size(), 4), put(1, 4);
    out += owner + '\0';
    pad_to((out.size() + 3) / 4 * 4);
    out += desc;
    std::swap(n, out);
    return n;
  }
};

const std::string kJson = R"({"Format":1,"CUDA Version":"12.9","Driver":[535,550,570],"Device":[1]})";

std::string elf_with_note(bool is64, bool big, const std::string& owner = "NVIDIA Corporation",
                          const std::string& desc = kJson) {
  ElfBuilder b{is64, big, {}};
  return b.build(".note.cuda.fwd_compatibility", b.note(owner, desc));
}

std::optional<CudaCompatNote> note_of_file(const std::filesystem::path& p) {
  UniqueFd fd(::open(p.c_str(), O_RDONLY | O_CLOEXEC));
  return read_cuda_compat_note(fd.get());
}

std::optional<Version> v(const std::string& s) { return Version::parse(s); }

}  // namespace

class ElfNote : public ::testing::TestWithParam<std::pair<bool, bool>> {};

TEST_P(ElfNote, NoteIsReadInEveryClassAndByteOrder) {
  TempDir d;
  test::write_file(d / "libcuda.so.570.1", elf_with_note(GetParam().first, GetParam().second));
  auto note = note_of_file(d / "libcuda.so.570.1");
  ASSERT_TRUE(note.has_value());
  EXPECT_EQ(note->cuda_version, "12.9");
  EXPECT_EQ(note->driver_majors, (std::vector<long>{535, 550, 570}));
}

INSTANTIATE_TEST_SUITE_P(ClassesAndOrders, ElfNote,
                         ::testing::Values(std::pair{true, false}, std::pair{true, true}, std::pair{false, false},
                                           std::pair{false, true}));

TEST(ElfNoteRules, OtherOwnerIsNoNote) {
  TempDir d;
  test::write_file(d / "lib", elf_with_note(true, false, "Someone Else"));
  EXPECT_FALSE(note_of_file(d / "lib").has_value());
}

TEST(ElfNoteRules, InvalidJsonIsNoNote) {
  TempDir d;
  test::write_file(d / "lib", elf_with_note(true, false, "NVIDIA Corporation", "{not json"));
  EXPECT_FALSE(note_of_file(d / "lib").has_value());
}

TEST(ElfNoteRules, SectionThatIsNotANoteIsNoNote) {
  TempDir d;
  ElfBuilder b;
  test::write_file(d / "lib",
                   b.build(".note.cuda.fwd_compatibility", b.note("NVIDIA Corporation", kJson), SHT_PROGBITS));
  EXPECT_FALSE(note_of_file(d / "lib").has_value());
}

TEST(ElfNoteRules, NotAnElfFileIsNoNote) {
  TempDir d;
  test::write_file(d / "lib", "#!/bin/sh\n");
  EXPECT_FALSE(note_of_file(d / "lib").has_value());
}

TEST(ElfNoteRules, TruncatedElfFileIsAnError) {
  TempDir d;
  test::write_file(d / "lib", elf_with_note(true, false).substr(0, 100));
  UniqueFd fd(::open((d / "lib").c_str(), O_RDONLY));
  EXPECT_THROW(read_cuda_compat_note(fd.get()), Error);
}

TEST(ElfNoteRules, RealLibraryWithoutTheSectionHasNoNote) {
  UniqueFd fd(::open("/lib/x86_64-linux-gnu/libm.so.6", O_RDONLY));
  EXPECT_FALSE(read_cuda_compat_note(fd.get()).has_value());
  EXPECT_TRUE(read_elf_section(fd.get(), ".dynsym").has_value());
}

TEST(CompatVersion, LenientSemverForms) {
  EXPECT_EQ(v("575.57.08"), (Version{575, 57, 8, ""}));
  EXPECT_EQ(v("v12"), (Version{12, 0, 0, ""}));
  EXPECT_EQ(v("12.9"), (Version{12, 9, 0, ""}));
  EXPECT_EQ(v("1.2.3-rc.1+build5"), (Version{1, 2, 3, "rc.1"}));
  EXPECT_FALSE(v("1.2.3.4"));
  EXPECT_FALSE(v("abc"));
  EXPECT_FALSE(v(""));
}

TEST(CompatVersion, OrderIsNumericAndPrereleasesComeFirst) {
  EXPECT_LT(*v("570.86.15"), *v("575.57.8"));
  EXPECT_LT(*v("9.0"), *v("10.0"));
  EXPECT_LT(*v("1.0.0-rc.2"), *v("1.0.0-rc.10"));
  EXPECT_LT(*v("1.0.0-rc.1"), *v("1.0.0"));
}

TEST(CompatDecision, WithNoteBothDriversKnownNeedsListedHostMajorAndNewerCompat) {
  CudaCompatNote note{"12.9", {535, 570}};
  EXPECT_TRUE(use_compat_libraries({v("535.104.05"), {}, v("575.57.08"), note}));
  EXPECT_FALSE(use_compat_libraries({v("560.35.03"), {}, v("575.57.08"), note}));  // 560 not listed
  EXPECT_FALSE(use_compat_libraries({v("570.90.1"), {}, v("570.86.15"), note}));   // compat older
  EXPECT_FALSE(use_compat_libraries({v("575.57.08"), {}, v("575.57.08"), note}));  // equal
}

TEST(CompatDecision, WithNoteAndADriverVersionMissingTheCudaVersionsDecide) {
  CudaCompatNote note{"12.9", {535}};
  EXPECT_TRUE(use_compat_libraries({{}, v("12.2"), v("575.57.08"), note}));
  EXPECT_FALSE(use_compat_libraries({{}, v("12.9"), v("575.57.08"), note}));
  EXPECT_FALSE(use_compat_libraries({{}, {}, v("575.57.08"), note}));
  EXPECT_TRUE(use_compat_libraries({v("535.1"), v("12.2"), {}, note}));
}

TEST(CompatDecision, WithoutNoteMajorsDecideUnlessAHostCudaVersionIsGiven) {
  EXPECT_TRUE(use_compat_libraries({v("535.104.05"), {}, v("575.57.08"), {}}));
  EXPECT_FALSE(use_compat_libraries({v("575.1"), {}, v("575.57.08"), {}}));
  EXPECT_FALSE(use_compat_libraries({v("535.104.05"), v("12.2"), v("575.57.08"), {}}));
  EXPECT_FALSE(use_compat_libraries({{}, {}, v("575.57.08"), {}}));
  EXPECT_FALSE(use_compat_libraries({v("535.104.05"), {}, {}, {}}));
}

TEST(CompatDir, SingleNewerLibraryInTheCompatDirIsSelected) {
  TempDir root;
  test::write_file(root / "usr/local/cuda/compat/libcuda.so.575.57.08", "not elf");
  EXPECT_EQ(select_cuda_compat_dir(rootfs::InRoot(root.path()), "/usr/local/cuda/compat", v("535.1.2"), {}),
            "/usr/local/cuda/compat");
}

TEST(CompatDir, DirectoryIsTheSymlinkResolvedInRootPath) {
  TempDir root;
  test::write_file(root / "etc/alternatives/cuda/compat/libcuda.so.575.57.08", "not elf");
  std::filesystem::create_directories(root / "usr/local");
  std::filesystem::create_directory_symlink("/etc/alternatives/cuda", root / "usr/local/cuda");
  EXPECT_EQ(select_cuda_compat_dir(rootfs::InRoot(root.path()), "/usr/local/cuda/compat", v("535.1.2"), {}),
            "/etc/alternatives/cuda/compat");
}

TEST(CompatDir, CompatDirSymlinkedToAHostPathIsNotFollowedOut) {
  TempDir root, host;
  test::write_file(host / "compat/libcuda.so.575.57.08", "not elf");
  std::filesystem::create_directories(root / "usr/local");
  std::filesystem::create_directory_symlink(host.path(), root / "usr/local/cuda");
  EXPECT_FALSE(select_cuda_compat_dir(rootfs::InRoot(root.path()), "/usr/local/cuda/compat", v("535.1.2"), {}));
}

TEST(CompatDir, NoneOrSeveralOrOnlySymlinkedLibrariesSelectNothing) {
  TempDir root;
  rootfs::InRoot r(root.path());
  EXPECT_FALSE(select_cuda_compat_dir(r, "/usr/local/cuda/compat", v("535.1.2"), {}));  // no directory
  std::filesystem::create_directories(root / "usr/local/cuda/compat");
  EXPECT_FALSE(select_cuda_compat_dir(r, "/usr/local/cuda/compat", v("535.1.2"), {}));  // empty
  std::filesystem::create_symlink("libcuda.so.1", root / "usr/local/cuda/compat/libcuda.so.575.57.08");
  EXPECT_FALSE(select_cuda_compat_dir(r, "/usr/local/cuda/compat", v("535.1.2"), {}));  // symlink only
  test::write_file(root / "usr/local/cuda/compat/libcuda.so.575.1", "");
  test::write_file(root / "usr/local/cuda/compat/libcuda.so.580.1", "");
  EXPECT_FALSE(select_cuda_compat_dir(r, "/usr/local/cuda/compat", v("535.1.2"), {}));  // two regular files
}

TEST(CompatDir, NoteInTheLibraryTakesPartInTheDecision) {
  TempDir root;
  test::write_file(root / "usr/local/cuda/compat/libcuda.so.575.57.08", elf_with_note(true, false));
  rootfs::InRoot r(root.path());
  EXPECT_TRUE(select_cuda_compat_dir(r, "/usr/local/cuda/compat", v("535.1.2"), {}));   // 535 listed
  EXPECT_FALSE(select_cuda_compat_dir(r, "/usr/local/cuda/compat", v("525.1.2"), {}));  // 525 not listed
}

TEST(CompatDropIn, DropInIsA00CompatFileNamingTheDirectory) {
  TempDir root;
  auto path = write_compat_drop_in(rootfs::InRoot(root.path()), "/etc/alternatives/cuda/compat");
  EXPECT_TRUE(
      std::regex_match(path, std::regex("/etc/ld\\.so\\.conf\\.d/00-compat-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-"
                                        "[89ab][0-9a-f]{3}-[0-9a-f]{12}\\.conf")))
      << path;
  EXPECT_EQ(test::read_file(root / path.substr(1)), "/etc/alternatives/cuda/compat\n");
}

TEST(CompatHook, WithoutVersionsTheStateIsNeverRead) {
  auto r = test::run({test::built("nvidia-cdi-hook").string(), "enable-cuda-compat"});  // stdin empty: not a state
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST(CompatHook, SelectedDirectoryEndsUpInADropIn) {
  TempDir root;
  test::write_file(root / "usr/local/cuda/compat/libcuda.so.575.57.08", "x");
  auto r =
      test::run({test::built("nvidia-cdi-hook").string(), "enable-cuda-compat", "--host-driver-version=535.104.05"},
                R"({"ociVersion":"1.0","id":"t","bundle":"/x","root":")" + root.path().string() + R"("})");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string content;
  for (const auto& e : std::filesystem::directory_iterator(root / "etc/ld.so.conf.d"))
    content += test::read_file(e.path());
  EXPECT_EQ(content, "/usr/local/cuda/compat\n");
}

// ---- crafted libraries: every size the file claims is bounded by what it holds --------------------------------------

namespace {

// An ELF64 little-endian header that puts its section table at `shoff` with these counts; the caller appends the rest.
std::string elf64_header(uint64_t shoff, uint16_t entsize, uint16_t shnum, uint16_t shstrndx) {
  ElfBuilder b;
  b.out = std::string(ELFMAG) + char(ELFCLASS64) + char(ELFDATA2LSB) + char(EV_CURRENT);
  b.pad_to(EI_NIDENT);
  b.put(ET_DYN, 2), b.put(EM_X86_64, 2), b.put(EV_CURRENT, 4), b.put(0, 8), b.put(0, 8), b.put(shoff, 8);
  b.put(0, 4), b.put(64, 2), b.put(0, 2), b.put(0, 2), b.put(entsize, 2), b.put(shnum, 2), b.put(shstrndx, 2);
  return b.out;
}

// Runs read_cuda_compat_note in a child limited to 1 GiB of address space: 0 no note, 1 Error, 2 anything else
// (std::bad_alloc when the file's claims are believed), 3 a note.
int outcome_with_little_memory(const std::filesystem::path& p) {
  pid_t pid = ::fork();
  if (pid == 0) {
#if !GPUHOOKS_ASAN  // ASan's shadow memory alone is larger; its allocator reports a huge request
    struct rlimit lim {
      1ULL << 30, 1ULL << 30
    };
    ::setrlimit(RLIMIT_AS, &lim);
#endif
    try {
      UniqueFd fd(::open(p.c_str(), O_RDONLY | O_CLOEXEC));
      ::_exit(read_cuda_compat_note(fd.get()) ? 3 : 0);
    } catch (const Error&) {
      ::_exit(1);
    } catch (...) {
      ::_exit(2);
    }
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 100 + WTERMSIG(status);
}

}  // namespace

TEST(ElfNoteBounds, A128ByteFileClaiming65535HeadersOf65535BytesIsAnErrorWithoutTheAllocation) {
  TempDir d;
  std::string elf = elf64_header(64, 65535, 65535, 1);
  elf.resize(128, '\0');
  test::write_file(d / "lib", elf);
  EXPECT_EQ(outcome_with_little_memory(d / "lib"), 1);
}

TEST(ElfNoteBounds, ASectionTableLargerThanTheFileIsAnError) {
  TempDir d;
  std::string elf = elf64_header(64, 64, 65535, 1);  // 4 MiB of headers claimed in a 128-byte file
  elf.resize(128, '\0');
  test::write_file(d / "lib", elf);
  UniqueFd fd(::open((d / "lib").c_str(), O_RDONLY));
  try {
    read_cuda_compat_note(fd.get());
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("more than the file holds"));
  }
}

TEST(ElfNoteBounds, ASectionPastTheEndOfTheFileIsAnError) {
  TempDir d;
  ElfBuilder b;
  std::string elf = b.build(".note.cuda.fwd_compatibility", b.note("NVIDIA Corporation", kJson));
  // Section 2 (the note): sh_size (at +32 of its header) claims 1 MiB, within the section bound, past the file.
  const size_t shoff = elf.size() - 3 * 64;
  ElfBuilder size;
  size.put(1 << 20, 8);
  elf.replace(shoff + 2 * 64 + 32, 8, size.out);
  test::write_file(d / "lib", elf);
  EXPECT_EQ(outcome_with_little_memory(d / "lib"), 1);
}

// Each of 65536 sections names the start of a 1 MiB table without a NUL: a copy of the name per section was 64 GiB of
// memcpy; in place it is 65536 short compares.
TEST(ElfNoteBounds, SixtyFiveThousandSectionsOverAOneMiBNameTableAreReadQuickly) {
  TempDir d;
  constexpr size_t kSections = 65536, kNames = 1 << 20;
  const size_t names_off = 64, shoff = names_off + kNames;
  std::string elf = elf64_header(shoff, 64, 0, 1);  // shnum 0: the real count is in section 0's sh_size
  elf += std::string(kNames, 'a');
  ElfBuilder headers;
  for (size_t i = 0; i < kSections; ++i) {
    const bool zero = i == 0, strtab = i == 1;
    headers.put(0, 4), headers.put(strtab ? SHT_STRTAB : SHT_PROGBITS, 4), headers.put(0, 8), headers.put(0, 8);
    headers.put(strtab ? names_off : 0, 8), headers.put(zero ? kSections : strtab ? kNames : 0, 8);
    headers.put(0, 4), headers.put(0, 4), headers.put(1, 8), headers.put(0, 8);
  }
  elf += headers.out;
  test::write_file(d / "lib", elf);
  UniqueFd fd(::open((d / "lib").c_str(), O_RDONLY));
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(read_cuda_compat_note(fd.get()).has_value());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
}

TEST(ElfNoteBounds, ANoteAlignmentLargerThanTheSectionIsNoNote) {
  ElfBuilder b;
  const std::string note = b.note("NVIDIA Corporation", kJson);
  EXPECT_TRUE(parse_cuda_compat_note(note, false, 4).has_value());
  EXPECT_FALSE(parse_cuda_compat_note(note, false, 1ULL << 63).has_value());
}

TEST(CompatVersion, AOneMegabyteVersionIsNotAVersionAndDoesNotCrash) {
  EXPECT_FALSE(v(std::string(1'000'000, '1')));
  EXPECT_FALSE(v("1.2.3-" + std::string(1'000'000, 'a')));
  EXPECT_FALSE(v(std::string(300, '1')));
}

TEST(CompatVersion, LenientFormsWithoutARegex) {
  EXPECT_EQ(v("1-rc-1"), (Version{1, 0, 0, "rc-1"}));
  EXPECT_EQ(v("v1.2+b.7"), (Version{1, 2, 0, ""}));
  EXPECT_EQ(v("0010.02"), (Version{10, 2, 0, ""}));
  EXPECT_FALSE(v("1."));
  EXPECT_FALSE(v("1.2.3-"));
  EXPECT_FALSE(v("1.2.3-a..b"));
  EXPECT_FALSE(v("1.2.3+"));
  EXPECT_FALSE(v("v"));
  EXPECT_FALSE(v("99999999999999999999999"));  // does not fit: not a version (as stoull's out_of_range was)
  EXPECT_FALSE(v(" 1.2"));
}

TEST(CompatVersion, LongNumericPrereleaseIdentifiersCompareWithoutThrowing) {
  EXPECT_LT(*v("1.0.0-99999999999999999999998"), *v("1.0.0-99999999999999999999999"));
  EXPECT_EQ(*v("1.0.0-007"), *v("1.0.0-7"));
}

// The hook itself, as an image would attack it: a 1 MB "CUDA Version" in the note of the compat libcuda, with
// --host-cuda-version so that the note's version is parsed (it overflowed the stack in std::regex: SIGSEGV).
TEST(CompatHook, AOneMegabyteCudaVersionInTheNoteIsIgnoredWithoutACrash) {
  TempDir root;
  const std::string json = R"({"Format":1,"CUDA Version":")" + std::string(1'000'000, '1') + R"(","Driver":[535]})";
  test::write_file(root / "usr/local/cuda/compat/libcuda.so.575.57.08",
                   elf_with_note(true, false, "NVIDIA Corporation", json));
  auto r = test::run({test::built("nvidia-cdi-hook").string(), "enable-cuda-compat", "--host-cuda-version=12.0"},
                     R"({"ociVersion":"1.0","id":"t","bundle":"/x","root":")" + root.path().string() + R"("})");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(std::filesystem::exists(root / "etc/ld.so.conf.d"));
}

// A spec generated for the driver before an upgrade is named with the fix (the kernel module's version file).
TEST(StaleSpecDriver, AnotherLoadedDriverIsAWarningWithTheFix) {
  const std::string proc = "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  580.159.04  Release Build\n";
  EXPECT_EQ(gpuhooks::cdihook::stale_spec_warning("550.54.14", proc),
            "The CDI spec is stale: it was generated for driver 550.54.14 but the host runs 580.159.04; regenerate "
            "it with: systemctl start gpuhooks-cdi-refresh.service");
  EXPECT_EQ(gpuhooks::cdihook::stale_spec_warning("580.159.04", proc), std::nullopt);
  EXPECT_EQ(gpuhooks::cdihook::stale_spec_warning("550.54.14", "no module here\n"), std::nullopt);
}

// "Driver" holds whole numbers; anything else is an invalid note, never a float converted to long.
TEST(ElfNoteBounds, ADriverListWithANumberThatIsNotAWholeLongIsNoNote) {
  ElfBuilder b;
  for (const char* driver : {"59999999999999999970", "1.5", "9223372036854775808", "\"535\""}) {
    const std::string json = std::string("{\"CUDA Version\":\"12.9\",\"Driver\":[535,") + driver + "]}";
    EXPECT_FALSE(parse_cuda_compat_note(b.note("NVIDIA Corporation", json), false, 4).has_value()) << driver;
  }
  const std::string ok = "{\"CUDA Version\":\"12.9\",\"Driver\":[535,9223372036854775807]}";
  auto note = parse_cuda_compat_note(b.note("NVIDIA Corporation", ok), false, 4);
  ASSERT_TRUE(note.has_value());
  EXPECT_EQ(note->driver_majors, (std::vector<long>{535, 9223372036854775807L}));
}
