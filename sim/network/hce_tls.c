/* hce_tls.c - the TLS client of the Sequans simulator for security profiles
   whose private key is in the host's secure element (storage=1, HCE
   signing; sim/sequans_contract.md "Host signing", docs/sequans.md C-33,
   a real TLS handshake whose client signature comes from the host.

   Python's ssl cannot hand the private-key operation to outside code, so the
   simulator (sim/network/hce.py) starts this program once per connection. It owns
   the TLS connection: a TLS client over an already connected TCP socket,
   with the profile's CA and validation level and the client certificate,
   and an EC_KEY that holds only that certificate's PUBLIC key. Its
   EC_KEY_METHOD is the default one except sign_sig, which sends the digest
   OpenSSL wants signed (CertificateVerify) to the simulator and returns the
   r || s the simulator sends back. There is no private key anywhere here.
   After the handshake it relays plaintext between a socket of the
   simulator and the TLS connection until either side closes.

   Usage (the simulator builds the command line):
       hce_tls --net-fd N --ctl-fd N --data-fd N --cert PEM
               [--ca PEM] [--verify 0|1] [--verify-host 0|1] [--host NAME]
               [--version 0..3] [--ciphers LIST] [--ciphersuites LIST]
   --net-fd   the TCP socket, connected to the server (blocking)
   --ctl-fd   the control channel, one text line per message:
                helper -> simulator  "SIGN <64 hex>"     a SHA-256 digest to sign
                simulator -> helper  "SIG <128 hex>"     r || s, each 32 bytes
                                     "FAIL <reason>"     no signature: fail the handshake
                helper -> simulator  "OK <protocol> <cipher>"   handshake done, relaying
                                     "ERR <kind> <text>"        kind: config, verify, tls, sign
   --data-fd  the plaintext side, relayed after "OK"
   --cert     the client certificate (PEM; more certificates after the first
              are sent as its chain); its key must be P-256
   --ca       trusted certificate(s), PEM, for --verify 1 (chain and dates)
   --verify-host 1  also check the server's name (or IP address) against --host
   --host     the server's name: SNI (unless an IP literal) and name check
   --version  0..3 = TLS 1.0..1.3, exactly (default: 1.2 and up)
   --ciphers / --ciphersuites   OpenSSL lists for TLS <= 1.2 / TLS 1.3
   Exit status 0 after a relay that ended, 1 after "ERR", 2 on bad usage.

   Built by the Makefile (build/hce_tls) with -lssl -lcrypto; EC_KEY_METHOD
   is deprecated in OpenSSL 3.0 but present (-Wno-deprecated-declarations). */
#define _POSIX_C_SOURCE 200809L
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* One program per connection: its settings and channel are file-scope. */
static int g_ctl = -1;          /* control channel */
static int g_sign_failed;       /* sign_sig had no signature to give */
static char g_sign_why[160];

typedef struct opts {
    int net, ctl, data;
    const char *cert, *ca, *host, *ciphers, *suites;
    int verify, verify_host, version;
} opts;

/* ---- the control channel ---------------------------------------------------- */
static int write_all(int fd, const void *p, size_t n)
{
    const char *c = (const char *)p;
    while (n > 0) {
        ssize_t k = write(fd, c, n);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) return -1;
        c += k;
        n -= (size_t)k;
    }
    return 0;
}

static void say(const char *kind, const char *a, const char *b)
{
    char line[600];
    int n = snprintf(line, sizeof line, "%s %s%s%s\n", kind, a, b ? " " : "", b ? b : "");
    size_t i;
    if (n < 0) return;
    if ((size_t)n >= sizeof line) {
        n = (int)sizeof line - 1;
        line[n - 1] = '\n';
    }
    for (i = 0; i + 1 < (size_t)n; i++)
        if (line[i] == '\n' || line[i] == '\r') line[i] = ' '; /* one line per message */
    (void)write_all(g_ctl, line, (size_t)n);
}

/* Reads one line (without its LF) from the control channel; -1 on EOF. */
static int read_line(int fd, char *buf, size_t cap)
{
    size_t n = 0;
    for (;;) {
        char c;
        ssize_t k = read(fd, &c, 1);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) return -1;
        if (c == '\n') break;
        if (n + 1 < cap) buf[n++] = c;
    }
    buf[n] = '\0';
    return (int)n;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* ---- the signing callback ------------------------------------------------------ */
