/* test_atecc_live.c - the ATECC608 section against the chip emulator
   (python3 -m sim.chips.atecc) through the POSIX I2C bridge, in real time.

   Run by tests/e2e/run_atecc_live.py, which starts the emulator:
       test_atecc_live <socket path>
   Lines "SIG <pub> <digest> <sig>" and "SHA <message> <digest>" (hex) are
   checked by the runner with Python's cryptography and hashlib. */
#define _POSIX_C_SOURCE 200809L
#define SECMODEM_IMPLEMENTATION
#include "../../secmodem.h"
#include "../../examples/posix/sm_atecc_bridge.h"
#include "../common/sm_test.h"
#include "../common/sm_live.h"

#include <stdlib.h>
#include <time.h>

typedef struct live {
    sm_atecc_bridge bus;
    sm_atecc se;
    uint32_t longest_poll_ms; /* the slowest single sm_atecc_poll() call */
    uint32_t polls;
} live;

/* Finishes the operation in flight as a superloop would: one poll, then
   "other work" (a short sleep), measuring how long each poll takes. */
static int finish(live *l, uint32_t *elapsed)
{
    uint32_t t0 = sm_live_now_ms();
    int rc;
    for (;;) {
        uint32_t a = sm_live_now_ms();
        rc = sm_atecc_poll(&l->se);
        a = sm_live_now_ms() - a;
        if (a > l->longest_poll_ms) l->longest_poll_ms = a;
        l->polls++;
        if (rc != SM_ATECC_PENDING) break;
        if (sm_live_now_ms() - t0 > 10000) { fprintf(stderr, "operation hangs\n"); exit(3); }
        sm_live_pause_ms(0);
    }
    if (elapsed) *elapsed = sm_live_now_ms() - t0;
    return rc;
}

static int run(live *l, const sm_atecc_cmd *c, uint8_t *out, size_t cap)
{
    int rc = sm_atecc_start(&l->se, c, out, cap);
    return rc ? rc : finish(l, NULL);
}

static void print_hex(const char *tag, const uint8_t *a, size_t n)
{
    size_t i;
    printf(" %s", tag);
    for (i = 0; i < n; i++) printf("%02x", a[i]);
}

static int control(live *l, const char *cmd)
{
    char reply[128];
    int rc = sm_atecc_bridge_control(&l->bus, cmd, reply, sizeof reply);
    if (rc) fprintf(stderr, "control '%s' refused: %s\n", cmd, reply);
    return rc;
}

/* ---- commands ------------------------------------------------------------------ */

static void test_serial_info_locks(live *l)
{
    static const uint8_t sn_want[9] = { 0x01, 0x23, 0xD4, 0xDF, 0x07, 0x02, 0x39, 0x67, 0xEE };
    uint8_t sn[9], locks[2] = { 9, 9 }, rev[4], cfg[32], word[4];
    sm_atecc_cmd c;
    CHECK_EQ_INT(sm_atecc_serial_start(&l->se, sn), SM_OK);
    CHECK_EQ_INT(finish(l, NULL), SM_OK);
    CHECK(memcmp(sn, sn_want, 9) == 0);
    sm_atecc_cmd_info(&c, SM_ATECC_INFO_REVISION, 0);
    CHECK_EQ_INT(run(l, &c, rev, sizeof rev), SM_OK);
    CHECK(rev[2] == 0x60 && rev[3] == 0x02); /* an ATECC608A */
    CHECK_EQ_INT(sm_atecc_lock_status_start(&l->se, locks), SM_OK);
    CHECK_EQ_INT(finish(l, NULL), SM_OK);
    CHECK(locks[0] == 1 && locks[1] == 1);
    /* config: a 32-byte block and a 4-byte word agree */
    sm_atecc_cmd_read(&c, SM_ATECC_ZONE_CONFIG, sm_atecc_addr(0, 0, 0, 0), 32);
    CHECK_EQ_INT(run(l, &c, cfg, sizeof cfg), SM_OK);
    sm_atecc_cmd_read(&c, SM_ATECC_ZONE_CONFIG, sm_atecc_addr(0, 0, 0, 4), 4);
    CHECK_EQ_INT(run(l, &c, word, sizeof word), SM_OK);
    CHECK(memcmp(word, cfg + 16, 4) == 0);
    CHECK_EQ_INT(cfg[16], 0xC0); /* I2C_Address */
    /* OTP and a clear data slot; a secret one is refused */
    sm_atecc_cmd_read(&c, SM_ATECC_ZONE_OTP, 0, 32);
    CHECK_EQ_INT(run(l, &c, cfg, sizeof cfg), SM_OK);
    CHECK(memcmp(cfg, "secmodem", 8) == 0);
    sm_atecc_cmd_read(&c, SM_ATECC_ZONE_DATA, sm_atecc_addr(2, 8, 1, 0), 32);
    CHECK_EQ_INT(run(l, &c, cfg, sizeof cfg), SM_OK);
    CHECK(cfg[0] == 0 && cfg[31] == 31);
    sm_atecc_cmd_read(&c, SM_ATECC_ZONE_DATA, sm_atecc_addr(2, 0, 0, 0), 32);
    CHECK_EQ_INT(run(l, &c, cfg, sizeof cfg), SM_ERR_CHIP_EXEC);
    CHECK_EQ_INT(sm_atecc_last_status(&l->se), 0x0F);
}

