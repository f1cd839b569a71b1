#!/usr/bin/env python3
"""bench/peer_llmclient.py: the peer of aifb-loadgen in bench/loadgen.sh's streaming figures.

A Python asyncio + aiohttp load client that does, per request, what vLLM's `vllm bench serve`
does with its OpenAI chat backend: POST the chat request with "stream": true and
stream_options.include_usage; read the body as it comes (aiohttp's iter_any), cut it into SSE
events at blank lines, strip "data: ", json.loads every event; take time.perf_counter() stamps for the first token (TTFT)
and every later content chunk (ITL); read usage.completion_tokens from the last event. Requests
are all scheduled at once and a semaphore keeps --concurrency of them in flight (vLLM's
--max-concurrency with --request-rate inf: a closed loop), over one ClientSession whose connector
keeps its connections alive. As vLLM does, one test request goes first and is not counted.

It is written for this benchmark, not taken from vLLM: the aim is the same work per request, so
that the CPU it spends per request and per chunk is what a Python client of that shape costs.

It prints one result line on stdout:
  peer_llmclient completed=N failed=N chunks=N output_tokens=N duration_s=X cpu_s=X
    ttft_p50_ms=X ttft_p99_ms=X itl_p50_ms=X
where cpu_s is this process's CPU time (user + system, every thread) over the measured requests,
from the same moment as duration_s.
"""

import argparse
import asyncio
import codecs
import json
import sys
import time

import aiohttp


class Outcome:
    """What one request measured (the fields vLLM's RequestFuncOutput has that matter here)."""

    __slots__ = ("ok", "ttft", "itl", "latency", "output_tokens", "chunks", "text", "error")
    # chunks: content chunks (those with choices), as aifb-loadgen counts them

    def __init__(self):
        self.ok = False
        self.ttft = 0.0
        self.itl = []
        self.latency = 0.0
        self.output_tokens = 0
        self.chunks = 0
        self.text = ""
        self.error = ""


def events(buffer):
    """Complete SSE events in buffer, and the unfinished rest.

    As vLLM's client does: events end at blank lines; and since every read is stripped of its
    surrounding whitespace (so the blank line after a read's last event may be gone), a rest
    that starts with "data: " and is [DONE] or parses as JSON is taken as complete too (one
    json.loads attempt per read that ends inside an event, as there)."""
    out = []
    while "\n\n" in buffer:
        event, buffer = buffer.split("\n\n", 1)
        event = event.strip()
        if event:
            out.append(event)
    if buffer.startswith("data: "):
        rest = buffer.removeprefix("data: ").strip()
        if rest == "[DONE]":
            out.append(buffer.strip())
            buffer = ""
        elif rest:
            try:
                json.loads(rest)
                out.append(buffer.strip())
                buffer = ""
            except json.JSONDecodeError:  # cut short: wait for the next read
                pass
    return out, buffer


async def one_request(session, url, payload):
    out = Outcome()
    start = time.perf_counter()
    last = start
    first = True
    try:
        async with session.post(url, json=payload,
                                headers={"Content-Type": "application/json"}) as resp:
            if resp.status != 200:
                out.error = "HTTP %d" % resp.status
                return out
            buffer = ""
            decoder = codecs.getincrementaldecoder("utf-8")()  # a read may split a character
            async for raw in resp.content.iter_any():
                raw = raw.strip()
                if not raw:
                    continue
                buffer += decoder.decode(raw)
                found, buffer = events(buffer)
                for event in found:
                    if event.startswith(":"):  # SSE comment (a ping)
                        continue
                    data = event.removeprefix("data: ")
                    if data == "[DONE]":
                        continue
                    now = time.perf_counter()
                    chunk = json.loads(data)
                    choices = chunk.get("choices")
                    if choices:
                        out.chunks += 1
                        if first:
                            out.ttft = now - start
                            first = False
                        else:
                            out.itl.append(now - last)
                        out.text += choices[0]["delta"].get("content") or ""
                        last = now
                    elif chunk.get("usage"):
                        out.output_tokens = chunk["usage"].get("completion_tokens") or 0
        out.ok = not first
        out.latency = last - start
        if first:
            out.error = "no content chunk"
    except Exception as e:  # a client counts failures, it does not stop on them
        out.error = "%s: %s" % (type(e).__name__, e)
    return out


def percentile(values, p):
    if not values:
        return 0.0
    values = sorted(values)
    return values[min(len(values) - 1, int(p / 100.0 * len(values)))]


async def run(args):
    url = args.url.rstrip("/") + "/v1/chat/completions"
    prompt = " ".join(["hello"] * args.input_tokens)
    payload = {
        "model": args.model,
        "messages": [{"role": "user", "content": [{"type": "text", "text": prompt}]}],
        "max_completion_tokens": args.output_tokens,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    connector = aiohttp.TCPConnector(limit=args.concurrency, limit_per_host=args.concurrency,
                                     ttl_dns_cache=300, use_dns_cache=True,
                                     keepalive_timeout=60, enable_cleanup_closed=True,
                                     force_close=False)
    async with aiohttp.ClientSession(connector=connector, trust_env=True,
                                     timeout=aiohttp.ClientTimeout(total=6 * 60 * 60)) as session:
        test = await one_request(session, url, payload)
        if not test.ok:
            print("peer_llmclient: the test request failed: %s" % test.error, file=sys.stderr)
            return 1
        sem = asyncio.Semaphore(args.concurrency)

        async def limited():
            async with sem:
                return await one_request(session, url, payload)

        cpu0, t0 = time.process_time(), time.perf_counter()
        tasks = [asyncio.create_task(limited()) for _ in range(args.requests)]
        outs = await asyncio.gather(*tasks)
        duration, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    ok = [o for o in outs if o.ok]
    failed = [o for o in outs if not o.ok]
    if failed:
        print("peer_llmclient: %d requests failed, e.g. %s" % (len(failed), failed[0].error),
              file=sys.stderr)
    itl = [x for o in ok for x in o.itl]
    print("peer_llmclient completed=%d failed=%d chunks=%d output_tokens=%d duration_s=%.3f "
          "cpu_s=%.3f ttft_p50_ms=%.3f ttft_p99_ms=%.3f itl_p50_ms=%.4f" % (
              len(ok), len(failed), sum(o.chunks for o in ok),
              sum(o.output_tokens for o in ok), duration, cpu,
              1000 * percentile([o.ttft for o in ok], 50),
              1000 * percentile([o.ttft for o in ok], 99), 1000 * percentile(itl, 50)))
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--url", required=True, help="the server's base URL, http://HOST:PORT")
    ap.add_argument("--model", default="aifb-sim")
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--requests", type=int, default=1000)
    ap.add_argument("--input-tokens", type=int, default=128)
    ap.add_argument("--output-tokens", type=int, default=64)
    args = ap.parse_args()
    if args.concurrency < 1 or args.requests < 1:
        ap.error("--concurrency and --requests must be at least 1")
    return asyncio.run(run(args))


if __name__ == "__main__":
    sys.exit(main())
