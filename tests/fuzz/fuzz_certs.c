/* fuzz_certs.c - libFuzzer harness for section 13 (compressed
   certificates): everything that comes from the chip or from a definition
   - the 72 bytes, the public keys, the chip serial, the stored serial, the
   buffer size, a definition's offsets and counts, the template's bytes -
   and the non-blocking rebuild against a chip whose every answer comes
   from the input.

   Beyond "no crash, no overflow" (ASan) it checks: a rebuild that succeeds
   is one DER SEQUENCE of exactly the length reported, at most
   sm_cert_size(); every template byte outside the elements is kept; the
   signature at its end decodes back to R and S; SM_ERR_NO_SPACE reports
   the exact need (a second call with that capacity succeeds); a
   definition sm_cert_def_check() refuses is refused by every entry point;
   decoded dates are dates. The template is a device certificate made by
   sim/chips/certdef.py (UTCTime issue, GeneralizedTime expiry, the chip serial
   in the subject, the signer id in the issuer, both key identifiers). */
#define SECMODEM_IMPLEMENTATION
#include "../../secmodem.h"

#include <stdlib.h>
#include <string.h>

#define CHECK(x) do { if (!(x)) abort(); } while (0)

static const uint8_t fuzz_def_tmpl[469] = {
    0x30, 0x82, 0x01, 0xd1, 0x30, 0x82, 0x01, 0x77, 0xa0, 0x03, 0x02, 0x01,
    0x02, 0x02, 0x10, 0x67, 0xdd, 0x47, 0x12, 0xf2, 0x32, 0x74, 0xd1, 0xc7,
    0x43, 0x72, 0xbf, 0x33, 0x6a, 0x1a, 0xb9, 0x30, 0x0a, 0x06, 0x08, 0x2a,
    0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02, 0x30, 0x33, 0x31, 0x16, 0x30,
    0x14, 0x06, 0x03, 0x55, 0x04, 0x0a, 0x0c, 0x0d, 0x73, 0x65, 0x63, 0x6d,
    0x6f, 0x64, 0x65, 0x6d, 0x20, 0x74, 0x65, 0x73, 0x74, 0x31, 0x19, 0x30,
    0x17, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0c, 0x10, 0x66, 0x75, 0x7a, 0x7a,
    0x20, 0x53, 0x69, 0x67, 0x6e, 0x65, 0x72, 0x20, 0x31, 0x41, 0x32, 0x42,
    0x30, 0x20, 0x17, 0x0d, 0x32, 0x35, 0x30, 0x35, 0x30, 0x36, 0x30, 0x37,
    0x30, 0x30, 0x30, 0x30, 0x5a, 0x18, 0x0f, 0x39, 0x39, 0x39, 0x39, 0x31,
    0x32, 0x33, 0x31, 0x32, 0x33, 0x35, 0x39, 0x35, 0x39, 0x5a, 0x30, 0x3e,
    0x31, 0x16, 0x30, 0x14, 0x06, 0x03, 0x55, 0x04, 0x0a, 0x0c, 0x0d, 0x73,
    0x65, 0x63, 0x6d, 0x6f, 0x64, 0x65, 0x6d, 0x20, 0x74, 0x65, 0x73, 0x74,
    0x31, 0x24, 0x30, 0x22, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0c, 0x1b, 0x66,
    0x75, 0x7a, 0x7a, 0x20, 0x64, 0x65, 0x76, 0x20, 0x30, 0x31, 0x32, 0x33,
    0x41, 0x31, 0x42, 0x32, 0x43, 0x33, 0x44, 0x34, 0x45, 0x35, 0x46, 0x36,
    0x45, 0x45, 0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce,
    0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01,
    0x07, 0x03, 0x42, 0x00, 0x04, 0x0f, 0x74, 0x50, 0xe3, 0x40, 0x5f, 0x41,
    0xdd, 0x6e, 0x6e, 0x47, 0x07, 0x81, 0xaa, 0x97, 0xd9, 0x4b, 0x63, 0xa9,
    0xc5, 0x47, 0xbd, 0x6b, 0x6b, 0xe0, 0x24, 0x1f, 0x43, 0x90, 0xd9, 0x36,
    0xe3, 0xc0, 0xc3, 0xf0, 0xc0, 0x7b, 0xea, 0xe7, 0x9d, 0xc3, 0xf4, 0xb6,
    0x56, 0xa3, 0x13, 0x8f, 0x2c, 0x33, 0x14, 0xdf, 0xa4, 0xf0, 0xbc, 0x88,
    0x47, 0x84, 0x34, 0xf4, 0x49, 0x10, 0xd9, 0xbd, 0x41, 0xa3, 0x60, 0x30,
    0x5e, 0x30, 0x0c, 0x06, 0x03, 0x55, 0x1d, 0x13, 0x01, 0x01, 0xff, 0x04,
    0x02, 0x30, 0x00, 0x30, 0x0e, 0x06, 0x03, 0x55, 0x1d, 0x0f, 0x01, 0x01,
    0xff, 0x04, 0x04, 0x03, 0x02, 0x03, 0x88, 0x30, 0x1d, 0x06, 0x03, 0x55,
    0x1d, 0x0e, 0x04, 0x16, 0x04, 0x14, 0x1f, 0xa1, 0x7e, 0x19, 0xac, 0xba,
    0x35, 0xdf, 0xce, 0xdd, 0xe6, 0x21, 0xa2, 0xeb, 0x8a, 0x07, 0x49, 0x8f,
    0x11, 0x5a, 0x30, 0x1f, 0x06, 0x03, 0x55, 0x1d, 0x23, 0x04, 0x18, 0x30,
    0x16, 0x80, 0x14, 0x4f, 0x2f, 0x57, 0x65, 0x05, 0xd3, 0x65, 0x2f, 0x80,
    0xb5, 0xe0, 0x2d, 0xcd, 0xa2, 0x15, 0xf8, 0x19, 0x72, 0x1f, 0x8d, 0x30,
    0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02, 0x03,
    0x48, 0x00, 0x30, 0x45, 0x02, 0x20, 0x78, 0xe0, 0xf9, 0x97, 0x6d, 0x1e,
    0xef, 0x62, 0x75, 0x5a, 0xaa, 0xf7, 0xd8, 0x63, 0x03, 0x2f, 0x02, 0x1b,
    0x48, 0x0d, 0x05, 0x88, 0x01, 0x02, 0xc2, 0x59, 0x24, 0x49, 0x9a, 0x13,
    0xfc, 0x52, 0x02, 0x21, 0x00, 0xd5, 0x27, 0x1c, 0xe0, 0x2c, 0x57, 0x2d,
    0xaf, 0x75, 0x74, 0x28, 0x6c, 0xa6, 0xf4, 0x24, 0xda, 0x82, 0x19, 0x20,
    0xe0, 0x7f, 0xe5, 0x59, 0xf1, 0x84, 0xcc, 0x54, 0x74, 0x53, 0xd5, 0xee,
    0x2f
};
static const sm_cert_def fuzz_def = {
    fuzz_def_tmpl, 469,
    2, 0, SM_CERT_SN_PUBKEY_HASH, /* template, chain, serial */
    SM_CERT_DATE_UTC, SM_CERT_DATE_GEN,
    10, 0, SM_CERT_PUB_GENKEY, 0, /* compressed, key slot and source, serial slot */
    { 15, 16 } /* sn */,
    { 100, 13 } /* issue */,
    { 115, 15 } /* expire */,
    { 92, 4 } /* signer_id */,
    { 221, 64 } /* pub */,
    { 395, 64 } /* sig */,
    { 330, 20 } /* subj_key_id */,
    { 363, 20 } /* auth_key_id */,
    { 176, 18 } /* sn_hex */
};


