/* fuzz_csr.c - libFuzzer harness for section 11 (CSR): everything it is
   given from outside - subject strings from the user, a public key and a
   signature from the chip, buffer sizes, PEM labels, a "tbs" that may be
   anything - and the non-blocking request against a chip whose every
   answer comes from the input.

   Beyond "no crash, no overflow" (ASan) it checks, with a DER reader of its
   own: every structure the writer makes is well formed (definite minimal
   lengths, TLVs nested exactly, INTEGERs minimal and positive, BIT STRINGs
   with 0 unused bits); the signature's DER decodes back to R and S; the
   sizes reported for a too-small buffer are exact; sm_csr_size() is an
   upper bound; in-place assembly gives the same bytes; the PEM decodes
   back to the DER in lines of at most 64 characters; SHA-256 gives the
   same digest however the input is split. */
#define SECMODEM_IMPLEMENTATION
#include "../../secmodem.h"

#include <stdlib.h>
#include <string.h>

#define CHECK(x) do { if (!(x)) abort(); } while (0)

/* ---- an independent DER reader ------------------------------------------ */
/* Reads one TLV at p[0..n): its content's offset and length; 0 if the
   header is malformed or not minimal, or the content overruns. */
static int der_tlv(const uint8_t *p, size_t n, size_t *hdr, size_t *len)
{
    if (n < 2) return 0;
    if (p[1] < 0x80) { *hdr = 2; *len = p[1]; }
    else if (p[1] == 0x81) {
        if (n < 3 || p[2] < 0x80) return 0;
        *hdr = 3; *len = p[2];
    } else if (p[1] == 0x82) {
        if (n < 4 || p[2] == 0) return 0;
        *hdr = 4; *len = ((size_t)p[2] << 8) | p[3];
    } else return 0;
    return *len <= n - *hdr;
}

/* The TLVs in p[0..n) exactly fill it, recursively. */
static int der_walk(const uint8_t *p, size_t n, int depth)
{
    size_t hdr, len;
    if (depth > 16) return 0;
    while (n) {
        const uint8_t *c;
        if (!der_tlv(p, n, &hdr, &len)) return 0;
        c = p + hdr;
        if (p[0] & 0x20) {
            if (!der_walk(c, len, depth + 1)) return 0;
        } else if (p[0] == 0x02) { /* INTEGER: minimal, and positive here */
            if (len == 0 || c[0] >= 0x80) return 0;
            if (len > 1 && c[0] == 0 && c[1] < 0x80) return 0;
        } else if (p[0] == 0x03) { /* BIT STRING of whole bytes */
            if (len == 0 || c[0] != 0) return 0;
        }
        p += hdr + len;
        n -= hdr + len;
    }
    return 1;
}

/* One SEQUENCE spanning exactly p[0..n). */
static int der_one_sequence(const uint8_t *p, size_t n)
{
    size_t hdr, len;
    return n && p[0] == 0x30 && der_tlv(p, n, &hdr, &len) && hdr + len == n && der_walk(p, n, 0);
}

/* ---- the input, consumed piece by piece ---------------------------------- */
typedef struct input { const uint8_t *d; size_t n, pos; uint32_t now; } input;
static uint8_t take(input *in) { return in->pos < in->n ? in->d[in->pos++] : 0; }
static void take_bytes(input *in, uint8_t *out, size_t k)
{
    size_t i;
    for (i = 0; i < k; i++) out[i] = take(in);
}

/* ---- the checks ------------------------------------------------------------ */
static void check_sha256(const uint8_t *d, size_t n)
{
    uint8_t one[32], two[32];
    sm_sha256_ctx c;
    size_t cut = n ? d[0] % (n + 1) : 0;
    sm_sha256(d, n, one);
    sm_sha256_init(&c);
    sm_sha256_update(&c, d, cut);
    sm_sha256_update(&c, d + cut, n - cut);
    sm_sha256_final(&c, two);
    CHECK(memcmp(one, two, 32) == 0);
}

static void check_signature(const uint8_t rs[64], size_t small_cap)
{
    uint8_t der[SM_ECDSA_DER_MAX + 8], r[32], s[32], tiny[SM_ECDSA_DER_MAX];
    size_t len = 0, need = 0, hdr, inner;
    const uint8_t *p;
    size_t left;
    CHECK(sm_ecdsa_sig_to_der(rs, der, sizeof der, &len) == SM_OK);
    CHECK(len <= SM_ECDSA_DER_MAX && der_one_sequence(der, len));
    /* SEQUENCE { INTEGER r, INTEGER s } and nothing else */
    CHECK(der_tlv(der, len, &hdr, &inner));
    p = der + hdr;
    left = inner;
    {
        size_t h1, l1, h2, l2;
        CHECK(der_tlv(p, left, &h1, &l1) && p[0] == 0x02);
        CHECK(der_tlv(p + h1 + l1, left - h1 - l1, &h2, &l2) && p[h1 + l1] == 0x02);
        CHECK(h1 + l1 + h2 + l2 == left);
        memset(r, 0, 32);
        memset(s, 0, 32);
        {
            const uint8_t *c1 = p + h1, *c2 = p + h1 + l1 + h2;
            size_t k1 = l1, k2 = l2;
            if (k1 == 33) { CHECK(c1[0] == 0); c1++; k1--; }
            if (k2 == 33) { CHECK(c2[0] == 0); c2++; k2--; }
            CHECK(k1 <= 32 && k2 <= 32);
            memcpy(r + 32 - k1, c1, k1);
            memcpy(s + 32 - k2, c2, k2);
        }
    }
    CHECK(memcmp(r, rs, 32) == 0 && memcmp(s, rs + 32, 32) == 0);
    /* too small: the exact size, nothing written past the capacity */
    if (small_cap < len) {
        CHECK(sm_ecdsa_sig_to_der(rs, tiny, small_cap, &need) == SM_ERR_NO_SPACE);
        CHECK(need == len);
    }
}

