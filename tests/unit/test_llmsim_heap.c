/* test_llmsim_heap.c: aifb-llmsim's timer heap hands out events in due order, equal due times in
 * the order they were pushed, and a node taken out of the middle never comes out. */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "core/rng.h"
#include "llmsim/heap.h"

Test(llmsim_heap, random_due_times_come_out_in_order)
{
    enum { N = 5000 };
    static heap_node nodes[N];
    timer_heap h = {0};
    rng r;
    rng_seed(&r, 7);
    for (int i = 0; i < N; i++)
        theap_push(&h, &nodes[i], rng_range(&r, 0, 1000));
    int64_t last = -1;
    for (int i = 0; i < N; i++) {
        heap_node *n = theap_pop(&h);
        cr_assert(n);
        cr_assert_geq(n->key, last);
        cr_assert(!theap_has(n));
        last = n->key;
    }
    cr_assert_null(theap_pop(&h));
    theap_free(&h);
}

Test(llmsim_heap, equal_due_times_come_out_first_pushed_first)
{
    heap_node nodes[10];
    timer_heap h = {0};
    for (int i = 0; i < 10; i++)
        theap_push(&h, &nodes[i], i % 2 ? 5 : 3);
    int order[10];
    for (int i = 0; i < 10; i++)
        order[i] = (int)(theap_pop(&h) - nodes);
    int want[] = {0, 2, 4, 6, 8, 1, 3, 5, 7, 9};
    for (int i = 0; i < 10; i++)
        cr_assert_eq(order[i], want[i], "place %d: node %d", i, order[i]);
    theap_free(&h);
}

Test(llmsim_heap, removed_nodes_never_come_out)
{
    enum { N = 1000 };
    static heap_node nodes[N];
    timer_heap h = {0};
    rng r;
    rng_seed(&r, 11);
    for (int i = 0; i < N; i++)
        theap_push(&h, &nodes[i], rng_range(&r, 0, 100000));
    for (int i = 0; i < N; i += 3)
        theap_remove(&h, &nodes[i]);
    theap_remove(&h, &nodes[0]); /* twice: nothing happens */
    int64_t last = -1;
    int count = 0;
    heap_node *n;
    while ((n = theap_pop(&h))) {
        cr_assert_neq((n - nodes) % 3, 0, "node %td was removed", n - nodes);
        cr_assert_geq(n->key, last);
        last = n->key;
        count++;
    }
    cr_assert_eq(count, N - (N + 2) / 3);
    theap_free(&h);
}

Test(llmsim_heap, a_node_pushed_again_takes_its_new_time)
{
    heap_node a = {0}, b = {0};
    timer_heap h = {0};
    theap_push(&h, &a, 10);
    theap_push(&h, &b, 20);
    theap_remove(&h, &a);
    theap_push(&h, &a, 30);
    cr_assert_eq(theap_peek(&h), &b);
    cr_assert_eq(theap_pop(&h), &b);
    cr_assert_eq(theap_pop(&h), &a);
    theap_free(&h);
}
