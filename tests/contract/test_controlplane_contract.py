"""Contract tests of aifbd's gRPC API with an independent implementation: Debian's python3-grpcio,
with stubs generated from proto/ at test time. What any script or the Grafana shim can rely on."""

import time

import grpc
import pytest

from aifbtest import Daemon, free_port
from grpcstubs import health_pb, pb, pb_grpc, refl_pb

QUICK = {"requests": "2000", "clients": "4"}


@pytest.fixture(scope="module")
def channel(aifbd):
    with grpc.insecure_channel(aifbd.address) as ch:
        yield ch


@pytest.fixture(scope="module")
def cp(channel):
    return pb_grpc.ControlPlaneStub(channel)


def wait_final(cp, run_id, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = cp.GetRun(pb.GetRunRequest(id=run_id), timeout=10)
        if run.state in (pb.RUN_STATE_SUCCEEDED, pb.RUN_STATE_FAILED, pb.RUN_STATE_CANCELLED):
            return run
        time.sleep(0.2)
    raise AssertionError("run %s not final after %ss" % (run_id, timeout))


def test_get_info_names_the_version_and_the_local_executor(cp):
    info = cp.GetInfo(pb.GetInfoRequest(), timeout=10)
    assert info.version and info.executor == "local" and info.recipe_count >= 2


def test_list_recipes_has_redis_and_postgres_with_schemas(cp):
    names = [r.name for r in cp.ListRecipes(pb.ListRecipesRequest(), timeout=10).recipes]
    assert "redis" in names and "postgres-pgbench" in names
    redis = cp.GetRecipe(pb.GetRecipeRequest(name="redis"), timeout=10)
    params = {p.name: p for p in redis.params}
    assert {"requests", "clients", "pipeline", "tests"} <= set(params)
    assert params["clients"].type == pb.PARAM_TYPE_INT and params["clients"].has_min


def test_start_run_watch_get_run_and_the_run_succeeds(cp):
    run = cp.StartRun(pb.StartRunRequest(recipe="redis", params=QUICK), timeout=30)
    assert run.id.startswith("r-") and run.state in (pb.RUN_STATE_PENDING, pb.RUN_STATE_SUBMITTED)
    seen = []
    stream = cp.Watch(pb.WatchRequest(subject_id=run.id, replay=True), timeout=120)
    for ev in stream:
        assert ev.subject_id == run.id
        seen.append(ev.to_state)
        if ev.to_state in ("SUCCEEDED", "FAILED", "CANCELLED"):
            stream.cancel()
            break
    assert seen[0] == "PENDING" and seen[-1] == "SUCCEEDED", seen
    final = cp.GetRun(pb.GetRunRequest(id=run.id), timeout=10)
    assert final.state == pb.RUN_STATE_SUCCEEDED
    assert any(m.name == "get_rps" and m.value > 0 for m in final.summary)


def test_watch_resumes_after_a_sequence_number_without_gaps(cp):
    run = cp.StartRun(pb.StartRunRequest(recipe="redis", params=QUICK), timeout=30)
    wait_final(cp, run.id)
    # Take the whole history, then resume from the middle: the tail is the same events.
    events = []
    stream = cp.Watch(pb.WatchRequest(subject_id=run.id, replay=True), timeout=30)
    for ev in stream:
        events.append(ev)
        if ev.to_state == "SUCCEEDED":
            stream.cancel()
            break
    assert len(events) >= 4
    mid = events[1].seq
    tail = []
    stream = cp.Watch(pb.WatchRequest(subject_id=run.id, after_seq=mid), timeout=30)
    for ev in stream:
        tail.append(ev)
        if ev.to_state == "SUCCEEDED":
            stream.cancel()
            break
    assert [e.seq for e in tail] == [e.seq for e in events[2:]]


def test_stop_run_ends_cancelled(cp):
    run = cp.StartRun(pb.StartRunRequest(recipe="redis", params={"requests": "100000000"}),
                      timeout=30)
    deadline = time.monotonic() + 60
    while cp.GetRun(pb.GetRunRequest(id=run.id)).state != pb.RUN_STATE_RUNNING:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    stopped = cp.StopRun(pb.StopRunRequest(id=run.id, reason="contract test"), timeout=10)
    assert stopped.state in (pb.RUN_STATE_STOPPING, pb.RUN_STATE_CANCELLED)
    final = wait_final(cp, run.id, timeout=30)
    assert final.state == pb.RUN_STATE_CANCELLED and final.reason == "contract test"


def test_list_runs_filters_by_state_and_recipe_and_pages(cp):
    for _ in range(3):
        wait_final(cp, cp.StartRun(pb.StartRunRequest(recipe="redis", params=QUICK)).id)
    seen, token = [], ""
    while True:
        page = cp.ListRuns(pb.ListRunsRequest(states=[pb.RUN_STATE_SUCCEEDED], recipe="redis",
                                              page_size=2, page_token=token), timeout=10)
        assert len(page.runs) <= 2
        seen += [r.id for r in page.runs]
        assert all(r.state == pb.RUN_STATE_SUCCEEDED and r.recipe == "redis" for r in page.runs)
        token = page.next_page_token
        if not token:
            break
    assert len(seen) >= 3 and len(seen) == len(set(seen))
    created = [cp.GetRun(pb.GetRunRequest(id=i)).created_at_ms for i in seen]
    assert created == sorted(created, reverse=True)


def test_undecodable_bytes_give_invalid_argument(channel):
    call = channel.unary_unary("/aifb.v1.ControlPlane/GetRun",
                               request_serializer=lambda b: b, response_deserializer=lambda b: b)
    with pytest.raises(grpc.RpcError) as e:
        call(b"\x0a\xff\xff\xff\xff\x0f", timeout=10)
    assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_an_unknown_method_gives_unimplemented(channel):
    call = channel.unary_unary("/aifb.v1.ControlPlane/NoSuchMethod",
                               request_serializer=lambda b: b, response_deserializer=lambda b: b)
    with pytest.raises(grpc.RpcError) as e:
        call(b"", timeout=10)
    assert e.value.code() == grpc.StatusCode.UNIMPLEMENTED


def test_an_unknown_parameter_gives_invalid_argument_naming_it(cp):
    with pytest.raises(grpc.RpcError) as e:
        cp.StartRun(pb.StartRunRequest(recipe="redis", params={"clinets": "3"}), timeout=10)
    assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "clinets" in e.value.details()


def test_a_value_out_of_range_gives_invalid_argument_naming_the_parameter(cp):
    with pytest.raises(grpc.RpcError) as e:
        cp.StartRun(pb.StartRunRequest(recipe="redis", params={"clients": "0"}), timeout=10)
    assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "clients" in e.value.details()


def test_an_unknown_recipe_gives_not_found(cp):
    with pytest.raises(grpc.RpcError) as e:
        cp.StartRun(pb.StartRunRequest(recipe="no-such-recipe"), timeout=10)
    assert e.value.code() == grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.RpcError) as e:
        cp.GetRun(pb.GetRunRequest(id="r-000000000000"), timeout=10)
    assert e.value.code() == grpc.StatusCode.NOT_FOUND


