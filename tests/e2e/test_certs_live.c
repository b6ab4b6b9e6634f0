/* test_certs_live.c - the certificates of a pre-provisioned ATECC608,
   rebuilt from the emulated chip (python3 -m sim.chips.atecc --provision DIR)
   through the POSIX I2C bridge, in real time.

   Run by tests/e2e/run_certs_live.py, which makes the test PKI and the
   definitions (DIR/cert_defs.h, compiled in), starts the emulator with
   fresh random keys and then compares what is written here with the
   certificates the test CA issued, and has OpenSSL verify them:
       test_certs_live <socket path> <output directory>
   Writes signer.pem, device.pem and device.der. Then: damaged chip data
   (slot 10 changed through the emulator's control socket) refused with
   the reason, a bus that keeps corrupting CRCs, a busy chip, a small
   buffer. */
#define _POSIX_C_SOURCE 200809L
#define SECMODEM_IMPLEMENTATION
#include "../../secmodem.h"
#include "../../examples/posix/sm_atecc_bridge.h"
#include "../common/sm_test.h"
#include "../common/sm_live.h"
#include "cert_defs.h"

#include <stdlib.h>
#include <time.h>

typedef struct live {
    sm_atecc_bridge bus;
    sm_atecc se;
    const char *dir;
    uint8_t signer_pub[64];
    uint32_t polls, longest_poll_ms;
} live;

/* As a superloop would: one poll, then other work. */
static int finish(live *l, sm_cert_op *op)
{
    int rc;
    for (;;) {
        uint32_t a = sm_live_now_ms(), took;
        rc = sm_cert_poll(op);
        took = sm_live_now_ms() - a;
        if (took > l->longest_poll_ms) l->longest_poll_ms = took;
        l->polls++;
        if (rc != SM_ATECC_PENDING) return rc;
        sm_live_pause_ms(1);
    }
}

static int control(live *l, const char *cmd, char *reply, size_t cap)
{
    char dummy[16];
    return sm_atecc_bridge_control(&l->bus, cmd, reply ? reply : dummy, reply ? cap : sizeof dummy);
}

static void save(live *l, const char *name, const void *data, size_t n)
{
    char path[512];
    FILE *f;
    snprintf(path, sizeof path, "%s/%s", l->dir, name);
    f = fopen(path, "wb");
    CHECK(f != NULL);
    if (!f) return;
    CHECK(fwrite(data, 1, n, f) == n);
    fclose(f);
}

static void test_signer_then_device(live *l)
{
    static char pem[1200];
    static uint8_t der[800];
    sm_cert_op op;
    size_t len = 0;
    uint8_t pub[64];
    uint32_t polls0 = l->polls;
    CHECK_EQ_INT(sm_cert_def_check(&secmodem_signer_def), SM_OK);
    CHECK_EQ_INT(sm_cert_def_check(&secmodem_device_def), SM_OK);
    /* the signer: its key from slot 11 (stored form), its 72 bytes from 12 */
    CHECK_EQ_INT(sm_cert_start(&op, &l->se, &secmodem_signer_def, NULL, SM_CERT_PEM, pem, sizeof pem), SM_OK);
    CHECK_EQ_INT(finish(l, &op), SM_OK);
    CHECK(l->polls - polls0 > 8); /* it did return between the chip's steps */
    CHECK(strlen(pem) == sm_cert_out_len(&op));
    save(l, "signer.pem", pem, sm_cert_out_len(&op));
    memcpy(l->signer_pub, sm_cert_subject_key(&op), 64);
    /* the device: GenKey of slot 0, slot 10, the chip serial (in its name),
       the signer's key for the authority key identifier */
    CHECK_EQ_INT(sm_cert_start(&op, &l->se, &secmodem_device_def, l->signer_pub, SM_CERT_PEM, pem, sizeof pem),
                 SM_OK);
    CHECK_EQ_INT(finish(l, &op), SM_OK);
    save(l, "device.pem", pem, sm_cert_out_len(&op));
    /* the same as DER, blocking helper; its key is the chip's slot-0 key */
    CHECK_EQ_INT(sm_cert_run_blocking(&op, &l->se, &secmodem_device_def, l->signer_pub, SM_CERT_DER, der,
                                      sizeof der), SM_OK);
    len = sm_cert_out_len(&op);
    memcpy(pub, sm_cert_subject_key(&op), 64);
    save(l, "device.der", der, len);
    {
        char hex[160];
        size_t i;
        int same = control(l, "pubkey 0", hex, sizeof hex) >= 0 && strlen(hex) == 128;
        for (i = 0; same && i < 64; i++) {
            unsigned v = 0;
            same = sscanf(hex + 2 * i, "%2x", &v) == 1 && v == pub[i];
        }
        CHECK(same);
    }
}

