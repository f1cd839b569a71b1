/* rpc_process.c: process-wide set-up around gRPC: signals, init and shutdown, and the question
 * whether a listen address only reaches this machine (which decides if a token is required).
 *
 * Signals are blocked before gRPC starts its threads, so they inherit the mask and the one
 * thread that calls rpc_wait_signal() receives SIGINT/SIGTERM/SIGHUP synchronously with sigwait;
 * no handler runs inside gRPC's threads. gRPC's own log lines are routed into common/log. */
#include <arpa/inet.h>
#include <grpc/grpc.h>
#include <grpc/support/log.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "common/log.h"
#include "rpc/rpc.h"

static void stop_signals(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGTERM);
    sigaddset(set, SIGHUP);
}

/* gRPC's own messages go through the project's log, so they share its format (text or JSON). */
static void grpc_log_to_aifb(gpr_log_func_args *args)
{
    if (args->severity == GPR_LOG_SEVERITY_ERROR)
        log_warn("grpc: %s", args->message);
    else
        log_debug("grpc: %s", args->message);
}

void rpc_init(void)
{
    sigset_t set;
    stop_signals(&set);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    gpr_set_log_function(grpc_log_to_aifb);
    grpc_init();
}

int rpc_wait_signal(void)
{
    sigset_t set;
    stop_signals(&set);
    int sig = 0;
    while (sigwait(&set, &sig) != 0) {
    }
    return sig;
}

void rpc_shutdown(void)
{
    grpc_shutdown();
}

static bool host_is_loopback(const char *host)
{
    if (strcasecmp(host, "localhost") == 0)
        return true;
    struct in_addr v4;
    if (inet_pton(AF_INET, host, &v4) == 1)
        return (ntohl(v4.s_addr) >> 24) == 127;
    struct in6_addr v6;
    if (inet_pton(AF_INET6, host, &v6) != 1)
        return false;
    if (IN6_IS_ADDR_LOOPBACK(&v6))
        return true;
    /* ::ffff:127.x.y.z is IPv4 loopback seen through an IPv6 socket. */
    return IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127;
}

bool rpc_listen_is_local(const char *addr)
{
    if (!addr)
        return false;
    if (strncmp(addr, "unix:", 5) == 0 || strncmp(addr, "unix-abstract:", 14) == 0)
        return true;
    char host[256];
    const char *end;
    if (addr[0] == '[') {
        end = strchr(addr, ']');
        if (!end)
            return false;
        addr++;
    } else {
        end = strrchr(addr, ':');
        /* More than one colon without brackets is a bare IPv6 address with no port. */
        if (!end || strchr(addr, ':') != end)
            end = addr + strlen(addr);
    }
    size_t n = (size_t)(end - addr);
    if (n == 0 || n >= sizeof host)
        return false;
    memcpy(host, addr, n);
    host[n] = '\0';
    return host_is_loopback(host);
}
