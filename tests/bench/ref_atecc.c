/* ATECC608: the transport, every command builder and the helpers. */
#ifndef SM_REF_ATECC_C
#define SM_REF_ATECC_C /* included by several references (CSR, certificates) */
#include "ref_common.h"

int ref_atecc(void);
int ref_atecc(void)
{
    static sm_atecc se;
    sm_platform p;
    sm_atecc_cmd c;
    static uint8_t out[72], sig[64], pub[64], sn[9], locks[2];
    static const uint8_t digest[32] = { 1 };
    int rc = 0;
    sm_ref_platform(&p);
    sm_atecc_init(&se, &p, 0);
    rc += sm_atecc_cmd_info(&c, 0, 0);
    rc += sm_atecc_cmd_read(&c, sm_ref_sink, 0, 32);
    rc += sm_atecc_cmd_random(&c, 0);
    rc += sm_atecc_cmd_nonce_load(&c, 0, digest, 32);
    rc += sm_atecc_cmd_genkey(&c, 0, sm_ref_sink);
    rc += sm_atecc_cmd_sign(&c, 0x80, sm_ref_sink);
    rc += sm_atecc_cmd_verify_extern(&c, 0, sig, pub);
    rc += sm_atecc_cmd_sha(&c, 0, digest, 32);
    rc += sm_atecc_cmd_ecdh(&c, sm_ref_sink, pub);
    rc += sm_atecc_cmd_counter(&c, 0, 0);
    rc += sm_atecc_cmd_selftest(&c, 0x3D);
    rc += sm_atecc_start(&se, &c, out, sizeof out);
    rc += sm_atecc_serial_start(&se, sn);
    rc += sm_atecc_lock_status_start(&se, locks);
    rc += sm_atecc_pubkey_start(&se, 0, pub);
    rc += sm_atecc_sign_start(&se, 0, digest, sig);
    rc += sm_atecc_verify_start(&se, digest, sig, pub);
    while (sm_atecc_poll(&se) == SM_ATECC_PENDING) sm_ref_clock++;
    return rc;
}

#endif /* SM_REF_ATECC_C */

#ifndef REF_NO_MAIN
int main(void) { return ref_atecc(); }
#endif
