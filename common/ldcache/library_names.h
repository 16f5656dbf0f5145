#pragma once
// How glibc's ldconfig reads library file names: which names it looks at at all, which subdirectory names it takes for
// hardware-capability directories, and the version order of names (`_dl_cache_libcmp` in elf/dl-cache.c), which both
// picks the newest of several files with one soname and sorts the cache the loader binary-searches.
#include <string_view>

namespace gpuhooks::ldcache {

// ldconfig's name order: runs of digits compare as numbers, a digit sorts after any other character, anything else
// byte by byte. <0, 0 or >0 like strcmp. "libfoo.so.1.10" > "libfoo.so.1.9"; "libfoo.so.1" < "libfoo.so.1.0".
// Overflowing numbers and signed chars behave as in glibc (32-bit wrap, char is signed on x86), so the order we write
// is the order the loader searches with.
int compare_library_names(std::string_view a, std::string_view b);

// The names ldconfig considers in a directory (glibc's _dl_is_dso): "lib*.so*", "ld-*.so*", "ld.so.*", "ld64.so.*",
// minus prelink's temporary files ("*.#prelink#", "*.#prelink#.XXXXXX").
bool is_library_name(std::string_view name);

// Subdirectory names that make glibc 2.36's ldconfig index a directory with hardware capabilities on x86: the legacy
// hwcap and platform names ("tls", "x86_64", "haswell", ...) and "glibc-hwcaps". We do not index those ourselves.
bool is_hwcap_dir_name(std::string_view name);

}  // namespace gpuhooks::ldcache
