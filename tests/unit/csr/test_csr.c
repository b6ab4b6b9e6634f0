/* test_csr.c - unit tests of section 11 (certificate signing request):
   SHA-256 against the FIPS 180-2/180-4 examples and every split of a
   message into updates, the DER writer against hand-checked bytes, R || S
   to DER at its edges, subject checks, and requests rebuilt from a fixed
   key and signature compared byte for byte with the ones Python's
   cryptography made (tests/unit/csr/csr_vectors.h, from tests/unit/csr/gen_csr_vectors.py);
   then the chip-driven operation against a small functional fake of the
   ATECC608 that answers with the vector's key and signature.
   make test-unit: runs alone, needs only a C compiler. */
#define SECMODEM_IMPLEMENTATION
#include "../../../secmodem.h"
#include "../../common/sm_test.h"
#include "../../common/sm_fake_atecc.h"
#include "csr_vectors.h"

#include <stdlib.h>

/* ---- helpers ---------------------------------------------------------------- */

/* Parses "30 0E 31" (or "300e31") into out; returns the byte count. */
static size_t hex(const char *s, uint8_t *out, size_t cap)
{
    size_t n = 0;
    while (*s && n < cap) {
        unsigned v = 0;
        int k;
        while (*s == ' ') s++;
        if (!*s) break;
        for (k = 0; k < 2; k++, s++) {
            char c = *s;
            v = v * 16u + (unsigned)(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
        }
        out[n++] = (uint8_t)v;
    }
    return n;
}

static int bytes_eq(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
    size_t i;
    if (an == bn && memcmp(a, b, an) == 0) return 1;
    fprintf(stderr, "  got      (%lu):", (unsigned long)an);
    for (i = 0; i < an && i < 96; i++) fprintf(stderr, " %02X", a[i]);
    fprintf(stderr, "\n  expected (%lu):", (unsigned long)bn);
    for (i = 0; i < bn && i < 96; i++) fprintf(stderr, " %02X", b[i]);
    fprintf(stderr, "\n");
    for (i = 0; i < an && i < bn; i++)
        if (a[i] != b[i]) { fprintf(stderr, "  first difference at %lu\n", (unsigned long)i); break; }
    return 0;
}

static int hex_eq(const uint8_t *a, size_t an, const char *want)
{
    uint8_t w[512];
    return bytes_eq(a, an, w, hex(want, w, sizeof w));
}

/* ---- SHA-256 ------------------------------------------------------------------- */

static int digest_is(const uint8_t d[32], const char *want) { return hex_eq(d, 32, want); }

static void test_sha256_fips(void)
{
    static const char abc448[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    static const char abc896[] =
        "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopq"
        "klmnopqrlmnopqrsmnopqrstnopqrstu";
    uint8_t d[32], chunk[1000];
    sm_sha256_ctx c;
    int i;
    /* FIPS 180-2 appendix B / NIST CSRC examples */
    sm_sha256((const uint8_t *)"", 0, d);
    CHECK(digest_is(d, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
    sm_sha256(NULL, 0, d);
    CHECK(digest_is(d, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
    sm_sha256((const uint8_t *)"abc", 3, d);
    CHECK(digest_is(d, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
    sm_sha256((const uint8_t *)abc448, 56, d);
    CHECK(digest_is(d, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"));
    sm_sha256((const uint8_t *)abc896, 112, d);
    CHECK(digest_is(d, "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"));
    /* one million 'a' in 1000 updates of 1000, and in odd pieces */
    memset(chunk, 'a', sizeof chunk);
    sm_sha256_init(&c);
    for (i = 0; i < 1000; i++) sm_sha256_update(&c, chunk, sizeof chunk);
    sm_sha256_final(&c, d);
    CHECK(digest_is(d, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"));
    {
        long left = 1000000;
        size_t k = 1;
        sm_sha256_init(&c);
        while (left > 0) {
            size_t take = (long)k < left ? k : (size_t)left;
            sm_sha256_update(&c, chunk, take);
            left -= (long)take;
            k = k * 7u % 997u + 1u;
        }
        sm_sha256_final(&c, d);
        CHECK(digest_is(d, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"));
    }
}

/* Lengths around the padding boundaries (55/56: the length still fits
   the block or not; 64: a whole block), digests from Python's hashlib. */
static void test_sha256_lengths(void)
{
    static const struct { size_t n; const char *d; } v[] = {
        { 55, "e7313d333c272e639f790978283f9eb392e843d0f29b7016828bb1daa4aac70b" },
        { 56, "4324d65f3c103567f5589c710bc08f8523f929a9272e3af36fc968e52abc6c27" },
        { 57, "35df609437dcfea3279283ab79fd554e2bf78f8f7ae2de532d8ee300b09e8f73" },
        { 63, "81c80242132f230c3bd41b3e63bbcff16107339549214a99614ff26664625055" },
        { 64, "39e3d7b6b5d075d37d053ad89b24b41bef4f3c29760c84447cab3f3be1882241" },
        { 65, "aacca6ff74fdbb296d165a45cecfa04e5127bc008770fbbdd48006f2d2fae95e" },
        { 119, "9ce7368e4daf32341631b492e80359dc9f594b48453cd0dd5bf0b19279cc177e" },
        { 120, "7836b787757e95e58b3ca5aec90b1b004e8deba1e50e9675af9cabf1a13a04b5" },
        { 128, "d2742f1f4ac6bb7ca2b239ee18402ba8b3f9f8e652d2a72973c2b9ba11c08cf6" },
        { 129, "307f8fc2c1622b92762e818d39a185d4d667ad49a4b07ceae1f4afa008a93ec4" },
        { 130, "4d5e47a2e8510a314576c238f6ff19d389d3ef3aaaca8b2e530263a5d15741da" }
    };
    uint8_t m[130], d[32];
    size_t i;
    for (i = 0; i < sizeof m; i++) m[i] = (uint8_t)(i * 7u + 3u);
    for (i = 0; i < sizeof v / sizeof v[0]; i++) {
        sm_sha256(m, v[i].n, d);
        CHECK(digest_is(d, v[i].d));
    }
}

/* Every split of a message into two and three updates (empty pieces
   included), and one byte at a time, give the one-shot digest. */
static void split_all(const uint8_t *m, size_t n, const uint8_t want[32])
{
    uint8_t d[32];
    sm_sha256_ctx c;
    size_t i, j, bad = 0, runs = 0;
    for (i = 0; i <= n; i++) {
        for (j = i; j <= n; j++) {
            sm_sha256_init(&c);
            sm_sha256_update(&c, m, i);
            sm_sha256_update(&c, m + i, j - i);
            sm_sha256_update(&c, m + j, n - j);
            sm_sha256_final(&c, d);
            bad += memcmp(d, want, 32) != 0;
            runs++;
        }
    }
    CHECK_EQ_INT(bad, 0);
    CHECK_EQ_INT(runs, (n + 1) * (n + 2) / 2);
    sm_sha256_init(&c);
    for (i = 0; i < n; i++) sm_sha256_update(&c, m + i, 1);
    sm_sha256_final(&c, d);
    CHECK(memcmp(d, want, 32) == 0);
}

static void test_sha256_splits(void)
{
    static const char abc448[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    uint8_t m[130], want[32];
    size_t i;
    hex("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1", want, 32);
    split_all((const uint8_t *)abc448, 56, want);
    for (i = 0; i < sizeof m; i++) m[i] = (uint8_t)(i * 7u + 3u);
    hex("4d5e47a2e8510a314576c238f6ff19d389d3ef3aaaca8b2e530263a5d15741da", want, 32);
    split_all(m, sizeof m, want);
}

/* ---- DER writer -------------------------------------------------------------------- */

static void test_der_lengths(void)
{
    static const struct { size_t n; const char *h; } v[] = {
        { 0, "30 00" }, { 1, "30 01" }, { 127, "30 7F" }, { 128, "30 81 80" }, { 255, "30 81 FF" },
        { 256, "30 82 01 00" }, { 65535, "30 82 FF FF" }, { 65536, "30 83 01 00 00" },
        { 0x12345678, "30 84 12 34 56 78" }
    };
    uint8_t out[8];
    size_t i, n;
    for (i = 0; i < sizeof v / sizeof v[0]; i++) {
        sm_der d;
        sm_der_init(&d, out, sizeof out);
        sm_der_header(&d, SM_DER_SEQUENCE, v[i].n);
        CHECK_EQ_INT(sm_der_finish(&d, &n), SM_OK);
        CHECK(hex_eq(out, n, v[i].h));
        CHECK_EQ_INT(sm_der_tlv_len(v[i].n), n + v[i].n);
    }
}

static void test_der_integer(void)
{
    static const struct { const char *in, *out; } v[] = {
        { "", "02 01 00" },          { "00", "02 01 00" },          { "00 00 00", "02 01 00" },
        { "01", "02 01 01" },        { "7F", "02 01 7F" },          { "80", "02 02 00 80" },
        { "FF", "02 02 00 FF" },     { "00 80", "02 02 00 80" },    { "00 00 01", "02 01 01" },
        { "00 7F FF", "02 02 7F FF" }, { "FF FF", "02 03 00 FF FF" }, { "01 00", "02 02 01 00" }
    };
    uint8_t in[40], out[40];
    size_t i, n;
    for (i = 0; i < sizeof v / sizeof v[0]; i++) {
        sm_der d;
        size_t k = hex(v[i].in, in, sizeof in);
        sm_der_init(&d, out, sizeof out);
        sm_der_integer(&d, k ? in : NULL, k);
        CHECK_EQ_INT(sm_der_finish(&d, &n), SM_OK);
        CHECK(hex_eq(out, n, v[i].out));
    }
    /* 32 zero bytes: zero */
    {
        sm_der d;
        memset(in, 0, 32);
        sm_der_init(&d, out, sizeof out);
        sm_der_integer(&d, in, 32);
        CHECK_EQ_INT(sm_der_finish(&d, &n), SM_OK);
        CHECK(hex_eq(out, n, "02 01 00"));
    }
}

static void test_der_others(void)
{
    static const uint8_t ec_oid[7] = { 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01 };
    static const uint8_t cn_oid[3] = { 0x55, 0x04, 0x03 };
    static const uint8_t point[2] = { 0x04, 0xAB };
    uint8_t out[64];
    size_t n;
    sm_der d;
    sm_der_init(&d, out, sizeof out);
    sm_der_bit_string(&d, point, 2);
    sm_der_bit_string(&d, NULL, 0);
    sm_der_oid(&d, ec_oid, sizeof ec_oid);
    sm_der_oid(&d, cn_oid, sizeof cn_oid);
    sm_der_string(&d, SM_DER_UTF8_STRING, "dev", 3);
    sm_der_string(&d, SM_DER_PRINTABLE_STRING, "DE", 2);
    sm_der_header(&d, SM_DER_SET, 0);
    sm_der_header(&d, SM_DER_CONTEXT_0, 0);
    CHECK_EQ_INT(sm_der_finish(&d, &n), SM_OK);
    CHECK(hex_eq(out, n, "03 03 00 04 AB  03 01 00  06 07 2A 86 48 CE 3D 02 01  06 03 55 04 03 "
                         "0C 03 64 65 76  13 02 44 45  31 00  A0 00"));
}

/* A full buffer keeps counting (exact size), writes nothing past cap;
   a NULL buffer measures; a bad argument is latched and stops all. */
static void test_der_space_and_errors(void)
{
    uint8_t out[8];
    size_t n = 0;
    sm_der d;
    memset(out, 0xEE, sizeof out);
    sm_der_init(&d, out, 3);
    sm_der_string(&d, SM_DER_UTF8_STRING, "dev", 3);
    sm_der_header(&d, SM_DER_SET, 0);
    CHECK_EQ_INT(sm_der_finish(&d, &n), SM_ERR_NO_SPACE);
    CHECK_EQ_INT(n, 7);
    CHECK(out[0] == 0x0C && out[1] == 0x03 && out[2] == 0xEE && out[3] == 0xEE);
    sm_der_init(&d, NULL, 100);
    sm_der_oid(&d, (const uint8_t *)"\x55\x04\x03", 3);
    CHECK_EQ_INT(sm_der_finish(&d, &n), SM_ERR_NO_SPACE);
    CHECK_EQ_INT(n, 5);
    sm_der_init(&d, out, sizeof out);
    sm_der_raw(&d, NULL, 2);
    sm_der_raw(&d, (const uint8_t *)"ab", 2);
    CHECK_EQ_INT(sm_der_finish(&d, &n), SM_ERR_PARAM);
    CHECK_EQ_INT(n, 0);
    sm_der_init(&d, out, sizeof out);
    sm_der_oid(&d, NULL, 0);
    CHECK_EQ_INT(sm_der_finish(&d, NULL), SM_ERR_PARAM);
}

/* ---- ECDSA R || S -> DER ------------------------------------------------------------ */

static void rs_fill(uint8_t rs[64], uint8_t r0, uint8_t r1, uint8_t s0, uint8_t s1)
{
    size_t i;
    for (i = 0; i < 64; i++) rs[i] = (uint8_t)(0x11u + i);
    rs[0] = r0; rs[1] = r1; rs[32] = s0; rs[33] = s1;
}

static void check_sig(const uint8_t rs[64], size_t want_len, const char *want_head, size_t r_len)
{
    uint8_t out[80], w[16];
    size_t n = 0, k = hex(want_head, w, sizeof w);
    CHECK_EQ_INT(sm_ecdsa_sig_to_der(rs, out, sizeof out, &n), SM_OK);
    CHECK_EQ_INT(n, want_len);
    CHECK(bytes_eq(out, k, w, k));
    /* the second INTEGER follows the first: 30 L 02 lr <r> 02 ls <s> */
    CHECK_EQ_INT(out[1], n - 2);
    CHECK_EQ_INT(out[3], r_len);
    CHECK_EQ_INT(out[4 + r_len], 0x02);
    CHECK_EQ_INT(out[5 + r_len], n - 6 - r_len);
}

static void test_ecdsa_der(void)
{
    uint8_t rs[64], out[80];
    size_t n = 0;
    /* R = 80 11.. (gets a 0x00 prefix), S = 00 7F 22.. (loses its 0x00) -> 70 bytes */
    rs_fill(rs, 0x80, 0x11, 0x00, 0x7F);
    rs[34] = 0x22;
    check_sig(rs, 70, "30 44 02 21 00 80 11 13", 33);
    CHECK_EQ_INT(sm_ecdsa_sig_to_der(rs, out, sizeof out, &n), SM_OK);
    CHECK(out[37] == 0x02 && out[38] == 0x1F && out[39] == 0x7F && out[40] == 0x22);
    /* both high: the longest, 72 */
    rs_fill(rs, 0xFF, 0x01, 0x80, 0x00);
    check_sig(rs, 72, "30 46 02 21 00 FF 01", 33);
    /* both low: 70 */
    rs_fill(rs, 0x7F, 0x01, 0x01, 0x00);
    check_sig(rs, 70, "30 44 02 20 7F 01", 32);
    /* a leading zero before a high byte stays (one of them) */
    rs_fill(rs, 0x00, 0x80, 0x00, 0x90);
    check_sig(rs, 70, "30 44 02 20 00 80 13", 32);
    /* two leading zeros stripped */
    rs_fill(rs, 0x00, 0x00, 0x7F, 0x00);
    rs[2] = 0x05;
    check_sig(rs, 68, "30 42 02 1E 05 14", 30);
    /* the shortest: R = 0, S = 1 (not a valid signature, but an encoding) */
    memset(rs, 0, sizeof rs);
    rs[63] = 1;
    CHECK_EQ_INT(sm_ecdsa_sig_to_der(rs, out, sizeof out, &n), SM_OK);
    CHECK(hex_eq(out, n, "30 06 02 01 00 02 01 01"));
    /* exact size reporting */
    rs_fill(rs, 0xFF, 0x01, 0x80, 0x00);
    memset(out, 0xEE, sizeof out);
    CHECK_EQ_INT(sm_ecdsa_sig_to_der(rs, out, 71, &n), SM_ERR_NO_SPACE);
    CHECK_EQ_INT(n, 72);
    CHECK_EQ_INT(out[71], 0xEE);
    CHECK_EQ_INT(sm_ecdsa_sig_to_der(rs, NULL, 0, &n), SM_ERR_NO_SPACE);
    CHECK_EQ_INT(n, 72);
    CHECK_EQ_INT(sm_ecdsa_sig_to_der(rs, out, 72, &n), SM_OK);
    CHECK_EQ_INT(sm_ecdsa_sig_to_der(NULL, out, 72, &n), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_ecdsa_sig_to_der(rs, out, 72, NULL), SM_ERR_PARAM);
}

/* ---- subject --------------------------------------------------------------------------- */

static int check1(uint8_t type, const char *value)
{
    sm_dn_attr a;
    a.type = type;
    a.value = value;
    return sm_dn_check(&a, 1);
}

static char *repeat(char *buf, const char *unit, int times)
{
    buf[0] = '\0';
    while (times-- > 0) strcat(buf, unit);
    return buf;
}

static void test_subject_checks(void)
{
    static char big[1200];
    sm_dn_attr many[SM_CSR_SUBJECT_MAX + 1];
    size_t i;
    /* each type with a plain value */
    CHECK_EQ_INT(check1(SM_DN_CN, "dev"), SM_OK);
    CHECK_EQ_INT(check1(SM_DN_O, "secmodem, \"Test\" \\ Co"), SM_OK); /* any text in UTF8String */
    CHECK_EQ_INT(check1(SM_DN_OU, "IoT"), SM_OK);
    CHECK_EQ_INT(check1(SM_DN_L, "M\xC3\xBCnchen"), SM_OK);
    CHECK_EQ_INT(check1(SM_DN_ST, "Bayern"), SM_OK);
    CHECK_EQ_INT(check1(SM_DN_SERIAL_NUMBER, "0123 D4DF:07/02-39=67?EE"), SM_OK);
    CHECK_EQ_INT(check1(SM_DN_C, "DE"), SM_OK);
    CHECK_EQ_INT(check1(SM_DN_C, "de"), SM_OK); /* two PrintableString characters */
    /* C: exactly two PrintableString characters */
    CHECK_EQ_INT(check1(SM_DN_C, "D"), SM_ERR_PARAM);
    CHECK_EQ_INT(check1(SM_DN_C, "DEU"), SM_ERR_PARAM);
    CHECK_EQ_INT(check1(SM_DN_C, ""), SM_ERR_PARAM);
    CHECK_EQ_INT(check1(SM_DN_C, "D*"), SM_ERR_UNSAFE_STRING);
    CHECK_EQ_INT(check1(SM_DN_C, "D\xC3\x9C"), SM_ERR_UNSAFE_STRING);
    CHECK_EQ_INT(check1(SM_DN_SERIAL_NUMBER, "AB_1"), SM_ERR_UNSAFE_STRING);
    CHECK_EQ_INT(check1(SM_DN_SERIAL_NUMBER, "a@b"), SM_ERR_UNSAFE_STRING);
    /* upper bounds in characters, not bytes */
    CHECK_EQ_INT(check1(SM_DN_CN, repeat(big, "x", 64)), SM_OK);
    CHECK_EQ_INT(check1(SM_DN_CN, repeat(big, "x", 65)), SM_ERR_PARAM);
    CHECK_EQ_INT(check1(SM_DN_CN, repeat(big, "\xC3\xA9", 64)), SM_OK);        /* 128 bytes */
    CHECK_EQ_INT(check1(SM_DN_CN, repeat(big, "\xC3\xA9", 65)), SM_ERR_PARAM);
    CHECK_EQ_INT(check1(SM_DN_OU, repeat(big, "\xF0\x9F\x98\x80", 64)), SM_OK); /* 256 bytes */
    CHECK_EQ_INT(check1(SM_DN_OU, repeat(big, "\xF0\x9F\x98\x80", 65)), SM_ERR_PARAM);
    CHECK_EQ_INT(check1(SM_DN_L, repeat(big, "\xE2\x98\x83", 128)), SM_OK);
    CHECK_EQ_INT(check1(SM_DN_L, repeat(big, "\xE2\x98\x83", 129)), SM_ERR_PARAM);
    CHECK_EQ_INT(check1(SM_DN_ST, repeat(big, "s", 128)), SM_OK);
    CHECK_EQ_INT(check1(SM_DN_ST, repeat(big, "s", 129)), SM_ERR_PARAM);
    CHECK_EQ_INT(check1(SM_DN_O, repeat(big, "o", 65)), SM_ERR_PARAM);
    CHECK_EQ_INT(check1(SM_DN_SERIAL_NUMBER, repeat(big, "9", 64)), SM_OK);
    CHECK_EQ_INT(check1(SM_DN_SERIAL_NUMBER, repeat(big, "9", 65)), SM_ERR_PARAM);
    CHECK_EQ_INT(check1(SM_DN_CN, ""), SM_ERR_PARAM);
    /* malformed UTF-8, controls */
    CHECK_EQ_INT(check1(SM_DN_CN, "a\tb"), SM_ERR_UNSAFE_STRING);
    CHECK_EQ_INT(check1(SM_DN_CN, "a\nb"), SM_ERR_UNSAFE_STRING);
    CHECK_EQ_INT(check1(SM_DN_CN, "a\x7F"), SM_ERR_UNSAFE_STRING);
    CHECK_EQ_INT(check1(SM_DN_CN, "a\xC3"), SM_ERR_UNSAFE_STRING);          /* truncated */
    CHECK_EQ_INT(check1(SM_DN_CN, "\xC0\xAF"), SM_ERR_UNSAFE_STRING);       /* overlong '/' */
    CHECK_EQ_INT(check1(SM_DN_CN, "\xED\xA0\x80"), SM_ERR_UNSAFE_STRING);   /* surrogate */
    CHECK_EQ_INT(check1(SM_DN_CN, "\xF4\x90\x80\x80"), SM_ERR_UNSAFE_STRING); /* > U+10FFFF */
    CHECK_EQ_INT(check1(SM_DN_CN, "\x80"), SM_ERR_UNSAFE_STRING);
    /* types, pointers, counts */
    CHECK_EQ_INT(check1(4, "x"), SM_ERR_PARAM);
    CHECK_EQ_INT(check1(0, "x"), SM_ERR_PARAM);
    CHECK_EQ_INT(check1(SM_DN_CN, NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_dn_check(NULL, 1), SM_ERR_PARAM);
    for (i = 0; i <= SM_CSR_SUBJECT_MAX; i++) { many[i].type = SM_DN_OU; many[i].value = "u"; }
    CHECK_EQ_INT(sm_dn_check(many, 0), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_dn_check(many, SM_CSR_SUBJECT_MAX), SM_OK); /* repeats allowed */
    CHECK_EQ_INT(sm_dn_check(many, SM_CSR_SUBJECT_MAX + 1), SM_ERR_PARAM);
}

static void test_name_der(void)
{
    static const sm_dn_attr dev[1] = { { SM_DN_CN, "dev" } };
    static const sm_dn_attr two[2] = { { SM_DN_C, "DE" }, { SM_DN_O, "\xC3\x9C" } };
    static const sm_dn_attr bad[2] = { { SM_DN_C, "DE" }, { SM_DN_C, "DEU" } };
    uint8_t out[64];
    size_t n = 0;
    sm_der d;
    /* checked by hand: Name { RDN { CN "dev" } } */
    sm_der_init(&d, out, sizeof out);
    sm_der_name(&d, dev, 1);
    CHECK_EQ_INT(sm_der_finish(&d, &n), SM_OK);
    CHECK(hex_eq(out, n, "30 0E 31 0C 30 0A 06 03 55 04 03 0C 03 64 65 76"));
    /* order kept, C as PrintableString, O as UTF8String (2 bytes) */
    sm_der_init(&d, out, sizeof out);
    sm_der_name(&d, two, 2);
    CHECK_EQ_INT(sm_der_finish(&d, &n), SM_OK);
    CHECK(hex_eq(out, n, "30 1A 31 0B 30 09 06 03 55 04 06 13 02 44 45 "
                         "31 0B 30 09 06 03 55 04 0A 0C 02 C3 9C"));
    sm_der_init(&d, out, sizeof out);
    sm_der_name(&d, bad, 2);
    CHECK_EQ_INT(sm_der_finish(&d, &n), SM_ERR_PARAM);
    CHECK_EQ_INT(n, 0); /* checked before anything is written */
}

/* ---- the request, pure, against cryptography's bytes ------------------------------------ */

/* Length of the outer header of a DER value. */
static size_t head_len(const uint8_t *p) { return p[1] < 0x80 ? 2u : 2u + (p[1] & 0x7Fu); }

/* 1 if the request ends in a 72-byte signature: 03 49 00 30 46 ... */
static int sig72(const csr_vector *v)
{
    const uint8_t *e = v->der + v->der_len - 75;
    return v->der_len > 75 && e[0] == 0x03 && e[1] == 0x49 && e[2] == 0x00 && e[3] == 0x30 && e[4] == 0x46;
}

/* The CertificationRequestInfo inside a vector's request. */
static void vector_tbs(const csr_vector *v, const uint8_t **tbs, size_t *len)
{
    const uint8_t *p = v->der + head_len(v->der);
    size_t h = head_len(p), n = p[1];
    if (p[1] >= 0x80) {
        size_t i;
        n = 0;
        for (i = 0; i < (p[1] & 0x7Fu); i++) n = n << 8 | p[2 + i];
    }
    *tbs = p;
    *len = h + n;
}

static void test_vector(const csr_vector *v)
{
    static uint8_t buf[2048];
    static char pem[2800];
    const uint8_t *tbs;
    size_t tbs_len, n = 0, cap = 0, pem_len = strlen(v->pem);
    fprintf(stderr, "vector %s: %lu bytes\n", v->name, (unsigned long)v->der_len);
    vector_tbs(v, &tbs, &tbs_len);
    /* CertificationRequestInfo: exact bytes, exact size when short */
    CHECK_EQ_INT(sm_csr_tbs(v->subject, v->n, v->pub, buf, sizeof buf, &n), SM_OK);
    CHECK(bytes_eq(buf, n, tbs, tbs_len));
    CHECK_EQ_INT(sm_csr_tbs(v->subject, v->n, v->pub, NULL, 0, &n), SM_ERR_NO_SPACE);
    CHECK_EQ_INT(n, tbs_len);
    memset(buf, 0xEE, sizeof buf);
    CHECK_EQ_INT(sm_csr_tbs(v->subject, v->n, v->pub, buf, tbs_len - 1, &n), SM_ERR_NO_SPACE);
    CHECK_EQ_INT(n, tbs_len);
    CHECK_EQ_INT(buf[tbs_len - 1], 0xEE);
    /* the request from tbs and R || S */
    CHECK_EQ_INT(sm_csr_assemble(tbs, tbs_len, v->rs, buf, sizeof buf, &n), SM_OK);
    CHECK(bytes_eq(buf, n, v->der, v->der_len));
    memset(buf, 0xEE, sizeof buf);
    CHECK_EQ_INT(sm_csr_assemble(tbs, tbs_len, v->rs, buf, v->der_len - 1, &n), SM_ERR_NO_SPACE);
    CHECK_EQ_INT(n, v->der_len);
    CHECK_EQ_INT(buf[0], 0xEE); /* nothing written */
    CHECK_EQ_INT(sm_csr_assemble(tbs, tbs_len, v->rs, NULL, 0, &n), SM_ERR_NO_SPACE);
    CHECK_EQ_INT(n, v->der_len);
    /* in place: tbs at the start of the buffer, exactly the size needed */
    memcpy(buf, tbs, tbs_len);
    CHECK_EQ_INT(sm_csr_assemble(buf, tbs_len, v->rs, buf, v->der_len, &n), SM_OK);
    CHECK(bytes_eq(buf, n, v->der, v->der_len));
    /* PEM: as cryptography writes it; exact size (NUL included) when short */
    CHECK_EQ_INT(sm_pem_encode(SM_PEM_LABEL_CSR, v->der, v->der_len, pem, sizeof pem, &n), SM_OK);
    CHECK_EQ_INT(n, pem_len);
    CHECK_EQ_STR(pem, v->pem);
    CHECK_EQ_INT(sm_pem_encode(SM_PEM_LABEL_CSR, v->der, v->der_len, pem, pem_len, &n),
                 SM_ERR_NO_SPACE);
    CHECK_EQ_INT(n, pem_len + 1);
    /* PEM in place over the DER */
    memset(pem, 0x55, sizeof pem);
    memcpy(pem, v->der, v->der_len);
    CHECK_EQ_INT(sm_pem_encode(SM_PEM_LABEL_CSR, (const uint8_t *)pem, v->der_len, pem, pem_len + 1, &n),
                 SM_OK);
    CHECK_EQ_STR(pem, v->pem);
    CHECK_EQ_INT(pem[pem_len + 1], 0x55);
    /* the capacity the chip operation asks for covers the longest signature */
    CHECK_EQ_INT(sm_csr_size(v->subject, v->n, SM_CSR_DER, &cap), SM_OK);
    CHECK(cap >= v->der_len && cap <= v->der_len + 8);
    CHECK_EQ_INT(cap, sm_der_tlv_len(tbs_len + 12 + 75));
    if (sig72(v)) /* a 72-byte signature: the maximum, exactly */
        CHECK_EQ_INT(cap, v->der_len);
    CHECK_EQ_INT(sm_csr_size(v->subject, v->n, SM_CSR_PEM, &cap), SM_OK);
    CHECK(cap >= pem_len + 1 && cap <= pem_len + 1 + 12);
}

static void test_vectors(void)
{
    size_t i, max72 = 0;
    for (i = 0; i < sizeof csr_vectors / sizeof csr_vectors[0]; i++) {
        const csr_vector *v = &csr_vectors[i];
        test_vector(v);
        max72 += (size_t)sig72(v);
    }
    CHECK_EQ_INT(i, 4);
    CHECK(max72 >= 1); /* "mixed" has a 72-byte signature: cap == size tested */
}

static void test_pure_errors(void)
{
    static const sm_dn_attr dev[1] = { { SM_DN_CN, "dev" } };
    static const sm_dn_attr bad[1] = { { SM_DN_CN, "a\r" } };
    const csr_vector *v = &csr_vectors[1];
    uint8_t buf[512], pub[64], rs[64];
    char pem[64];
    size_t n = 0;
    memset(pub, 1, sizeof pub);
    memset(rs, 0x42, sizeof rs);
    CHECK_EQ_INT(sm_csr_tbs(bad, 1, pub, buf, sizeof buf, &n), SM_ERR_UNSAFE_STRING);
    CHECK_EQ_INT(sm_csr_tbs(dev, 1, NULL, buf, sizeof buf, &n), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_csr_tbs(dev, 1, pub, buf, sizeof buf, NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_csr_tbs(dev, 0, pub, buf, sizeof buf, &n), SM_ERR_PARAM);
    /* the tbs handed to assemble must be one SEQUENCE of exactly tbs_len bytes */
    CHECK_EQ_INT(sm_csr_tbs(dev, 1, pub, buf, sizeof buf, &n), SM_OK);
    CHECK_EQ_INT(n, 2 + 3 + 16 + 91 + 2);
    CHECK_EQ_INT(sm_csr_assemble(buf, n - 1, rs, buf + 200, 300, &n), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_csr_assemble(buf, 0, rs, buf + 200, 300, &n), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_csr_assemble(NULL, 10, rs, buf + 200, 300, &n), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_csr_assemble(v->der, v->der_len, NULL, buf, sizeof buf, &n), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_csr_assemble((const uint8_t *)"\x31\x00", 2, rs, buf, sizeof buf, &n), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_csr_assemble((const uint8_t *)"\x30\x81\x05xxxxx", 8, rs, buf, sizeof buf, &n),
                 SM_ERR_PARAM); /* long form for a short length: not DER */
    CHECK_EQ_INT(sm_csr_assemble((const uint8_t *)"\x30\x00", 2, rs, buf, sizeof buf, &n), SM_OK);
    CHECK_EQ_INT(n, 2 + 2 + 12 + 3 + 70); /* R, S = 42 42..: 70 bytes */
    /* PEM labels and sizes */
    CHECK_EQ_INT(sm_pem_encode("", rs, 3, pem, sizeof pem, &n), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_pem_encode(" X", rs, 3, pem, sizeof pem, &n), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_pem_encode("X-", rs, 3, pem, sizeof pem, &n), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_pem_encode("A\nB", rs, 3, pem, sizeof pem, &n), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_pem_encode(NULL, rs, 3, pem, sizeof pem, &n), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_pem_encode("X", NULL, 3, pem, sizeof pem, &n), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_pem_encode("X", rs, 3, pem, sizeof pem, NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_pem_encode("X", rs, 3, pem, sizeof pem, &n), SM_OK);
    CHECK_EQ_STR(pem, "-----BEGIN X-----\nQkJC\n-----END X-----\n");
    CHECK_EQ_INT(sm_pem_encode("X", NULL, 0, pem, sizeof pem, &n), SM_OK);
    CHECK_EQ_STR(pem, "-----BEGIN X-----\n-----END X-----\n");
    CHECK_EQ_INT(sm_pem_encode("X", rs, 48, NULL, 0, &n), SM_ERR_NO_SPACE);
    CHECK_EQ_INT(n, 18 + 65 + 16 + 1); /* one full line */
    CHECK_EQ_INT(sm_pem_encode("X", rs, 49, NULL, 0, &n), SM_ERR_NO_SPACE);
    CHECK_EQ_INT(n, 18 + 65 + 5 + 16 + 1);
    CHECK_EQ_INT(sm_csr_size(dev, 1, 2, &n), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_csr_size(dev, 1, SM_CSR_DER, NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_csr_size(bad, 1, SM_CSR_DER, &n), SM_ERR_UNSAFE_STRING);
}

/* ---- the chip operation against a functional fake ------------------------------------- */

/* Just enough of an ATECC608 on I2C: wake, idle, reset of the output
   pointer, command groups (CRC checked); GenKey mode 0 of its slot, Random,
   Nonce pass-through, Sign external. A poll NACKs while `busy` lasts. */
typedef struct fake {
    sm_fake_chip bus;    /* first: wake, framing, CRC, busy, the clock */
    const uint8_t *pub, *rs;
    uint8_t slot, fail_sign;
    uint8_t digest[32];  /* the message Nonce loaded: what was signed */
    int genkeys, signs;
} fake;

/* The opcodes, for a command group whose framing the bus checked. */
static void fake_op(sm_fake_chip *bus, const uint8_t *g, size_t n)
{
    fake *f = (fake *)bus; /* bus is its first member */
    static const uint8_t ok = 0x00, exec = 0x0F;
    uint8_t rnd[32];
    switch (g[1]) {
    case SM_ATECC_OP_GENKEY:
        f->genkeys++;
        if (g[2] == 0 && g[3] == f->slot) sm_fake_chip_answer(&f->bus, f->pub, 64);
        else sm_fake_chip_answer(&f->bus, &exec, 1);
        break;
    case SM_ATECC_OP_RANDOM:
        memset(rnd, 0x5A, sizeof rnd);
        sm_fake_chip_answer(&f->bus, rnd, 32);
        break;
    case SM_ATECC_OP_NONCE:
        if (n == 7 + 32 && (g[2] & 3) == 3) { memcpy(f->digest, g + 5, 32); sm_fake_chip_answer(&f->bus, &ok, 1); }
        else sm_fake_chip_answer(&f->bus, &exec, 1);
        break;
    case SM_ATECC_OP_SIGN:
        f->signs++;
        if (!f->fail_sign && g[3] == f->slot) sm_fake_chip_answer(&f->bus, f->rs, 64);
        else sm_fake_chip_answer(&f->bus, &exec, 1);
        break;
    default:
        sm_fake_chip_answer(&f->bus, &exec, 1);
    }
}

static void fake_init(fake *f, sm_atecc *se, const csr_vector *v)
{
    sm_platform p;
    memset(f, 0, sizeof *f);
    f->pub = v->pub;
    f->rs = v->rs;
    f->bus.now = 5000;
    f->bus.op = fake_op;
    memset(&p, 0, sizeof p);
    p.user = &f->bus;
    p.i2c_write = sm_fake_chip_write;
    p.i2c_read = sm_fake_chip_read;
    p.now_ms = sm_fake_chip_now;
    CHECK_EQ_INT(sm_atecc_init(se, &p, 0), SM_OK);
}

/* Polls to the end; counts the calls and the hash steps' sizes. */
static int op_run(sm_csr *op, int *calls, size_t *biggest_hash)
{
    int rc;
    *calls = 0;
    *biggest_hash = 0;
    for (;;) {
        size_t before = op->hashed;
        rc = sm_csr_poll(op);
        if (op->hashed - before > *biggest_hash) *biggest_hash = op->hashed - before;
        if (rc != SM_ATECC_PENDING || ++*calls > 100000) break;
    }
    return rc;
}

static void test_op_matches_vectors(void)
{
    static uint8_t out[2800];
    size_t i;
    for (i = 0; i < sizeof csr_vectors / sizeof csr_vectors[0]; i++) {
        const csr_vector *v = &csr_vectors[i];
        const uint8_t *tbs;
        size_t tbs_len, cap = 0, biggest = 0, pem_len = strlen(v->pem);
        uint8_t want_digest[32];
        sm_atecc se;
        sm_csr op;
        fake f;
        int calls = 0;
        vector_tbs(v, &tbs, &tbs_len);
        sm_sha256(tbs, tbs_len, want_digest);
        /* DER, in a buffer of exactly sm_csr_size() */
        fake_init(&f, &se, v);
        f.slot = 3;
        f.bus.busy_polls = 2;
        CHECK_EQ_INT(sm_csr_size(v->subject, v->n, SM_CSR_DER, &cap), SM_OK);
        memset(out, 0xEE, sizeof out);
        CHECK_EQ_INT(sm_csr_start(&op, &se, 3, v->subject, v->n, SM_CSR_DER, out, cap), SM_OK);
        CHECK_EQ_INT(op_run(&op, &calls, &biggest), SM_OK);
        CHECK(bytes_eq(out, sm_csr_out_len(&op), v->der, v->der_len));
        CHECK(memcmp(f.digest, want_digest, 32) == 0); /* the chip signed SHA-256(tbs) */
        CHECK(biggest > 0 && biggest <= SM_CSR_HASH_CHUNK);
        CHECK(calls >= (int)((tbs_len + SM_CSR_HASH_CHUNK - 1) / SM_CSR_HASH_CHUNK));
        CHECK_EQ_INT(out[cap], 0xEE);
        CHECK_EQ_INT(f.genkeys, 1);
        CHECK_EQ_INT(f.signs, 1);
        CHECK_EQ_INT(f.bus.crc_bad, 0);
        CHECK_EQ_INT(sm_csr_poll(&op), SM_OK); /* idle: the last result */
        CHECK_EQ_INT(sm_atecc_busy(&se), 0);
        /* PEM, in place, exactly sm_csr_size() */
        fake_init(&f, &se, v);
        CHECK_EQ_INT(sm_csr_size(v->subject, v->n, SM_CSR_PEM, &cap), SM_OK);
        memset(out, 0xEE, sizeof out);
        CHECK_EQ_INT(sm_csr_start(&op, &se, 0, v->subject, v->n, SM_CSR_PEM, out, cap), SM_OK);
        CHECK_EQ_INT(op_run(&op, &calls, &biggest), SM_OK);
        CHECK_EQ_INT(sm_csr_out_len(&op), pem_len);
        CHECK_EQ_STR((const char *)out, v->pem);
        CHECK_EQ_INT(out[cap], 0xEE);
        /* the blocking helper */
        fake_init(&f, &se, v);
        memset(out, 0, sizeof out);
        CHECK_EQ_INT(sm_csr_run_blocking(&se, 0, v->subject, v->n, SM_CSR_PEM, out, sizeof out, &cap),
                     SM_OK);
        CHECK_EQ_INT(cap, pem_len);
        CHECK_EQ_STR((const char *)out, v->pem);
    }
}

static void test_op_errors(void)
{
    static const sm_dn_attr bad[1] = { { SM_DN_C, "DEU" } };
    const csr_vector *v = &csr_vectors[0];
    uint8_t out[1200], sig[64], digest[32];
    size_t need = 0, n = 0, biggest = 0;
    sm_atecc se;
    sm_csr op;
    fake f;
    int calls;
    fake_init(&f, &se, v);
    /* too small: the exact capacity reported, nothing sent to the chip */
    CHECK_EQ_INT(sm_csr_size(v->subject, v->n, SM_CSR_PEM, &need), SM_OK);
    CHECK_EQ_INT(sm_csr_start(&op, &se, 0, v->subject, v->n, SM_CSR_PEM, out, need - 1), SM_ERR_NO_SPACE);
    CHECK_EQ_INT(sm_csr_out_len(&op), need);
    CHECK_EQ_INT(sm_csr_poll(&op), SM_ERR_NO_SPACE);
    CHECK_EQ_INT(sm_csr_run_blocking(&se, 0, v->subject, v->n, SM_CSR_PEM, out, 10, &n), SM_ERR_NO_SPACE);
    CHECK_EQ_INT(n, need);
    CHECK_EQ_INT(sm_csr_run_blocking(&se, 0, v->subject, v->n, SM_CSR_DER, NULL, 0, &n), SM_ERR_NO_SPACE);
    CHECK_EQ_INT(sm_csr_size(v->subject, v->n, SM_CSR_DER, &need), SM_OK);
    CHECK_EQ_INT(n, need);
    CHECK_EQ_INT(f.bus.writes, 0);
    /* arguments */
    CHECK_EQ_INT(sm_csr_start(&op, &se, 0, bad, 1, SM_CSR_DER, out, sizeof out), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_csr_start(&op, &se, 16, v->subject, v->n, SM_CSR_DER, out, sizeof out), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_csr_start(&op, &se, 0, v->subject, v->n, 2, out, sizeof out), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_csr_start(&op, NULL, 0, v->subject, v->n, SM_CSR_DER, out, sizeof out), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_csr_start(NULL, &se, 0, v->subject, v->n, SM_CSR_DER, out, sizeof out), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_csr_start(&op, &se, 0, v->subject, v->n, SM_CSR_DER, NULL, 10), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_csr_poll(NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_csr_out_len(NULL), 0);
    CHECK_EQ_INT(f.bus.writes, 0);
    /* the chip is busy with something else */
    memset(digest, 1, sizeof digest);
    CHECK_EQ_INT(sm_atecc_sign_start(&se, 0, digest, sig), SM_OK);
    CHECK_EQ_INT(sm_csr_start(&op, &se, 0, v->subject, v->n, SM_CSR_DER, out, sizeof out), SM_ERR_BUSY);
    CHECK_EQ_INT(sm_atecc_wait_blocking(&se), SM_OK);
    /* no key in the slot: GenKey's error ends the request */
    fake_init(&f, &se, v);
    f.slot = 1;
    CHECK_EQ_INT(sm_csr_start(&op, &se, 2, v->subject, v->n, SM_CSR_DER, out, sizeof out), SM_OK);
    CHECK_EQ_INT(op_run(&op, &calls, &biggest), SM_ERR_CHIP_EXEC);
    CHECK_EQ_INT(sm_csr_poll(&op), SM_ERR_CHIP_EXEC);
    CHECK_EQ_INT(f.signs, 0);
    /* Sign refused */
    fake_init(&f, &se, v);
    f.fail_sign = 1;
    CHECK_EQ_INT(sm_csr_start(&op, &se, 0, v->subject, v->n, SM_CSR_DER, out, sizeof out), SM_OK);
    CHECK_EQ_INT(op_run(&op, &calls, &biggest), SM_ERR_CHIP_EXEC);
    CHECK_EQ_INT(sm_atecc_last_status(&se), 0x0F);
    /* and the next request on the same chip works */
    f.fail_sign = 0;
    CHECK_EQ_INT(sm_csr_run_blocking(&se, 0, v->subject, v->n, SM_CSR_DER, out, sizeof out, &n), SM_OK);
    CHECK(bytes_eq(out, n, v->der, v->der_len));
}

int main(void)
{
    RUN(test_sha256_fips);
    RUN(test_sha256_lengths);
    RUN(test_sha256_splits);
    RUN(test_der_lengths);
    RUN(test_der_integer);
    RUN(test_der_others);
    RUN(test_der_space_and_errors);
    RUN(test_ecdsa_der);
    RUN(test_subject_checks);
    RUN(test_name_der);
    RUN(test_vectors);
    RUN(test_pure_errors);
    RUN(test_op_matches_vectors);
    RUN(test_op_errors);
    return sm_test_finish("test_csr");
}
