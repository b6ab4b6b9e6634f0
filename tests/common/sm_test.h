/* sm_test.h - the few macros the C tests share. Each test binary ends with
   a line "N passed, N failed" and exits non-zero on any failure. */
#ifndef SM_TEST_H
#define SM_TEST_H
#include <stdio.h>
#include <string.h>

typedef struct sm_test_counts { int passed, failed; } sm_test_counts;
static sm_test_counts sm_test_tally; /* test-binary state, not library state */

#define CHECK(cond) do { \
    if (cond) sm_test_tally.passed++; \
    else { sm_test_tally.failed++; \
           fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); } \
} while (0)

#define CHECK_EQ_INT(a, b) do { long sm_a_ = (long)(a), sm_b_ = (long)(b); \
    if (sm_a_ == sm_b_) sm_test_tally.passed++; \
    else { sm_test_tally.failed++; \
           fprintf(stderr, "%s:%d: %s == %ld, expected %s == %ld\n", __FILE__, __LINE__, \
                   #a, sm_a_, #b, sm_b_); } \
} while (0)

#define CHECK_EQ_STR(a, b) do { const char *sm_a_ = (a), *sm_b_ = (b); \
    if (sm_a_ && sm_b_ && strcmp(sm_a_, sm_b_) == 0) sm_test_tally.passed++; \
    else { sm_test_tally.failed++; \
           fprintf(stderr, "%s:%d: %s is \"%s\", expected \"%s\"\n", __FILE__, __LINE__, \
                   #a, sm_a_ ? sm_a_ : "(null)", sm_b_ ? sm_b_ : "(null)"); } \
} while (0)

#define RUN(test) do { int sm_f_ = sm_test_tally.failed; test(); \
    if (sm_test_tally.failed != sm_f_) fprintf(stderr, "  in %s\n", #test); } while (0)

#define RUN_ARG(test, arg) do { int sm_f_ = sm_test_tally.failed; test(arg); \
    if (sm_test_tally.failed != sm_f_) fprintf(stderr, "  in %s\n", #test); } while (0)

static int sm_test_finish(const char *name)
{
    printf("%s: %d passed, %d failed\n", name, sm_test_tally.passed, sm_test_tally.failed);
    return sm_test_tally.failed ? 1 : 0;
}
#endif
