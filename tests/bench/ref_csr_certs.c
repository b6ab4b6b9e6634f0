/* Compressed certificates over the ATECC608 and the CSR: section 13's own
   code (the CSR already brought SHA-256, the DER writer and PEM). */
#ifdef REF_NO_MAIN
#include "ref_csr.c"
#else
#define REF_NO_MAIN
#include "ref_csr.c"
#undef REF_NO_MAIN
#endif

static const uint8_t ref_tmpl2[8] = { 0x30, 0x06, 0x03, 0x04, 0x00, 0x30, 0x00, 0x00 };
static sm_cert_def ref_def2 = { /* not const: nothing folded away */ ref_tmpl2, sizeof ref_tmpl2, 0, 0, SM_CERT_SN_PUBKEY_HASH,
                                     SM_CERT_DATE_UTC, SM_CERT_DATE_GEN, 10, 0, SM_CERT_PUB_GENKEY, 0,
                                     { 0, 0 }, { 0, 0 }, { 0, 0 }, { 0, 0 }, { 2, 64 }, { 2, 64 },
                                     { 0, 0 }, { 0, 0 }, { 0, 0 } };

int ref_csr_certs(void);
int ref_csr_certs(void)
{
    static sm_atecc se;
    static sm_cert_op op;
    static char pem[1024];
    sm_platform p;
    int rc;
    sm_ref_platform(&p);
    sm_atecc_init(&se, &p, 0);
    ref_def2.tmpl_len = (uint16_t)(ref_def2.tmpl_len + sm_ref_sink);
    rc = sm_cert_start(&op, &se, &ref_def2, NULL, SM_CERT_PEM, pem, sizeof pem);
    while (sm_cert_poll(&op) == SM_ATECC_PENDING) sm_ref_clock++;
    return rc + sm_cert_why(&op) + ref_csr();
}

int main(void) { return ref_csr_certs(); }
