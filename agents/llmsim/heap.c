/* heap.c: a binary min-heap of heap_node pointers ordered by (key, seq) (see heap.h).
 *
 * Each node remembers its place so that removing a node that is not at the top (a client that
 * went away while its request was waiting for a timer) costs O(log n) like a push. */
#include "llmsim/heap.h"

#include <stdlib.h>

#include "common/util.h"

static bool before(const heap_node *a, const heap_node *b)
{
    return a->key < b->key || (a->key == b->key && a->seq < b->seq);
}

static void place(timer_heap *h, size_t i, heap_node *n)
{
    h->v[i] = n;
    n->pos = i + 1;
}

static void sift_up(timer_heap *h, size_t i)
{
    heap_node *n = h->v[i];
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!before(n, h->v[parent]))
            break;
        place(h, i, h->v[parent]);
        i = parent;
    }
    place(h, i, n);
}

static void sift_down(timer_heap *h, size_t i)
{
    heap_node *n = h->v[i];
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= h->len)
            break;
        if (child + 1 < h->len && before(h->v[child + 1], h->v[child]))
            child++;
        if (!before(h->v[child], n))
            break;
        place(h, i, h->v[child]);
        i = child;
    }
    place(h, i, n);
}

void theap_push(timer_heap *h, heap_node *n, int64_t key)
{
    if (h->len == h->cap) {
        h->cap = h->cap ? h->cap * 2 : 64;
        h->v = xrealloc(h->v, h->cap * sizeof *h->v);
    }
    n->key = key;
    n->seq = h->seq++;
    h->v[h->len++] = n;
    sift_up(h, h->len - 1);
}

heap_node *theap_peek(const timer_heap *h)
{
    return h->len ? h->v[0] : NULL;
}

void theap_remove(timer_heap *h, heap_node *n)
{
    if (!n->pos)
        return;
    size_t i = n->pos - 1;
    n->pos = 0;
    heap_node *last = h->v[--h->len];
    if (i == h->len)
        return;
    place(h, i, last);
    /* The moved node may belong above or below its new place. */
    if (i > 0 && before(last, h->v[(i - 1) / 2]))
        sift_up(h, i);
    else
        sift_down(h, i);
}

heap_node *theap_pop(timer_heap *h)
{
    heap_node *n = theap_peek(h);
    if (n)
        theap_remove(h, n);
    return n;
}

void theap_free(timer_heap *h)
{
    for (size_t i = 0; i < h->len; i++)
        h->v[i]->pos = 0;
    free(h->v);
    *h = (timer_heap){0};
}
