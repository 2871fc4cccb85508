/* main.c - policyd: options, start-up, detaching, signals and reloads. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "cfg.h"
#include "diag.h"
#include "dsn.h"
#include "log.h"
#include "metrics.h"
#include "monotime.h"
#include "notify.h"
#include "overrides.h"
#include "redis.h"
#include "rules.h"
#include "server.h"
#include "snapshot.h"
#include "stats.h"

#define MAIN_DEFAULT_CONFIG SYSCONFDIR "/policyd/policyd.conf"
/* A reload still building after this long is logged as an error (and again each period). */
#define MAIN_BUILD_SLOW_S 30

/* A finished reload, handed from the builder thread to the loop through a pipe. */
struct main_build {
    struct snapshot *snap; /* NULL when the new configuration or rules are broken */
    struct diag *diag;
};

/* Everything the running daemon holds. */
struct main_runtime {
    const char *config_path;
    struct event_base *base;
    struct server *srv;
    struct overrides *ov;
    struct redis_client *redis;
    struct metrics *metrics; /* HTTP /metrics and /healthz; NULL when off */
    struct event *ev_hup, *ev_term, *ev_int, *ev_built, *ev_grace, *ev_slow;
    struct event *ev_watchdog; /* WATCHDOG=1 to systemd, when it asks */
    int built_pipe[2];
    pthread_t builder;
    int building;            /* a builder thread is running */
    uint64_t build_start_ms; /* when it started (monotime) */
    int build_again;         /* SIGHUP arrived while building: build once more */
    int stopping;
    char *pidfile; /* the pidfile written at start; a reload may free that cfg */
};

/* Print usage to f. */
static void main_usage(FILE *f)
{
    fprintf(f,
            "usage: policyd [-c FILE] [-f] [-t] [-v] [-V] [-h]\n"
            "  -c FILE  configuration file (default %s)\n"
            "  -f       stay in the foreground\n"
            "  -t       check the configuration and rule files, then exit\n"
            "  -v       more logging (repeatable)\n"
            "  -V       print the version and exit\n"
            "  -h       print this help and exit\n",
            MAIN_DEFAULT_CONFIG);
}

/* The builder thread: build a complete snapshot off the event loop. */
static void *main_build_thread(void *arg)
{
    struct main_runtime *rt = arg;
    struct main_build *b = calloc(1, sizeof(*b));
    ssize_t n;

    if (b != NULL) {
        b->diag = diag_new();
        b->snap = snapshot_build(rt->config_path, b->diag);
    }
    do {
        n = write(rt->built_pipe[1], &b, sizeof(b));
    } while (n < 0 && errno == EINTR);
    return NULL;
}

/* Seconds the running build has taken so far. */
static unsigned long main_build_seconds(const struct main_runtime *rt)
{
    return (unsigned long)((monotime_ms() - rt->build_start_ms) / 1000);
}

/* Start a reload in the builder thread, or queue one (and say so) if a build is running. */
static void main_reload_start(struct main_runtime *rt)
{
    struct timeval slow = {MAIN_BUILD_SLOW_S, 0};

    if (rt->building) {
        log_warn("reload: the previous reload has been building for %lu s; "
                 "this one starts when it ends",
                 main_build_seconds(rt));
        rt->build_again = 1;
        return;
    }
    log_info("reloading %s", rt->config_path);
    if (pthread_create(&rt->builder, NULL, main_build_thread, rt) != 0) {
        log_err("reload: cannot start the builder thread");
        return;
    }
    rt->building = 1;
    rt->build_start_ms = monotime_ms();
    event_add(rt->ev_slow, &slow);
}

/* A build runs past its bound: an error in the log, never a silent wedge. */
static void main_slow_cb(evutil_socket_t fd, short what, void *arg)
{
    struct main_runtime *rt = arg;
    struct timeval slow = {MAIN_BUILD_SLOW_S, 0};

    if (!rt->building)
        return;
    log_err("reload: still building after %lu s; the old configuration and rules stay in use, "
            "later reloads wait for it",
            main_build_seconds(rt));
    event_add(rt->ev_slow, &slow);
}

