/* The baseline: the reference program with no module in use. */
#include "ref_common.h"
int main(void)
{
    sm_platform p;
    sm_ref_platform(&p);
    return (int)sm_ref_sink + (p.write != 0);
}