static long le32(const uint8_t *b)
{
    return (long)b[0] | (long)b[1] << 8 | (long)b[2] << 16 | (long)b[3] << 24;
}

static void test_random_nonce_counter_selftest(live *l)
{
    uint8_t a[32], b[32], num_in[20], v0[4], v1[4], st[1] = { 0xAA };
    sm_atecc_cmd c;
    memset(num_in, 0x5A, sizeof num_in);
    sm_atecc_cmd_random(&c, SM_ATECC_RANDOM_SEED);
    CHECK_EQ_INT(run(l, &c, a, sizeof a), SM_OK);
    CHECK_EQ_INT(run(l, &c, b, sizeof b), SM_OK);
    CHECK(memcmp(a, b, 32) != 0);
    sm_atecc_cmd_nonce_random(&c, SM_ATECC_NONCE_SEED, num_in);
    CHECK_EQ_INT(run(l, &c, a, sizeof a), SM_OK);
    CHECK_EQ_INT(sm_atecc_out_len(&l->se), 32);
    sm_atecc_cmd_counter(&c, SM_ATECC_COUNTER_READ, 1);
    CHECK_EQ_INT(run(l, &c, v0, sizeof v0), SM_OK);
    sm_atecc_cmd_counter(&c, SM_ATECC_COUNTER_INCREMENT, 1);
    CHECK_EQ_INT(run(l, &c, v1, sizeof v1), SM_OK);
    CHECK_EQ_INT(le32(v1), le32(v0) + 1);
    sm_atecc_cmd_selftest(&c, SM_ATECC_SELFTEST_ALL);
    CHECK_EQ_INT(run(l, &c, st, sizeof st), SM_OK);
    CHECK_EQ_INT(st[0], 0);
}

