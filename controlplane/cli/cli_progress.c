/* cli_progress.c: the live progress line on a terminal ("r-3fa09c1d22be RUNNING 00:12 (redis)").
 *
 * The main thread sits in a blocking stream call while it waits, so a small thread redraws the
 * line once a second to keep the clock moving; a mutex guards the shared state. The line lives on
 * stderr and is rewritten in place with "\r" and erase-to-end-of-line; it is cleared before any
 * other output and at the end, so nothing of it stays on the screen. When stderr is not a
 * terminal none of this runs. */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "common/util.h"

#define CLEAR_LINE "\r\033[K"

static struct {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    pthread_t thread;
    bool stopping, hidden;
    char id[32], recipe[64], state[32];
    int64_t since_ms;
} progress = {.lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER};

/* Read without the lock by the signal thread, hence atomic. */
static atomic_bool progress_active;

static void write_all(const char *s, size_t n)
{
    while (n > 0) {
        ssize_t w = write(STDERR_FILENO, s, n);
        if (w <= 0)
            return;
        s += w;
        n -= (size_t)w;
    }
}

/* Called with the lock held. */
static void draw_locked(void)
{
    if (progress.hidden)
        return;
    char clock[32], line[192];
    cli_clock_text(aifb_now_ms() - progress.since_ms, clock, sizeof clock);
    int n = snprintf(line, sizeof line, CLEAR_LINE "%s %s %s (%s)", progress.id, progress.state,
                     clock, progress.recipe);
    if (n > 0)
        write_all(line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

static void *redraw_every_second(void *unused)
{
    (void)unused;
    pthread_mutex_lock(&progress.lock);
    while (!progress.stopping) {
        draw_locked();
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += 1;
        pthread_cond_timedwait(&progress.wake, &progress.lock, &until);
    }
    pthread_mutex_unlock(&progress.lock);
    return NULL;
}

void cli_progress_start(cli_ctx *ctx, const char *id, const char *recipe, int64_t since_ms)
{
    if (!ctx->progress || atomic_load(&progress_active))
        return;
    snprintf(progress.id, sizeof progress.id, "%s", id);
    snprintf(progress.recipe, sizeof progress.recipe, "%s", recipe && recipe[0] ? recipe : "?");
    snprintf(progress.state, sizeof progress.state, "...");
    progress.since_ms = since_ms > 0 ? since_ms : aifb_now_ms();
    progress.stopping = false;
    progress.hidden = false;
    if (pthread_create(&progress.thread, NULL, redraw_every_second, NULL) == 0)
        atomic_store(&progress_active, true);
}

void cli_progress_set_state(const char *state)
{
    if (!atomic_load(&progress_active))
        return;
    pthread_mutex_lock(&progress.lock);
    snprintf(progress.state, sizeof progress.state, "%s", state);
    draw_locked();
    pthread_mutex_unlock(&progress.lock);
}

void cli_progress_hide(void)
{
    if (!atomic_load(&progress_active))
        return;
    pthread_mutex_lock(&progress.lock);
    progress.hidden = true;
    write_all(CLEAR_LINE, strlen(CLEAR_LINE));
    pthread_mutex_unlock(&progress.lock);
}

void cli_progress_show(void)
{
    if (!atomic_load(&progress_active))
        return;
    pthread_mutex_lock(&progress.lock);
    progress.hidden = false;
    draw_locked();
    pthread_mutex_unlock(&progress.lock);
}

void cli_progress_stop(void)
{
    if (!atomic_load(&progress_active))
        return;
    pthread_mutex_lock(&progress.lock);
    progress.stopping = true;
    pthread_cond_signal(&progress.wake);
    pthread_mutex_unlock(&progress.lock);
    pthread_join(progress.thread, NULL);
    atomic_store(&progress_active, false);
    write_all(CLEAR_LINE, strlen(CLEAR_LINE));
}

void cli_progress_abandon(void)
{
    if (atomic_load(&progress_active))
        write_all(CLEAR_LINE, strlen(CLEAR_LINE));
}