/* ---- the input, consumed piece by piece ---------------------------------- */
typedef struct input { const uint8_t *d; size_t n, pos; uint32_t now; } input;
static uint8_t take(input *in) { return in->pos < in->n ? in->d[in->pos++] : 0; }
static void take_bytes(input *in, uint8_t *out, size_t k)
{
    size_t i;
    for (i = 0; i < k; i++) out[i] = take(in);
}

/* Length of the TLV at p[0..n) (header included), 0 if malformed. */
static size_t tlv_len(const uint8_t *p, size_t n, size_t *hdr)
{
    size_t len, k, i;
    if (n < 2) return 0;
    if (p[1] < 0x80) { *hdr = 2; len = p[1]; }
    else {
        k = p[1] & 0x7Fu;
        if (k == 0 || k > 2 || n < 2 + k) return 0;
        for (len = 0, i = 0; i < k; i++) len = len << 8 | p[2 + i];
        *hdr = 2 + k;
    }
    return *hdr + len <= n ? *hdr + len : 0;
}

/* The positive INTEGER at p is the 32-byte big-endian number want. */
static size_t check_int(const uint8_t *p, size_t n, const uint8_t want[32])
{
    size_t hdr = 0, all = tlv_len(p, n, &hdr), len, i;
    uint8_t v[32];
    CHECK(all && p[0] == 0x02);
    len = all - hdr;
    CHECK(len >= 1 && len <= 33);
    if (len > 1) CHECK(!(p[hdr] == 0 && p[hdr + 1] < 0x80)); /* minimal */
    CHECK(p[hdr] < 0x80);                                      /* positive */
    memset(v, 0, sizeof v);
    for (i = 0; i < len; i++)
        if (len - i <= 32) v[32 - (len - i)] = p[hdr + i];
        else CHECK(p[hdr + i] == 0);
    CHECK(memcmp(v, want, 32) == 0);
    return all;
}

