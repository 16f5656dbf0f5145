// How long ldconfig may run (common/ldcache/container_ldcache.h): NVIDIA_CTK_HOOK_TIMEOUT, whole seconds, else the
// default. A value that is not valid never fails a container start, and never means "no deadline".
#include <gtest/gtest.h>

#include "common/ldcache/container_ldcache.h"

using namespace gpuhooks;
using std::chrono::seconds;

TEST(LdconfigTimeout, UnsetOrEmptyIsTheDefaultOfTenSeconds) {
  EXPECT_EQ(ldcache::ldconfig_timeout(nullptr), seconds(10));
  EXPECT_EQ(ldcache::ldconfig_timeout(""), seconds(10));
}

TEST(LdconfigTimeout, WholeSecondsFromOneToAnHourAreTaken) {
  EXPECT_EQ(ldcache::ldconfig_timeout("1"), seconds(1));
  EXPECT_EQ(ldcache::ldconfig_timeout("45"), seconds(45));
  EXPECT_EQ(ldcache::ldconfig_timeout("3600"), seconds(3600));
}

TEST(LdconfigTimeout, AnythingElseIsTheDefaultNeverNoDeadline) {
  for (const char* bad : {"0", "-5", "3601", "1.5", "10s", " 3", "abc", "99999999999999999999"})
    EXPECT_EQ(ldcache::ldconfig_timeout(bad), seconds(10)) << bad;
}
