/* Compressed certificates (section 13) over the ATECC608: the definition
   checks, the rebuild, the chip operation (and what they take from section
   11: SHA-256, the DER writer, PEM), plus SHA-1. */
#ifdef REF_NO_MAIN
#include "ref_atecc.c"
#else
#define REF_NO_MAIN
#include "ref_atecc.c"
#undef REF_NO_MAIN
#endif

static const uint8_t ref_tmpl[8] = { 0x30, 0x06, 0x03, 0x04, 0x00, 0x30, 0x00, 0x00 };
static sm_cert_def ref_def = { /* not const: nothing folded away */ ref_tmpl, sizeof ref_tmpl, 0, 0, SM_CERT_SN_PUBKEY_HASH,
                                     SM_CERT_DATE_UTC, SM_CERT_DATE_GEN, 10, 0, SM_CERT_PUB_GENKEY, 0,
                                     { 0, 0 }, { 0, 0 }, { 0, 0 }, { 0, 0 }, { 2, 64 }, { 2, 64 },
                                     { 0, 0 }, { 0, 0 }, { 0, 0 } };

int ref_certs(void);
int ref_certs(void)
{
    static sm_atecc se;
    static sm_cert_op op;
    static char pem[1024];
    sm_platform p;
    int rc;
    sm_ref_platform(&p);
    sm_atecc_init(&se, &p, 0);
    ref_def.tmpl_len = (uint16_t)(ref_def.tmpl_len + sm_ref_sink);
    rc = sm_cert_start(&op, &se, &ref_def, NULL, SM_CERT_PEM, pem, sizeof pem);
    while (sm_cert_poll(&op) == SM_ATECC_PENDING) sm_ref_clock++;
    return rc + sm_cert_why(&op) + ref_atecc();
}

#ifndef REF_NO_MAIN
int main(void) { return ref_certs(); }
#endif