static int in_elements(const sm_cert_def *d, size_t o)
{
    const sm_cert_loc *all[8] = { &d->sn, &d->issue, &d->expire, &d->signer_id, &d->pub,
                                  &d->subj_key_id, &d->auth_key_id, &d->sn_hex };
    size_t i;
    for (i = 0; i < 8; i++)
        if (all[i]->count && o >= all[i]->offset && o < (size_t)all[i]->offset + all[i]->count) return 1;
    return 0;
}

/* A successful rebuild, checked without the library's own code. */
static void check_built(const sm_cert_def *d, const uint8_t *comp, const uint8_t *out, size_t len)
{
    size_t hdr = 0, cap = 0, th, o, sh = 0, sl, bh = 0, bl, at;
    CHECK(sm_cert_size(d, SM_CERT_DER, &cap) == SM_OK && len <= cap);
    CHECK(out[0] == 0x30 && tlv_len(out, len, &hdr) == len);
    th = d->tmpl[1] < 0x80 ? 2 : 2u + (d->tmpl[1] & 0x7Fu);
    for (o = th; o < d->sig.offset; o++) /* the template outside the elements */
        if (!in_elements(d, o)) CHECK(out[o - th + hdr] == d->tmpl[o]);
    at = d->sig.offset - th + hdr;       /* BIT STRING { 00, SEQUENCE { r, s } } */
    bl = tlv_len(out + at, len - at, &bh);
    CHECK(out[at] == 0x03 && bl == len - at && out[at + bh] == 0x00);
    sl = tlv_len(out + at + bh + 1, bl - bh - 1, &sh);
    CHECK(out[at + bh + 1] == 0x30 && sl == bl - bh - 1);
    o = at + bh + 1 + sh;
    o += check_int(out + o, len - o, comp);
    o += check_int(out + o, len - o, comp + 32);
    CHECK(o == len);
}

static uint8_t g_out[1024];

static void rebuild_and_check(const sm_cert_def *d, const sm_cert_inputs *in, size_t cap)
{
    size_t len = 0, need;
    int why = -1, rc, ok = sm_cert_def_check(d) == SM_OK;
    if (cap > sizeof g_out) cap = sizeof g_out;
    rc = sm_cert_rebuild(d, in, g_out, cap, &len, &why);
    CHECK(sm_cert_why_name(why)[0] != '?');
    if (!ok) { CHECK(rc == SM_ERR_PARAM && why == SM_CERT_E_DEF); return; }
    if (rc == SM_ERR_NO_SPACE) {
        need = len;
        CHECK(need > cap && why == SM_CERT_E_SPACE);
        if (need > sizeof g_out) return;
        rc = sm_cert_rebuild(d, in, g_out, need, &len, &why);
        CHECK(rc == SM_OK && len == need);
    }
    if (rc == SM_OK) { CHECK(why == SM_CERT_E_NONE); check_built(d, in->comp, g_out, len); }
    else CHECK(rc == SM_ERR_PARSE || rc == SM_ERR_PARAM);
}

/* ---- the chip operation against a chip made of the input ----------------- */
static int fc_write(void *u, uint8_t addr, const uint8_t *d, size_t n)
{
    input *in = (input *)u;
    (void)addr; (void)d; (void)n;
    return (take(in) & 7) == 0 ? -1 : 0;
}
/* Answers with a response group of the input's bytes and a right CRC most
   of the time, so the operation gets past the transport. */
static int fc_read(void *u, uint8_t addr, uint8_t *b, size_t n)
{
    input *in = (input *)u;
    uint8_t mode = take(in);
    uint16_t crc;
    (void)addr;
    if ((mode & 7) == 0) return -1;
    take_bytes(in, b, n);
    if (mode & 0x80 && n >= 4) {
        b[0] = (uint8_t)n;
        crc = sm_atecc_crc16(b, n - 2);
        b[n - 2] = (uint8_t)crc;
        b[n - 1] = (uint8_t)(crc >> 8);
    }
    return 0;
}
static uint32_t fc_now(void *u) { return ((input *)u)->now; }

