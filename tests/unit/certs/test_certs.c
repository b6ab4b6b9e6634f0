/* test_certs.c - section 13, compressed certificates, without a chip.

   The certificates come from build/certs/cert_vectors.h, made fresh at each
   run by tests/unit/certs/gen_cert_vectors.py (a test root, a signer CA, families of
   device certificates covering the date corners, every serial-number
   source, short and long signatures): each is rebuilt from its 72 bytes
   and the chip data and must be the CA's certificate byte for byte.
   `test_certs OUTDIR` also writes every rebuilt certificate as OUTDIR/
   <n>.pem with OUTDIR/list.txt ("<n>.pem <issuer>" per line) for
   tests/unit/certs/run_certs.py, which has OpenSSL verify them up to the test root.

   Then: public vectors (SHA-1 from FIPS 180-4's examples; compressed dates
   and a key identifier from cryptoauthlib's test/atcacert, as facts;
   Microchip's Trust&GO TLS device and signer templates, tests/unit/certs/tng_vectors.h,
   rebuilt byte for byte from their own compressed forms),
   hostile compressed certificates (every field the definition fixes, every
   impossible date), hostile definitions (every offset moved by one, wrong
   counts, overlaps, a template that is not one DER value), the buffer
   sizes (every capacity below the need: SM_ERR_NO_SPACE, the exact need,
   nothing written past the capacity), and the outer length changing size
   (a template whose certificate crosses 127 bytes of content with the
   signature's length). */
#define SECMODEM_IMPLEMENTATION
#include "../../../secmodem.h"
#include "../../common/sm_test.h"
#include "cert_vectors.h"
#include "tng_vectors.h"

#include <stdlib.h>

static uint8_t g_out[2048];
static char g_pem[4096];

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static void unhex(const char *s, uint8_t *out, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) out[i] = (uint8_t)(hexval(s[2 * i]) << 4 | hexval(s[2 * i + 1]));
}

static sm_cert_inputs inputs_of(const cert_vector *v, const uint8_t *comp)
{
    sm_cert_inputs in;
    in.comp = comp ? comp : v->comp;
    in.pub = v->pub;
    in.signer_pub = v->signer_pub;
    in.device_sn = v->dsn;
    in.stored_sn = v->stored;
    return in;
}

/* ---- every generated certificate, byte for byte ---- */

static void test_vectors(const char *outdir)
{
    size_t i;
    FILE *list = NULL;
    if (outdir) {
        char path[512];
        snprintf(path, sizeof path, "%s/list.txt", outdir);
        list = fopen(path, "w");
        CHECK(list != NULL);
    }
    CHECK(CERT_VECTORS >= 20u);
    for (i = 0; i < CERT_VECTORS; i++) {
        const cert_vector *v = &cert_vectors[i];
        sm_cert_inputs in = inputs_of(v, NULL);
        size_t len = 0, cap = 0, plen = 0;
        int why = -1, rc;
        CHECK_EQ_INT(sm_cert_def_check(v->def), SM_OK);
        CHECK_EQ_INT(sm_cert_size(v->def, SM_CERT_DER, &cap), SM_OK);
        rc = sm_cert_rebuild(v->def, &in, g_out, sizeof g_out, &len, &why);
        CHECK_EQ_INT(rc, SM_OK);
        CHECK_EQ_INT(why, SM_CERT_E_NONE);
        CHECK_EQ_INT(len, v->der_len);
        CHECK(cap >= len);
        if (rc != SM_OK || len != v->der_len || memcmp(g_out, v->der, len) != 0) {
            fprintf(stderr, "vector %s: rebuilt certificate differs (%s)\n", v->name, sm_cert_why_name(why));
            CHECK(0);
            continue;
        }
        CHECK(1);
        /* PEM of it, as sm_cert_poll() makes it */
        CHECK_EQ_INT(sm_pem_encode(SM_PEM_LABEL_CERT, g_out, len, g_pem, sizeof g_pem, &plen), SM_OK);
        CHECK_EQ_INT(sm_cert_size(v->def, SM_CERT_PEM, &cap), SM_OK);
        CHECK(cap >= plen + 1u);
        if (list) {
            char path[512];
            FILE *f;
            snprintf(path, sizeof path, "%s/%u.pem", outdir, (unsigned)i);
            f = fopen(path, "w");
            CHECK(f != NULL);
            if (f) { fwrite(g_pem, 1, plen, f); fclose(f); }
            fprintf(list, "%u.pem %s %s\n", (unsigned)i, v->issuer, v->name);
        }
    }
    if (list) fclose(list);
}

/* Without the signer's key the template's authority key id stays. */
static void test_no_signer_key(void)
{
    const cert_vector *v = &cert_vectors[CERT_VECTORS - 1u];
    sm_cert_inputs in = inputs_of(v, NULL);
    size_t len = 0;
    in.signer_pub = NULL;
    CHECK_EQ_INT(sm_cert_rebuild(v->def, &in, g_out, sizeof g_out, &len, NULL), SM_OK);
    /* every device certificate in the vectors comes from the same signer */
    CHECK(len == v->der_len && memcmp(g_out, v->der, len) == 0);
}

