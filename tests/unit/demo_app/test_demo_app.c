/* test_demo_app.c - the demo application's console provisioning parser
   (examples/demo_mqtt_app.h, SM_DM_CONSOLE): what a board without files
   accepts on its console is untrusted input. Also compiles the whole
   application under the strict flags (and as C++: make test builds both).
   make test-unit: runs alone, needs only a C compiler. */
#define SECMODEM_IMPLEMENTATION
#include "../../../secmodem.h"
#include "../../common/sm_test.h"

#include <stdarg.h>
#include <stdio.h>

/* what the application printed last (test-binary state) */
static char g_printed[256];
#if defined(__GNUC__)
__attribute__((format(printf, 1, 2)))
#endif
static int test_printf(const char *fmt, ...)
{
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = vsnprintf(g_printed, sizeof g_printed, fmt, ap);
    va_end(ap);
    return n;
}
#define SM_DM_PRINTF test_printf
#define SM_DM_CONSOLE
#define SM_DM_FILE_CAP 200u
#include "../../../examples/demo_mqtt_app.h"

static sm_dm_app g_app;
static sm_dm_console g_con;

static void feed(const char *s)
{
    while (*s) sm_dm_console_feed(&g_con, (uint8_t)*s++);
}

static void fresh(void)
{
    memset(&g_app, 0, sizeof g_app);
    g_app.broker_port = 1883;
    sm_dm_console_init(&g_con, &g_app);
}

static long get(const char *name)
{
    uint8_t *buf = strcmp(name, "ca.pem") == 0 ? g_app.ca.data : g_app.device.data;
    return sm_dm_console_get_file(&g_con, name, buf, SM_DM_FILE_CAP);
}

#define CERT(body) "-----BEGIN CERTIFICATE-----\n" body "\n-----END CERTIFICATE-----\n"

static void test_port_line(void)
{
    fresh();
    feed("port 8883\n");
    CHECK_EQ_INT(g_app.broker_port, 8883);
    feed("port 65535\r\n");
    CHECK_EQ_INT(g_app.broker_port, 65535);
    /* out of range, signs, trailing text, empty, no digits: all ignored */
    feed("port 65536\nport 0\nport -1\nport 12x\nport \nport\nport 99999999999999999999\n");
    CHECK_EQ_INT(g_app.broker_port, 65535);
    feed("port +1234\nport 12 34\n");  /* digits only */
    CHECK_EQ_INT(g_app.broker_port, 65535);
    feed("  port 1234\nPORT 1234\n"); /* exact keyword only */
    CHECK_EQ_INT(g_app.broker_port, 65535);
    feed("port 1\r");                 /* a bare CR ends a line too */
    CHECK_EQ_INT(g_app.broker_port, 1);
}

static void test_two_certificates(void)
{
    fresh();
    CHECK_EQ_INT(get("ca.pem"), 0);   /* not there yet: asked again later */
    CHECK_EQ_INT(get("device.crt"), 0);
    feed("noise before\r\n" CERT("QUJD"));
    CHECK_EQ_INT(get("ca.pem"), (long)strlen(CERT("QUJD")));
    CHECK(memcmp(g_app.ca.data, CERT("QUJD"), strlen(CERT("QUJD"))) == 0);
    CHECK_EQ_INT(get("device.crt"), 0);
    /* CR LF line ends arrive as LF; lines of the PEM kept as they are */
    feed("-----BEGIN CERTIFICATE-----\r\nREVG\r\nR0hJ\r\n-----END CERTIFICATE-----\r\n");
    CHECK_EQ_INT(get("device.crt"), (long)strlen(CERT("REVG\nR0hJ")));
    CHECK(memcmp(g_app.device.data, CERT("REVG\nR0hJ"), strlen(CERT("REVG\nR0hJ"))) == 0);
    /* a third certificate changes nothing */
    feed(CERT("WFla"));
    CHECK(memcmp(g_app.device.data, CERT("REVG\nR0hJ"), strlen(CERT("REVG\nR0hJ"))) == 0);
    /* a port line still counts afterwards */
    feed("port 4242\n");
    CHECK_EQ_INT(g_app.broker_port, 4242);
}

static void test_certificate_too_big(void)
{
    char line[70];
    int i;
    fresh();
    memset(line, 'A', 64);
    line[64] = '\n';
    line[65] = '\0';
    feed("-----BEGIN CERTIFICATE-----\n");
    for (i = 0; i < 4; i++) feed(line); /* 28 + 4 * 65 > 200 bytes */
    feed("-----END CERTIFICATE-----\n");
    CHECK_EQ_INT(get("ca.pem"), -1);    /* refused, never written past the buffer */
    CHECK_EQ_INT(get("device.crt"), -1);
}

static void test_overlong_line_ignored(void)
{
    int i;
    fresh();
    for (i = 0; i < 500; i++) sm_dm_console_feed(&g_con, 'p');
    feed("port 7\n");                    /* the overlong line ends at this LF... */
    CHECK_EQ_INT(g_app.broker_port, 1883);
    feed("port 7\n");                    /* ...and the next one counts */
    CHECK_EQ_INT(g_app.broker_port, 7);
    /* an overlong line inside a PEM block is dropped, not truncated into it */
    feed("-----BEGIN CERTIFICATE-----\n");
    for (i = 0; i < 100; i++) sm_dm_console_feed(&g_con, 'B');
    feed("\nQUJD\n-----END CERTIFICATE-----\n");
    CHECK_EQ_INT(get("ca.pem"), (long)strlen(CERT("QUJD")));
    /* bytes of every value, NULs included, do not upset the parser */
    for (i = 0; i < 256; i++) sm_dm_console_feed(&g_con, (uint8_t)i);
    feed("\n");
    CHECK_EQ_INT(get("device.crt"), 0);
}

static void test_buffer_elsewhere(void)
{
    uint8_t other[SM_DM_FILE_CAP], small[8];
    fresh();
    feed(CERT("QUJD"));
    CHECK_EQ_INT(sm_dm_console_get_file(&g_con, "ca.pem", other, sizeof other),
                 (long)strlen(CERT("QUJD")));
    CHECK(memcmp(other, CERT("QUJD"), strlen(CERT("QUJD"))) == 0);
    CHECK_EQ_INT(sm_dm_console_get_file(&g_con, "ca.pem", small, sizeof small), -1);
}

/* the application refuses a host without callbacks */
static void test_init_arguments(void)
{
    sm_dm_host none;
    memset(&none, 0, sizeof none);
    CHECK_EQ_INT(sm_dm_init(&g_app, NULL, NULL, NULL, "127.0.0.1", 1), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_dm_init(&g_app, NULL, NULL, &none, "127.0.0.1", 1), SM_ERR_PARAM);
}

int main(void)
{
    RUN(test_port_line);
    RUN(test_two_certificates);
    RUN(test_certificate_too_big);
    RUN(test_overlong_line_ignored);
    RUN(test_buffer_elsewhere);
    RUN(test_init_arguments);
    (void)sm_dm_poll;
    (void)sm_dm_busy;
    (void)sm_dm_summary;
    return sm_test_finish("test_demo_app");
}
