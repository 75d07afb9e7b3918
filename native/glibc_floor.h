// Included first in every file of a portable Linux build (CONVCORE_PORTABLE=1: npm run
// prebuild): binds the few functions whose default version on the build machine is newer
// than glibc 2.28 and GCC 8's libstdc++ (GLIBCXX_3.4.25) to the older version that every
// glibc and libstdc++ since then still export, so that the binary loads on RHEL 8, Debian
// 10 and Ubuntu 20.04 as on today's systems. test/prebuilt.test.ts reads the binary's
// version needs and fails on any above those.
#pragma once

#if defined(__linux__) && !defined(__ASSEMBLER__)
#if defined(__x86_64__)
#define CONVCORE_GLIBC_BASELINE "GLIBC_2.2.5"
#elif defined(__aarch64__)
#define CONVCORE_GLIBC_BASELINE "GLIBC_2.17"
#endif

#define CONVCORE_PIN(symbol, version) __asm__(".symver " #symbol "," #symbol "@" version)
#ifdef CONVCORE_GLIBC_BASELINE
// Moved from libpthread into libc in glibc 2.34 (a new version there, the same function).
CONVCORE_PIN(pthread_once, CONVCORE_GLIBC_BASELINE);
CONVCORE_PIN(pthread_mutex_trylock, CONVCORE_GLIBC_BASELINE);
#endif
// std::condition_variable::wait(unique_lock<mutex>&): GCC 12 gave it version 3.4.30 (no
// longer throwing); the 3.4.11 one, in every libstdc++ since GCC 4.4, waits the same way.
CONVCORE_PIN(_ZNSt18condition_variable4waitERSt11unique_lockISt5mutexE, "GLIBCXX_3.4.11");
#undef CONVCORE_PIN
#endif
