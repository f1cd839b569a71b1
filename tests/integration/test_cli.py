"""The aifb command as a user meets it, against a real aifbd: help and usage errors, an aifbd that
cannot be reached, -o json everywhere, exit statuses of --wait, logs, watch, list filters, stop,
the progress line on a terminal, and the bearer token never shown.

Two daemons: `aifbd` (conftest, the shipped recipes: redis) and `test_aifbd` below, with the
recipes of tests/recipes (a client that fails, a client that ticks for a known time) and a bearer
token, so every call to it also shows that the token is sent and never printed."""

import json
import os
import shlex
import subprocess

import pytest

from aifbtest import BIN, ROOT, Daemon, free_port

QUICK_REDIS = ["-p", "requests=2000", "-p", "clients=4"]
LONG_REDIS = ["-p", "requests=100000000", "-p", "clients=2"]
TEST_RECIPES = os.path.join(ROOT, "tests", "recipes")
TOKEN = "cli-test-token-5f1d2c9a7b3e"
AIFB = os.path.join(BIN, "aifb")

# Every command, as its words; each takes --help.
COMMANDS = [[], ["info"], ["version"], ["recipes"], ["recipes", "list"], ["recipes", "show"],
            ["run"], ["run", "start"], ["run", "stop"], ["run", "list"], ["run", "show"],
            ["run", "watch"], ["run", "logs"], ["service"], ["service", "start"],
            ["service", "stop"], ["service", "list"], ["service", "show"]]


@pytest.fixture(scope="module")
def test_aifbd():
    """An aifbd with the test recipes, asking for a bearer token (its cli() sends it)."""
    d = Daemon(recipes=TEST_RECIPES, env={"AIFB_TOKEN": TOKEN}).start()
    yield d
    d.cleanup()
    assert TOKEN not in d.log_all(), "aifbd logged its token"


def aifb(*args, server="unix:/nonexistent/aifb-cli-test.sock", env=None, timeout=60):
    """aifb with an explicit server address and no token unless env gives one."""
    e = dict(os.environ)
    e.pop("AIFB_TOKEN", None)
    e.pop("AIFB_SERVER", None)
    e.update(env or {})
    return subprocess.run([AIFB, "--server", server] + list(args), capture_output=True,
                          text=True, timeout=timeout, env=e)


def in_terminal(daemon, args, redirect="", timeout=120):
    """aifb run under `script`, so stdin, stdout and stderr are a terminal (a pty); redirect is
    shell text added to the command (such as `2>FILE`). Returns (exit status, what the terminal
    showed)."""
    cmd = " ".join(shlex.quote(a) for a in [AIFB, "--server", daemon.address] + list(args))
    # Bytes, not text: universal newlines would turn the "\r" of the progress line into "\n".
    r = subprocess.run(["script", "-qec", cmd + " " + redirect, "/dev/null"],
                       capture_output=True, timeout=timeout, env=daemon.env,
                       stdin=subprocess.DEVNULL)
    return r.returncode, r.stdout.decode(errors="replace")


def one_line(text):
    lines = text.strip("\n").split("\n")
    return len(lines) == 1 and lines[0] != ""


def quick_redis_run(daemon):
    run = daemon.cli_json("run", "start", "redis", *QUICK_REDIS, "--wait")
    assert run["state"] == "RUN_STATE_SUCCEEDED", run
    return run


def watch_json(daemon, run_id, *extra):
    r = daemon.cli("run", "watch", run_id, *extra, "-o", "json", timeout=120)
    return [json.loads(line) for line in r.stdout.splitlines() if line.strip()]


# ---- help and usage errors -----------------------------------------------------------------

def test_help_on_every_level_exits_0_and_prints_usage_without_a_server():
    for words in COMMANDS:
        for flag in ("--help", "-h"):
            r = aifb(*words, flag)
            assert r.returncode == 0, (words, r.stderr)
            assert r.stdout.startswith("usage: aifb"), (words, r.stdout)
            assert " ".join(["usage: aifb"] + words) in r.stdout, (words, r.stdout)
            assert r.stderr == "", (words, r.stderr)


