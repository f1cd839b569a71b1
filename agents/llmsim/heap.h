/* heap.h: the min-heap of due times that drives every timer of aifb-llmsim.
 *
 * Each pending event (a request's next token, the end of a held request, a lingering close) is a
 * heap_node embedded in the object it belongs to, so pushing and removing never allocate once the
 * heap's array has grown. Nodes with the same due time come out in the order they were pushed (a
 * sequence number breaks ties), which is what makes streams that are all due at once take turns.
 * The server arms one timerfd at the smallest due time. */
#ifndef AIFB_LLMSIM_HEAP_H
#define AIFB_LLMSIM_HEAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct heap_node {
    int64_t key;  /* due time, CLOCK_MONOTONIC nanoseconds */
    uint64_t seq; /* push order, for ties */
    size_t pos;   /* 1-based place in the heap; 0 when not in it (so {0} is "not queued") */
} heap_node;

typedef struct timer_heap {
    heap_node **v;
    size_t len, cap;
    uint64_t seq;
} timer_heap;

/* Pushes n (which must not be in the heap) due at key. */
void theap_push(timer_heap *h, heap_node *n, int64_t key);
/* The node due first, or NULL when the heap is empty. */
heap_node *theap_peek(const timer_heap *h);
heap_node *theap_pop(timer_heap *h);
/* Takes n out of the heap; nothing happens when it is not in it. */
void theap_remove(timer_heap *h, heap_node *n);
static inline bool theap_has(const heap_node *n)
{
    return n->pos != 0;
}
void theap_free(timer_heap *h);

#endif