/* ---- public vectors ---- */

static void test_sha1(void)
{
    static const char *const msgs[3] = {
        "", "abc", "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
    };
    static const char *const digests[3] = {
        "da39a3ee5e6b4b0d3255bfef95601890afd80709", "a9993e364706816aba3e25717850c26c9cd0d89d",
        "84983e441c3bd26ebaae4aa1f95129e5e54670f1"
    };
    uint8_t d[20], want[20], big[1000];
    size_t i;
    for (i = 0; i < 3u; i++) {
        sm_sha1((const uint8_t *)msgs[i], strlen(msgs[i]), d);
        unhex(digests[i], want, 20);
        CHECK(memcmp(d, want, 20) == 0);
    }
    /* 1000 x 'a' (crosses block boundaries, length in two bytes) */
    memset(big, 'a', sizeof big);
    sm_sha1(big, sizeof big, d);
    unhex("291e9a6c66994949b57ba5e650361e98fc36b1ba", want, 20);
    CHECK(memcmp(d, want, 20) == 0);
}

/* cryptoauthlib test/atcacert/test_atcacert_def.c, atcacert_get_key_id good. */
static void test_key_id_vector(void)
{
    uint8_t pub[64], k[65], id[20], want[20];
    unhex("E0DDF90A945AF3911B5249C0D99913C1D073B6FCF0B13FF3A6845FC1F5137928"
          "93E935A095192FD16252D4880CC31D05BF04546F179FDAE7BBDBC68927D7A369", pub, 64);
    unhex("7723A2C432A6941D8132CB7604C3801DD2BE955D", want, 20);
    k[0] = 4;
    memcpy(k + 1, pub, 64);
    sm_sha1(k, 65, id);
    CHECK(memcmp(id, want, 20) == 0);
}

/* cryptoauthlib test/atcacert/test_atcacert_date.c, enc_compcert: bytes
   64..66 (and 70, 71) and the dates they stand for. */
static void test_date_vectors(void)
{
    static const struct {
        uint8_t enc[3], b70, b71;
        uint16_t y, mo, d, h, years;
    } t[] = {
        { { 0xA9, 0x9D, 0x5C }, 0, 0, 2021, 3, 7, 10, 28 },   /* good */
        { { 0x00, 0x84, 0x00 }, 0, 0, 2000, 1, 1, 0, 0 },     /* min */
        { { 0xFE, 0x7E, 0xFF }, 0, 0, 2031, 12, 31, 23, 31 }, /* max */
        { { 0x00, 0x84, 0x01 }, 1, 0x40, 2032, 1, 1, 0, 1 },  /* min_ext_issue_year */
        { { 0xF8, 0x84, 0x01 }, 1, 0xC0, 2127, 1, 1, 0, 1 },  /* max_ext_issue_year */
        { { 0x00, 0x84, 0x00 }, 1, 0x10, 2000, 1, 1, 0, 32 }, /* min_ext_expire_years */
        { { 0x00, 0x84, 0x1F }, 1, 0x30, 2000, 1, 1, 0, 127 },/* max_ext_expire_years */
        { { 0x00, 0x84, 0x00 }, 1, 0x9F, 2064, 1, 1, 0, 32 }, /* mixed_ext: low nibble reserved */
    };
    size_t i;
    for (i = 0; i < sizeof t / sizeof t[0]; i++) {
        uint8_t comp[72];
        uint16_t is[6], ex[6];
        int why = -1;
        memset(comp, 0, sizeof comp);
        memcpy(comp + 64, t[i].enc, 3);
        comp[70] = t[i].b70;
        comp[71] = t[i].b71;
        CHECK_EQ_INT(sm_cert_dates(comp, is, ex, &why), SM_OK);
        CHECK(is[0] == t[i].y && is[1] == t[i].mo && is[2] == t[i].d && is[3] == t[i].h && !is[4] && !is[5]);
        if (t[i].years)
            CHECK(ex[0] == t[i].y + t[i].years && ex[1] == t[i].mo && ex[2] == t[i].d && ex[3] == t[i].h &&
                  !ex[4] && !ex[5]);
        else
            CHECK(ex[0] == 9999 && ex[1] == 12 && ex[2] == 31 && ex[3] == 23 && ex[4] == 59 && ex[5] == 59);
    }
}

/* Microchip's Trust&GO TLS families (cryptoauthlib app/tng), their element
   offsets as published there, as sm_cert_def: each template rebuilt from
   its own compressed form is Microchip's certificate byte for byte - the
   serial number from the public-key hash, the key identifiers, the dates
   (UTCTime issue, GeneralizedTime expiry even before 2050), the signer id,
   the chip serial in the device's common name, the signature's DER. */