def test_health_check_says_serving(channel):
    check = channel.unary_unary("/grpc.health.v1.Health/Check",
                                request_serializer=health_pb.HealthCheckRequest.SerializeToString,
                                response_deserializer=health_pb.HealthCheckResponse.FromString)
    assert check(health_pb.HealthCheckRequest(), timeout=10).status == 1
    assert check(health_pb.HealthCheckRequest(service="aifb.v1.ControlPlane"),
                 timeout=10).status == 1


def test_reflection_lists_the_control_plane_and_serves_its_file(channel):
    info = channel.stream_stream(
        "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
        request_serializer=refl_pb.ServerReflectionRequest.SerializeToString,
        response_deserializer=refl_pb.ServerReflectionResponse.FromString)
    reqs = [refl_pb.ServerReflectionRequest(list_services=""),
            refl_pb.ServerReflectionRequest(file_containing_symbol="aifb.v1.ControlPlane")]
    replies = list(info(iter(reqs), timeout=10))
    services = [s.name for s in replies[0].list_services_response.service]
    assert "aifb.v1.ControlPlane" in services and "grpc.health.v1.Health" in services
    from google.protobuf import descriptor_pb2
    files = [descriptor_pb2.FileDescriptorProto.FromString(b)
             for b in replies[1].file_descriptor_response.file_descriptor_proto]
    assert files[0].name == "aifb/v1/controlplane.proto"
    assert "StartRun" in [m.name for m in files[0].service[0].method]


def test_a_non_loopback_listener_requires_the_bearer_token():
    token = "contract-test-token-0123456789"
    d = Daemon(listen="0.0.0.0:%d" % free_port(), env={"AIFB_TOKEN": token})
    try:
        # The CLI reads the same variable, so the daemon's readiness check passes with it.
        d.start()
        with grpc.insecure_channel(d.address) as ch:
            stub = pb_grpc.ControlPlaneStub(ch)
            for md in [None, [("authorization", "Bearer wrong-token-000000000000")],
                       [("authorization", token)]]:
                with pytest.raises(grpc.RpcError) as e:
                    stub.GetInfo(pb.GetInfoRequest(), timeout=10, metadata=md)
                assert e.value.code() == grpc.StatusCode.UNAUTHENTICATED
            info = stub.GetInfo(pb.GetInfoRequest(), timeout=10,
                                metadata=[("authorization", "Bearer " + token)])
            assert info.version
    finally:
        d.cleanup()


def test_a_non_loopback_listener_without_a_token_refuses_to_start():
    d = Daemon(listen="0.0.0.0:%d" % free_port())
    with pytest.raises(RuntimeError) as e:
        d.start(timeout=10)
    assert "token" in str(e.value)
    d.cleanup()
