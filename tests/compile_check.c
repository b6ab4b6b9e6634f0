/* Compiles the whole header with the implementation, for every toolchain the
   library supports (see the Makefile's `cross` target), and calls every
   public function so that each section is compiled and linked for real. */
#define SECMODEM_IMPLEMENTATION
/* Arduino.h declares these global names: with -Wshadow no name in the
   header may shadow them (a sketch is built with the header after it) */
typedef unsigned int word;
typedef unsigned char byte;
#include "../secmodem.h"

static int tx(void *u, const uint8_t *d, size_t n) { (void)u; (void)d; return (int)n; }
static uint32_t now(void *u) { (void)u; return 0; }
#ifndef SM_NO_ATECC
static int i2c_w(void *u, uint8_t a, const uint8_t *d, size_t n)
{ (void)u; (void)a; (void)d; (void)n; return -1; }
static int i2c_r(void *u, uint8_t a, uint8_t *b, size_t n)
{ (void)u; (void)a; (void)b; (void)n; return -1; }

static int sm_compile_check_atecc(const sm_platform *p)
{
    static const uint8_t k[64] = { 1 };
    sm_atecc se;
    sm_atecc_cmd c;
    uint8_t out[SM_ATECC_CMD_MAX], sn[9], locks[2], pub[64], sig[64];
    size_t n = 0;
    uint8_t st = 0;
    int rc = 0;
    memset(&se, 0, sizeof se); /* the calls below run even if init failed */
    rc |= sm_atecc_init(&se, p, SM_ATECC_ADDR_DEFAULT);
    sm_atecc_set_end(&se, SM_ATECC_END_IDLE);
    rc |= sm_atecc_cmd_info(&c, SM_ATECC_INFO_REVISION, 0);
    rc |= sm_atecc_encode(&c, out, sizeof out);
    rc |= (int)sm_atecc_crc16(out, 5);
    rc |= sm_atecc_decode(out, 7, &st);
    rc |= sm_atecc_status_error(st);
    rc |= sm_atecc_cmd_read(&c, SM_ATECC_ZONE_DATA, sm_atecc_addr(SM_ATECC_ZONE_DATA, 8, 1, 0), 32);
    rc |= sm_atecc_cmd_random(&c, SM_ATECC_RANDOM_SEED);
    rc |= sm_atecc_cmd_nonce_load(&c, SM_ATECC_TARGET_TEMPKEY, k, 32);
    rc |= sm_atecc_cmd_nonce_random(&c, SM_ATECC_NONCE_SEED, k);
    rc |= sm_atecc_cmd_genkey(&c, SM_ATECC_GENKEY_PUBLIC, 0);
    rc |= sm_atecc_cmd_sign(&c, SM_ATECC_SIGN_EXTERNAL, 0);
    rc |= sm_atecc_cmd_verify_extern(&c, 0, k, k);
    rc |= sm_atecc_cmd_sha(&c, SM_ATECC_SHA_START, NULL, 0);
    rc |= sm_atecc_cmd_ecdh(&c, 0, k);
    rc |= sm_atecc_cmd_counter(&c, SM_ATECC_COUNTER_READ, 0);
    rc |= sm_atecc_cmd_selftest(&c, SM_ATECC_SELFTEST_ALL);
    rc |= sm_atecc_run_blocking(&se, &c, out, sizeof out, &n);
    rc |= sm_atecc_start(&se, &c, NULL, 0);
    rc |= sm_atecc_poll(&se);
    rc |= sm_atecc_busy(&se);
    rc |= (int)sm_atecc_out_len(&se);
    rc |= (int)sm_atecc_response(&se, &n)[0];
    rc |= sm_atecc_last_status(&se);
    rc |= (int)sm_atecc_get_stats(&se)->commands;
    rc |= sm_atecc_serial_start(&se, sn);
    rc |= sm_atecc_lock_status_start(&se, locks);
    rc |= sm_atecc_pubkey_start(&se, 0, pub);
    rc |= sm_atecc_sign_start(&se, 0, k, sig);
    rc |= sm_atecc_verify_start(&se, k, sig, pub);
    rc |= sm_atecc_sleep_start(&se);
    rc |= sm_atecc_wait_blocking(&se);
    return rc;
}
#endif