static const sm_cert_def tng_device_def = {
    tng_device_tmpl, sizeof tng_device_tmpl, 2, 0, SM_CERT_SN_PUBKEY_HASH, SM_CERT_DATE_UTC,
    SM_CERT_DATE_GEN, 10, 0, SM_CERT_PUB_GENKEY, 0,
    { 15, 16 }, { 128, 13 }, { 143, 15 }, { 120, 4 }, { 257, 64 }, { 431, 64 }, { 366, 20 }, { 399, 20 },
    { 206, 18 } /* SN03 (offset 206, 8 digits) and SN48 (214, 10) */
};
static const sm_cert_def tng_signer_def = {
    tng_signer_tmpl, sizeof tng_signer_tmpl, 1, 0, SM_CERT_SN_PUBKEY_HASH, SM_CERT_DATE_UTC,
    SM_CERT_DATE_GEN, 12, 11, SM_CERT_PUB_SLOT, 0,
    { 15, 16 }, { 128, 13 }, { 143, 15 }, { 235, 4 }, { 266, 64 }, { 446, 64 }, { 381, 20 }, { 414, 20 },
    { 0, 0 }
};

static void test_trust_and_go_templates(void)
{
    static const uint8_t chip_sn[9] = { 0x01, 0x23, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x01 };
    sm_cert_inputs in;
    size_t len = 0;
    CHECK_EQ_INT(sm_cert_def_check(&tng_device_def), SM_OK);
    CHECK_EQ_INT(sm_cert_def_check(&tng_signer_def), SM_OK);
    /* the signer: its root's key is not published here, the template's
       authority key identifier stays */
    memset(&in, 0, sizeof in);
    in.comp = tng_signer_comp;
    in.pub = tng_signer_tmpl + 266;
    CHECK_EQ_INT(sm_cert_rebuild(&tng_signer_def, &in, g_out, sizeof g_out, &len, NULL), SM_OK);
    CHECK(len == sizeof tng_signer_tmpl && memcmp(g_out, tng_signer_tmpl, len) == 0);
    /* the device: the authority key identifier from the signer's key */
    in.comp = tng_device_comp;
    in.pub = tng_device_tmpl + 257;
    in.signer_pub = tng_signer_tmpl + 266;
    in.device_sn = chip_sn;
    memset(g_out, 0, sizeof g_out);
    CHECK_EQ_INT(sm_cert_rebuild(&tng_device_def, &in, g_out, sizeof g_out, &len, NULL), SM_OK);
    CHECK(len == sizeof tng_device_tmpl && memcmp(g_out, tng_device_tmpl, len) == 0);
    /* another chip serial shows in the common name, nowhere else */
    {
        static const uint8_t other_sn[9] = { 0x01, 0x23, 0xAB, 0xCD, 0xEF, 0x00, 0x11, 0x22, 0xEE };
        size_t i, diff = 0;
        in.device_sn = other_sn;
        CHECK_EQ_INT(sm_cert_rebuild(&tng_device_def, &in, g_out, sizeof g_out, &len, NULL), SM_OK);
        CHECK(memcmp(g_out + 206, "0123ABCDEF001122EE", 18) == 0);
        for (i = 0; i < len; i++) diff += g_out[i] != tng_device_tmpl[i];
        CHECK(diff > 0 && diff <= 18);
    }
}

/* ---- the chip operation against a small behavioural chip ---- */

/* Answers wake, Read (config and data zones, 4 or 32 bytes) and GenKey
   mode 0 of slot 0 like an ATECC608 on the bus: what sm_cert_start() and
   sm_cert_poll() need; anything else answers status 0x03. */
typedef struct fake_chip {
    uint8_t config[128];
    uint8_t slots[16][72];
    uint8_t pub0[64];
    uint8_t out[80];
    size_t out_len, pos;
    uint32_t now;
    unsigned reads, genkeys;
} fake_chip;

static void fake_answer(fake_chip *c, const uint8_t *data, size_t n)
{
    uint16_t crc;
    c->out[0] = (uint8_t)(n + 3u);
    memcpy(c->out + 1, data, n);
    crc = sm_atecc_crc16(c->out, n + 1u);
    c->out[n + 1u] = (uint8_t)crc;
    c->out[n + 2u] = (uint8_t)(crc >> 8);
    c->out_len = n + 3u;
    c->pos = 0;
}

static void fake_command(fake_chip *c, const uint8_t *g, size_t n)
{
    static const uint8_t parse_error = 0x03;
    uint8_t op = g[1], p1 = g[2];
    unsigned p2 = (unsigned)g[3] | (unsigned)g[4] << 8;
    (void)n;
    if (op == SM_ATECC_OP_READ) {
        size_t len = (p1 & 0x80u) ? 32u : 4u, off;
        if ((p1 & 3u) == SM_ATECC_ZONE_CONFIG) {
            off = ((p2 >> 3) & 0x1Fu) * 32u + (len == 4u ? (p2 & 7u) * 4u : 0u);
            if (off + len <= sizeof c->config) { c->reads++; fake_answer(c, c->config + off, len); return; }
        } else if ((p1 & 3u) == SM_ATECC_ZONE_DATA) {
            unsigned slot = (p2 >> 3) & 15u;
            off = (p2 >> 8) * 32u + (len == 4u ? (p2 & 7u) * 4u : 0u);
            if (off + len <= 72u) { c->reads++; fake_answer(c, c->slots[slot] + off, len); return; }
        }
    } else if (op == SM_ATECC_OP_GENKEY && p1 == 0 && p2 == 0) {
        c->genkeys++;
        fake_answer(c, c->pub0, 64);
        return;
    }
    fake_answer(c, &parse_error, 1);
}

