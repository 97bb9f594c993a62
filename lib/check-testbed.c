/* check-testbed.c - autopkgtest and upgrade checks (not yet). */
#include "autoconfig.h"

#include "check.h"

enum check_outcome
check_autopkgtest(struct check_ctx *c, struct dp_error *err)
{
	dp_error_set(err, DP_ERR_INVALID, "the autopkgtest check is not "
	    "available yet");
	return CHECK_ERROR;
}

enum check_outcome
check_upgrade(struct check_ctx *c, struct dp_error *err)
{
	dp_error_set(err, DP_ERR_INVALID, "the upgrade check is not "
	    "available yet");
	return CHECK_ERROR;
}