#if !defined(SM_NO_ATECC) && !defined(SM_NO_CSR)
/* Every public function of the CSR glue (section 11). */
static int sm_compile_check_csr(const sm_platform *p)
{
    static const sm_dn_attr subject[2] = { { SM_DN_C, "DE" }, { SM_DN_CN, "dev" } };
    static const uint8_t k[64] = { 1 };
    static uint8_t out[600];
    static char pem[800];
    sm_sha256_ctx h;
    sm_der d;
    sm_atecc se;
    sm_csr op;
    uint8_t digest[32], sig[SM_ECDSA_DER_MAX];
    size_t n = 0, tbs = 0;
    int rc = sm_atecc_init(&se, p, 0);
    sm_sha256_init(&h);
    sm_sha256_update(&h, k, sizeof k);
    sm_sha256_final(&h, digest);
    sm_sha256(digest, sizeof digest, digest);
    sm_der_init(&d, out, sizeof out);
    sm_der_header(&d, SM_DER_SEQUENCE, sm_der_tlv_len(3));
    sm_der_raw(&d, k, 1);
    sm_der_integer(&d, k, 32);
    sm_der_bit_string(&d, k, 2);
    sm_der_oid(&d, k, 3);
    sm_der_string(&d, SM_DER_UTF8_STRING, "x", 1);
    sm_der_name(&d, subject, 2);
    rc |= sm_der_finish(&d, &n);
    rc |= sm_ecdsa_sig_to_der(k, sig, sizeof sig, &n);
    rc |= sm_dn_check(subject, 2);
    rc |= sm_csr_tbs(subject, 2, k, out, sizeof out, &tbs);
    rc |= sm_csr_assemble(out, tbs, k, out, sizeof out, &n);
    rc |= sm_pem_encode(SM_PEM_LABEL_CSR, out, n, pem, sizeof pem, &n);
    rc |= sm_csr_size(subject, 2, SM_CSR_PEM, &n);
    rc |= sm_csr_start(&op, &se, 0, subject, 2, SM_CSR_PEM, pem, sizeof pem);
    rc |= sm_csr_poll(&op);
    rc |= (int)sm_csr_out_len(&op);
    rc |= sm_csr_run_blocking(&se, 0, subject, 2, SM_CSR_DER, out, sizeof out, &n);
    return rc;
}
#endif

#if !defined(SM_NO_ATECC) && !defined(SM_NO_CSR) && !defined(SM_NO_CERTS)
/* Every public function of the compressed certificates (section 13). */
static int sm_compile_check_certs(const sm_platform *p)
{
    static const uint8_t t[8] = { 0x30, 0x06, 0x03, 0x04, 0x00, 0x30, 0x00, 0x00 };
    static const uint8_t k[72] = { 1 };
    static const sm_cert_def def = { t, sizeof t, 0, 0, SM_CERT_SN_PUBKEY_HASH, SM_CERT_DATE_UTC,
                                     SM_CERT_DATE_GEN, 10, 0, SM_CERT_PUB_GENKEY, 0,
                                     { 0, 0 }, { 0, 0 }, { 0, 0 }, { 0, 0 }, { 2, 64 }, { 2, 64 },
                                     { 0, 0 }, { 0, 0 }, { 0, 0 } };
    static char out[800];
    sm_cert_inputs in;
    sm_cert_op op;
    sm_atecc se;
    uint8_t digest[20];
    uint16_t is[6], ex[6];
    size_t n = 0;
    int why = 0, rc = sm_atecc_init(&se, p, 0);
    memset(&in, 0, sizeof in);
    in.comp = k;
    in.pub = k;
    sm_sha1(k, sizeof k, digest);
    rc |= sm_cert_def_check(&def);
    rc |= sm_cert_size(&def, SM_CERT_PEM, &n);
    rc |= sm_cert_dates(k, is, ex, &why);
    rc |= sm_cert_rebuild(&def, &in, (uint8_t *)out, sizeof out, &n, &why);
    rc |= (int)sm_cert_why_name(why)[0];
    rc |= sm_cert_start(&op, &se, &def, NULL, SM_CERT_PEM, out, sizeof out);
    rc |= sm_cert_poll(&op);
    rc |= (int)sm_cert_out_len(&op) + (int)sm_cert_subject_key(&op)[0] + sm_cert_why(&op);
    rc |= sm_cert_run_blocking(&op, &se, &def, NULL, SM_CERT_DER, out, sizeof out);
    return rc;
}
#endif

