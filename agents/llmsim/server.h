/* server.h: aifb-llmsim's server, as main() sees it: open, run until a signal, free.
 *
 * One thread: an epoll loop over the listening socket, every connection, a timerfd armed at the
 * earliest due event of the timer heap, and a signalfd for SIGTERM and SIGINT. sim.h describes
 * the inside. */
#ifndef AIFB_LLMSIM_SERVER_H
#define AIFB_LLMSIM_SERVER_H

#include "common/err.h"
#include "llmsim/opts.h"

typedef struct llmsim_server llmsim_server;

/* Binds and listens (port 0: a free port), blocks SIGTERM and SIGINT into a signalfd and ignores
 * SIGPIPE. NULL with err set (naming the address) when it cannot. o must outlive the server. */
llmsim_server *llmsim_server_new(const llmsim_opts *o, aifb_err *err);
/* "HOST:PORT" as bound (the real port when 0 was asked). */
const char *llmsim_server_address(const llmsim_server *s);
/* Serves until SIGTERM or SIGINT: 0, or 1 when the event loop itself failed. */
int llmsim_server_run(llmsim_server *s);
/* Closes every connection and frees everything. */
void llmsim_server_free(llmsim_server *s);

#endif