/* Base64 lines of at most 64 characters between the armour decode to der. */
static void check_pem(const char *pem, size_t pem_len, const uint8_t *der, size_t der_len)
{
    static uint8_t back[4096];
    static char b64[8192];
    size_t nb = 0, got = 0, i = 0, line = 0;
    const char *begin = "-----BEGIN " SM_PEM_LABEL_CSR "-----\n";
    const char *end = "-----END " SM_PEM_LABEL_CSR "-----\n";
    CHECK(pem[pem_len] == '\0' && strlen(pem) == pem_len);
    CHECK(pem_len > strlen(begin) + strlen(end));
    CHECK(memcmp(pem, begin, strlen(begin)) == 0);
    CHECK(memcmp(pem + pem_len - strlen(end), end, strlen(end)) == 0);
    for (i = strlen(begin); i < pem_len - strlen(end); i++) {
        if (pem[i] == '\n') { CHECK(line > 0 && line <= 64); line = 0; continue; }
        line++;
        CHECK(nb < sizeof b64);
        b64[nb++] = pem[i];
    }
    CHECK(line == 0);
    CHECK(sm_base64_decode(b64, nb, back, sizeof back, &got) == SM_OK);
    CHECK(got == der_len && memcmp(back, der, der_len) == 0);
}

static void check_request(const sm_dn_attr *subj, size_t n, const uint8_t pub[64],
                          const uint8_t sig[64], size_t small_cap)
{
    static uint8_t tbs[4096], csr[4096], inplace[4096], tiny[4096];
    static char pem[8192];
    size_t cap_der = 0, cap_pem = 0, len = 0, need = 0, clen = 0, ilen = 0, plen = 0;
    int ok = sm_dn_check(subj, n);
    int rc = sm_csr_tbs(subj, n, pub, tbs, sizeof tbs, &len);
    if (ok != SM_OK) { /* the same refusal everywhere */
        CHECK(rc == ok);
        CHECK(sm_csr_size(subj, n, SM_CSR_DER, &cap_der) == ok);
        return;
    }
    CHECK(rc == SM_OK && der_one_sequence(tbs, len));
    CHECK(sm_csr_tbs(subj, n, pub, NULL, 0, &need) == SM_ERR_NO_SPACE && need == len);
    if (small_cap < len) {
        CHECK(sm_csr_tbs(subj, n, pub, tiny, small_cap, &need) == SM_ERR_NO_SPACE && need == len);
    }
    CHECK(sm_csr_size(subj, n, SM_CSR_DER, &cap_der) == SM_OK);
    CHECK(sm_csr_size(subj, n, SM_CSR_PEM, &cap_pem) == SM_OK);
    CHECK(sm_csr_assemble(tbs, len, sig, csr, sizeof csr, &clen) == SM_OK);
    CHECK(clen <= cap_der && der_one_sequence(csr, clen));
    if (small_cap < clen) {
        CHECK(sm_csr_assemble(tbs, len, sig, tiny, small_cap, &need) == SM_ERR_NO_SPACE);
        CHECK(need == clen);
    }
    /* in place, as sm_csr_poll() does it */
    memcpy(inplace, tbs, len);
    CHECK(sm_csr_assemble(inplace, len, sig, inplace, sizeof inplace, &ilen) == SM_OK);
    CHECK(ilen == clen && memcmp(inplace, csr, clen) == 0);
    /* PEM, in place too */
    memcpy(pem, csr, clen);
    CHECK(sm_pem_encode(SM_PEM_LABEL_CSR, (const uint8_t *)pem, clen, pem, sizeof pem, &plen) == SM_OK);
    CHECK(plen + 1 <= cap_pem);
    check_pem(pem, plen, csr, clen);
}

/* Anything as a tbs: refused unless it is one DER SEQUENCE of n bytes (the
   contract checks only that outer shape: the tbs is the caller's, normally
   sm_csr_tbs()'s); then the request is one SEQUENCE that starts with the tbs
   verbatim. Never overruns. */
