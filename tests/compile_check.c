/* Compiles the whole header with the implementation, for every toolchain the
   library supports (see the Makefile's `cross` target). */
#define SECMODEM_IMPLEMENTATION
#include "../secmodem.h"

static int tx(void *u, const uint8_t *d, size_t n) { (void)u; (void)d; return (int)n; }
static uint32_t now(void *u) { (void)u; return 0; }

int sm_compile_check(void);
int sm_compile_check(void)
{
    sm_platform p;
    sm_at at;
    sm_at_cmd c;
    memset(&p, 0, sizeof p);
    memset(&c, 0, sizeof c);
    p.write = tx;
    p.now_ms = now;
    sm_at_init(&at, &p, sm_at_dialect_3gpp());
    c.text = "AT";
    sm_at_submit(&at, &c);
    return sm_at_poll(&at);
}
