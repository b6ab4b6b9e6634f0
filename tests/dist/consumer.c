/* Builds against a packaged secmodem (CMake target / PlatformIO layout):
   the header must be found through the package alone. */
#define SECMODEM_IMPLEMENTATION
#include "secmodem.h"

#include <stdio.h>

static int tx(void *u, const uint8_t *d, size_t n) { (void)u; (void)d; return (int)n; }
static uint32_t now(void *u) { (void)u; return 0; }

int main(void)
{
    sm_platform p;
    sm_at at;
    memset(&p, 0, sizeof p);
    p.write = tx;
    p.now_ms = now;
    if (sm_at_init(&at, &p, sm_at_dialect_3gpp()) != SM_OK) return 1;
    printf("packaged secmodem: %s\n", sm_strerror(SM_OK));
    return 0;
}