static void check_chip(input *in, const sm_cert_def *d)
{
    static sm_atecc se;
    static sm_cert_op op;
    static char out[1024];
    sm_platform p;
    size_t cap = 0;
    int rc, polls = 0;
    unsigned format = take(in) & 1u;
    memset(&p, 0, sizeof p);
    p.user = in;
    p.i2c_write = fc_write;
    p.i2c_read = fc_read;
    p.now_ms = fc_now;
    CHECK(sm_atecc_init(&se, &p, 0) == SM_OK);
    CHECK(sm_cert_size(d, format, &cap) == SM_OK && cap <= sizeof out);
    rc = sm_cert_start(&op, &se, d, NULL, format, out, cap);
    CHECK(rc == SM_OK);
    while ((rc = sm_cert_poll(&op)) == SM_ATECC_PENDING) {
        in->now += 1u + take(in) % 50u;
        CHECK(++polls < 200000); /* would hang */
    }
    if (rc == SM_OK) {
        size_t len = sm_cert_out_len(&op);
        CHECK(len <= cap);
        if (format == SM_CERT_DER) CHECK(out[0] == 0x30);
        else CHECK(out[len] == '\0' && strlen(out) == len);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t tmpl[sizeof fuzz_def_tmpl + 8];
    uint8_t comp[72], pub[64], spub[64], dsn[9], stored[32], mode, flags;
    uint16_t is[6], ex[6];
    sm_cert_inputs ins;
    sm_cert_def d = fuzz_def;
    size_t cap;
    input in;
    if (size < 2) return 0;
    in.d = data; in.n = size; in.pos = 0; in.now = 0;
    mode = take(&in);
    flags = take(&in);
    take_bytes(&in, comp, sizeof comp);
    if (flags & 1) { comp[69] = 0x20; comp[70] = (uint8_t)(0xA0 | (comp[70] & 1)); } /* reach the dates */
    take_bytes(&in, pub, sizeof pub);
    take_bytes(&in, spub, sizeof spub);
    take_bytes(&in, dsn, sizeof dsn);
    take_bytes(&in, stored, sizeof stored);
    cap = (size_t)take(&in) << 2 | (take(&in) & 3u);
    if (sm_cert_dates(comp, is, ex, NULL) == SM_OK) {
        CHECK(is[0] >= 2000 && is[0] <= 2127 && is[1] >= 1 && is[1] <= 12 && is[2] >= 1 && is[2] <= 31);
        CHECK(is[3] <= 23 && ex[0] > is[0]);
    }
    ins.comp = comp;
    ins.pub = pub;
    ins.signer_pub = (flags & 2) ? spub : NULL;
    ins.device_sn = (flags & 4) ? NULL : dsn;
    ins.stored_sn = stored;
    switch (mode & 3u) {
    case 0: /* the chip's data, the definition as made */
        d.sn_source = (flags & 8) ? (uint8_t)(take(&in) & 15u) : d.sn_source;
        rebuild_and_check(&d, &ins, cap);
        break;
    case 1: { /* a definition whose offsets and counts come from the input */
        sm_cert_loc *all[9] = { &d.sn, &d.issue, &d.expire, &d.signer_id, &d.pub, &d.sig,
                                &d.subj_key_id, &d.auth_key_id, &d.sn_hex };
        size_t k, rounds = take(&in) % 4u + 1u;
        for (k = 0; k < rounds; k++) {
            sm_cert_loc *l = all[take(&in) % 9u];
            l->offset = (uint16_t)(l->offset + (int8_t)take(&in));
            if (take(&in) & 1) l->count = take(&in);
        }
        d.issue_format = take(&in) & 1u ? d.issue_format : (uint8_t)(take(&in) % 3u);
        d.sn_source = (uint8_t)(take(&in) & 15u);
        rebuild_and_check(&d, &ins, cap);
        break;
    }
    case 2: { /* template bytes changed, or its length */
        size_t k, rounds = take(&in) % 8u + 1u;
        memcpy(tmpl, fuzz_def_tmpl, sizeof fuzz_def_tmpl);
        memset(tmpl + sizeof fuzz_def_tmpl, 0, 8);
        for (k = 0; k < rounds; k++) {
            size_t at = ((size_t)take(&in) << 8 | take(&in)) % sizeof fuzz_def_tmpl;
            tmpl[at] = take(&in);
        }
        d.tmpl = tmpl;
        d.tmpl_len = (uint16_t)(d.tmpl_len + (take(&in) % 9u) - 4u);
        rebuild_and_check(&d, &ins, cap);
        break;
    }
    default:
        d.pub_source = take(&in) & 1u;
        d.sn_source = (flags & 8) ? SM_CERT_SN_STORED : d.sn_source;
        check_chip(&in, &d);
        break;
    }
    return 0;
}