static int fake_w(void *u, uint8_t addr, const uint8_t *d, size_t n)
{
    static const uint8_t awake[4] = { 0x04, 0x11, 0x33, 0x43 };
    fake_chip *c = (fake_chip *)u;
    if (addr == 0) { /* the wake pulse: nobody ACKs address 0 */
        memcpy(c->out, awake, 4);
        c->out_len = 4;
        c->pos = 0;
        return -1;
    }
    if (n >= 1 && d[0] == 0x00) c->pos = 0;            /* reset the read pointer */
    if (n >= 8 && d[0] == 0x03) fake_command(c, d + 1, n - 1); /* a command group */
    return 0;
}

static int fake_r(void *u, uint8_t addr, uint8_t *b, size_t n)
{
    fake_chip *c = (fake_chip *)u;
    size_t i;
    (void)addr;
    for (i = 0; i < n; i++) b[i] = c->pos < c->out_len ? c->out[c->pos++] : 0xFF;
    return 0;
}

static uint32_t fake_now(void *u) { return ++((fake_chip *)u)->now; }

static fake_chip g_chip;

/* Provisions the fake chip with a vector's data where its definition says. */
static void fake_provision(fake_chip *c, const cert_vector *v)
{
    const sm_cert_def *d = v->def;
    memset(c, 0, sizeof *c);
    memcpy(c->config, v->dsn, 4);
    memcpy(c->config + 8, v->dsn + 4, 5);
    memcpy(c->slots[d->comp_slot], v->comp, 72);
    if (d->pub_source == SM_CERT_PUB_SLOT) { /* 4 zero bytes before X and before Y */
        memcpy(c->slots[d->pub_slot] + 4, v->pub, 32);
        memcpy(c->slots[d->pub_slot] + 40, v->pub + 32, 32);
    } else {
        memcpy(c->pub0, v->pub, 64);
    }
    if (d->sn_source == SM_CERT_SN_STORED) memcpy(c->slots[d->sn_slot], v->stored, d->sn.count);
}

/* Every vector rebuilt through the chip operation, DER and PEM. */
static void test_chip_operation(void)
{
    static char pem[1400];
    size_t i;
    for (i = 0; i < CERT_VECTORS; i++) {
        const cert_vector *v = &cert_vectors[i];
        sm_platform p;
        sm_atecc se;
        sm_cert_op op;
        size_t len = 0, plen = 0;
        uint8_t key[64];
        int rc, polls = 0;
        fake_provision(&g_chip, v);
        memset(&p, 0, sizeof p);
        p.user = &g_chip;
        p.i2c_write = fake_w;
        p.i2c_read = fake_r;
        p.now_ms = fake_now;
        CHECK_EQ_INT(sm_atecc_init(&se, &p, 0), SM_OK);
        /* DER, polled as a superloop would */
        rc = sm_cert_start(&op, &se, v->def, v->signer_pub, SM_CERT_DER, g_out, sizeof g_out);
        CHECK_EQ_INT(rc, SM_OK);
        if (rc == SM_OK)
            do { rc = sm_cert_poll(&op); } while (rc == SM_ATECC_PENDING && ++polls < 100000);
        CHECK(polls > 4 && polls < 100000); /* it returned between the chip's steps */
        CHECK_EQ_INT(rc, SM_OK);
        CHECK(sm_cert_out_len(&op) == v->der_len && memcmp(g_out, v->der, v->der_len) == 0);
        CHECK(memcmp(sm_cert_subject_key(&op), v->pub, 64) == 0);
        CHECK_EQ_INT(sm_cert_poll(&op), SM_OK); /* idle: the last result */
        CHECK(g_chip.reads >= 4u);
        CHECK_EQ_INT(g_chip.genkeys, v->def->pub_source == SM_CERT_PUB_GENKEY ? 1 : 0);
        /* PEM, blocking helper: the same certificate */
        CHECK_EQ_INT(sm_cert_run_blocking(&op, &se, v->def, v->signer_pub, SM_CERT_PEM, pem, sizeof pem), SM_OK);
        len = sm_cert_out_len(&op);
        memcpy(key, sm_cert_subject_key(&op), 64);
        CHECK_EQ_INT(sm_pem_encode(SM_PEM_LABEL_CERT, v->der, v->der_len, g_pem, sizeof g_pem, &plen), SM_OK);
        CHECK(len == plen && strcmp(pem, g_pem) == 0);
        CHECK(memcmp(key, v->pub, 64) == 0);
    }
    /* a chip that answers garbage to the compressed certificate's read */
    {
        const cert_vector *v = &cert_vectors[0];
        sm_platform p;
        sm_atecc se;
        sm_cert_op op;
        fake_provision(&g_chip, v);
        g_chip.slots[v->def->comp_slot][69] ^= 0xFF;
        memset(&p, 0, sizeof p);
        p.user = &g_chip;
        p.i2c_write = fake_w;
        p.i2c_read = fake_r;
        p.now_ms = fake_now;
        CHECK_EQ_INT(sm_atecc_init(&se, &p, 0), SM_OK);
        CHECK_EQ_INT(sm_cert_run_blocking(&op, &se, v->def, NULL, SM_CERT_DER, g_out, sizeof g_out),
                     SM_ERR_PARSE);
        CHECK_EQ_INT(sm_cert_start(&op, &se, v->def, NULL, 7, g_out, sizeof g_out), SM_ERR_PARAM);
        CHECK_EQ_INT(sm_cert_why(&op), SM_CERT_E_INPUT);
        CHECK_EQ_INT(sm_cert_start(&op, &se, NULL, NULL, SM_CERT_DER, g_out, sizeof g_out), SM_ERR_PARAM);
        CHECK_EQ_INT(sm_cert_why(&op), SM_CERT_E_DEF);
        CHECK_EQ_INT(sm_cert_start(NULL, &se, v->def, NULL, SM_CERT_DER, g_out, sizeof g_out), SM_ERR_PARAM);
        CHECK_EQ_INT(sm_cert_poll(NULL), SM_ERR_PARAM);
        CHECK_EQ_INT(sm_cert_out_len(NULL), 0);
        CHECK(sm_cert_subject_key(NULL) == NULL);
        CHECK_EQ_INT(sm_cert_why(NULL), SM_CERT_E_INPUT);
        CHECK(strcmp(sm_cert_why_name(SM_CERT_E_INPUT), "?") != 0 && strcmp(sm_cert_why_name(99), "?") == 0);
    }
}