/* A build finished: switch to it, or keep the old state and say why. */
static void main_built_cb(evutil_socket_t fd, short what, void *arg)
{
    struct main_runtime *rt = arg;
    struct main_build *b = NULL;
    char summary[128], sigs[128];

    if (read(fd, &b, sizeof(b)) != (ssize_t)sizeof(b))
        return;
    pthread_join(rt->builder, NULL);
    rt->building = 0;
    event_del(rt->ev_slow);
    if (main_build_seconds(rt) >= MAIN_BUILD_SLOW_S)
        log_warn("reload: the build took %lu s", main_build_seconds(rt));
    if (b == NULL || b->diag == NULL) {
        log_err("reload: out of memory; keeping the previous configuration and rules");
    } else if (b->snap == NULL) {
        diag_log(b->diag);
        log_err("reload failed; keeping the previous configuration and rules");
    } else {
        diag_log(b->diag); /* warnings */
        snapshot_summary(b->snap, summary, sizeof(summary));
        snapshot_sig_summary(b->snap, sigs, sizeof(sigs));
        /* The Redis client borrows the routes: hand it the new ones before the old go. */
        if (rt->redis)
            redis_client_set_routes(rt->redis, snapshot_cfg(b->snap)->routes);
        server_swap(rt->srv, b->snap);
        log_info("reloaded: %s; %s", summary, sigs);
    }
    stats_reload(b != NULL && b->snap != NULL, time(NULL));
    if (b != NULL) {
        diag_free(b->diag);
        free(b);
    }
    if (rt->build_again && !rt->stopping) {
        rt->build_again = 0;
        main_reload_start(rt);
    }
}

/* SIGHUP. */
static void main_hup_cb(evutil_socket_t sig, short what, void *arg)
{
    main_reload_start(arg);
}

/* All connections have finished: leave the loop. */
static void main_drained(void *arg)
{
    struct main_runtime *rt = arg;

    event_base_loopexit(rt->base, NULL);
}

/* SIGTERM/SIGINT: stop accepting, finish answering, exit (within a 5 s grace period). */
static void main_term_cb(evutil_socket_t sig, short what, void *arg)
{
    struct main_runtime *rt = arg;
    struct timeval grace = {5, 0};

    if (rt->stopping)
        return;
    rt->stopping = 1;
    log_info("signal %d: stopping", (int)sig);
    notify_send("STOPPING=1");
    event_add(rt->ev_grace, &grace);
    server_shutdown(rt->srv, main_drained, rt);
}

/* Grace period over: exit even if a peer does not read its answers. */
static void main_grace_cb(evutil_socket_t fd, short what, void *arg)
{
    struct main_runtime *rt = arg;

    log_warn("stopping: connections still busy after 5 s; closing them");
    event_base_loopexit(rt->base, NULL);
}

/* Drop root to the configured user and group, after binding. */
static int main_drop_privileges(const struct cfg *cfg)
{
    struct passwd *pw = NULL;
    struct group *gr;
    char name[256] = "";
    uid_t uid = 0;
    gid_t gid = getgid();

    if (cfg->user == NULL && cfg->group == NULL)
        return 0;
    if (geteuid() != 0) {
        log_warn("user/group set but not started as root; running as uid %d", (int)getuid());
        return 0;
    }
    if (cfg->user) {
        if ((pw = getpwnam(cfg->user)) == NULL) {
            log_err("user %s: no such user", cfg->user);
            return -1;
        }
        /* getpwnam's buffer is not ours to keep across initgroups: copy what we need */
        uid = pw->pw_uid;
        gid = pw->pw_gid;
        snprintf(name, sizeof(name), "%s", pw->pw_name);
    }
    if (cfg->group) {
        if ((gr = getgrnam(cfg->group)) == NULL) {
            log_err("group %s: no such group", cfg->group);
            return -1;
        }
        gid = gr->gr_gid;
    }
    if ((pw ? initgroups(name, gid) : setgroups(1, &gid)) < 0 || setgid(gid) < 0 ||
        (pw && setuid(uid) < 0)) {
        log_err("dropping privileges: %s", strerror(errno));
        return -1;
    }
    if (pw && uid != 0 && (setuid(0) == 0 || geteuid() == 0)) {
        log_err("dropping privileges: root could be regained; refusing to run");
        return -1;
    }
    return 0;
}

