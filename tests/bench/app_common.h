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

/* 1 when the main loop should start the current step's operation: the
   last one ended well and this step was not started yet (*started keeps
   the step last started). */
static int sm_app_new_step(int *started)
{
    if (sm_app_failed || *started == sm_app_step) return 0;
    *started = sm_app_step;
    return 1;
}

#ifndef SM_NO_SEQUANS
static void sm_app_sqn_done(void *ctx, sm_sqn *m, const sm_result *r)
{
    (void)ctx; (void)m;
    sm_app_next(r->status);
}

/* Security profile 1 for mutual TLS: the CA in certificate slot 0, the
   client certificate in 1, the key in the modem's slot 1 or, key_in_host,
   in the ATECC608's slot 0 (the chip signs, section 12). */
static int sm_app_sqn_tls(sm_sqn *m, int key_in_host)
{
    sm_sqn_tls tls;
    sm_sqn_tls_defaults(&tls, 1, 0, 1);
    tls.cert_slot = 1;
    tls.key_slot = key_in_host ? 0 : 1;
    tls.key_in_host = (uint8_t)(key_in_host != 0);
    return sm_sqn_tls_config(m, &tls, sm_app_sqn_done, NULL);
}
#endif
#endif
