/* fuzz_result.h - what every sm_result handed to a done callback (and,
   below, every sm_event) must be, whatever the modem sent (section 5.4, as
   the header documents them), checked by the dialect harnesses in every
   callback; abort() on
   any violation, which libFuzzer reports as a crash.
     - id is what a start function returns (1..32767), op a kind of the
       dialect's list (1..op_count - 1);
     - status is SM_OK or one of the library's SM_ERR_* (the secure
       element's codes excepted: no dialect operation reports them);
     - err_text and text, when set, are NUL-terminated (strlen is safe);
     - truncated is 1 exactly when status is SM_ERR_TRUNCATED, and then
       total > len (more came than fitted);
     - a read (is_read) stores len bytes of at most cap, and len is 0
       unless it ended SM_OK or SM_ERR_TRUNCATED. */
#ifndef FUZZ_RESULT_H
#define FUZZ_RESULT_H
#include <stdlib.h>
#include <string.h>

static void fz_check_result(const sm_result *r, int op_count, int is_read, size_t cap)
{
    int known = r->status == SM_OK || (r->status <= SM_ERR_PARAM && r->status >= SM_ERR_MALFORMED) ||
                r->status == SM_ERR_STATE || r->status == SM_ERR_REFUSED;
    if (r->id < 1 || r->id > 32767 || r->op < 1 || (int)r->op >= op_count || !known) abort();
    if (r->err_text) (void)strlen(r->err_text);
    if (r->text) (void)strlen(r->text);
    if ((r->truncated != 0) != (r->status == SM_ERR_TRUNCATED)) abort();
    if (r->status == SM_ERR_TRUNCATED && r->total <= r->len) abort();
    if (is_read) {
        if (r->len > cap) abort();
        if (r->len && r->status != SM_OK && r->status != SM_ERR_TRUNCATED) abort();
    }
}

/* What every sm_event must be, in every dialect: its type one of the
   dialect's list (1..type_count - 1), its line non-NULL and NUL-terminated
   at line_len. */
static void fz_check_event(const sm_event *ev, int type_count)
{
    if (ev->type < 1 || ev->type >= type_count) abort();
    if (!ev->line || ev->line[ev->line_len] != '\0') abort();
}
#endif