/* ---- hostile compressed certificates ---- */

static const cert_vector *first_of(const sm_cert_def *def)
{
    size_t i;
    for (i = 0; i < CERT_VECTORS; i++)
        if (cert_vectors[i].def == def) return &cert_vectors[i];
    return NULL;
}

static void expect_refused(const cert_vector *v, const uint8_t comp[72], int want_rc, int want_why)
{
    sm_cert_inputs in = inputs_of(v, comp);
    size_t len = 0;
    int why = -1;
    memset(g_out, 0xA5, sizeof g_out);
    CHECK_EQ_INT(sm_cert_rebuild(v->def, &in, g_out, sizeof g_out, &len, &why), want_rc);
    CHECK_EQ_INT(why, want_why);
    CHECK(g_out[0] == 0xA5); /* nothing written */
    CHECK(sm_cert_why_name(why)[0] != '?');
}

/* Sets the date fields of bytes 64..66. */
static void put_dates(uint8_t *c, unsigned y, unsigned mo, unsigned d, unsigned h, unsigned years)
{
    uint32_t v = (uint32_t)(y & 31u) << 19 | (uint32_t)mo << 15 | (uint32_t)d << 10 | (uint32_t)h << 5 |
                 (years & 31u);
    c[64] = (uint8_t)(v >> 16);
    c[65] = (uint8_t)(v >> 8);
    c[66] = (uint8_t)v;
}

