#pragma once
// The machine a library, a cache entry or a container's linker is for: what ld.so.cache flags tell apart and what
// the search paths and the musl path file depend on.
namespace gpuhooks::ldcache {

enum class Arch { kX86_64, kI386, kAarch64, kOther };

// The architecture this binary was built for, which is the one of the host ldconfig it runs.
constexpr Arch build_arch() {
#if defined(__x86_64__)
  return Arch::kX86_64;
#elif defined(__aarch64__)
  return Arch::kAarch64;
#else
  return Arch::kOther;
#endif
}

}  // namespace gpuhooks::ldcache
