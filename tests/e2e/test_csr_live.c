/* test_csr_live.c - certificate signing requests signed by the ATECC608
   emulator (python3 -m sim.chips.atecc) through the POSIX I2C bridge, in real
   time: the provisioning path of a device whose key never leaves the chip.

   Run by tests/e2e/run_csr_live.py, which starts the emulator and then checks
   every request written here with OpenSSL and Python's cryptography, and
   has a test CA issue a certificate from it:
       test_csr_live <socket path> <output directory>
   Each request is announced on stdout as "CSR <slot> <der|pem> <path>". The
   subject is the same in all of them (SUBJECT below; the runner knows it). */
#define _POSIX_C_SOURCE 200809L
#define SECMODEM_IMPLEMENTATION
#include "../../secmodem.h"
#include "../../examples/posix/sm_atecc_bridge.h"
#include "../common/sm_test.h"
#include "../common/sm_live.h"

#include <stdlib.h>
#include <time.h>

static const sm_dn_attr SUBJECT[] = {
    { SM_DN_C, "DE" },
    { SM_DN_ST, "Bayern" },
    { SM_DN_L, "M\xC3\xBCnchen" },
    { SM_DN_O, "secmodem test devices" },
    { SM_DN_OU, "provisioning" },
    { SM_DN_CN, "secmodem-0123D4DF07023967EE" },
    { SM_DN_SERIAL_NUMBER, "0123D4DF07023967EE" }
};
#define NSUBJECT (sizeof SUBJECT / sizeof SUBJECT[0])

typedef struct live {
    sm_atecc_bridge bus;
    sm_atecc se;
    const char *dir;
    uint32_t longest_poll_ms; /* the slowest single poll call */
    uint32_t polls;
} live;

/* Drives a request as a superloop would: one poll, then "other work". */
static int finish(live *l, sm_csr *op, uint32_t *elapsed)
{
    uint32_t t0 = sm_live_now_ms();
    int rc;
    for (;;) {
        uint32_t a = sm_live_now_ms();
        rc = sm_csr_poll(op);
        a = sm_live_now_ms() - a;
        if (a > l->longest_poll_ms) l->longest_poll_ms = a;
        l->polls++;
        if (rc != SM_ATECC_PENDING) break;
        if (sm_live_now_ms() - t0 > 10000) { fprintf(stderr, "request hangs\n"); exit(3); }
        sm_live_pause_ms(0);
    }
    if (elapsed) *elapsed = sm_live_now_ms() - t0;
    return rc;
}

/* Writes a request to <dir>/<name> and announces it to the runner. */
static void save(live *l, uint8_t slot, const char *kind, const char *name, const void *data, size_t n)
{
    char path[512];
    FILE *f;
    snprintf(path, sizeof path, "%s/%s", l->dir, name);
    f = fopen(path, "wb");
    CHECK(f != NULL);
    if (!f) return;
    CHECK_EQ_INT(fwrite(data, 1, n, f), n);
    fclose(f);
    printf("CSR %u %s %s\n", (unsigned)slot, kind, path);
}

static int control(live *l, const char *cmd)
{
    char reply[160];
    int rc = sm_atecc_bridge_control(&l->bus, cmd, reply, sizeof reply);
    if (rc) fprintf(stderr, "control '%s' refused: %s\n", cmd, reply);
    return rc;
}

/* ---- requests --------------------------------------------------------------------- */

/* The device key of slot 0, non-blocking, PEM in a buffer of exactly the
   size sm_csr_size() asks for. */
static void test_pem_slot0(live *l)
{
    static char pem[1024];
    size_t need = 0;
    uint32_t ms = 0;
    sm_csr op;
    CHECK_EQ_INT(sm_csr_size(SUBJECT, NSUBJECT, SM_CSR_PEM, &need), SM_OK);
    CHECK(need <= sizeof pem);
    /* one byte short: refused up front, with the size */
    CHECK_EQ_INT(sm_csr_start(&op, &l->se, 0, SUBJECT, NSUBJECT, SM_CSR_PEM, pem, need - 1), SM_ERR_NO_SPACE);
    CHECK_EQ_INT(sm_csr_out_len(&op), need);
    CHECK_EQ_INT(sm_csr_start(&op, &l->se, 0, SUBJECT, NSUBJECT, SM_CSR_PEM, pem, need), SM_OK);
    CHECK_EQ_INT(sm_atecc_busy(&l->se), 1);
    CHECK_EQ_INT(finish(l, &op, &ms), SM_OK);
    CHECK(ms < 2000);
    CHECK_EQ_INT(sm_csr_out_len(&op), strlen(pem));
    CHECK(strncmp(pem, "-----BEGIN CERTIFICATE REQUEST-----\n", 36) == 0);
    fprintf(stderr, "slot 0 PEM request: %lu bytes in %lu ms\n", (unsigned long)strlen(pem),
            (unsigned long)ms);
    save(l, 0, "pem", "csr_slot0.pem", pem, strlen(pem));
}

