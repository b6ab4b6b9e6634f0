/* Compressed certificates over the ATECC608 and the CSR: section 13's own
   code (the CSR already brought SHA-256, the DER writer and PEM). The
   program of ref_certs.c with ref_csr.c's beside it. */
#define REF_NO_MAIN
#include "ref_csr.c"
#include "ref_certs.c"

int main(void) { return ref_certs() + ref_csr(); }