def test_a_usage_error_exits_2_with_one_line_on_stderr_and_nothing_on_stdout():
    cases = [[], ["frobnicate"], ["run"], ["run", "start"], ["run", "start", "redis", "--bogus"],
             ["run", "start", "redis", "-p", "clients"],
             ["run", "start", "redis", "-p", "a=1", "-p", "a=2"],
             ["run", "list", "--limit", "0"], ["run", "list", "--state", "weird"],
             ["run", "show"], ["run", "show", "r-1", "r-2"], ["run", "watch", "--from", "-1"],
             ["run", "logs", "r-1", "--stream", "other"], ["service", "stop"],
             ["service", "stop", "s-1", "--reason"], ["-o", "yaml", "info"], ["info", "extra"]]
    for words in cases:
        r = aifb(*words)
        assert r.returncode == 2, (words, r.returncode, r.stderr)
        assert one_line(r.stderr) and r.stderr.startswith("aifb"), (words, r.stderr)
        assert r.stdout == "", (words, r.stdout)


def test_an_unreachable_daemon_gives_one_line_naming_the_address_and_exits_non_zero():
    for server in ("unix:/nonexistent/aifb-cli-test.sock", "127.0.0.1:%d" % free_port()):
        for words in (["info"], ["run", "list"], ["run", "start", "redis"],
                      ["run", "show", "r-000000000000"], ["run", "watch", "r-000000000000"],
                      ["run", "logs", "r-000000000000"], ["service", "list"]):
            r = aifb(*words, server=server)
            assert r.returncode != 0, (server, words)
            assert one_line(r.stderr), (server, words, r.stderr)
            assert "cannot reach aifbd at " + server in r.stderr, (server, words, r.stderr)


def test_the_server_address_can_come_from_aifb_server(aifbd):
    e = dict(aifbd.env, AIFB_SERVER=aifbd.address)
    r = subprocess.run([AIFB, "info", "-o", "json"], capture_output=True, text=True, env=e,
                       timeout=60)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["listen"] == aifbd.listen


# ---- -o json ----------------------------------------------------------------------------------

def test_a_recipes_slurm_settings_are_shown_as_written(aifbd):
    """What a cluster user checks before starting vllm: the image and GPUs its job asks for."""
    recipe = aifbd.cli_json("recipes", "show", "vllm")
    assert recipe["service_slurm"]["image"] == "${image}", recipe
    assert recipe["service_slurm"]["gpus"] == "${tensor_parallel_size}"
    assert aifbd.cli_json("recipes", "show", "redis").get("service_slurm") is None
    text = aifbd.cli("recipes", "show", "vllm").stdout
    line = [l for l in text.splitlines() if l.startswith("service slurm")][0]
    assert "image=${image}" in line and "gpus=${tensor_parallel_size}" in line, text
    assert [l for l in text.splitlines() if l.startswith("client slurm")][0].split()[-1] == "-"


def test_every_printing_command_prints_valid_json_with_o_json(aifbd):
    info = aifbd.cli_json("info")
    assert info["executor"] == "local" and info["recipe_count"] >= 1
    assert info.get("cluster") is None, "the local executor has no Slurm cluster to show"
    assert json.loads(aifbd.cli("version", "-o", "json").stdout)["version"] == info["version"]
    recipes = aifbd.cli_json("recipes", "list")
    assert "redis" in [r["name"] for r in recipes["recipes"]]
    recipe = aifbd.cli_json("recipes", "show", "redis")
    assert "requests" in [p["name"] for p in recipe["params"]]
    started = aifbd.cli_json("run", "start", "redis", *QUICK_REDIS)
    assert started["id"].startswith("r-") and started["recipe"] == "redis"
    listed = aifbd.cli_json("run", "list")
    assert started["id"] in [r["id"] for r in listed["runs"]]
    shown = aifbd.cli_json("run", "show", started["id"])
    assert shown["id"] == started["id"]
    aifbd.wait_state(started["id"], "RUN_STATE_SUCCEEDED")
    services = aifbd.cli_json("service", "list", "--all")
    assert isinstance(services["services"], list)