#ifndef SM_NO_MQTT
/* Calls every public MQTT framing function, so none is left uncompiled (or,
   in a size measurement, discarded). */
int sm_compile_check_mqtt(uint8_t *buf, size_t cap, const uint8_t *rx, size_t rx_len);
int sm_compile_check_mqtt(uint8_t *buf, size_t cap, const uint8_t *rx, size_t rx_len)
{
    static const char *const filters[1] = { "a/+" };
    static const uint8_t qos[1] = { 1 };
    sm_mqtt_connect_opts o;
    sm_mqtt_publish p;
    sm_mqtt_decoder d;
    sm_mqtt_event ev;
    size_t len = 0, used = 0;
    int rc = 0;
    memset(&o, 0, sizeof o);
    memset(&p, 0, sizeof p);
    o.client_id = "c";
    o.clean_session = 1;
    p.topic = "t";
    rc |= sm_mqtt_check_string("a/#", SM_MQTT_STR_FILTER);
    rc |= sm_mqtt_encode_connect(buf, cap, &o, &len);
    rc |= sm_mqtt_encode_publish(buf, cap, &p, &len);
    rc |= sm_mqtt_encode_publish_header(buf, cap, &p, &len);
    rc |= sm_mqtt_encode_ack(buf, cap, SM_MQTT_PUBACK, 1, &len);
    rc |= sm_mqtt_encode_subscribe(buf, cap, 1, filters, qos, 1, &len);
    rc |= sm_mqtt_encode_unsubscribe(buf, cap, 1, filters, 1, &len);
    rc |= sm_mqtt_encode_pingreq(buf, cap, &len);
    rc |= sm_mqtt_encode_disconnect(buf, cap, &len);
    sm_mqtt_decoder_reset(&d);
    while (rx_len > 0 && rc >= 0) {
        rc = sm_mqtt_decode(&d, rx, rx_len, &used, &ev);
        rx += used;
        rx_len -= used;
    }
    return rc;
}
#endif

#ifndef SM_NO_CORDELIA
/* Every public function of the Cordelia-I section, so that each toolchain
   compiles and type-checks the calls (see the Makefile's `cross`). */
static void cord_done(void *ctx, sm_cord *c, const sm_result *r) { (void)ctx; (void)c; (void)r; }
static void cord_event(void *ctx, sm_cord *c, const sm_event *e) { (void)ctx; (void)c; (void)e; }
static void cord_entry(void *ctx, sm_cord *c, const sm_cord_file_entry *e) { (void)ctx; (void)c; (void)e; }