static void check_assemble_any(const uint8_t *d, size_t n, const uint8_t sig[64], size_t cap)
{
    static uint8_t out[4096];
    size_t len = 0, hdr, inner, th, tl;
    int rc;
    int outer_ok = n >= 2 && d[0] == 0x30 && der_tlv(d, n, &th, &tl) && th + tl == n;
    if (cap > sizeof out) cap = sizeof out;
    rc = sm_csr_assemble(d, n, sig, out, cap, &len);
    if (rc == SM_OK) {
        CHECK(outer_ok && len <= cap);
        CHECK(out[0] == 0x30 && der_tlv(out, len, &hdr, &inner) && hdr + inner == len);
        CHECK(inner > n && memcmp(out + hdr, d, n) == 0);
    } else {
        CHECK(rc == SM_ERR_PARAM || rc == SM_ERR_NO_SPACE);
        if (rc == SM_ERR_PARAM) CHECK(!outer_ok);
    }
}

/* Any label: refused unless 1..64 printable characters without ' '/'-' at
   either end; the output stays within cap and is NUL-terminated. */
static void check_label(const char *label, const uint8_t *der, size_t n, size_t cap)
{
    static char out[1024];
    size_t len = 0;
    int rc;
    if (cap > sizeof out) cap = sizeof out;
    rc = sm_pem_encode(label, der, n, out, cap, &len);
    if (rc == SM_OK) CHECK(len < cap && out[len] == '\0' && strlen(out) == len);
}

/* ---- the request against a chip made of the input --------------------------- */
static int fc_write(void *u, uint8_t addr, const uint8_t *d, size_t n)
{
    input *in = (input *)u;
    (void)addr; (void)d; (void)n;
    return (take(in) & 7) == 0 ? -1 : 0;
}
static int fc_read(void *u, uint8_t addr, uint8_t *b, size_t n)
{
    input *in = (input *)u;
    (void)addr;
    if ((take(in) & 7) == 0) return -1;
    take_bytes(in, b, n);
    return 0;
}
static uint32_t fc_now(void *u) { return ((input *)u)->now; }

static void check_chip_request(input *in, const sm_dn_attr *subj, size_t n, unsigned format)
{
    static sm_atecc se;
    static sm_csr op;
    static uint8_t out[4096];
    sm_platform p;
    size_t cap = 0;
    int rc, polls = 0;
    memset(&p, 0, sizeof p);
    p.user = in;
    p.i2c_write = fc_write;
    p.i2c_read = fc_read;
    p.now_ms = fc_now;
    CHECK(sm_atecc_init(&se, &p, 0) == SM_OK);
    if (sm_csr_size(subj, n, format, &cap) != SM_OK) return;
    CHECK(cap <= sizeof out);
    rc = sm_csr_start(&op, &se, (uint8_t)(take(in) & 15), subj, n, format, out, cap);
    CHECK(rc == SM_OK);
    while ((rc = sm_csr_poll(&op)) == SM_ATECC_PENDING) {
        in->now += 1u + take(in) % 50u;
        CHECK(++polls < 200000); /* would hang */
    }
    if (rc == SM_OK) {
        size_t len = sm_csr_out_len(&op);
        CHECK(len <= cap);
        if (format == SM_CSR_DER) CHECK(der_one_sequence(out, len));
        else CHECK(out[len] == '\0');
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char strings[SM_CSR_SUBJECT_MAX + 2][160];
    static const uint8_t types[] = { SM_DN_CN, SM_DN_SERIAL_NUMBER, SM_DN_C, SM_DN_L, SM_DN_ST,
                                     SM_DN_O, SM_DN_OU };
    sm_dn_attr subj[SM_CSR_SUBJECT_MAX + 2];
    uint8_t pub[64], sig[64], mode;
    size_t n, i, small;
    char label[80];
    input in;
    if (size < 4) return 0;
    check_sha256(data, size);
    in.d = data;
    in.n = size;
    in.pos = 0;
    in.now = 0;
    mode = take(&in);
    small = take(&in);
    take_bytes(&in, pub, sizeof pub);
    take_bytes(&in, sig, sizeof sig);
    check_signature(sig, small % (SM_ECDSA_DER_MAX + 1));
    /* a subject: mostly known types (some not), strings of any bytes */
    n = take(&in) % (SM_CSR_SUBJECT_MAX + 2);
    for (i = 0; i < n; i++) {
        uint8_t t = take(&in), k = take(&in);
        size_t len = (size_t)k % sizeof strings[i];
        subj[i].type = (t & 0x80) ? t : types[t % sizeof types];
        take_bytes(&in, (uint8_t *)strings[i], len);
        strings[i][len] = '\0'; /* a NUL inside only shortens the value */
        subj[i].value = (t & 0x40) && (t & 0x20) ? NULL : strings[i];
    }
    check_request(subj, n, pub, sig, (size_t)small * 4u);
    /* the rest of the input as a tbs and as a label */
    check_assemble_any(data + in.pos, size - in.pos, sig, (size_t)small * 8u);
    {
        size_t k = (size - in.pos) % sizeof label;
        memcpy(label, data + in.pos, k);
        label[k] = '\0';
        check_label(label, pub, (size_t)small % 64u, (size_t)small * 4u + 1u);
    }
    if (mode & 1) check_chip_request(&in, subj, n, (mode & 2) ? SM_CSR_PEM : SM_CSR_DER);
    return 0;
}