static void test_sha(live *l)
{
    static const char abc_want[] =
        "\xba\x78\x16\xbf\x8f\x01\xcf\xea\x41\x41\x40\xde\x5d\xae\x22\x23"
        "\xb0\x03\x61\xa3\x96\x17\x7a\x9c\xb4\x10\xff\x61\xf2\x00\x15\xad";
    uint8_t msg[100], d[32];
    sm_atecc_cmd c;
    size_t i;
    for (i = 0; i < sizeof msg; i++) msg[i] = (uint8_t)(i * 13 + 1);
    /* FIPS 180-2 "abc" */
    sm_atecc_cmd_sha(&c, SM_ATECC_SHA_START, NULL, 0);
    CHECK_EQ_INT(run(l, &c, NULL, 0), SM_OK);
    sm_atecc_cmd_sha(&c, SM_ATECC_SHA_END, (const uint8_t *)"abc", 3);
    CHECK_EQ_INT(run(l, &c, d, sizeof d), SM_OK);
    CHECK(memcmp(d, abc_want, 32) == 0);
    /* 100 bytes: one 64-byte update and a 36-byte end, checked by the runner */
    sm_atecc_cmd_sha(&c, SM_ATECC_SHA_START, NULL, 0);
    CHECK_EQ_INT(run(l, &c, NULL, 0), SM_OK);
    sm_atecc_cmd_sha(&c, SM_ATECC_SHA_UPDATE, msg, 64);
    CHECK_EQ_INT(run(l, &c, NULL, 0), SM_OK);
    sm_atecc_cmd_sha(&c, SM_ATECC_SHA_END, msg + 64, 36);
    CHECK_EQ_INT(run(l, &c, d, sizeof d), SM_OK);
    printf("SHA");
    print_hex("", msg, sizeof msg);
    print_hex("", d, sizeof d);
    printf("\n");
}

/* Public key of slot 0, sign a digest with it, verify the signature on the
   chip (and, via the SIG line, in the runner with cryptography). */
static void test_pubkey_sign_verify(live *l)
{
    uint8_t pub[64], sig[64], digest[32], other[32];
    uint32_t ms = 0;
    size_t i;
    for (i = 0; i < 32; i++) { digest[i] = (uint8_t)(0xD0 ^ i); other[i] = (uint8_t)i; }
    CHECK_EQ_INT(sm_atecc_pubkey_start(&l->se, 0, pub), SM_OK);
    CHECK_EQ_INT(finish(l, NULL), SM_OK);
    CHECK_EQ_INT(sm_atecc_sign_start(&l->se, 0, digest, sig), SM_OK);
    CHECK_EQ_INT(sm_atecc_busy(&l->se), 1);
    CHECK_EQ_INT(finish(l, &ms), SM_OK);
    CHECK(ms < 1000);
    printf("SIG");
    print_hex("", pub, 64);
    print_hex("", digest, 32);
    print_hex("", sig, 64);
    printf("\n");
    CHECK_EQ_INT(sm_atecc_verify_start(&l->se, digest, sig, pub), SM_OK);
    CHECK_EQ_INT(finish(l, NULL), SM_OK);
    CHECK_EQ_INT(sm_atecc_verify_start(&l->se, other, sig, pub), SM_OK);
    CHECK_EQ_INT(finish(l, NULL), SM_ERR_VERIFY);
    CHECK_EQ_INT(sm_atecc_last_status(&l->se), 0x01);
    /* the blocking form */
    CHECK_EQ_INT(sm_atecc_sign_start(&l->se, 1, digest, sig), SM_OK);
    CHECK_EQ_INT(sm_atecc_wait_blocking(&l->se), SM_OK);
    /* a data slot cannot sign */
    CHECK_EQ_INT(sm_atecc_sign_start(&l->se, 9, digest, sig), SM_OK);
    CHECK_EQ_INT(finish(l, NULL), SM_ERR_CHIP_EXEC);
}

static void test_genkey_ecdh(live *l)
{
    uint8_t pub0[64], pub2[64], gen[64], again[64], s02[32], s20[32];
    sm_atecc_cmd c;
    size_t n = 0;
    CHECK_EQ_INT(sm_atecc_pubkey_start(&l->se, 0, pub0), SM_OK);
    CHECK_EQ_INT(finish(l, NULL), SM_OK);
    sm_atecc_cmd_genkey(&c, SM_ATECC_GENKEY_PRIVATE, 2); /* slot 2 allows it */
    CHECK_EQ_INT(sm_atecc_run_blocking(&l->se, &c, gen, sizeof gen, &n), SM_OK);
    CHECK_EQ_INT(n, 64);
    CHECK_EQ_INT(sm_atecc_pubkey_start(&l->se, 2, pub2), SM_OK);
    CHECK_EQ_INT(finish(l, NULL), SM_OK);
    CHECK(memcmp(gen, pub2, 64) == 0);
    sm_atecc_cmd_genkey(&c, SM_ATECC_GENKEY_PRIVATE, 0);  /* slot 0 is permanent */
    CHECK_EQ_INT(run(l, &c, again, sizeof again), SM_ERR_CHIP_EXEC);
    /* both sides of ECDH between slots 0 and 2 agree */
    sm_atecc_cmd_ecdh(&c, 0, pub2);
    CHECK_EQ_INT(run(l, &c, s02, sizeof s02), SM_OK);
    sm_atecc_cmd_ecdh(&c, 2, pub0);
    CHECK_EQ_INT(run(l, &c, s20, sizeof s20), SM_OK);
    CHECK(memcmp(s02, s20, 32) == 0);
}