def test_run_start_with_o_json_prints_the_run_with_its_id(aifbd):
    r = aifbd.cli("run", "start", "redis", *QUICK_REDIS, "-o", "json")
    run = json.loads(r.stdout)
    assert run["id"].startswith("r-") and run["recipe"] == "redis", run
    params = {p["name"]: p["value"] for p in run["params"]}
    assert params["requests"] == "2000"
    assert aifbd.wait_state(run["id"], "RUN_STATE_SUCCEEDED")["id"] == run["id"]
    # Without -o json, only the id: what `id=$(aifb run start ...)` needs.
    r = aifbd.cli("run", "start", "redis", *QUICK_REDIS)
    assert r.stdout.strip().startswith("r-") and one_line(r.stdout), r.stdout
    aifbd.wait_state(r.stdout.strip(), "RUN_STATE_SUCCEEDED")


def test_a_service_shows_in_json_and_service_stop_wait_ends_when_it_has_stopped(aifbd):
    svc = aifbd.cli_json("service", "start", "redis", "--wait")
    assert svc["state"] == "SERVICE_STATE_READY" and svc["endpoint"], svc
    assert svc["id"] in [s["id"] for s in aifbd.cli_json("service", "list")["services"]]
    assert aifbd.cli_json("service", "show", svc["id"])["id"] == svc["id"]
    r = aifbd.cli("service", "stop", svc["id"], "--reason", "done with it", "--wait")
    assert r.stdout == svc["id"] + " STOPPED (redis)\nreason: done with it\n", r.stdout
    shown = aifbd.cli_json("service", "show", svc["id"])
    assert shown["state"] == "SERVICE_STATE_STOPPED", shown
    assert shown["reason"] == "done with it", shown
    # Stopping it again, and waiting, is accepted at once: it has already ended.
    again = aifbd.cli_json("service", "stop", svc["id"], "--wait", timeout=30)
    assert again["state"] == "SERVICE_STATE_STOPPED", again


# ---- how a run ended ----------------------------------------------------------------------------

def test_a_failed_run_with_wait_exits_1_and_one_line_says_why_naming_the_status(test_aifbd):
    r = test_aifbd.cli("run", "start", "failing", "--wait", check=False)
    assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)
    assert one_line(r.stderr), r.stderr
    assert "ended FAILED" in r.stderr and "status 3" in r.stderr, r.stderr
    assert " FAILED in " in r.stdout, r.stdout
    r = test_aifbd.cli("run", "start", "failing", "--wait", "-o", "json", check=False)
    assert r.returncode == 1
    run = json.loads(r.stdout)
    assert run["state"] == "RUN_STATE_FAILED" and run["exit_code"] == 3, run


def test_a_succeeded_run_with_wait_exits_0_and_prints_nothing_on_stderr(test_aifbd):
    r = test_aifbd.cli("run", "start", "ticker", "-p", "ticks=1", "--wait")
    assert r.stderr == ""
    assert " SUCCEEDED in " in r.stdout and "(ticker)" in r.stdout, r.stdout


def test_run_logs_prints_the_client_output_and_stream_client_err_its_errors(test_aifbd):
    ok = test_aifbd.cli_json("run", "start", "ticker", "-p", "ticks=2", "--wait")
    assert test_aifbd.cli("run", "logs", ok["id"]).stdout == "tick 1\ntick 2\n"
    failed = json.loads(test_aifbd.cli("run", "start", "failing", "--wait", "-o", "json",
                                       check=False).stdout)
    r = test_aifbd.cli("run", "logs", failed["id"], "--stream", "client.err")
    assert r.stdout == "boom\n" and r.stderr == ""
    assert test_aifbd.cli("run", "logs", failed["id"]).stdout == ""


def test_run_logs_of_the_redis_benchmark_shows_its_csv(aifbd):
    run = quick_redis_run(aifbd)
    out = aifbd.cli("run", "logs", run["id"]).stdout
    assert '"SET"' in out and '"GET"' in out, out


