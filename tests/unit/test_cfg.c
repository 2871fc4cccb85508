/* test_cfg.c - the configuration parser: every name, good and bad values, line syntax. */
#include "config.h"

#include <arpa/inet.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "cfg.h"
#include "log.h"
#include "routes.h"
#include "tap.h"

#define TEST_CFG_FILE "t.conf"

/* Join a list with '|' into buf. */
static const char *test_cfg_join(char *buf, size_t size, char *const *v, size_t n)
{
    size_t i, used = 0;

    buf[0] = '\0';
    for (i = 0; i < n && used < size; i++)
        used += (size_t)snprintf(buf + used, size - used, "%s%s", i ? "|" : "", v[i]);
    return buf;
}

/* Render the value a parsed configuration holds for `field` (a config name) as text. */
static const char *test_cfg_render(const struct cfg *c, const char *field)
{
    static char buf[8192];

    buf[0] = '\0';
#define TEST_STR(f) (c->f ? c->f : "(null)")
    if (strcmp(field, "listen") == 0)
        return test_cfg_join(buf, sizeof(buf), c->listen, c->nlisten);
    if (strcmp(field, "allow") == 0)
        return test_cfg_join(buf, sizeof(buf), c->allow, c->nallow);
    if (strcmp(field, "rules") == 0)
        return test_cfg_join(buf, sizeof(buf), c->rules, c->nrules);
    if (strcmp(field, "unix_mode") == 0)
        snprintf(buf, sizeof(buf), "%04o", (unsigned)c->unix_mode);
    else if (strcmp(field, "unix_owner") == 0)
        return TEST_STR(unix_owner);
    else if (strcmp(field, "unix_group") == 0)
        return TEST_STR(unix_group);
    else if (strncmp(field, "route.", 6) == 0) {
        const char *r = routes_get(c->routes, field + 6, strlen(field + 6));
        return r ? r : "(null)";
    } else if (strcmp(field, "routes") == 0)
        snprintf(buf, sizeof(buf), "%zu", routes_count(c->routes));
    else if (strcmp(field, "default_route") == 0)
        snprintf(buf, sizeof(buf), "%s -> %.*s", TEST_STR(default_route),
                 c->default_result ? (int)c->default_result_len : 6,
                 c->default_result ? c->default_result : "(null)");
    else if (strcmp(field, "redis") == 0)
        return TEST_STR(redis);
    else if (strcmp(field, "redis_db") == 0)
        snprintf(buf, sizeof(buf), "%d", c->redis_db);
    else if (strcmp(field, "redis_username") == 0)
        return TEST_STR(redis_username);
    else if (strcmp(field, "redis_password_file") == 0)
        return TEST_STR(redis_password_file);
    else if (strcmp(field, "redis_prefix") == 0)
        return TEST_STR(redis_prefix);
    else if (strcmp(field, "redis_timeout") == 0)
        snprintf(buf, sizeof(buf), "%u", c->redis_timeout_ms);
    else if (strcmp(field, "redis_unavailable") == 0)
        snprintf(buf, sizeof(buf), "%s",
                 c->redis_unavailable == CFG_UNAVAILABLE_TEMPFAIL ? "tempfail" : "rules");
    else if (strcmp(field, "max_connections") == 0)
        snprintf(buf, sizeof(buf), "%u", c->max_connections);
    else if (strcmp(field, "max_request_size") == 0)
        snprintf(buf, sizeof(buf), "%zu", c->max_request_size);
    else if (strcmp(field, "idle_timeout") == 0)
        snprintf(buf, sizeof(buf), "%u", c->idle_timeout_ms);
    else if (strcmp(field, "request_timeout") == 0)
        snprintf(buf, sizeof(buf), "%u", c->request_timeout_ms);
    else if (strcmp(field, "user") == 0)
        return TEST_STR(user);
    else if (strcmp(field, "group") == 0)
        return TEST_STR(group);
    else if (strcmp(field, "pidfile") == 0)
        return TEST_STR(pidfile);
    else if (strcmp(field, "log_target") == 0)
        return c->log_syslog ? "syslog" : "stderr";
    else if (strcmp(field, "log_facility") == 0)
        snprintf(buf, sizeof(buf), "%d", c->log_facility);
    else if (strcmp(field, "log_lookups") == 0)
        snprintf(buf, sizeof(buf), "%d", c->log_lookups);
    else if (strcmp(field, "metrics_listen") == 0)
        return TEST_STR(metrics_listen);
    else if (strcmp(field, "path") == 0)
        return TEST_STR(path);
    else if (strcmp(field, "signatures") == 0)
        return test_cfg_join(buf, sizeof(buf), c->signatures, c->nsignatures);
    else if (strcmp(field, "learn") == 0)
        snprintf(buf, sizeof(buf), "%zu:%s", c->nlearn,
                 test_cfg_join(buf + 1024, sizeof(buf) - 1024, c->learn, c->nlearn));
    else if (strcmp(field, "learn_route") == 0)
        snprintf(buf, sizeof(buf), "%s -> %s", TEST_STR(learn_route), TEST_STR(learn_result));
    else if (strcmp(field, "learn_ttl") == 0)
        snprintf(buf, sizeof(buf), "%u", c->learn_ttl_s);
    else if (strcmp(field, "learn_scope") == 0)
        return c->learn_scope_host ? "host" : "domain";
    else if (strcmp(field, "learn_max_per_hour") == 0)
        snprintf(buf, sizeof(buf), "%u", c->learn_max_per_hour);
    else if (strcmp(field, "learn_defer_window") == 0)
        snprintf(buf, sizeof(buf), "%u", c->learn_defer_window_s);
    else
        snprintf(buf, sizeof(buf), "(no field %s)", field);
#undef TEST_STR
    return buf;
}