int sm_compile_check_cordelia(const sm_platform *p);
int sm_compile_check_cordelia(const sm_platform *p)
{
    static sm_cord c;
    static sm_cord_mqtt_opts cfg;
    static uint8_t buf[64];
    static char b64[96];
    sm_cord_tls tls;
    size_t n;
    int r = 0;
    memset(&tls, 0, sizeof tls);
    tls.method = "TLSV1_2";
    r |= sm_cord_init(&c, p, cord_event, NULL);
    r |= sm_cord_use_mqtt(&c) + sm_cord_use_sockets(&c);
    r |= sm_cord_test(&c, cord_done, NULL);
    r |= sm_cord_reboot(&c, cord_done, NULL);
    r |= sm_cord_hibernate(&c, 60, cord_done, NULL);
    r |= sm_cord_factory_reset(&c, cord_done, NULL);
    r |= sm_cord_get(&c, "general", "version", cord_done, NULL);
    r |= sm_cord_set_str(&c, "MQTT", "clientId", "x", cord_done, NULL);
    r |= sm_cord_set_int(&c, "MQTT", "iotHubPort", 8883, cord_done, NULL);
    r |= sm_cord_set_bool(&c, "MQTT", "cleanConnect", 1, cord_done, NULL);
    sm_cord_mqtt_opts_init(&cfg);
    r |= sm_cord_mqtt_config(&c, &cfg, cord_done, NULL);
    r |= sm_cord_wlan_connect(&c, "ssid", SM_CORD_SEC_WPA_WPA2, "passphrase", cord_done, NULL);
    r |= sm_cord_wlan_disconnect(&c, cord_done, NULL);
    r |= sm_cord_wlan_set_mode(&c, SM_CORD_MODE_STA, cord_done, NULL);
    r |= sm_cord_file_open(&c, "f", SM_CORD_FILE_READ, 0, cord_done, NULL);
    r |= sm_cord_file_write(&c, 1, 0, buf, sizeof buf, cord_done, NULL);
    r |= sm_cord_file_read(&c, 1, 0, buf, sizeof buf, cord_done, NULL);
    r |= sm_cord_file_close(&c, 1, cord_done, NULL);
    r |= sm_cord_file_delete(&c, "f", cord_done, NULL);
    r |= sm_cord_file_get_info(&c, "f", cord_done, NULL);
    r |= sm_cord_file_list(&c, cord_entry, cord_done, NULL);
    r |= sm_cord_file_upload(&c, "f", buf, sizeof buf, cord_done, NULL);
    r |= sm_cord_sock_open(&c, 1, cord_done, NULL);
    r |= sm_cord_sock_tls(&c, 0, &tls, cord_done, NULL);
    r |= sm_cord_sock_dial(&c, 0, "127.0.0.1", 8883, cord_done, NULL);
    r |= sm_cord_sock_send(&c, 0, buf, sizeof buf, cord_done, NULL);
    r |= sm_cord_sock_recv(&c, 0, buf, sizeof buf, cord_done, NULL);
    r |= sm_cord_sock_close(&c, 0, cord_done, NULL);
    r |= sm_cord_mqtt_connect(&c, cord_done, NULL);
    r |= sm_cord_mqtt_disconnect(&c, cord_done, NULL);
    r |= sm_cord_mqtt_publish(&c, 0, "{}", cord_done, NULL);
    r |= sm_cord_feed(&c, buf, 1);
    r |= sm_cord_poll(&c);
    r |= sm_cord_pending(&c, 1) + sm_cord_busy(&c);
    r |= sm_cord_get_state(&c)->started + (sm_cord_at(&c) != NULL);
    r |= (sm_cord_dialect() != NULL) + (int)strlen(sm_cord_event_name(SM_CORD_EV_STARTUP));
    r |= (int)strlen(sm_cord_op_name(SM_CORD_OP_TEST));
    r |= sm_cord_wait(&c, 1);
    sm_cord_cancel(&c);
    r |= sm_base64_encode(buf, 3, b64, sizeof b64, &n);
    r |= sm_base64_decode(b64, n, buf, sizeof buf, &n);
    return r;
}
#endif /* SM_NO_CORDELIA */

#if !defined(SM_NO_MQTT) && !defined(SM_NO_MQTT_SESSION)
static int mq_recv(void *u, uint8_t *b, size_t n) { (void)u; (void)b; (void)n; return 0; }
static void mq_result(void *ctx, sm_mqtt_client *c, const sm_mqtt_result *r)
{ (void)ctx; (void)c; (void)r; }
static void mq_message(void *ctx, sm_mqtt_client *c, const sm_mqtt_event *m)
{ (void)ctx; (void)c; (void)m; }

/* Calls every public function of the MQTT client session. */
int sm_compile_check_mqtt_session(const uint8_t *rx, size_t rx_len);
int sm_compile_check_mqtt_session(const uint8_t *rx, size_t rx_len)
{
    static sm_mqtt_client c;
    static const char *const filters[1] = { "a/+" };
    static const uint8_t qos[1] = { 2 };
    sm_mqtt_transport t;
    sm_mqtt_connect_opts o;
    size_t used = 0;
    int rc = 0;
    memset(&t, 0, sizeof t);
    memset(&o, 0, sizeof o);
    t.send = tx;
    t.recv = mq_recv;
    t.now_ms = now;
    o.client_id = "c";
    o.keep_alive = 60;
    rc |= sm_mqtt_init(&c, &t, mq_result, mq_message, NULL);
    rc |= sm_mqtt_connect_start(&c, &o);
    rc |= sm_mqtt_feed(&c, rx, rx_len, &used);
    rc |= sm_mqtt_subscribe_start(&c, filters, qos, 1);
    rc |= sm_mqtt_publish_start(&c, "a/b", qos, 1, 1, 0);
    rc |= sm_mqtt_unsubscribe_start(&c, filters, 1);
    rc |= sm_mqtt_poll(&c);
    rc |= sm_mqtt_pending(&c, 1) + sm_mqtt_state(&c);
    rc |= sm_mqtt_disconnect_start(&c);
    sm_mqtt_abort(&c, SM_ERR_IO);
    return rc;
}
#endif

