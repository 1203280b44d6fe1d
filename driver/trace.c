// SPDX-License-Identifier: GPL-2.0-only
/* The one place kipc's tracepoints (driver/trace.h) are instantiated. */

#define CREATE_TRACE_POINTS
#include "trace.h"
