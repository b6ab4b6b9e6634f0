/* app_common.h - what the typical-application programs (app_*.c) share: the
   do-nothing platform of the footprint builds (ref_common.h) and a step
   counter that the operations' done callbacks advance. Each app_*.c calls
   only what such a product calls, so that `make bench` reports what a real
   firmware of that kind pays (flash and RAM), not what the whole API costs.
   The programs are built, never run: the platform answers nothing. */
#ifndef SM_APP_COMMON_H
#define SM_APP_COMMON_H
#include "ref_common.h"

/* The step the application is at, advanced by each operation's end: a
   real firmware is a state machine like this one. volatile: the compiler
   must not prove any branch dead. */
static volatile int sm_app_step;
static volatile int sm_app_failed;

static void sm_app_next(int status)
{
    if (status == SM_OK) sm_app_step = sm_app_step + 1;
    else sm_app_failed = status;
}
#endif
