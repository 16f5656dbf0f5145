// no-mount-setattr PROGRAM [ARG...]: runs PROGRAM with mount_setattr(2) answering ENOSYS (test::deny_mount_setattr),
// as on a kernel before 5.12, for e2e tests that run a hook as a runtime would on such a host.
#include <unistd.h>

#include <cstdio>

#include "support/test_support.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fputs("usage: no-mount-setattr PROGRAM [ARG...]\n", stderr);
    return 2;
  }
  if (!gpuhooks::test::deny_mount_setattr()) {
    std::perror("no-mount-setattr: seccomp");
    return 1;
  }
  ::execv(argv[1], argv + 1);
  std::perror(argv[1]);
  return 127;
}