/* Write our pid to path. */
static int main_write_pidfile(const char *path)
{
    char buf[32];
    int fd, n;

    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0) {
        log_err("pidfile %s: %s", path, strerror(errno));
        return -1;
    }
    n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
    if (write(fd, buf, (size_t)n) != n) {
        log_err("pidfile %s: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    close(fd);
    return 0;
}

/*
 * Detach: the parent waits until the child says it is ready (pidfile written,
 * privileges dropped) and exits with the child's verdict. Returns the write end
 * of the readiness pipe in the child, -1 on error.
 */
static int main_detach(int keep_stderr)
{
    int p[2];
    pid_t pid;
    char ok = 0;
    int null;

    if (pipe(p) < 0)
        return -1;
    pid = fork();
    if (pid < 0)
        return -1;
    if (pid > 0) {
        close(p[1]);
        if (read(p[0], &ok, 1) != 1)
            ok = 0;
        _exit(ok ? 0 : 1);
    }
    close(p[0]);
    setsid();
    if ((null = open("/dev/null", O_RDWR)) >= 0) {
        dup2(null, 0);
        dup2(null, 1);
        if (!keep_stderr)
            dup2(null, 2);
        if (null > 2)
            close(null);
    }
    return p[1];
}

/* Create the loop's events: signals, the builder pipe, the shutdown grace timer. */
static int main_events(struct main_runtime *rt)
{
    if (pipe2(rt->built_pipe, O_CLOEXEC) < 0)
        return -1;
    rt->ev_hup = evsignal_new(rt->base, SIGHUP, main_hup_cb, rt);
    rt->ev_term = evsignal_new(rt->base, SIGTERM, main_term_cb, rt);
    rt->ev_int = evsignal_new(rt->base, SIGINT, main_term_cb, rt);
    rt->ev_built = event_new(rt->base, rt->built_pipe[0], EV_READ | EV_PERSIST, main_built_cb, rt);
    rt->ev_grace = evtimer_new(rt->base, main_grace_cb, rt);
    rt->ev_slow = evtimer_new(rt->base, main_slow_cb, rt);
    if (!rt->ev_hup || !rt->ev_term || !rt->ev_int || !rt->ev_built || !rt->ev_grace ||
        !rt->ev_slow)
        return -1;
    if (event_add(rt->ev_hup, NULL) < 0 || event_add(rt->ev_term, NULL) < 0 ||
        event_add(rt->ev_int, NULL) < 0 || event_add(rt->ev_built, NULL) < 0)
        return -1;
    return 0;
}

/*
 * A build still running at exit: a finished one is collected, one still busy is
 * left behind (detached; exit ends it), so stopping keeps its bound whatever the
 * builder is doing.
 */
static void main_abandon_build(struct main_runtime *rt)
{
    struct main_build *b = NULL;
    int flags = fcntl(rt->built_pipe[0], F_GETFL);

    if (flags >= 0)
        (void)fcntl(rt->built_pipe[0], F_SETFL, flags | O_NONBLOCK);
    if (flags >= 0 && read(rt->built_pipe[0], &b, sizeof(b)) == (ssize_t)sizeof(b)) {
        pthread_join(rt->builder, NULL);
        if (b != NULL) {
            snapshot_unref(b->snap);
            diag_free(b->diag);
            free(b);
        }
        return;
    }
    log_warn("stopping: a reload still building after %lu s is abandoned", main_build_seconds(rt));
    pthread_detach(rt->builder);
}

/* Free what main_events and the run created; a build still running is abandoned. */
static void main_cleanup(struct main_runtime *rt)
{
    if (rt->building)
        main_abandon_build(rt);
    metrics_free(rt->metrics);
    redis_client_free(rt->redis);
    server_free(rt->srv);
    overrides_free(rt->ov);
    if (rt->ev_hup)
        event_free(rt->ev_hup);
    if (rt->ev_term)
        event_free(rt->ev_term);
    if (rt->ev_int)
        event_free(rt->ev_int);
    if (rt->ev_built)
        event_free(rt->ev_built);
    if (rt->ev_grace)
        event_free(rt->ev_grace);
    if (rt->ev_watchdog)
        event_free(rt->ev_watchdog);
    if (rt->ev_slow)
        event_free(rt->ev_slow);
    if (rt->base)
        event_base_free(rt->base);
    free(rt->pidfile);
}

/* Load, bind, detach, drop privileges, then serve until told to stop. */
static int main_run(struct main_runtime *rt, int foreground)
{
    struct diag *d = diag_new();
    struct snapshot *snap = snapshot_build(rt->config_path, d);
    const struct cfg *cfg;
    char err[512], summary[128], sigs[128];
    int ready_fd = -1;

    diag_log(d);
    diag_free(d);
    if (snap == NULL) {
        log_err("%s: not starting: the configuration or rules have errors", rt->config_path);
        return 1;
    }
    cfg = snapshot_cfg(snap);
    snapshot_summary(snap, summary, sizeof(summary));
    snapshot_sig_summary(snap, sigs, sizeof(sigs));
    /* The public suffix list, read now: after the privilege drop it may be out of reach. */
    if (dsn_init(err, sizeof(err)) < 0)
        log_warn("%s; learn_scope = domain learns nothing", err);
    /* Without Redis the view is the daemon's own: what the dsn map learns goes there. */
    if ((rt->ov = overrides_new()) == NULL) {
        snapshot_unref(snap);
        return 1;
    }
    if (cfg->redis == NULL)
        overrides_set_loaded(rt->ov, 1);
    if ((rt->srv = server_new(snap, rt->ov)) == NULL) {
        snapshot_unref(snap);
        return 1;
    }
    if (server_bind(rt->srv, err, sizeof(err)) < 0 ||
        metrics_new(cfg, &rt->metrics, err, sizeof(err)) < 0) {
        log_err("%s", err);
        return 1;
    }
    log_open(cfg->log_syslog ? LOG_TARGET_SYSLOG : LOG_TARGET_STDERR, cfg->log_facility);
    if (!foreground) {
        if ((rt->pidfile = strdup(cfg->pidfile)) == NULL) {
            log_err("out of memory");
            return 1;
        }
        if ((ready_fd = main_detach(!cfg->log_syslog)) < 0) {
            log_err("detaching: %s", strerror(errno));
            return 1;
        }
        if (main_write_pidfile(rt->pidfile) < 0)
            return 1;
    }
    if (main_drop_privileges(cfg) < 0)
        goto fail;
    rt->base = event_base_new();
    if (rt->base == NULL || main_events(rt) < 0 || server_start(rt->srv, rt->base) < 0) {
        log_err("cannot set up the event loop");
        goto fail;
    }
    if (cfg->redis != NULL) {
        /* Ready without waiting for Redis: redis_unavailable decides until the view loads. */
        if ((rt->redis = redis_client_new(rt->base, cfg, rt->ov)) == NULL) {
            log_err("cannot set up the Redis client");
            goto fail;
        }
        redis_client_set_routes(rt->redis, cfg->routes);
        server_set_redis(rt->srv, rt->redis);
    }
    if (metrics_start(rt->metrics, rt->base, rt->srv, rt->ov, rt->redis) < 0)
        goto fail;
    stats_started(time(NULL));
    log_info("ready: %s; %s", summary, sigs);
    if (notify_send("READY=1") < 0)
        log_warn("NOTIFY_SOCKET: %s", strerror(errno));
    rt->ev_watchdog = notify_watchdog_start(rt->base);
    if (ready_fd >= 0) {
        if (write(ready_fd, "1", 1) != 1)
            log_warn("telling the parent we are ready: %s", strerror(errno));
        close(ready_fd);
    }
    event_base_dispatch(rt->base);
    /* cfg may be gone by now: a reload swapped in a new snapshot and freed the first. */
    if (rt->pidfile != NULL)
        unlink(rt->pidfile);
    log_info("stopped");
    return 0;
fail:
    /* A start that failed after the pidfile was written must not leave it behind. */
    if (rt->pidfile != NULL)
        unlink(rt->pidfile);
    return 1;
}

int main(int argc, char **argv)
{
    /* Static: a builder thread abandoned at exit may still read it while exit() runs. */
    static struct main_runtime rt;
    int foreground = 0, check = 0, verbosity = 0, opt, rc;

    memset(&rt, 0, sizeof(rt));
    rt.built_pipe[0] = rt.built_pipe[1] = -1;
    rt.config_path = MAIN_DEFAULT_CONFIG;
    while ((opt = getopt(argc, argv, "c:ftvVh")) != -1) {
        switch (opt) {
        case 'c':
            rt.config_path = optarg;
            break;
        case 'f':
            foreground = 1;
            break;
        case 't':
            check = 1;
            break;
        case 'v':
            verbosity++;
            break;
        case 'V':
            printf("policyd %s\n", PACKAGE_VERSION);
            return 0;
        case 'h':
            main_usage(stdout);
            return 0;
        default:
            main_usage(stderr);
            return 2;
        }
    }
    if (optind != argc) {
        main_usage(stderr);
        return 2;
    }
    if (check)
        return snapshot_check(rt.config_path, stdout, stderr);
    signal(SIGPIPE, SIG_IGN);
    /* A SIGHUP while a large rule set loads must not kill us; the loop takes it over. */
    signal(SIGHUP, SIG_IGN);
    log_open(LOG_TARGET_STDERR, 0);
    log_set_verbosity(verbosity);
    rc = main_run(&rt, foreground);
    main_cleanup(&rt);
    return rc;
}