/* All diagnostics of d, one per line (no trailing newline). */
static const char *test_cfg_diags(const struct diag *d)
{
    static char buf[65536];
    size_t i, used = 0;

    buf[0] = '\0';
    for (i = 0; i < diag_count(d) && used < sizeof(buf); i++)
        used += (size_t)snprintf(buf + used, sizeof(buf) - used, "%s%s", i ? "\n" : "",
                                 diag_text(d, i));
    return buf;
}

struct test_cfg_case {
    const char *text;
    const char *field; /* NULL: the parse must fail */
    const char *want;  /* the field rendered, or every diagnostic joined by newlines */
};

#define OK(text, field, want)                                                                      \
    {                                                                                              \
        text, field, want                                                                          \
    }
#define BAD(text, want)                                                                            \
    {                                                                                              \
        text, NULL, want                                                                           \
    }

/* Every name with good and bad values, and the line syntax. File name is t.conf. */
static const struct test_cfg_case test_cfg_cases[] = {
    /* listen */
    OK("listen = inet:127.0.0.1:10027", "listen", "inet:127.0.0.1:10027"),
    OK("listen = inet:localhost:10027, unix:/var/spool/postfix/private/policyd", "listen",
       "inet:localhost:10027|unix:/var/spool/postfix/private/policyd"),
    OK("listen=inet:[::1]:10027 inet:0.0.0.0:1", "listen", "inet:[::1]:10027|inet:0.0.0.0:1"),
    OK("listen = inet:[2001:db8::1]:65535,,inet:mx-1.example.org:25", "listen",
       "inet:[2001:db8::1]:65535|inet:mx-1.example.org:25"),
    BAD("listen = inet:127.0.0.1:0", "t.conf:1: listen: \"inet:127.0.0.1:0\": bad port (1..65535)"),
    BAD("listen = inet:127.0.0.1:65536",
        "t.conf:1: listen: \"inet:127.0.0.1:65536\": bad port (1..65535)"),
    BAD("listen = inet:127.0.0.1:x", "t.conf:1: listen: \"inet:127.0.0.1:x\": bad port (1..65535)"),
    BAD("listen = inet:127.0.0.1", "t.conf:1: listen: \"inet:127.0.0.1\": missing \":PORT\""),
    BAD("listen = inet:::1:25",
        "t.conf:1: listen: \"inet:::1:25\": an IPv6 address needs brackets: [ADDRESS]:PORT"),
    BAD("listen = inet:[::1]25",
        "t.conf:1: listen: \"inet:[::1]25\": expected \":PORT\" after \"]\""),
    BAD("listen = inet:[::g]:25",
        "t.conf:1: listen: \"inet:[::g]:25\": bad IPv6 address in brackets"),
    BAD("listen = inet:[::1:25",
        "t.conf:1: listen: \"inet:[::1:25\": missing \"]\" after an IPv6 address"),
    BAD("listen = inet:999.1.1.1:25", "t.conf:1: listen: \"inet:999.1.1.1:25\": bad IPv4 address"),
    BAD("listen = inet:bad_host:25", "t.conf:1: listen: \"inet:bad_host:25\": bad host name"),
    BAD("listen = inet:-a.example:25", "t.conf:1: listen: \"inet:-a.example:25\": bad host name"),
    BAD("listen = inet:a..b:25", "t.conf:1: listen: \"inet:a..b:25\": bad host name"),
    BAD("listen = inet::25", "t.conf:1: listen: \"inet::25\": empty host"),
    BAD("listen = unix:relative/path",
        "t.conf:1: listen: \"unix:relative/path\": unix socket path must be absolute"),
    BAD("listen = tcp:127.0.0.1:25",
        "t.conf:1: listen: \"tcp:127.0.0.1:25\": expected inet:HOST:PORT, inet:[IPV6]:PORT or "
        "unix:/PATH"),
    BAD("listen = 10027",
        "t.conf:1: listen: \"10027\": expected inet:HOST:PORT, inet:[IPV6]:PORT or unix:/PATH"),
    BAD("listen =", "t.conf:1: listen: needs at least one value"),
    BAD("listen = , ,", "t.conf:1: listen: needs at least one value"),
    BAD("listen = inet:127.0.0.1:1 inet:127.0.0.1:1",
        "t.conf:1: listen: \"inet:127.0.0.1:1\" is listed twice"),
    /* unix_mode */
    OK("unix_mode = 0600", "unix_mode", "0600"),
    OK("unix_mode = 660", "unix_mode", "0660"),
    OK("unix_mode = 0", "unix_mode", "0000"),
    OK("unix_mode = 0777", "unix_mode", "0777"),
    BAD("unix_mode = 0888", "t.conf:1: unix_mode: \"0888\" is not an octal mode 0000..0777"),
    BAD("unix_mode = 1000", "t.conf:1: unix_mode: \"1000\" is not an octal mode 0000..0777"),
    BAD("unix_mode = 00777", "t.conf:1: unix_mode: \"00777\" is not an octal mode 0000..0777"),
    BAD("unix_mode = rw", "t.conf:1: unix_mode: \"rw\" is not an octal mode 0000..0777"),
    BAD("unix_mode =", "t.conf:1: unix_mode: \"\" is not an octal mode 0000..0777"),
    /* unix_owner, unix_group, user, group */
    OK("unix_owner = postfix", "unix_owner", "postfix"),
    OK("unix_owner =", "unix_owner", "(null)"),
    OK("unix_group = mail", "unix_group", "mail"),
    OK("user = _policyd", "user", "_policyd"),
    OK("group = 115", "group", "115"),
    BAD("unix_owner = a b", "t.conf:1: unix_owner: expects one value, not \"a b\""),
    BAD("unix_group = -x", "t.conf:1: unix_group: \"-x\": not a valid user or group name"),
    BAD("user = x;y", "t.conf:1: user: \"x;y\": not a valid user or group name"),
    BAD("group = a,b", "t.conf:1: group: \"a,b\": not a valid user or group name"),
    /* allow */
    OK("allow = 10.0.0.0/8, 192.168.1.1 ::1 [2001:db8::]/32", "allow",
       "10.0.0.0/8|192.168.1.1|::1|[2001:db8::]/32"),
    OK("allow = 0.0.0.0/0 ::/0", "allow", "0.0.0.0/0|::/0"),
    OK("allow =", "allow", ""),
    BAD("allow = 10.0.0.0/33",
        "t.conf:1: allow: \"10.0.0.0/33\": not an address or network (ADDRESS[/PREFIX])"),
    BAD("allow = ::1/129",
        "t.conf:1: allow: \"::1/129\": not an address or network (ADDRESS[/PREFIX])"),
    BAD("allow = 10.0.0.0/",
        "t.conf:1: allow: \"10.0.0.0/\": not an address or network (ADDRESS[/PREFIX])"),
    BAD("allow = 10.0.0.0/08",
        "t.conf:1: allow: \"10.0.0.0/08\": not an address or network (ADDRESS[/PREFIX])"),
    BAD("allow = 1.2.3",
        "t.conf:1: allow: \"1.2.3\": not an address or network (ADDRESS[/PREFIX])"),
    BAD("allow = example.com",
        "t.conf:1: allow: \"example.com\": not an address or network (ADDRESS[/PREFIX])"),
    BAD("allow = [10.0.0.1]",
        "t.conf:1: allow: \"[10.0.0.1]\": not an address or network (ADDRESS[/PREFIX])"),
    BAD("allow = 10.0.0.0/8/9",
        "t.conf:1: allow: \"10.0.0.0/8/9\": not an address or network (ADDRESS[/PREFIX])"),
    BAD("allow = fe80::1%eth0",
        "t.conf:1: allow: \"fe80::1%eth0\": not an address or network (ADDRESS[/PREFIX])"),
    /* rules (t.conf has no directory: relative paths stay as written) */
    OK("rules = /etc/policyd/rules/*.rules, local.rules", "rules",
       "/etc/policyd/rules/*.rules|local.rules"),
    OK("rules =", "rules", ""),
    /* route.NAME */
    OK("route.smarthost = smtp:[smtp.isp.example]:587", "route.smarthost",
       "smtp:[smtp.isp.example]:587"),
    OK("route.direct = smtp:", "route.direct", "smtp:"),
    OK("route.reject = error:5.7.1 no mail for you", "route.reject", "error:5.7.1 no mail for you"),
    OK("route.a = smtp:\nroute.b = relay:\nroute.c = :[x]", "routes", "3"),
    BAD("route.bad name = smtp:",
        "t.conf:1: route.bad name: route name may hold only A-Z a-z 0-9 _ -, not \"bad name\""),
    BAD("route. = smtp:", "t.conf:1: route.: empty route name"),
    BAD("route.x = smarthost",
        "t.conf:1: route.x: result without a colon (transport:nexthop): \"smarthost\""),
    BAD("route.x =", "t.conf:1: route.x: empty result"),
    BAD("route.dunno = smtp:", "t.conf:1: route.dunno: route name DUNNO is reserved"),
    BAD("route.a = smtp:\nroute.a = relay:", "t.conf:2: route.a: duplicate route \"a\""),
    /* default_route */
    OK("route.a = smtp:[x]\ndefault_route = a", "default_route", "a -> smtp:[x]"),
    OK("default_route = a\nroute.a = relay:", "default_route", "a -> relay:"),
    OK("default_route = smtp:[relay.example]:25", "default_route",
       "smtp:[relay.example]:25 -> smtp:[relay.example]:25"),
    OK("default_route = error:5.7.1 not here", "default_route",
       "error:5.7.1 not here -> error:5.7.1 not here"),
    OK("default_route = DUNNO", "default_route", "(null) -> (null)"),
    OK("default_route =", "default_route", "(null) -> (null)"),
    OK("", "default_route", "(null) -> (null)"),
    BAD("default_route = smarthst", "t.conf:1: default_route: unknown route \"smarthst\""),
    BAD("route.smarthost = smtp:\n\ndefault_route = smarthst\nroute.x = relay:",
        "t.conf:3: default_route: unknown route \"smarthst\""),
    BAD("default_route = smtp:\x7f", "t.conf:1: control character \\x7f"),
    /* redis */
    /* metrics_listen: inet with a numeric address only */
    OK("metrics_listen = inet:127.0.0.1:9127", "metrics_listen", "inet:127.0.0.1:9127"),
    OK("metrics_listen = inet:[::1]:9127", "metrics_listen", "inet:[::1]:9127"),
    OK("metrics_listen =", "metrics_listen", "(null)"),
    BAD("metrics_listen = inet:localhost:9127",
        "t.conf:1: metrics_listen: \"inet:localhost:9127\": expected inet:ADDRESS:PORT or "
        "inet:[IPV6]:PORT (a numeric address)"),
    BAD("metrics_listen = unix:/run/policyd/metrics.sock",
        "t.conf:1: metrics_listen: \"unix:/run/policyd/metrics.sock\": expected "
        "inet:ADDRESS:PORT or inet:[IPV6]:PORT (a numeric address)"),
    BAD("metrics_listen = inet:127.0.0.1:0",
        "t.conf:1: metrics_listen: \"inet:127.0.0.1:0\": bad port (1..65535)"),
    OK("redis = tcp:127.0.0.1:6379", "redis", "tcp:127.0.0.1:6379"),
    OK("redis = unix:/run/redis/redis.sock", "redis", "unix:/run/redis/redis.sock"),
    OK("redis = tcp:[::1]:6379", "redis", "tcp:[::1]:6379"),
    OK("redis = tcp:redis.example:6380", "redis", "tcp:redis.example:6380"),
    OK("redis =", "redis", "(null)"),
    BAD("redis = inet:127.0.0.1:6379",
        "t.conf:1: redis: \"inet:127.0.0.1:6379\": expected tcp:HOST:PORT, tcp:[IPV6]:PORT or "
        "unix:/PATH"),
    BAD("redis = tcp:127.0.0.1", "t.conf:1: redis: \"tcp:127.0.0.1\": missing \":PORT\""),
    BAD("redis = tcp:h:0", "t.conf:1: redis: \"tcp:h:0\": bad port (1..65535)"),
    BAD("redis = unix:redis.sock",
        "t.conf:1: redis: \"unix:redis.sock\": unix socket path must be absolute"),
    BAD("redis = tcp:a:1 tcp:b:2", "t.conf:1: redis: expects one value, not \"tcp:a:1 tcp:b:2\""),
    /* redis_db */
    OK("redis_db = 0", "redis_db", "0"),
    OK("redis_db = 15", "redis_db", "15"),
    OK("redis_db = 2147483647", "redis_db", "2147483647"),
    BAD("redis_db = 2147483648",
        "t.conf:1: redis_db: \"2147483648\" is out of range 0..2147483647"),
    BAD("redis_db = -1", "t.conf:1: redis_db: \"-1\" is not a number"),
    BAD("redis_db = x", "t.conf:1: redis_db: \"x\" is not a number"),
    BAD("redis_db =", "t.conf:1: redis_db: \"\" is not a number"),
    /* redis_username, redis_password_file, redis_prefix */
    OK("redis_username = policyd\nredis_password_file = /etc/policyd/redis.pass", "redis_username",
       "policyd"),
    BAD("redis_username = policyd",
        "t.conf:1: redis_username needs redis_password_file (an ACL user logs in with a password)"),
    OK("redis_username =", "redis_username", "(null)"),
    BAD("redis_username = a b", "t.conf:1: redis_username: expects one value, not \"a b\""),
    OK("redis_password_file = /etc/policyd/redis.pass", "redis_password_file",
       "/etc/policyd/redis.pass"),
    OK("redis_password_file = redis.pass", "redis_password_file", "redis.pass"),
    OK("redis_password_file =", "redis_password_file", "(null)"),
    OK("redis_prefix = mta1:", "redis_prefix", "mta1:"),
    OK("redis_prefix = p", "redis_prefix", "p"),
    BAD("redis_prefix =", "t.conf:1: redis_prefix: needs a value"),
    BAD("redis_prefix = a b", "t.conf:1: redis_prefix: expects one value, not \"a b\""),
    /* redis_timeout */
    OK("redis_timeout = 500ms", "redis_timeout", "500"),
    OK("redis_timeout = 2s", "redis_timeout", "2000"),
    OK("redis_timeout = 1m", "redis_timeout", "60000"),
    OK("redis_timeout = 1", "redis_timeout", "1000"),
    OK("redis_timeout = 1ms", "redis_timeout", "1"),
    BAD("redis_timeout = 0", "t.conf:1: redis_timeout: \"0\" is out of range 1ms..1m"),
    BAD("redis_timeout = 61s", "t.conf:1: redis_timeout: \"61s\" is out of range 1ms..1m"),
    BAD("redis_timeout = 5x",
        "t.conf:1: redis_timeout: \"5x\" is not a duration (like 500ms, 30s, 5m, 1h, 1d)"),
    BAD("redis_timeout = -1s",
        "t.conf:1: redis_timeout: \"-1s\" is not a duration (like 500ms, 30s, 5m, 1h, 1d)"),
    BAD("redis_timeout = 1.5s",
        "t.conf:1: redis_timeout: \"1.5s\" is not a duration (like 500ms, 30s, 5m, 1h, 1d)"),
    BAD("redis_timeout = 1 s",
        "t.conf:1: redis_timeout: \"1 s\" is not a duration (like 500ms, 30s, 5m, 1h, 1d)"),
    BAD("redis_timeout =",
        "t.conf:1: redis_timeout: \"\" is not a duration (like 500ms, 30s, 5m, 1h, 1d)"),
    BAD("redis_timeout = 99999999999999999999d",
        "t.conf:1: redis_timeout: \"99999999999999999999d\" is not a duration (like 500ms, 30s, "
        "5m, 1h, 1d)"),
    /* redis_unavailable */
    OK("redis_unavailable = tempfail", "redis_unavailable", "tempfail"),
    OK("redis_unavailable = rules", "redis_unavailable", "rules"),
    OK("redis_unavailable = RULES", "redis_unavailable", "rules"),
    BAD("redis_unavailable = fail",
        "t.conf:1: redis_unavailable: \"fail\" is not one of tempfail|rules"),
    /* max_connections */
    OK("max_connections = 1", "max_connections", "1"),
    OK("max_connections = 1000000", "max_connections", "1000000"),
    BAD("max_connections = 0", "t.conf:1: max_connections: \"0\" is out of range 1..1000000"),
    BAD("max_connections = 1000001",
        "t.conf:1: max_connections: \"1000001\" is out of range 1..1000000"),
    BAD("max_connections = 1k", "t.conf:1: max_connections: \"1k\" is not a number"),
    BAD("max_connections = +5", "t.conf:1: max_connections: \"+5\" is not a number"),
    BAD("max_connections = 99999999999999999999999",
        "t.conf:1: max_connections: \"99999999999999999999999\" is not a number"),
    /* max_request_size */
    OK("max_request_size = 16", "max_request_size", "16"),
    OK("max_request_size = 10k", "max_request_size", "10240"),
    OK("max_request_size = 64K", "max_request_size", "65536"),
    OK("max_request_size = 1m", "max_request_size", "1048576"),
    BAD("max_request_size = 15", "t.conf:1: max_request_size: \"15\" is out of range 16..1m"),
    BAD("max_request_size = 2m", "t.conf:1: max_request_size: \"2m\" is out of range 16..1m"),
    BAD("max_request_size = 1g",
        "t.conf:1: max_request_size: \"1g\" is not a size (like 10000, 16k, 1m)"),
    BAD("max_request_size = 10kb",
        "t.conf:1: max_request_size: \"10kb\" is not a size (like 10000, 16k, 1m)"),
    BAD("max_request_size = k",
        "t.conf:1: max_request_size: \"k\" is not a size (like 10000, 16k, 1m)"),
    BAD("max_request_size = 18014398509481984k",
        "t.conf:1: max_request_size: \"18014398509481984k\" is not a size (like 10000, 16k, 1m)"),
    /* idle_timeout */
    OK("idle_timeout = 300s", "idle_timeout", "300000"),
    OK("idle_timeout = 1s", "idle_timeout", "1000"),
    OK("idle_timeout = 5m", "idle_timeout", "300000"),
    OK("idle_timeout = 2h", "idle_timeout", "7200000"),
    OK("idle_timeout = 1d", "idle_timeout", "86400000"),
    BAD("idle_timeout = 999ms", "t.conf:1: idle_timeout: \"999ms\" is out of range 1s..1d"),
    BAD("idle_timeout = 2d", "t.conf:1: idle_timeout: \"2d\" is out of range 1s..1d"),
    /* request_timeout */
    OK("request_timeout = 1s", "request_timeout", "1000"),
    OK("request_timeout = 1500ms", "request_timeout", "1500"),
    OK("request_timeout = 1d", "request_timeout", "86400000"),
    BAD("request_timeout = 999ms",
        "t.conf:1: request_timeout: \"999ms\" is out of range 1s..1d"),
    BAD("request_timeout = 0", "t.conf:1: request_timeout: \"0\" is out of range 1s..1d"),
    BAD("idle_timeout = 10S",
        "t.conf:1: idle_timeout: \"10S\" is not a duration (like 500ms, 30s, 5m, 1h, 1d)"),
    /* pidfile */
    OK("pidfile = /var/run/p.pid", "pidfile", "/var/run/p.pid"),
    BAD("pidfile = p.pid", "t.conf:1: pidfile: \"p.pid\": path must be absolute"),
    BAD("pidfile =", "t.conf:1: pidfile: needs a value"),
    /* log_target, log_facility, log_lookups */
    OK("log_target = stderr", "log_target", "stderr"),
    OK("log_target = syslog", "log_target", "syslog"),
    OK("log_target = STDERR", "log_target", "stderr"),
    BAD("log_target = file", "t.conf:1: log_target: \"file\" is not one of syslog|stderr"),
    BAD("log_target = syslog stderr",
        "t.conf:1: log_target: \"syslog stderr\" is not one of syslog|stderr"),
    BAD("log_facility = nope", "t.conf:1: log_facility: unknown syslog facility \"nope\""),
    OK("log_lookups = yes", "log_lookups", "1"),
    OK("log_lookups = no", "log_lookups", "0"),
    OK("log_lookups = true", "log_lookups", "1"),
    OK("log_lookups = false", "log_lookups", "0"),
    OK("log_lookups = on", "log_lookups", "1"),
    OK("log_lookups = off", "log_lookups", "0"),
    OK("log_lookups = 1", "log_lookups", "1"),
    OK("log_lookups = 0", "log_lookups", "0"),
    OK("log_lookups = YES", "log_lookups", "1"),
    BAD("log_lookups = maybe",
        "t.conf:1: log_lookups: \"maybe\" is not yes/no/true/false/on/off/1/0"),
    BAD("log_lookups = 2", "t.conf:1: log_lookups: \"2\" is not yes/no/true/false/on/off/1/0"),
    BAD("log_lookups =", "t.conf:1: log_lookups: \"\" is not yes/no/true/false/on/off/1/0"),
    /* learning from delivery results (SPEC 8) */
    OK("signatures = a.sig, /x/*.sig", "signatures", "a.sig|/x/*.sig"),
    OK("signatures =", "signatures", ""),
    OK("learn = ptr, reputation blocklist", "learn", "3:ptr|reputation|blocklist"),
    OK("learn =", "learn", "0:"),
    OK("learn = my-class_2", "learn", "1:my-class_2"),
    BAD("learn = PTR", "t.conf:1: learn: \"PTR\": not a class ([a-z0-9_-]+, at most 32 bytes)"),
    BAD("learn = ptr ptr", "t.conf:1: learn: \"ptr\" is listed twice"),
    OK("learn = aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "learn", "1:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
    BAD("learn = aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "t.conf:1: learn: \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\": not a class ([a-z0-9_-]+, at "
        "most 32 bytes)"),
    OK("learn_route = relay\nroute.relay = smtp:[r.example]", "learn_route",
       "relay -> smtp:[r.example]"),
    OK("learn_route = relay", "learn_route", "relay -> (null)"),
    BAD("learn_route = smtp:[r.example]",
        "t.conf:1: learn_route: \"smtp:[r.example]\": names a route (route.NAME), not a "
        "transport(5) result"),
    BAD("learn_route =", "t.conf:1: learn_route: needs a value"),
    OK("learn_ttl = 90m", "learn_ttl", "5400"),
    OK("learn_ttl = 30d", "learn_ttl", "2592000"),
    OK("learn_ttl = 1", "learn_ttl", "1"),
    BAD("learn_ttl = 1500ms", "t.conf:1: learn_ttl: \"1500ms\" is not whole seconds"),
    BAD("learn_ttl = 31d", "t.conf:1: learn_ttl: \"31d\" is out of range 1s..30d"),
    BAD("learn_ttl = 0", "t.conf:1: learn_ttl: \"0\" is out of range 1s..30d"),
    OK("learn_scope = host", "learn_scope", "host"),
    OK("learn_scope = Domain", "learn_scope", "domain"),
    BAD("learn_scope = mx", "t.conf:1: learn_scope: \"mx\" is not one of domain|host"),
    OK("learn_max_per_hour = 0", "learn_max_per_hour", "0"),
    BAD("learn_max_per_hour = 100001",
        "t.conf:1: learn_max_per_hour: \"100001\" is out of range 0..100000"),
    OK("learn_defer_window = 0", "learn_defer_window", "0"),
    OK("learn_defer_window = 90m", "learn_defer_window", "5400"),
    BAD("learn_defer_window = 31d",
        "t.conf:1: learn_defer_window: \"31d\" is out of range 0s..30d"),
    /* comments, blank lines, white space, line endings */
    OK("# only a comment\n\n   \n\t\n", "max_connections", "1024"),
    OK("max_connections=5#comment", "max_connections", "5"),
    OK("  max_connections   =   7   # trailing comment", "max_connections", "7"),
    OK("\tmax_connections\t=\t8\t", "max_connections", "8"),
    OK("max_connections = 9\r\n", "max_connections", "9"),
    OK("\n\n\nmax_connections = 10", "max_connections", "10"),
    OK("route.e = error:5.7.1 go # away", "route.e", "error:5.7.1 go"),
    OK("#max_connections = 0", "max_connections", "1024"),
    BAD("max_connections 5", "t.conf:1: expected \"name = value\""),
    BAD("= 5", "t.conf:1: missing name before \"=\""),
    BAD("foo = 1", "t.conf:1: unknown name \"foo\""),
    BAD("Listen = inet:127.0.0.1:1", "t.conf:1: unknown name \"Listen\""),
    BAD("routes.a = smtp:", "t.conf:1: unknown name \"routes.a\""),
    BAD("max connections = 1", "t.conf:1: unknown name \"max connections\""),
    BAD("f\xc3\xb6o = 1", "t.conf:1: unknown name \"f\\xc3\\xb6o\""),
    BAD("max_connections = 5\nmax_connections = 6",
        "t.conf:2: duplicate max_connections (first set at line 1)"),
    BAD("log_lookups = yes\n# x\nlog_lookups = yes",
        "t.conf:3: duplicate log_lookups (first set at line 1)"),
    BAD("max_connections = 5\rx", "t.conf:1: control character \\x0d"),
    BAD("max_connections = \x01", "t.conf:1: control character \\x01"),
    /* several errors in one file, all reported, in line order */
    BAD("foo = 1\nmax_connections = 0\nlisten = inet:x\ndefault_route = nope\nredis_db = 1\n"
        "redis_db = 2\n",
        "t.conf:1: unknown name \"foo\"\n"
        "t.conf:2: max_connections: \"0\" is out of range 1..1000000\n"
        "t.conf:3: listen: \"inet:x\": missing \":PORT\"\n"
        "t.conf:6: duplicate redis_db (first set at line 5)\n"
        "t.conf:4: default_route: unknown route \"nope\""),
};

/* Run every case of the table. */
static void test_cfg_table(void)
{
    size_t i;

    for (i = 0; i < sizeof(test_cfg_cases) / sizeof(test_cfg_cases[0]); i++) {
        const struct test_cfg_case *t = &test_cfg_cases[i];
        struct diag *d = diag_new();
        struct cfg *c = cfg_parse(TEST_CFG_FILE, t->text, strlen(t->text), d);
        char label[256], esc[200];

        snprintf(label, sizeof(label), "case %zu: %s", i,
                 log_escape(esc, sizeof(esc), t->text, strlen(t->text)));
        if (t->field != NULL) {
            if (!ok(c != NULL && diag_errors(d) == 0, "%s: parses", label))
                printf("#   diag: %s\n", test_cfg_diags(d));
            if (c != NULL)
                is_str(test_cfg_render(c, t->field), t->want, label);
        } else {
            ok(c == NULL, "%s: refused", label);
            is_str(test_cfg_diags(d), t->want, label);
        }
        cfg_free(c);
        diag_free(d);
    }
}

/* An empty file gives every default of SPEC section 2. */
static void test_cfg_defaults(void)
{
    static const struct {
        const char *field, *want;
    } defaults[] = {
        {"path", TEST_CFG_FILE},
        {"listen", "inet:127.0.0.1:10027"},
        {"unix_mode", "0660"},
        {"unix_owner", "(null)"},
        {"unix_group", "(null)"},
        {"allow", "127.0.0.0/8|::1"},
        {"rules", SYSCONFDIR "/policyd/rules/*.rules"},
        {"routes", "0"},
        {"default_route", "(null) -> (null)"},
        {"redis", "(null)"},
        {"redis_db", "0"},
        {"redis_username", "(null)"},
        {"redis_password_file", "(null)"},
        {"redis_prefix", "policyd:"},
        {"redis_timeout", "500"},
        {"redis_unavailable", "tempfail"},
        {"max_connections", "1024"},
        {"max_request_size", "10000"},
        {"idle_timeout", "300000"},
        {"request_timeout", "10000"},
        {"user", "(null)"},
        {"group", "(null)"},
        {"pidfile", "/run/policyd/policyd.pid"},
        {"log_target", "syslog"},
        {"log_lookups", "0"},
        {"metrics_listen", "(null)"},
        {"signatures", SYSCONFDIR "/policyd/signatures/*.sig"},
        {"learn", "1:ptr"},
        {"learn_route", "smarthost -> (null)"},
        {"learn_ttl", "21600"},
        {"learn_defer_window", "3600"},
        {"learn_scope", "domain"},
        {"learn_max_per_hour", "20"},
    };
    struct diag *d = diag_new();
    struct cfg *c = cfg_parse(TEST_CFG_FILE, "", 0, d);
    char label[128];
    size_t i;

    if (!ok(c != NULL, "an empty file parses"))
        return;
    is_int((long long)diag_count(d), 0, "an empty file gives no diagnostics");
    for (i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++) {
        snprintf(label, sizeof(label), "default %s", defaults[i].field);
        is_str(test_cfg_render(c, defaults[i].field), defaults[i].want, label);
    }
    is_int(c->log_facility, LOG_MAIL, "default log_facility is mail");
    ok(c->listen[c->nlisten] == NULL && c->allow[c->nallow] == NULL && c->rules[c->nrules] == NULL,
       "lists are NULL-terminated");
    cfg_free(c);
    diag_free(d);
    cfg_free(NULL);
}

/* log_facility names map to their syslog values. */
static void test_cfg_facility(void)
{
    static const struct {
        const char *text;
        int want;
    } cases[] = {
        {"log_facility = mail", LOG_MAIL},     {"log_facility = local0", LOG_LOCAL0},
        {"log_facility = LOCAL7", LOG_LOCAL7}, {"log_facility = daemon", LOG_DAEMON},
        {"log_facility = user", LOG_USER},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct diag *d = diag_new();
        struct cfg *c = cfg_parse(TEST_CFG_FILE, cases[i].text, strlen(cases[i].text), d);

        is_int(c ? c->log_facility : -1, cases[i].want, cases[i].text);
        cfg_free(c);
        diag_free(d);
    }
}

/* Relative rule paths and the password file follow the directory of the config file. */
static void test_cfg_relative(void)
{
    static const struct {
        const char *file, *text, *field, *want;
    } cases[] = {
        {"/etc/policyd/policyd.conf", "rules = a.rules /abs/b.rules sub/*.rules", "rules",
         "/etc/policyd/a.rules|/abs/b.rules|/etc/policyd/sub/*.rules"},
        {"/policyd.conf", "rules = a.rules", "rules", "/a.rules"},
        {"conf/p.conf", "rules = a.rules", "rules", "conf/a.rules"},
        {"p.conf", "rules = a.rules", "rules", "a.rules"},
        {"/etc/policyd/policyd.conf", "redis_password_file = redis.pass", "redis_password_file",
         "/etc/policyd/redis.pass"},
        {"/etc/policyd/policyd.conf", "pidfile = /run/x.pid", "pidfile", "/run/x.pid"},
        {"/etc/policyd/policyd.conf", "signatures = a.sig /abs/b.sig", "signatures",
         "/etc/policyd/a.sig|/abs/b.sig"},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct diag *d = diag_new();
        struct cfg *c = cfg_parse(cases[i].file, cases[i].text, strlen(cases[i].text), d);

        if (ok(c != NULL, "relative %zu parses", i))
            is_str(test_cfg_render(c, cases[i].field), cases[i].want, cases[i].text);
        cfg_free(c);
        diag_free(d);
    }
}

/* Texts that need explicit lengths or construction: NUL bytes, long lines, many errors. */
static void test_cfg_limits(void)
{
    struct diag *d;
    struct cfg *c;
    char *big;
    size_t i, n;
    static const char nul[] = "max_connections = 5\0\nmax_connections = 0\n";

    d = diag_new();
    c = cfg_parse(TEST_CFG_FILE, nul, sizeof(nul) - 1, d);
    ok(c == NULL, "a NUL byte is refused");
    is_str(test_cfg_diags(d),
           "t.conf:1: NUL byte\nt.conf:2: max_connections: \"0\" is out of range 1..1000000",
           "NUL byte reported, and parsing goes on");
    diag_free(d);

    /* a line of exactly CFG_LINE_MAX bytes is fine; one more byte is an error */
    big = malloc(CFG_LINE_MAX + 64);
    n = (size_t)snprintf(big, CFG_LINE_MAX + 64, "redis_prefix = ");
    memset(big + n, 'p', CFG_LINE_MAX - n);
    d = diag_new();
    c = cfg_parse(TEST_CFG_FILE, big, CFG_LINE_MAX, d);
    ok(c == NULL, "a long redis_prefix is refused (by its own limit)");
    {
        char want[256];

        n = (size_t)snprintf(want, sizeof(want), "t.conf:1: redis_prefix: \"");
        memset(want + n, 'p', 156);
        snprintf(want + n + 156, sizeof(want) - n - 156, "...\": longer than 256 bytes");
        is_str(test_cfg_diags(d), want, "redis_prefix limit, value cut in the message");
    }
    diag_free(d);
    n = (size_t)snprintf(big, CFG_LINE_MAX + 64, "max_connections = ");
    memset(big + n, '0', CFG_LINE_MAX - n);
    big[CFG_LINE_MAX - 1] = '5';
    d = diag_new();
    c = cfg_parse(TEST_CFG_FILE, big, CFG_LINE_MAX, d);
    ok(c != NULL, "a line of exactly %d bytes is accepted", CFG_LINE_MAX);
    is_int(c ? (long long)c->max_connections : -1, 5, "its value is whole (leading zeros, 5)");
    cfg_free(c);
    diag_free(d);
    big[CFG_LINE_MAX] = 'r';
    big[CFG_LINE_MAX + 1] = '\n';
    memcpy(big + CFG_LINE_MAX + 2, "foo = 1", 7);
    d = diag_new();
    c = cfg_parse(TEST_CFG_FILE, big, CFG_LINE_MAX + 9, d);
    ok(c == NULL, "a line of %d bytes is refused", CFG_LINE_MAX + 1);
    is_str(test_cfg_diags(d),
           "t.conf:1: line longer than 8192 bytes\nt.conf:2: unknown name \"foo\"",
           "long line reported (not truncated), next line still parsed");
    diag_free(d);
    free(big);

    /* errors are capped */
    big = malloc(200 * 8 + 1);
    for (i = 0, n = 0; i < 200; i++)
        n += (size_t)snprintf(big + n, 200 * 8 + 1 - n, "foo = 1\n");
    d = diag_new();
    c = cfg_parse(TEST_CFG_FILE, big, n, d);
    ok(c == NULL, "200 bad lines are refused");
    is_int((long long)diag_errors(d), CFG_ERRORS_MAX + 1, "errors stop at the cap (+1 notice)");
    is_str(diag_text(d, diag_count(d) - 1), "t.conf:100: too many errors, giving up",
           "the last entry says why");
    diag_free(d);
    free(big);

    /* a text over CFG_FILE_MAX is refused as a whole */
    big = calloc(1, CFG_FILE_MAX + 1);
    memset(big, '\n', CFG_FILE_MAX + 1);
    d = diag_new();
    c = cfg_parse(TEST_CFG_FILE, big, CFG_FILE_MAX + 1, d);
    ok(c == NULL, "a text over %d bytes is refused", CFG_FILE_MAX);
    is_str(test_cfg_diags(d), "t.conf: file larger than 1048576 bytes", "size limit message");
    diag_free(d);
    d = diag_new();
    c = cfg_parse(TEST_CFG_FILE, big, CFG_FILE_MAX, d);
    ok(c != NULL, "a text of exactly %d blank lines' bytes is fine", CFG_FILE_MAX);
    cfg_free(c);
    diag_free(d);
    free(big);

    /* a NULL diag still gives NULL on errors */
    c = cfg_parse(TEST_CFG_FILE, "foo = 1", 7, NULL);
    ok(c == NULL, "errors without a diag list still refuse");
}

/* Host bits past an allow prefix are a warning, not an error. */
static void test_cfg_warnings(void)
{
    struct diag *d = diag_new();
    const char *text = "allow = 127.0.0.1/8 ::1/128\n";
    struct cfg *c = cfg_parse(TEST_CFG_FILE, text, strlen(text), d);

    ok(c != NULL, "host bits set: still parses");
    is_int((long long)diag_errors(d), 0, "no errors");
    is_int((long long)diag_warnings(d), 1, "one warning");
    is_str(test_cfg_diags(d),
           "t.conf:1: warning: allow: \"127.0.0.1/8\" has host bits set past the prefix; they "
           "are ignored",
           "warning text");
    cfg_free(c);
    diag_free(d);
}

/* cfg_parse_duration directly. */
static void test_cfg_duration(void)
{
    static const struct {
        const char *s;
        int want;
        unsigned long long ms;
    } cases[] = {
        {"0", 0, 0},
        {"1", 0, 1000},
        {"500ms", 0, 500},
        {"5s", 0, 5000},
        {"2m", 0, 120000},
        {"1h", 0, 3600000},
        {"1d", 0, 86400000},
        {"007s", 0, 7000},
        {"18446744073709551615ms", 0, 18446744073709551615ULL},
        {"18446744073709551616ms", -1, 0},
        {"18446744073709551s", 0, 18446744073709551000ULL},
        {"18446744073709552s", -1, 0},
        {"213503982334d", 0, 213503982334ULL * 86400000ULL},
        {"213503982335d", -1, 0},
        {"", -1, 0},
        {"s", -1, 0},
        {"ms", -1, 0},
        {"-1", -1, 0},
        {"+1", -1, 0},
        {" 1", -1, 0},
        {"1 ", -1, 0},
        {"1sec", -1, 0},
        {"1msx", -1, 0},
        {"1S", -1, 0},
        {"1w", -1, 0},
        {"0x10", -1, 0},
        {"1.5", -1, 0},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        unsigned long long ms = 12345;
        int r = cfg_parse_duration(cases[i].s, &ms);
        char label[96];

        snprintf(label, sizeof(label), "duration \"%s\"", cases[i].s);
        is_int(r, cases[i].want, label);
        if (cases[i].want == 0)
            ok(ms == cases[i].ms, "%s = %llu ms (got %llu)", label, cases[i].ms, ms);
        else
            ok(ms == 12345, "%s: output untouched on error", label);
    }
    is_int(cfg_parse_duration(NULL, NULL), -1, "duration NULL");
}

/* cfg_load: reads files, reports unreadable and oversized ones. */
static void test_cfg_load(void)
{
    char dir[] = "/tmp/test_cfg.XXXXXX", path[256], want[512];
    struct diag *d;
    struct cfg *c;
    FILE *f;
    char *big;

    if (!ok(mkdtemp(dir) != NULL, "temp dir"))
        return;
    snprintf(path, sizeof(path), "%s/policyd.conf", dir);
    f = fopen(path, "w");
    fputs("# test\nmax_connections = 77\nrules = r/*.rules\n", f);
    fclose(f);
    d = diag_new();
    c = cfg_load(path, d);
    ok(c != NULL, "cfg_load reads a file");
    is_str(c ? test_cfg_render(c, "max_connections") : NULL, "77", "value from the file");
    snprintf(want, sizeof(want), "%s/r/*.rules", dir);
    is_str(c ? test_cfg_render(c, "rules") : NULL, want, "relative rules next to the file");
    is_str(c ? c->path : NULL, path, "path kept");
    cfg_free(c);
    diag_free(d);

    f = fopen(path, "w");
    fputs("max_connections = 0\n", f);
    fclose(f);
    d = diag_new();
    c = cfg_load(path, d);
    ok(c == NULL, "cfg_load refuses a bad file");
    snprintf(want, sizeof(want), "%s:1: max_connections: \"0\" is out of range 1..1000000", path);
    is_str(test_cfg_diags(d), want, "errors named after the path");
    diag_free(d);

    big = malloc(CFG_FILE_MAX + 1);
    memset(big, '#', CFG_FILE_MAX + 1);
    f = fopen(path, "w");
    fwrite(big, 1, CFG_FILE_MAX + 1, f);
    fclose(f);
    free(big);
    d = diag_new();
    c = cfg_load(path, d);
    ok(c == NULL, "cfg_load refuses a file over the limit");
    snprintf(want, sizeof(want), "%s: file larger than 1048576 bytes", path);
    is_str(test_cfg_diags(d), want, "size message");
    diag_free(d);
    unlink(path);

    d = diag_new();
    c = cfg_load(path, d);
    ok(c == NULL, "cfg_load: missing file");
    snprintf(want, sizeof(want), "%s: cannot open: No such file or directory", path);
    is_str(test_cfg_diags(d), want, "missing file message");
    diag_free(d);

    d = diag_new();
    c = cfg_load(dir, d);
    ok(c == NULL, "cfg_load: a directory");
    snprintf(want, sizeof(want), "%s: cannot open: Is a directory", dir);
    is_str(test_cfg_diags(d), want, "directory message");
    diag_free(d);
    rmdir(dir);
}

int main(void)
{
    test_cfg_table();
    test_cfg_defaults();
    test_cfg_facility();
    test_cfg_relative();
    test_cfg_limits();
    test_cfg_warnings();
    test_cfg_duration();
    test_cfg_load();
    return done_testing();
}
