/* The certificate signing request (section 11) over the ATECC608: SHA-256,
   the DER writer, the subject, PEM, the chip-signed request. */
#ifdef REF_NO_MAIN
#include "ref_atecc.c"
#else
#define REF_NO_MAIN
#include "ref_atecc.c"
#undef REF_NO_MAIN
#endif

int ref_csr(void);
int ref_csr(void)
{
    static sm_atecc se;
    static sm_csr op;
    static char pem[640];
    static const sm_dn_attr subject[1] = { { SM_DN_CN, "dev" } };
    sm_platform p;
    int rc;
    sm_ref_platform(&p);
    sm_atecc_init(&se, &p, 0);
    rc = sm_csr_start(&op, &se, 0, subject, 1, SM_CSR_PEM, pem, sizeof pem);
    while (sm_csr_poll(&op) == SM_ATECC_PENDING) sm_ref_clock++;
    return rc + ref_atecc();
}

#ifndef REF_NO_MAIN
int main(void) { return ref_csr(); }
#endif
