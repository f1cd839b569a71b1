/* main.c: gpx_aifb, the backend of aifb's Grafana app and data source.
 *
 * Checks that Grafana started it, serves on loopback, prints the go-plugin handshake line alone
 * on stdout, then waits for GRPCController.Shutdown or a signal and exits 0 after a short grace
 * for calls in flight. Everything else it says goes to stderr as JSON log lines. */
#include <stdio.h>

#include "common/log.h"
#include "plugin.h"

int main(void)
{
    rpc_init();
    aifb_err err = {0};
    if (plugin_check_env(&err) != AIFB_OK) {
        fprintf(stderr, "gpx_aifb: %s\n", err.msg); /* a person, not Grafana: plain text */
        rpc_shutdown();
        return 1;
    }
    /* Every level: Grafana keeps or drops each line by its own log level. */
    aifb_log_init_hclog(AIFB_LOG_DEBUG, "gpx_aifb");
    rpc_server *server = NULL;
    if (plugin_serve_start(&server, &err) != AIFB_OK) {
        plugin_log(PLOG_ERROR, "cannot serve: %s", err.msg);
        rpc_shutdown();
        return 1;
    }
    char line[64];
    plugin_handshake_line(rpc_server_port(server), line, sizeof line);
    printf("%s\n", line);
    fflush(stdout);
    plugin_log(PLOG_INFO, "serving Grafana's plugin protocol on 127.0.0.1:%d",
               rpc_server_port(server));
    int sig = rpc_wait_signal();
    plugin_log(PLOG_INFO, "stopping (signal %d)", sig);
    rpc_server_stop(server, 1000);
    rpc_server_free(server);
    rpc_shutdown();
    return 0;
}
