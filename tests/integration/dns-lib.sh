# dns-lib.sh - a real DNS server on loopback for the MX tests (sourced after lib.sh).
# unbound (Debian's daemon) serves the zone "pdtest." from local-data on 127.0.0.1:$DNS_PORT,
# logs every query it receives (so tests count them) and takes changes at run time through
# unbound-control on a unix socket. Fixed names of the zone:
#   refused.pdtest   and below: REFUSED, which a forwarding resolver turns into SERVFAIL
#   drop.pdtest      and below: never answered (a timeout)
# Every other name without local-data is NXDOMAIN ("." is a static zone): the server never
# recurses, so a test never asks the internet (e.g. for the domains of the shipped rules).
# (The TLD is not "test.": resolvers answer that one themselves, RFC 6761.)
need unbound unbound-control

DNS_DIR="$T/dns"

# Start the server; its zone's local-data records (one per line, "NAME TTL IN TYPE DATA")
# come from standard input. Sets DNS_PORT and DNS_PID.
dns_start() {
    local try records
    mkdir -p "$DNS_DIR"
    records=$(sed 's/.*/    local-data: "&"/')
    for try in 1 2 3 4 5; do
        DNS_PORT=$(free_port)
        cat >"$DNS_DIR/unbound.conf" <<CONF
server:
    interface: 127.0.0.1
    port: $DNS_PORT
    do-daemonize: no
    chroot: ""
    username: ""
    directory: "$DNS_DIR"
    pidfile: "$DNS_DIR/unbound.pid"
    logfile: "$DNS_DIR/unbound.log"
    use-syslog: no
    log-queries: yes
    verbosity: 0
    do-ip6: no
    access-control: 127.0.0.0/8 allow
    module-config: "iterator"
    local-zone: "." static
    local-zone: "pdtest." static
    local-data: "pdtest. 3600 IN SOA ns.pdtest. hostmaster.pdtest. 1 3600 600 86400 30"
    local-zone: "refused.pdtest." always_refuse
    local-zone: "drop.pdtest." deny
$records
remote-control:
    control-enable: yes
    control-interface: "$DNS_DIR/control.sock"
    control-use-cert: no
CONF
        : >"$DNS_DIR/unbound.log"
        unbound -c "$DNS_DIR/unbound.conf" 2>>"$DNS_DIR/stderr" &
        DNS_PID=$!
        LIB_PIDS="$LIB_PIDS $DNS_PID"
        if wait_for 10000 "unbound to start" log_has "$DNS_DIR/unbound.log" 'start of service'; then
            return 0
        fi
        kill "$DNS_PID" 2>/dev/null
    done
    echo "Bail out! the test DNS server did not start"
    sed 's/^/#   /' "$DNS_DIR/stderr" "$DNS_DIR/unbound.log"
    exit 1
}

# How many MX queries for NAME the server received.
dns_queries() {
    grep -c -i -F " $1. MX IN" "$DNS_DIR/unbound.log"
}

# Run unbound-control against the test server (e.g. dns_ctl local_data "x.pdtest 1 IN MX 1 h.").
dns_ctl() {
    unbound-control -c "$DNS_DIR/unbound.conf" "$@" >/dev/null
}