/* The same key, DER, with the blocking helper; one response damaged on
   the way (the transport resends it). */
static void test_der_slot0(live *l)
{
    uint8_t der[800];
    size_t n = 0;
    CHECK_EQ_INT(control(l, "fault corrupt-crc 1"), 0);
    CHECK_EQ_INT(sm_csr_run_blocking(&l->se, 0, SUBJECT, NSUBJECT, SM_CSR_DER, der, sizeof der, &n), SM_OK);
    CHECK(n > 300 && n < sizeof der && der[0] == 0x30);
    save(l, 0, "der", "csr_slot0.der", der, n);
}

/* Provisioning a fresh key: GenKey mode 4 in slot 2 (the emulator lets
   slots 1-4 be replaced), then a request for it. */
static void test_new_key_slot2(live *l)
{
    static char pem[1024];
    uint8_t pub[64];
    sm_atecc_cmd c;
    size_t n = 0;
    CHECK_EQ_INT(sm_atecc_cmd_genkey(&c, SM_ATECC_GENKEY_PRIVATE, 2), SM_OK);
    CHECK_EQ_INT(sm_atecc_run_blocking(&l->se, &c, pub, sizeof pub, &n), SM_OK);
    CHECK_EQ_INT(n, 64);
    CHECK_EQ_INT(sm_csr_run_blocking(&l->se, 2, SUBJECT, NSUBJECT, SM_CSR_PEM, pem, sizeof pem, &n), SM_OK);
    CHECK_EQ_INT(n, strlen(pem));
    save(l, 2, "pem", "csr_slot2.pem", pem, n);
}

/* What cannot work ends with the chip's answer. */
static void test_refusals(live *l)
{
    uint8_t der[800];
    size_t n = 0;
    sm_csr op;
    /* a data slot holds no private key: GenKey answers 0x0F */
    CHECK_EQ_INT(sm_csr_run_blocking(&l->se, 9, SUBJECT, NSUBJECT, SM_CSR_DER, der, sizeof der, &n),
                 SM_ERR_CHIP_EXEC);
    CHECK_EQ_INT(sm_atecc_last_status(&l->se), 0x0F);
    /* the chip is taken while a request runs */
    CHECK_EQ_INT(sm_csr_start(&op, &l->se, 0, SUBJECT, NSUBJECT, SM_CSR_DER, der, sizeof der), SM_OK);
    CHECK_EQ_INT(sm_atecc_pubkey_start(&l->se, 0, der), SM_ERR_BUSY);
    CHECK_EQ_INT(finish(l, &op, NULL), SM_OK);
    /* the chip never wakes */
    CHECK_EQ_INT(control(l, "fault no-wake 1"), 0);
    CHECK_EQ_INT(sm_csr_start(&op, &l->se, 0, SUBJECT, NSUBJECT, SM_CSR_DER, der, sizeof der), SM_OK);
    CHECK_EQ_INT(finish(l, &op, NULL), SM_ERR_NO_WAKE);
    CHECK_EQ_INT(control(l, "fault clear"), 0);
}

int main(int argc, char **argv)
{
    live l;
    sm_platform plat;
    if (argc < 3) { fprintf(stderr, "usage: %s <emulator socket> <output dir>\n", argv[0]); return 2; }
    memset(&l, 0, sizeof l);
    l.dir = argv[2];
    if (sm_atecc_bridge_open(&l.bus, argv[1]) != 0) { perror("bridge"); return 2; }
    l.bus.trace = getenv("ATECC_TRACE") != NULL;
    sm_atecc_bridge_platform(&l.bus, &plat);
    CHECK_EQ_INT(sm_atecc_init(&l.se, &plat, SM_ATECC_ADDR_DEFAULT), SM_OK);
    RUN_ARG(test_pem_slot0, &l);
    RUN_ARG(test_der_slot0, &l);
    RUN_ARG(test_new_key_slot2, &l);
    RUN_ARG(test_refusals, &l);
    /* the non-blocking promise, hashing included */
    CHECK(l.longest_poll_ms <= 20);
    fprintf(stderr, "%lu polls, longest %lu ms; wakes %lu, retries %lu\n", (unsigned long)l.polls,
            (unsigned long)l.longest_poll_ms, (unsigned long)sm_atecc_get_stats(&l.se)->wakes,
            (unsigned long)sm_atecc_get_stats(&l.se)->retries);
    sm_atecc_bridge_close(&l.bus);
    return sm_test_finish("test_csr_live");
}