int sm_compile_check(void);

#ifndef SM_NO_SEQUANS
static void sqn_done(void *ctx, sm_sqn *m, const sm_result *r) { (void)ctx; (void)m; (void)r; }
static void sqn_event(void *ctx, sm_sqn *m, const sm_event *ev) { (void)ctx; (void)m; (void)ev; }

int sm_sqn_compile_check(const sm_platform *p);
int sm_sqn_compile_check(const sm_platform *p)
{
    static sm_sqn m;
    static sm_sqn_mqtt_mem mq;
    static uint8_t buf[64];
    static const uint8_t data[4] = { 1, 2, 3, 4 };
    sm_sqn_tls tls;
    sm_sqn_http_req req;
    int rc = 0;
    memset(&req, 0, sizeof req);
    req.resource = "/";
    if (sm_sqn_dialect()->cmd_term[0] != '\r') return -1;
    rc |= sm_sqn_init(&m, p, sqn_event, NULL);
    rc |= sm_sqn_bringup(&m, sqn_done, NULL);
    rc |= sm_sqn_clock_read(&m, sqn_done, NULL);
    rc |= sm_sqn_signal(&m, sqn_done, NULL);
    rc |= sm_sqn_identity(&m, sqn_done, NULL);
    rc |= sm_sqn_func_read(&m, sqn_done, NULL);
    rc |= sm_sqn_pending(&m, 1) + sm_sqn_busy(&m) + sm_sqn_wait(&m, 1);
    sm_sqn_cancel(&m);
    rc |= sm_sqn_use_sockets(&m) + sm_sqn_use_mqtt(&m, &mq) + sm_sqn_use_http(&m) + sm_sqn_use_time(&m) +
          sm_sqn_use_hce(&m) + sm_sqn_use_all(&m);
    rc |= sm_sqn_nvm_write(&m, SM_SQN_NVM_CERT, 19, data, sizeof data, sqn_done, NULL);
    rc |= sm_sqn_nvm_read_cert(&m, 19, buf, sizeof buf, sqn_done, NULL);
    rc |= sm_sqn_nvm_key_info(&m, 19, sqn_done, NULL);
    rc |= sm_sqn_nvm_delete(&m, SM_SQN_NVM_KEY, 19, sqn_done, NULL);
    sm_sqn_tls_defaults(&tls, 1, 19, 1);
    rc |= sm_sqn_tls_config(&m, &tls, sqn_done, NULL);
    rc |= sm_sqn_sock_config(&m, 1, 1, 90, sqn_done, NULL);
    rc |= sm_sqn_sock_tls(&m, 1, 1, sqn_done, NULL);
    rc |= sm_sqn_sock_dial(&m, 1, "localhost", 8883, sqn_done, NULL);
    rc |= sm_sqn_sock_send(&m, 1, data, sizeof data, sqn_done, NULL);
    rc |= sm_sqn_sock_recv(&m, 1, buf, sizeof buf, sqn_done, NULL);
    rc |= sm_sqn_sock_close(&m, 1, sqn_done, NULL);
    rc |= sm_sqn_sock_status(&m, sqn_done, NULL);
    rc |= sm_sqn_sock_info(&m, 1, sqn_done, NULL);
    {
        static sm_sqn_stream st;
        rc |= sm_sqn_stream_init(&st, &m, 1);
        rc |= sm_sqn_stream_write(&st, data, sizeof data);
        rc |= sm_sqn_stream_read(&st, buf, sizeof buf);
        sm_sqn_stream_kick(&st);
        rc |= (int)sm_sqn_stream_unsent(&st);
#if !defined(SM_NO_MQTT) && !defined(SM_NO_MQTT_SESSION)
        {
            sm_mqtt_transport tr;
            sm_mqtt_transport_sqn(&tr, &st);
        }
#endif
    }
    rc |= sm_sqn_mqtt_config(&m, "id", "user", "pw", 1, sqn_done, NULL);
    rc |= sm_sqn_mqtt_connect(&m, "localhost", 8883, 60, sqn_done, NULL);
    rc |= sm_sqn_mqtt_subscribe(&m, "a/#", 1, sqn_done, NULL);
    rc |= sm_sqn_mqtt_unsubscribe(&m, "a/#", sqn_done, NULL);
    rc |= sm_sqn_mqtt_publish(&m, "a/b", 1, data, sizeof data, sqn_done, NULL);
    rc |= sm_sqn_mqtt_read(&m, "a/b", 1, 4, buf, sizeof buf, sqn_done, NULL);
    rc |= sm_sqn_mqtt_disconnect(&m, sqn_done, NULL);
    rc |= sm_sqn_http_config(&m, 0, "localhost", 443, 1, NULL, NULL, sqn_done, NULL);
    rc |= sm_sqn_http_request(&m, &req, sqn_done, NULL);
    rc |= sm_sqn_http_read(&m, 0, buf, sizeof buf, sqn_done, NULL);
    rc |= sm_sqn_hce_reply(&m, 1, 0, buf, sqn_done, NULL);
    rc |= sm_sqn_hce_reply(&m, 1, SM_SQN_HCE_FAILED, NULL, sqn_done, NULL);
    rc |= sm_sqn_feed(&m, data, sizeof data);
    rc |= sm_sqn_poll(&m);
    return rc | (int)sm_sqn_event_name(SM_SQN_EV_UNHANDLED)[0] | (int)sm_sqn_op_name(SM_SQN_OP_CLOCK)[0];
}
#endif