static ECDSA_SIG *host_sign_sig(const unsigned char *dgst, int dgst_len, const BIGNUM *kinv,
                                const BIGNUM *r, EC_KEY *key)
{
    static const char digits[] = "0123456789abcdef";
    char line[300];
    unsigned char rs[64];
    int i, n;
    BIGNUM *br, *bs;
    ECDSA_SIG *sig;
    (void)kinv;
    (void)r;
    (void)key;
    if (dgst_len != 32) {
        snprintf(g_sign_why, sizeof g_sign_why, "digest of %d bytes (only SHA-256 is signed)", dgst_len);
        g_sign_failed = 1;
        return NULL;
    }
    memcpy(line, "SIGN ", 5);
    for (i = 0; i < 32; i++) {
        line[5 + 2 * i] = digits[dgst[i] >> 4];
        line[6 + 2 * i] = digits[dgst[i] & 15];
    }
    line[69] = '\n';
    if (write_all(g_ctl, line, 70) != 0 || (n = read_line(g_ctl, line, sizeof line)) < 0) {
        snprintf(g_sign_why, sizeof g_sign_why, "control channel closed");
        g_sign_failed = 1;
        return NULL;
    }
    if (n != 4 + 128 || strncmp(line, "SIG ", 4) != 0) {
        snprintf(g_sign_why, sizeof g_sign_why, "%.150s", strncmp(line, "FAIL", 4) == 0 ? line : "bad answer");
        g_sign_failed = 1;
        return NULL;
    }
    for (i = 0; i < 64; i++) {
        int hi = hexval(line[4 + 2 * i]), lo = hexval(line[5 + 2 * i]);
        if (hi < 0 || lo < 0) {
            snprintf(g_sign_why, sizeof g_sign_why, "bad hex in the signature");
            g_sign_failed = 1;
            return NULL;
        }
        rs[i] = (unsigned char)(hi << 4 | lo);
    }
    br = BN_bin2bn(rs, 32, NULL);
    bs = BN_bin2bn(rs + 32, 32, NULL);
    sig = ECDSA_SIG_new();
    if (!br || !bs || !sig || !ECDSA_SIG_set0(sig, br, bs)) {
        BN_free(br);
        BN_free(bs);
        ECDSA_SIG_free(sig);
        g_sign_failed = 1;
        snprintf(g_sign_why, sizeof g_sign_why, "out of memory");
        return NULL;
    }
    return sig;
}

/* ---- setup ------------------------------------------------------------------------ */
static const char *ssl_error_text(void)
{
    static char buf[256];
    unsigned long e = ERR_get_error(), last = e;
    while (e) { last = e; e = ERR_get_error(); } /* the last one says the most */
    if (!last) return "no detail";
    ERR_error_string_n(last, buf, sizeof buf);
    return buf;
}

static int fail(const char *kind, const char *text)
{
    say("ERR", kind, text);
    return 1;
}

/* Loads every certificate of a PEM text: into the store (trust), or the
   first as the leaf and the rest as its chain. */
static int load_trust(SSL_CTX *ctx, const char *pem)
{
    X509_STORE *store = SSL_CTX_get_cert_store(ctx);
    BIO *bio = BIO_new_mem_buf(pem, -1);
    X509 *x;
    int n = 0;
    if (!bio) return 0;
    while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
        if (X509_STORE_add_cert(store, x)) n++;
        X509_free(x);
    }
    ERR_clear_error(); /* the read that ended the loop */
    BIO_free(bio);
    return n;
}