static void test_hostile_comp(void)
{
    const cert_vector *v = first_of(&fam_dev_utc), *g = first_of(&fam_dev_gen);
    uint8_t c[72];
    unsigned k;
    CHECK(v != NULL && g != NULL);
    if (!v || !g) return;
    for (k = 2; k < 16u; k++) { /* unknown format versions */
        memcpy(c, v->comp, 72);
        c[70] = (uint8_t)((c[70] & 0xF0u) | k);
        expect_refused(v, c, SM_ERR_PARSE, SM_CERT_E_VERSION);
    }
    for (k = 0; k < 256u; k++) { /* any other template or chain id */
        if (k == v->comp[69]) continue;
        memcpy(c, v->comp, 72);
        c[69] = (uint8_t)k;
        expect_refused(v, c, SM_ERR_PARSE, SM_CERT_E_TEMPLATE);
    }
    for (k = 0; k < 16u; k++) { /* any other serial-number source */
        if (k == (unsigned)(v->comp[70] >> 4)) continue;
        memcpy(c, v->comp, 72);
        c[70] = (uint8_t)(k << 4 | (c[70] & 0x0Fu));
        expect_refused(v, c, SM_ERR_PARSE, SM_CERT_E_SN_SOURCE);
    }
    /* dates that do not exist */
    {
        static const uint8_t bad[][5] = {
            { 25, 0, 1, 0, 1 }, { 25, 13, 1, 0, 1 }, { 25, 15, 1, 0, 1 }, { 25, 1, 0, 0, 1 },
            { 25, 4, 31, 0, 1 }, { 25, 2, 29, 0, 1 }, { 24, 2, 30, 0, 1 }, { 25, 1, 1, 24, 1 },
            { 25, 1, 1, 31, 1 }, { 24, 2, 29, 0, 1 }, /* 2024-02-29 + 1 year: 2025-02-29 */
            { 0, 6, 31, 0, 1 }, { 31, 11, 31, 23, 1 }
        };
        for (k = 0; k < sizeof bad / sizeof bad[0]; k++) {
            memcpy(c, v->comp, 72);
            put_dates(c, bad[k][0], bad[k][1], bad[k][2], bad[k][3], bad[k][4]);
            expect_refused(v, c, SM_ERR_PARSE, SM_CERT_E_DATE);
        }
    }
    /* dates a UTCTime cannot hold (the family's fields are UTCTime) */
    memcpy(c, v->comp, 72);
    put_dates(c, 31, 1, 1, 0, 19); /* 2031 + 19 = 2050 */
    expect_refused(v, c, SM_ERR_PARSE, SM_CERT_E_DATE_RANGE);
    memcpy(c, v->comp, 72);
    c[70] = (uint8_t)((c[70] & 0xF0u) | 1u);
    c[71] = 0x40; /* issue year 2000 + 32 + 18 = 2050 */
    put_dates(c, 18, 1, 1, 0, 1);
    expect_refused(v, c, SM_ERR_PARSE, SM_CERT_E_DATE_RANGE);
    /* no expiry in a UTCTime field: its last second, 2049-12-31 23:59:59 */
    memcpy(c, v->comp, 72);
    put_dates(c, 25, 1, 1, 0, 0);
    {
        sm_cert_inputs in = inputs_of(v, c);
        size_t len = 0;
        const sm_cert_loc *e = &v->def->expire;
        CHECK_EQ_INT(sm_cert_rebuild(v->def, &in, g_out, sizeof g_out, &len, NULL), SM_OK);
        CHECK(len == v->der_len && memcmp(g_out + e->offset, "491231235959Z", 13) == 0);
    }
    /* inputs the definition needs */
    {
        sm_cert_inputs in = inputs_of(v, NULL);
        size_t len = 0;
        int why = -1;
        in.device_sn = NULL; /* the subject's name holds the chip serial */
        CHECK_EQ_INT(sm_cert_rebuild(v->def, &in, g_out, sizeof g_out, &len, &why), SM_ERR_PARAM);
        CHECK_EQ_INT(why, SM_CERT_E_INPUT);
        in = inputs_of(v, NULL);
        in.pub = NULL;
        CHECK_EQ_INT(sm_cert_rebuild(v->def, &in, g_out, sizeof g_out, &len, &why), SM_ERR_PARAM);
        in = inputs_of(v, NULL);
        in.comp = NULL;
        CHECK_EQ_INT(sm_cert_rebuild(v->def, &in, g_out, sizeof g_out, &len, &why), SM_ERR_PARAM);
        CHECK_EQ_INT(sm_cert_rebuild(v->def, NULL, g_out, sizeof g_out, &len, &why), SM_ERR_PARAM);
        in = inputs_of(v, NULL);
        CHECK_EQ_INT(sm_cert_rebuild(v->def, &in, g_out, sizeof g_out, NULL, &why), SM_ERR_PARAM);
        CHECK_EQ_INT(sm_cert_rebuild(NULL, &in, g_out, sizeof g_out, &len, &why), SM_ERR_PARAM);
        CHECK_EQ_INT(why, SM_CERT_E_DEF);
    }
    {
        const cert_vector *st = first_of(&fam_dev_src0);
        sm_cert_inputs in;
        size_t len = 0;
        int why = -1;
        CHECK(st != NULL);
        if (st) {
            in = inputs_of(st, NULL);
            in.stored_sn = NULL;
            CHECK_EQ_INT(sm_cert_rebuild(st->def, &in, g_out, sizeof g_out, &len, &why), SM_ERR_PARAM);
            CHECK_EQ_INT(why, SM_CERT_E_INPUT);
        }
    }
}

/* Every capacity below the need: SM_ERR_NO_SPACE with the exact need, and
   not a byte written past the capacity. */
static void test_sizes(void)
{
    const cert_vector *v = first_of(&fam_signer);
    sm_cert_inputs in;
    uint8_t *buf;
    size_t cap, len;
    CHECK(v != NULL);
    if (!v) return;
    in = inputs_of(v, NULL);
    buf = (uint8_t *)malloc(v->der_len + 16u);
    CHECK(buf != NULL);
    if (!buf) return;
    for (cap = 0; cap < v->der_len; cap++) {
        int why = -1;
        memset(buf, 0x5A, v->der_len + 16u);
        len = 0;
        CHECK_EQ_INT(sm_cert_rebuild(v->def, &in, buf, cap, &len, &why), SM_ERR_NO_SPACE);
        CHECK_EQ_INT(len, v->der_len);
        CHECK_EQ_INT(why, SM_CERT_E_SPACE);
        CHECK(buf[cap] == 0x5A);
    }
    len = 0;
    CHECK_EQ_INT(sm_cert_rebuild(v->def, &in, NULL, 0, &len, NULL), SM_ERR_NO_SPACE);
    CHECK_EQ_INT(len, v->der_len);
    CHECK_EQ_INT(sm_cert_rebuild(v->def, &in, buf, v->der_len, &len, NULL), SM_OK);
    CHECK(memcmp(buf, v->der, v->der_len) == 0);
    free(buf);
    CHECK_EQ_INT(sm_cert_size(v->def, 2, &cap), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_cert_size(v->def, SM_CERT_DER, NULL), SM_ERR_PARAM);
}

/* ---- hostile definitions ---- */

static uint8_t g_tmpl[2048];