#if !defined(SM_NO_SEQUANS) && !defined(SM_NO_ATECC)
/* Every public function of the host-signing glue (section 12). */
static void hce_event(void *ctx, sm_hce *h, const sm_hce_event *ev) { (void)ctx; (void)h; (void)ev; }

int sm_hce_compile_check(const sm_platform *p);
int sm_hce_compile_check(const sm_platform *p)
{
    static sm_sqn m;
    static sm_atecc se;
    static sm_hce h;
    static const uint8_t digest[32] = { 1 };
    sm_event ev;
    int rc = sm_sqn_init(&m, p, sqn_event, NULL);
    rc |= sm_atecc_init(&se, p, SM_ATECC_ADDR_DEFAULT);
    rc |= sm_hce_init(&h, &m, &se, hce_event, NULL);
    memset(&ev, 0, sizeof ev);
    ev.type = SM_SQN_EV_HCE_SIGN;
    ev.u.hce.digest = digest;
    rc |= sm_hce_on_event(&h, &ev);
    rc |= sm_hce_poll(&h);
    rc |= sm_hce_busy(&h);
    rc |= (int)sm_hce_get_stats(&h)->requests;
    return rc | (int)sm_hce_event_name(SM_HCE_EV_ANSWERED)[0];
}
#endif

int sm_compile_check(void)
{
    sm_platform p;
    sm_at at;
    sm_at_cmd c;
    int rc;
    memset(&p, 0, sizeof p);
    memset(&c, 0, sizeof c);
    p.write = tx;
    p.now_ms = now;
    sm_at_init(&at, &p, sm_at_dialect_3gpp());
    c.text = "AT";
    sm_at_submit(&at, &c);
    rc = sm_at_poll(&at);
#ifndef SM_NO_ATECC
    p.i2c_write = i2c_w;
    p.i2c_read = i2c_r;
    rc |= sm_compile_check_atecc(&p);
#endif
#if !defined(SM_NO_ATECC) && !defined(SM_NO_CSR)
    rc |= sm_compile_check_csr(&p);
#endif
#if !defined(SM_NO_ATECC) && !defined(SM_NO_CSR) && !defined(SM_NO_CERTS)
    rc |= sm_compile_check_certs(&p);
#endif
    return rc;
}