/* ---- transport behaviour, faults ------------------------------------------------- */

static void test_faults(live *l)
{
    uint8_t rev[4];
    sm_atecc_cmd c;
    uint32_t ms = 0;
    sm_atecc_stats before = *sm_atecc_get_stats(&l->se);
    sm_atecc_cmd_info(&c, 0, 0);
    /* every response damaged: bounded retries, then SM_ERR_CRC */
    CHECK_EQ_INT(control(l, "fault corrupt-crc -1"), 0);
    CHECK_EQ_INT(sm_atecc_start(&l->se, &c, rev, sizeof rev), SM_OK);
    CHECK_EQ_INT(finish(l, &ms), SM_ERR_CRC);
    CHECK(ms < 500);
    CHECK_EQ_INT(sm_atecc_get_stats(&l->se)->retries - before.retries, SM_ATECC_RETRIES);
    /* one damaged response: retried, success */
    CHECK_EQ_INT(control(l, "fault corrupt-crc 1"), 0);
    CHECK_EQ_INT(run(l, &c, rev, sizeof rev), SM_OK);
    /* the chip never wakes */
    CHECK_EQ_INT(control(l, "fault no-wake 1"), 0);
    CHECK_EQ_INT(sm_atecc_start(&l->se, &c, rev, sizeof rev), SM_OK);
    CHECK_EQ_INT(finish(l, &ms), SM_ERR_NO_WAKE);
    CHECK(ms < 500);
    CHECK_EQ_INT(control(l, "fault no-wake 0"), 0);
    CHECK_EQ_INT(run(l, &c, rev, sizeof rev), SM_OK);
    /* chip statuses */
    CHECK_EQ_INT(control(l, "fault status 05 1"), 0);
    CHECK_EQ_INT(run(l, &c, rev, sizeof rev), SM_ERR_CHIP_ECC);
    CHECK_EQ_INT(control(l, "fault status 08 1"), 0);
    CHECK_EQ_INT(run(l, &c, rev, sizeof rev), SM_ERR_CHIP_HEALTH);
    CHECK_EQ_INT(control(l, "fault status ff 1"), 0);    /* chip saw a bad CRC: resent */
    CHECK_EQ_INT(run(l, &c, rev, sizeof rev), SM_OK);
    /* a command lost on the way (0x11 read back): resent */
    CHECK_EQ_INT(control(l, "fault drop 1"), 0);
    CHECK_EQ_INT(run(l, &c, rev, sizeof rev), SM_OK);
    /* slower than the maximum time: timeout, and the next command still works */
    CHECK_EQ_INT(control(l, "fault slow 200"), 0);
    CHECK_EQ_INT(sm_atecc_start(&l->se, &c, rev, sizeof rev), SM_OK);
    CHECK_EQ_INT(finish(l, &ms), SM_ERR_TIMEOUT);
    CHECK(ms < 200);
    CHECK_EQ_INT(control(l, "fault clear"), 0);
    sm_live_pause_ms(250);
    CHECK_EQ_INT(run(l, &c, rev, sizeof rev), SM_OK);
    CHECK_EQ_INT(rev[2], 0x60);
}