def test_run_logs_follow_on_a_running_run_ends_by_itself_when_the_run_ends(test_aifbd):
    run = test_aifbd.cli_json("run", "start", "ticker", "-p", "ticks=3")
    test_aifbd.wait_state(run["id"], "RUN_STATE_RUNNING")
    r = test_aifbd.cli("run", "logs", run["id"], "--follow", timeout=60)
    assert r.stdout == "tick 1\ntick 2\ntick 3\n", r.stdout
    assert test_aifbd.run(run["id"])["state"] in {"RUN_STATE_STOPPING", "RUN_STATE_SUCCEEDED"}


# ---- watch ----------------------------------------------------------------------------------

def test_run_watch_from_0_prints_pending_to_succeeded_and_ends(aifbd):
    run = quick_redis_run(aifbd)
    r = aifbd.cli("run", "watch", run["id"], "--from", "0", timeout=60)
    lines = r.stdout.strip().splitlines()
    assert "-> PENDING" in lines[0] and "-> SUCCEEDED" in lines[-1], r.stdout
    assert all(run["id"] in line for line in lines)


def test_run_watch_of_a_running_run_follows_it_to_its_end(test_aifbd):
    run = test_aifbd.cli_json("run", "start", "ticker", "-p", "ticks=2")
    events = watch_json(test_aifbd, run["id"], "--from", "0")
    states = [e["to_state"] for e in events]
    assert states[0] == "PENDING" and states[-1] == "SUCCEEDED", states
    assert "RUNNING" in states


def test_run_watch_from_n_resumes_after_event_n_and_ends_on_an_ended_run(test_aifbd):
    run = test_aifbd.cli_json("run", "start", "ticker", "-p", "ticks=1", "--wait")
    events = watch_json(test_aifbd, run["id"], "--from", "0")
    seqs = [int(e["seq"]) for e in events]
    assert len(seqs) >= 3 and seqs == sorted(seqs)
    resumed = watch_json(test_aifbd, run["id"], "--from", str(seqs[1]))
    assert resumed == events[2:]
    # Past the run's last event there is nothing to show, and the watch still ends.
    assert watch_json(test_aifbd, run["id"], "--from", str(seqs[-1])) == []


def test_run_watch_of_an_unknown_run_fails_at_once_with_not_found(test_aifbd):
    r = test_aifbd.cli("run", "watch", "r-000000000000", check=False, timeout=30)
    assert r.returncode == 1 and "NOT_FOUND" in r.stderr and one_line(r.stderr), r.stderr


# ---- list and stop --------------------------------------------------------------------------

def test_run_list_filters_by_state_and_recipe(aifbd):
    succeeded = quick_redis_run(aifbd)
    long = aifbd.cli_json("run", "start", "redis", *LONG_REDIS)
    aifbd.wait_state(long["id"], "RUN_STATE_RUNNING")
    stopped = aifbd.cli_json("run", "stop", long["id"], "--wait", timeout=60)
    assert stopped["state"] == "RUN_STATE_CANCELLED", stopped
    listed = aifbd.cli_json("run", "list", "--state", "succeeded", "--recipe", "redis")
    ids = [r["id"] for r in listed["runs"]]
    assert succeeded["id"] in ids and long["id"] not in ids
    assert all(r["state"] == "RUN_STATE_SUCCEEDED" and r["recipe"] == "redis"
               for r in listed["runs"])
    both = aifbd.cli_json("run", "list", "--state", "cancelled,SUCCEEDED")
    assert {succeeded["id"], long["id"]} <= {r["id"] for r in both["runs"]}
    assert aifbd.cli_json("run", "list", "--recipe", "no-such-recipe")["runs"] == []
    table = aifbd.cli("run", "list", "--state", "cancelled").stdout.splitlines()
    assert table[0].split() == ["ID", "RECIPE", "STATE", "CREATED", "AGE", "REASON"]
    assert all(line.split()[2] == "CANCELLED" for line in table[1:]) and len(table) > 1
    assert len(aifbd.cli_json("run", "list", "--limit", "1")["runs"]) == 1