static void expect_bad_def(const sm_cert_def *d)
{
    const cert_vector *v = first_of(&fam_dev_utc);
    sm_cert_inputs in = inputs_of(v, NULL);
    size_t len = 0, cap = 0;
    int why = -1;
    CHECK_EQ_INT(sm_cert_def_check(d), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_cert_size(d, SM_CERT_DER, &cap), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_cert_rebuild(d, &in, g_out, sizeof g_out, &len, &why), SM_ERR_PARAM);
    CHECK_EQ_INT(why, SM_CERT_E_DEF);
}

static sm_cert_loc *loc_of(sm_cert_def *d, int k)
{
    sm_cert_loc *all[9];
    all[0] = &d->sn; all[1] = &d->issue; all[2] = &d->expire; all[3] = &d->signer_id; all[4] = &d->pub;
    all[5] = &d->sig; all[6] = &d->subj_key_id; all[7] = &d->auth_key_id; all[8] = &d->sn_hex;
    return all[k];
}

static void test_hostile_def(void)
{
    sm_cert_def d;
    int k;
    /* every element moved by one byte either way, or given another count */
    for (k = 0; k < 9; k++) {
        /* (a hex element moved right may end on the '0' (0x30) of the
           next SEQUENCE: still hex, so only the left move is refused) */
        if (k != 3 && k != 8) {
            d = fam_dev_utc;
            loc_of(&d, k)->offset = (uint16_t)(loc_of(&d, k)->offset + 1u);
            expect_bad_def(&d);
        }
        d = fam_dev_utc;
        loc_of(&d, k)->offset = (uint16_t)(loc_of(&d, k)->offset - 1u);
        expect_bad_def(&d);
        d = fam_dev_utc;
        loc_of(&d, k)->count = (uint16_t)(loc_of(&d, k)->count + 1u);
        expect_bad_def(&d);
        d = fam_dev_utc;
        loc_of(&d, k)->offset = 0xFFFFu;
        expect_bad_def(&d);
    }
    /* absent public key or signature */
    d = fam_dev_utc; d.pub.count = 0; expect_bad_def(&d);
    d = fam_dev_utc; d.sig.count = 0; expect_bad_def(&d);
    /* the date formats swapped */
    d = fam_dev_utc; d.issue_format = SM_CERT_DATE_GEN; expect_bad_def(&d);
    d = fam_dev_utc; d.expire_format = 2; expect_bad_def(&d);
    /* ids, sources, slots out of range */
    d = fam_dev_utc; d.template_id = 16; expect_bad_def(&d);
    d = fam_dev_utc; d.chain_id = 16; expect_bad_def(&d);
    d = fam_dev_utc; d.sn_source = 1; expect_bad_def(&d);
    d = fam_dev_utc; d.sn_source = 7; expect_bad_def(&d); /* stored dynamic: not supported */
    d = fam_dev_utc; d.comp_slot = 16; expect_bad_def(&d);
    d = fam_dev_utc; d.pub_slot = 16; expect_bad_def(&d);
    d = fam_dev_utc; d.pub_source = 2; expect_bad_def(&d);
    d = fam_dev_utc; d.sn_slot = 16; expect_bad_def(&d);
    /* a device-serial source needs 10 bytes of serial, a signer-id one 3 */
    d = fam_dev_utc; d.sn_source = SM_CERT_SN_DEVICE_SN; expect_bad_def(&d);
    d = fam_dev_utc; d.sn_source = SM_CERT_SN_SIGNER_ID; expect_bad_def(&d);
    /* two elements on the same bytes: a signer id inside the chip serial's
       hex digits passes every other check */
    d = fam_dev_utc; d.signer_id.offset = (uint16_t)(d.sn_hex.offset + 2u); expect_bad_def(&d);
    /* the template: too short, not one value, NULL, its last byte cut */
    d = fam_dev_utc; d.tmpl = NULL; expect_bad_def(&d);
    d = fam_dev_utc; d.tmpl_len = 7; expect_bad_def(&d);
    d = fam_dev_utc; d.tmpl_len = (uint16_t)(d.tmpl_len - 1u); expect_bad_def(&d);
    memcpy(g_tmpl, fam_dev_utc.tmpl, fam_dev_utc.tmpl_len);
    g_tmpl[fam_dev_utc.tmpl_len] = 0;
    d = fam_dev_utc; d.tmpl = g_tmpl; d.tmpl_len = (uint16_t)(d.tmpl_len + 1u); expect_bad_def(&d);
    d = fam_dev_utc; d.tmpl = g_tmpl; d.tmpl_len = fam_dev_utc.tmpl_len;
    g_tmpl[0] = 0x31; expect_bad_def(&d);
    g_tmpl[0] = 0x30;
    CHECK_EQ_INT(sm_cert_def_check(&d), SM_OK);
    /* a signer id or chip serial that is not hex in the template */
    g_tmpl[fam_dev_utc.signer_id.offset] = 'G';
    expect_bad_def(&d);
    g_tmpl[fam_dev_utc.signer_id.offset] = fam_dev_utc.tmpl[fam_dev_utc.signer_id.offset];
    g_tmpl[fam_dev_utc.sn_hex.offset + 17u] = ' ';
    expect_bad_def(&d);
    CHECK_EQ_INT(sm_cert_def_check(NULL), SM_ERR_PARAM);
}