/* Slot 10 damaged byte by byte: refused, with the reason. */
static void test_damaged_slot(live *l)
{
    static char pem[1200];
    char saved[200], cmd[220];
    uint8_t comp[72];
    sm_cert_op op;
    size_t i;
    static const struct { size_t at; uint8_t xor_; int why; } cases[] = {
        { 69, 0x10, SM_CERT_E_TEMPLATE },   /* template id */
        { 69, 0x01, SM_CERT_E_TEMPLATE },   /* chain id */
        { 70, 0x50, SM_CERT_E_SN_SOURCE },  /* serial-number source */
        { 70, 0x05, SM_CERT_E_VERSION },    /* format version */
        { 65, 0x7C, SM_CERT_E_DATE }        /* day 0 or >= 32 - 1 */
    };
    CHECK_EQ_INT(control(l, "slot 10", saved, sizeof saved), 0);
    CHECK(strlen(saved) >= 144);
    for (i = 0; i < 72; i++) {
        unsigned v = 0;
        if (sscanf(saved + 2 * i, "%2x", &v) != 1) break;
        comp[i] = (uint8_t)v;
    }
    saved[144] = '\0';
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t c[72];
        size_t k, n;
        memcpy(c, comp, 72);
        c[cases[i].at] ^= cases[i].xor_;
        if (cases[i].why == SM_CERT_E_DATE) c[65] = (uint8_t)(c[65] & 0x83u); /* day 0 */
        n = (size_t)snprintf(cmd, sizeof cmd, "slot 10 ");
        for (k = 0; k < 72; k++) n += (size_t)snprintf(cmd + n, sizeof cmd - n, "%02x", c[k]);
        CHECK_EQ_INT(control(l, cmd, NULL, 0), 0);
        CHECK_EQ_INT(sm_cert_start(&op, &l->se, &secmodem_device_def, l->signer_pub, SM_CERT_PEM, pem,
                                   sizeof pem), SM_OK);
        CHECK_EQ_INT(finish(l, &op), SM_ERR_PARSE);
        CHECK_EQ_INT(sm_cert_why(&op), cases[i].why);
    }
    snprintf(cmd, sizeof cmd, "slot 10 %s", saved);
    CHECK_EQ_INT(control(l, cmd, NULL, 0), 0);
    CHECK_EQ_INT(sm_cert_start(&op, &l->se, &secmodem_device_def, l->signer_pub, SM_CERT_PEM, pem, sizeof pem),
                 SM_OK);
    CHECK_EQ_INT(finish(l, &op), SM_OK);
}

static void test_refusals(live *l)
{
    static char pem[1200];
    sm_cert_op op;
    uint8_t pub[64];
    size_t need = 0;
    /* every response damaged on the bus: the transport's CRC error, after its retries */
    CHECK_EQ_INT(control(l, "fault corrupt-crc -1", NULL, 0), 0);
    CHECK_EQ_INT(sm_cert_start(&op, &l->se, &secmodem_signer_def, NULL, SM_CERT_PEM, pem, sizeof pem), SM_OK);
    CHECK_EQ_INT(finish(l, &op), SM_ERR_CRC);
    CHECK_EQ_INT(control(l, "fault clear", NULL, 0), 0);
    /* a chip busy with something else */
    CHECK_EQ_INT(sm_atecc_pubkey_start(&l->se, 0, pub), SM_OK);
    CHECK_EQ_INT(sm_cert_start(&op, &l->se, &secmodem_signer_def, NULL, SM_CERT_PEM, pem, sizeof pem),
                 SM_ERR_BUSY);
    CHECK_EQ_INT(sm_atecc_wait_blocking(&l->se), SM_OK);
    /* a buffer below sm_cert_size(): refused before the chip is asked */
    CHECK_EQ_INT(sm_cert_size(&secmodem_device_def, SM_CERT_PEM, &need), SM_OK);
    CHECK_EQ_INT(sm_cert_start(&op, &l->se, &secmodem_device_def, NULL, SM_CERT_PEM, pem, need - 1u),
                 SM_ERR_NO_SPACE);
    CHECK_EQ_INT(sm_cert_out_len(&op), need);
    CHECK_EQ_INT(sm_cert_why(&op), SM_CERT_E_SPACE);
    CHECK_EQ_INT(sm_atecc_busy(&l->se), 0);
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
    RUN_ARG(test_signer_then_device, &l);
    RUN_ARG(test_damaged_slot, &l);
    RUN_ARG(test_refusals, &l);
    CHECK(l.longest_poll_ms <= 20); /* the non-blocking promise */
    fprintf(stderr, "%lu polls, longest %lu ms\n", (unsigned long)l.polls, (unsigned long)l.longest_poll_ms);
    sm_atecc_bridge_close(&l.bus);
    return sm_test_finish("certs live");
}
