#pragma once
// 64 random bits for temporary and generated names (never for secrets): getrandom(2), one syscall. Not
// std::random_device, whose set-up asks the CPU (cpuid) what it supports: on a virtual machine every cpuid is a
// trap to the hypervisor, paid by each hook process that writes a file.
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>

namespace gpuhooks {

inline uint64_t random_bits() {
  uint64_t v = 0;
  if (::getrandom(&v, sizeof v, GRND_NONBLOCK) == static_cast<ssize_t>(sizeof v)) return v;
  // Before the kernel's pool is ready (early boot): the clock and the pid still make a name no other run has.
  struct timespec ts {};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  static std::atomic<uint64_t> counter{0};
  return (static_cast<uint64_t>(ts.tv_nsec) * 0x9E3779B97F4A7C15ULL) ^ (static_cast<uint64_t>(::getpid()) << 40) ^
         (static_cast<uint64_t>(ts.tv_sec) << 20) ^ ++counter;
}

}  // namespace gpuhooks