/* ---- the outer length changes size: content of 127 vs 128+ bytes ---- */

/* A small "certificate": SEQUENCE { SEQUENCE { INTEGER serial (3),
   BIT STRING key }, BIT STRING signature }, sized so that a 70-byte
   signature SEQUENCE leaves the content below 128 and a longer one not. */
static void test_header_growth(void)
{
    static uint8_t t[160];
    sm_cert_def d;
    uint8_t comp[72], pub[64], out[200];
    sm_cert_inputs in;
    size_t n = 0, len = 0, tbs, i;
    memset(&d, 0, sizeof d);
    memset(pub, 0x11, sizeof pub);
    /* tbs: 30 L | 02 03 40 1A 2B | 03 42 00 04 X Y */
    tbs = 5u + 68u;
    t[n++] = 0x30; t[n++] = 0x7F; /* patched below */
    t[n++] = 0x30; t[n++] = (uint8_t)tbs;
    t[n++] = 0x02; t[n++] = 0x03; t[n++] = 0x40; t[n++] = 0x1A; t[n++] = 0x2B;
    t[n++] = 0x03; t[n++] = 0x42; t[n++] = 0x00; t[n++] = 0x04;
    d.pub.offset = (uint16_t)n; d.pub.count = 64;
    n += 64u;
    d.sig.offset = (uint16_t)n; d.sig.count = 64;
    /* a signature BIT STRING of 03 33 00 30 30 02 16 .. 02 16 .. (51 bytes) */
    t[n++] = 0x03; t[n++] = 0x31; t[n++] = 0x00; t[n++] = 0x30; t[n++] = 0x2E;
    t[n++] = 0x02; t[n++] = 0x15; for (i = 0; i < 0x15u; i++) t[n++] = 0x01;
    t[n++] = 0x02; t[n++] = 0x15; for (i = 0; i < 0x15u; i++) t[n++] = 0x01;
    t[1] = (uint8_t)(n - 2u);
    d.tmpl = t; d.tmpl_len = (uint16_t)n;
    d.sn.offset = 6; d.sn.count = 3; d.sn_source = SM_CERT_SN_SIGNER_ID;
    d.template_id = 3; d.chain_id = 1;
    CHECK_EQ_INT(sm_cert_def_check(&d), SM_OK);
    memset(comp, 0, sizeof comp);
    comp[67] = 0xC0; comp[68] = 0xDE;
    comp[69] = 0x31; comp[70] = 0x90;
    put_dates(comp, 26, 1, 1, 0, 0);
    in.comp = comp; in.pub = pub; in.signer_pub = NULL; in.device_sn = NULL; in.stored_sn = NULL;
    /* R and S with their top bits set: 73-byte BIT STRING, content 2 + 73 + 75 > 127 */
    memset(comp, 0x80, 64);
    CHECK_EQ_INT(sm_cert_rebuild(&d, &in, out, sizeof out, &len, NULL), SM_OK);
    CHECK(out[0] == 0x30 && out[1] == 0x81 && (size_t)out[2] + 3u == len);
    CHECK(out[3] == 0x30 && out[4] == (uint8_t)tbs && out[7] == 0x40 && out[8] == 0xC0 && out[9] == 0xDE);
    CHECK(memcmp(out + 3u + 2u + 5u + 4u, pub, 64) == 0);
    CHECK(out[len - 75u] == 0x03 && out[len - 74u] == 73 && out[len - 72u] == 0x30 && out[len - 71u] == 70);
    /* R and S of 20 bytes each: content below 128, header of 2 bytes */
    memset(comp, 0, 64);
    comp[12] = 0x7F; comp[44] = 0x7F;
    CHECK_EQ_INT(sm_cert_rebuild(&d, &in, out, sizeof out, &len, NULL), SM_OK);
    CHECK(out[0] == 0x30 && out[1] < 0x80 && (size_t)out[1] + 2u == len);
    CHECK(out[2] == 0x30 && out[6] == 0x40 && out[7] == 0xC0);
    CHECK(out[len - 49u] == 0x03 && out[len - 48u] == 47 && out[len - 46u] == 0x30 && out[len - 45u] == 44);
    /* R = 0 and S = 0 encode as INTEGER 0 (02 01 00): still framed */
    memset(comp, 0, 64);
    CHECK_EQ_INT(sm_cert_rebuild(&d, &in, out, sizeof out, &len, NULL), SM_OK);
    CHECK(out[len - 11u] == 0x03 && out[len - 10u] == 9 && out[len - 6u] == 0x02 && out[len - 4u] == 0x00);
}

int main(int argc, char **argv)
{
    RUN_ARG(test_vectors, argc > 1 ? argv[1] : NULL);
    RUN(test_no_signer_key);
    RUN(test_sha1);
    RUN(test_key_id_vector);
    RUN(test_date_vectors);
    RUN(test_trust_and_go_templates);
    RUN(test_chip_operation);
    RUN(test_hostile_comp);
    RUN(test_sizes);
    RUN(test_hostile_def);
    RUN(test_header_growth);
    return sm_test_finish("certs");
}