/* The client certificate and a key object that knows only its public half. */
static int load_client(SSL_CTX *ctx, const char *pem)
{
    BIO *bio = BIO_new_mem_buf(pem, -1);
    X509 *leaf = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
    X509 *extra;
    EVP_PKEY *pub, *pkey;
    EC_KEY *src, *key;
    EC_KEY_METHOD *meth;
    int (*sign)(int, const unsigned char *, int, unsigned char *, unsigned int *, const BIGNUM *,
                const BIGNUM *, EC_KEY *) = NULL;
    int (*sign_setup)(EC_KEY *, BN_CTX *, BIGNUM **, BIGNUM **) = NULL;
    ECDSA_SIG *(*sign_sig)(const unsigned char *, int, const BIGNUM *, const BIGNUM *, EC_KEY *) = NULL;
    if (!leaf) { BIO_free(bio); return fail("config", "client certificate: no PEM certificate"); }
    pub = X509_get0_pubkey(leaf);
    src = pub ? EVP_PKEY_get1_EC_KEY(pub) : NULL;
    if (!src || EC_GROUP_get_curve_name(EC_KEY_get0_group(src)) != NID_X9_62_prime256v1) {
        EC_KEY_free(src);
        X509_free(leaf);
        BIO_free(bio);
        return fail("config", "client certificate: the key is not ECDSA P-256");
    }
    /* the default method with our sign_sig: sign() (DER) goes through it */
    meth = EC_KEY_METHOD_new(EC_KEY_get_default_method());
    key = EC_KEY_new_by_curve_name(NID_X9_62_prime256v1);
    pkey = EVP_PKEY_new();
    if (!meth || !key || !pkey) {
        EC_KEY_free(src);
        X509_free(leaf);
        BIO_free(bio);
        return fail("config", "out of memory");
    }
    EC_KEY_METHOD_get_sign(meth, &sign, &sign_setup, &sign_sig);
    EC_KEY_METHOD_set_sign(meth, sign, sign_setup, host_sign_sig);
    if (!EC_KEY_set_method(key, meth) || !EC_KEY_set_public_key(key, EC_KEY_get0_public_key(src)) ||
        !EVP_PKEY_assign_EC_KEY(pkey, key)) {
        EC_KEY_free(src);
        X509_free(leaf);
        BIO_free(bio);
        return fail("config", ssl_error_text());
    }
    EC_KEY_free(src);
    if (!SSL_CTX_use_certificate(ctx, leaf) || !SSL_CTX_use_PrivateKey(ctx, pkey)) {
        X509_free(leaf);
        EVP_PKEY_free(pkey);
        BIO_free(bio);
        return fail("config", ssl_error_text());
    }
    /* the rest of the slot is the chain (e.g. the signer CA of a
       pre-provisioned chip): added once the leaf is the context's current
       certificate, since a chain belongs to the current certificate (added
       before, it went to an empty slot and was never sent) */
    while ((extra = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL)
        if (!SSL_CTX_add0_chain_cert(ctx, extra)) X509_free(extra);
    ERR_clear_error();
    BIO_free(bio);
    X509_free(leaf);
    EVP_PKEY_free(pkey); /* the context holds its own references */
    return 0;
}

static const int k_versions[4] = { TLS1_VERSION, TLS1_1_VERSION, TLS1_2_VERSION, TLS1_3_VERSION };

static int is_ip(const char *host)
{
    unsigned char buf[16];
    return inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1;
}

static int configure(SSL_CTX *ctx, const opts *o)
{
    if (o->version >= 0) {
        SSL_CTX_set_min_proto_version(ctx, k_versions[o->version]);
        SSL_CTX_set_max_proto_version(ctx, k_versions[o->version]);
        if (o->version < 2) SSL_CTX_set_security_level(ctx, 0); /* let 1.0/1.1 be tried */
    } else {
        SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    }
    if (o->ciphers && *o->ciphers && !SSL_CTX_set_cipher_list(ctx, o->ciphers))
        return fail("config", "cipher suites not usable");
    if (o->suites && *o->suites && !SSL_CTX_set_ciphersuites(ctx, o->suites))
        return fail("config", "TLS 1.3 cipher suites not usable");
    /* the chip signs a SHA-256 digest with its P-256 key: nothing else */
    if (!SSL_CTX_set1_client_sigalgs_list(ctx, "ECDSA+SHA256"))
        return fail("config", ssl_error_text());
    if (o->verify) {
        if (!o->ca || load_trust(ctx, o->ca) == 0)
            return fail("config", "verification requested but no trusted certificate");
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    } else {
        SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
    }
    return load_client(ctx, o->cert);
}

/* ---- the relay ----------------------------------------------------------------------- */
static int set_nonblocking(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/* Moves bytes both ways until either side closes. TLS side non-blocking,
   plaintext writes blocking (the simulator reads when it has room: that is
   the back-pressure). */
static void relay(SSL *ssl, int net, int data)
{
    static unsigned char in[16384], out[16384];
    size_t out_len = 0;
    int want_write = 0, data_open = 1;
    (void)set_nonblocking(net);
    for (;;) {
        struct pollfd p[2];
        int n, timeout = SSL_pending(ssl) > 0 ? 0 : 1000;
        p[0].fd = net;
        p[0].events = (short)(POLLIN | (want_write || out_len ? POLLOUT : 0));
        p[1].fd = data;
        p[1].events = (short)(data_open && out_len == 0 ? POLLIN : 0);
        p[0].revents = p[1].revents = 0;
        if (poll(p, 2, timeout) < 0 && errno != EINTR) return;
        want_write = 0;
        /* TLS -> plaintext */
        for (;;) {
            n = SSL_read(ssl, in, (int)sizeof in);
            if (n > 0) {
                if (write_all(data, in, (size_t)n) != 0) return; /* the simulator closed */
                continue;
            }
            switch (SSL_get_error(ssl, n)) {
            case SSL_ERROR_WANT_READ: break;
            case SSL_ERROR_WANT_WRITE: want_write = 1; break;
            default: return; /* closed by the peer, or broken */
            }
            break;
        }
        /* plaintext -> TLS */
        if (out_len == 0 && data_open && (p[1].revents & (POLLIN | POLLHUP | POLLERR))) {
            ssize_t k = read(data, out, sizeof out);
            if (k > 0) out_len = (size_t)k;
            else if (k == 0 || (errno != EINTR && errno != EAGAIN)) data_open = 0;
        }
        if (out_len) {
            n = SSL_write(ssl, out, (int)out_len);
            if (n > 0) {
                memmove(out, out + n, out_len - (size_t)n);
                out_len -= (size_t)n;
            } else {
                int e = SSL_get_error(ssl, n);
                if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ) want_write = 1;
                else return;
            }
        }
        if (!data_open && out_len == 0) {
            (void)SSL_shutdown(ssl); /* the simulator hung up: close_notify */
            return;
        }
    }
}

/* ---- main -------------------------------------------------------------------------------- */
static int usage(void)
{
    fprintf(stderr, "usage: hce_tls --net-fd N --ctl-fd N --data-fd N --cert PEM [--ca PEM] "
                    "[--verify 0|1] [--verify-host 0|1] [--host NAME] [--version 0..3] "
                    "[--ciphers LIST] [--ciphersuites LIST]\n");
    return 2;
}

static int parse(opts *o, int argc, char **argv)
{
    int i;
    memset(o, 0, sizeof *o);
    o->net = o->ctl = o->data = -1;
    o->version = -1;
    for (i = 1; i + 1 < argc; i += 2) {
        const char *k = argv[i], *v = argv[i + 1];
        if (strcmp(k, "--net-fd") == 0) o->net = atoi(v);
        else if (strcmp(k, "--ctl-fd") == 0) o->ctl = atoi(v);
        else if (strcmp(k, "--data-fd") == 0) o->data = atoi(v);
        else if (strcmp(k, "--cert") == 0) o->cert = v;
        else if (strcmp(k, "--ca") == 0) o->ca = v;
        else if (strcmp(k, "--host") == 0) o->host = v;
        else if (strcmp(k, "--ciphers") == 0) o->ciphers = v;
        else if (strcmp(k, "--ciphersuites") == 0) o->suites = v;
        else if (strcmp(k, "--verify") == 0) o->verify = atoi(v);
        else if (strcmp(k, "--verify-host") == 0) o->verify_host = atoi(v);
        else if (strcmp(k, "--version") == 0) o->version = atoi(v);
        else return -1;
    }
    if (i != argc || o->net < 0 || o->ctl < 0 || o->data < 0 || !o->cert || o->version > 3) return -1;
    return 0;
}

int main(int argc, char **argv)
{
    opts o;
    SSL_CTX *ctx;
    SSL *ssl;
    int rc;
    signal(SIGPIPE, SIG_IGN);
    if (parse(&o, argc, argv) != 0) return usage();
    g_ctl = o.ctl;
    ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx) return fail("config", ssl_error_text());
    if (configure(ctx, &o) != 0) return 1;
    ssl = SSL_new(ctx);
    if (!ssl || !SSL_set_fd(ssl, o.net)) return fail("config", ssl_error_text());
    if (o.host && *o.host) {
        if (!is_ip(o.host) && !SSL_set_tlsext_host_name(ssl, o.host)) return fail("config", "bad host name");
        if (o.verify && o.verify_host) {
            X509_VERIFY_PARAM *vp = SSL_get0_param(ssl);
            if (is_ip(o.host) ? !X509_VERIFY_PARAM_set1_ip_asc(vp, o.host) : !SSL_set1_host(ssl, o.host))
                return fail("config", "bad host name");
        }
    }
    rc = SSL_connect(ssl);
    if (rc != 1) {
        long v = SSL_get_verify_result(ssl);
        if (g_sign_failed) return fail("sign", g_sign_why);
        if (o.verify && v != X509_V_OK) return fail("verify", X509_verify_cert_error_string(v));
        return fail("tls", ssl_error_text());
    }
    {
        char detail[160];
        snprintf(detail, sizeof detail, "%s %s", SSL_get_version(ssl), SSL_get_cipher_name(ssl));
        say("OK", detail, NULL);
    }
    relay(ssl, o.net, o.data);
    SSL_free(ssl);
    SSL_CTX_free(ctx);
    close(o.data);
    close(o.net);
    return 0;
}
