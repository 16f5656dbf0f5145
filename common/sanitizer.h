#pragma once
// GPUHOOKS_ASAN is 1 in a build with AddressSanitizer, from either compiler: GCC defines __SANITIZE_ADDRESS__, clang
// 14 only answers __has_feature(address_sanitizer) (scripts/fuzz builds with clang).
#if defined(__SANITIZE_ADDRESS__)
#define GPUHOOKS_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define GPUHOOKS_ASAN 1
#endif
#endif
#ifndef GPUHOOKS_ASAN
#define GPUHOOKS_ASAN 0
#endif