/* Stay awake between operations: past the watchdog budget the host idles
   and wakes again before the next command (the emulator's watchdog would
   otherwise have put the chip to sleep, losing TempKey). */
static void test_watchdog(live *l)
{
    uint8_t rev[4], digest[32], sig[64], pub[64];
    sm_atecc_cmd c;
    uint32_t rewakes = sm_atecc_get_stats(&l->se)->rewakes;
    memset(digest, 0x42, sizeof digest);
    sm_atecc_set_end(&l->se, SM_ATECC_END_AWAKE);
    sm_atecc_cmd_info(&c, 0, 0);
    CHECK_EQ_INT(run(l, &c, rev, sizeof rev), SM_OK);
    sm_live_pause_ms(1050);
    CHECK_EQ_INT(run(l, &c, rev, sizeof rev), SM_OK);
    CHECK_EQ_INT(sm_atecc_get_stats(&l->se)->rewakes, rewakes + 1);
    sm_live_pause_ms(1400); /* the chip's own watchdog fired meanwhile */
    CHECK_EQ_INT(sm_atecc_sign_start(&l->se, 0, digest, sig), SM_OK);
    CHECK_EQ_INT(finish(l, NULL), SM_OK);
    CHECK_EQ_INT(sm_atecc_pubkey_start(&l->se, 0, pub), SM_OK);
    CHECK_EQ_INT(finish(l, NULL), SM_OK);
    CHECK_EQ_INT(sm_atecc_verify_start(&l->se, digest, sig, pub), SM_OK);
    CHECK_EQ_INT(finish(l, NULL), SM_OK);
    /* sleep drops the chip's volatile state; the next operation wakes it */
    sm_atecc_set_end(&l->se, SM_ATECC_END_IDLE);
    CHECK_EQ_INT(sm_atecc_sleep_start(&l->se), SM_OK);
    CHECK_EQ_INT(finish(l, NULL), SM_OK);
    CHECK_EQ_INT(run(l, &c, rev, sizeof rev), SM_OK);
}

int main(int argc, char **argv)
{
    live l;
    sm_platform plat;
    if (argc < 2) { fprintf(stderr, "usage: %s <emulator socket>\n", argv[0]); return 2; }
    memset(&l, 0, sizeof l);
    if (sm_atecc_bridge_open(&l.bus, argv[1]) != 0) { perror("bridge"); return 2; }
    l.bus.trace = getenv("ATECC_TRACE") != NULL;
    sm_atecc_bridge_platform(&l.bus, &plat);
    CHECK_EQ_INT(sm_atecc_init(&l.se, &plat, SM_ATECC_ADDR_DEFAULT), SM_OK);
    RUN_ARG(test_serial_info_locks, &l);
    RUN_ARG(test_random_nonce_counter_selftest, &l);
    RUN_ARG(test_sha, &l);
    RUN_ARG(test_pubkey_sign_verify, &l);
    RUN_ARG(test_genkey_ecdh, &l);
    RUN_ARG(test_faults, &l);
    RUN_ARG(test_watchdog, &l);
    /* the non-blocking promise: no poll call took long */
    CHECK(l.longest_poll_ms <= 20);
    /* the emulator NACKs while it executes (docs/atecc.md A-20): the transport polled
       through NACKs live, not only against the scripted bus of test_atecc.c
       (issue 8: the chip's faults - CRC errors, no wake, statuses, a lost
       command, a slow chip - are in test_faults above) */
    CHECK(sm_atecc_get_stats(&l.se)->busy_nacks > 0);
    fprintf(stderr, "%lu polls, longest %lu ms; wakes %lu, retries %lu, busy NACKs %lu\n",
            (unsigned long)l.polls, (unsigned long)l.longest_poll_ms,
            (unsigned long)sm_atecc_get_stats(&l.se)->wakes,
            (unsigned long)sm_atecc_get_stats(&l.se)->retries,
            (unsigned long)sm_atecc_get_stats(&l.se)->busy_nacks);
    sm_atecc_bridge_close(&l.bus);
    return sm_test_finish("test_atecc_live");
}