def test_run_stop_on_a_finished_run_is_accepted_and_leaves_it_as_it_was(aifbd):
    run = quick_redis_run(aifbd)
    before = aifbd.run(run["id"])
    r = aifbd.cli("run", "stop", run["id"], "--reason", "too late")
    assert r.stdout.strip() == run["id"] + " SUCCEEDED", r.stdout
    r = aifbd.cli("run", "stop", run["id"], "--wait", timeout=30)
    assert r.stdout.startswith(run["id"] + " SUCCEEDED in "), r.stdout
    assert aifbd.run(run["id"]) == before


# ---- the progress line ----------------------------------------------------------------------

def test_the_progress_line_appears_on_a_terminal_and_is_cleared_at_the_end(test_aifbd):
    rc, screen = in_terminal(test_aifbd, ["run", "start", "ticker", "-p", "ticks=2", "--wait"])
    assert rc == 0, screen
    assert "\r\x1b[K" in screen, repr(screen)
    run_id = screen.rsplit("\x1b[K", 1)[1].split()[0]
    assert run_id.startswith("r-"), repr(screen)
    assert "\x1b[K%s RUNNING 00:0" % run_id in screen and "(ticker)" in screen, repr(screen)
    # The last thing on the line before the result is the erase: no progress left behind.
    assert screen.rsplit("\x1b[K", 1)[1].startswith(run_id + " SUCCEEDED in "), repr(screen)


def test_no_progress_line_when_stderr_is_not_a_terminal(test_aifbd, tmp_path):
    err = tmp_path / "err.txt"
    rc, screen = in_terminal(test_aifbd, ["run", "start", "ticker", "-p", "ticks=1", "--wait"],
                             redirect="2>" + shlex.quote(str(err)))
    assert rc == 0, screen
    assert err.read_text() == ""
    assert "\x1b" not in screen and " SUCCEEDED in " in screen, repr(screen)
    r = test_aifbd.cli("run", "start", "ticker", "-p", "ticks=1", "--wait")
    assert r.stderr == "" and "\x1b" not in r.stdout


def test_run_watch_on_a_terminal_shows_the_progress_line_beside_the_events(test_aifbd):
    run = test_aifbd.cli_json("run", "start", "ticker", "-p", "ticks=2")
    rc, screen = in_terminal(test_aifbd, ["run", "watch", run["id"]])
    assert rc == 0, screen
    assert "-> SUCCEEDED" in screen and "\x1b[K%s " % run["id"] in screen, repr(screen)


# ---- the token ------------------------------------------------------------------------------

def test_aifb_token_is_never_printed(test_aifbd):
    failed = json.loads(test_aifbd.cli("run", "start", "failing", "--wait", "-o", "json",
                                       check=False).stdout)
    calls = [["info"], ["info", "-o", "json"], ["recipes", "list"], ["recipes", "show", "ticker"],
             ["run", "list", "--all"], ["run", "list", "-o", "json"],
             ["run", "show", failed["id"]], ["run", "show", failed["id"], "-o", "json"],
             ["run", "watch", failed["id"]], ["run", "logs", failed["id"], "-o", "json"],
             ["run", "start", "failing", "--wait"], ["run", "start", "nope"],
             ["service", "list", "--all"], ["--help"], ["run", "start", "--bogus"]]
    seen = []
    for words in calls:
        r = test_aifbd.cli(*words, check=False)
        seen.append((words, r.stdout + r.stderr))
    # A wrong token is refused with a hint, and the wrong token is not shown either.
    wrong = "wrong-token-0a1b2c3d4e5f"
    r = test_aifbd.cli("info", check=False, env={"AIFB_TOKEN": wrong})
    assert r.returncode == 1 and "UNAUTHENTICATED" in r.stderr and one_line(r.stderr)
    assert wrong not in r.stdout + r.stderr
    # No token at all: refused, with the hint to set it.
    r = aifb("info", server=test_aifbd.address)
    assert r.returncode == 1 and "set AIFB_TOKEN" in r.stderr, r.stderr
    rc, screen = in_terminal(test_aifbd, ["run", "start", "ticker", "-p", "ticks=1", "--wait"])
    seen.append((["terminal"], screen))
    for words, text in seen:
        assert TOKEN not in text, words
