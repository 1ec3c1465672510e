#!/usr/bin/python3
"""Drives FakeKubeApi with the real python3-kubernetes client (Debian's package).

Usage: fidelity_client.py KUBECONFIG SCENARIO [ARGS]; exits 0 when every check of the scenario
holds and prints what failed otherwise. Scenarios: crud, custom, watch, watch-expired,
bookmarks, exec POD, portforward POD, portforward-refused POD PORT. Used by fake_kube_api_fidelity_test.cpp.
"""
import sys
import threading
import time

from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException
from kubernetes.stream import portforward, stream
import socket

NS = "default"


def expect(condition, what):
    if not condition:
        print("FIDELITY CHECK FAILED: " + what)
        sys.exit(1)


def expect_status(call, status, what):
    try:
        call()
    except ApiException as error:
        expect(error.status == status, "%s: got %s, want %s" % (what, error.status, status))
        return
    expect(False, what + ": no error, want %s" % status)


def crud():
    v1 = client.CoreV1Api()
    coord = client.CoordinationV1Api()
    secret = client.V1Secret(metadata=client.V1ObjectMeta(name="db-app", labels={"app": "pg"}),
                             string_data=None, data={"password": "c2VjcmV0"})
    created = v1.create_namespaced_secret(NS, secret)
    expect(created.metadata.resource_version, "create returns a resourceVersion")
    expect_status(lambda: v1.create_namespaced_secret(NS, secret), 409, "create twice")
    stale = v1.read_namespaced_secret("db-app", NS)
    stale_version = stale.metadata.resource_version
    v1.patch_namespaced_secret("db-app", NS, {"metadata": {"labels": {"tier": "db"}}})
    got = v1.read_namespaced_secret("db-app", NS)
    expect(got.metadata.labels == {"app": "pg", "tier": "db"}, "patch merges labels")
    expect(int(got.metadata.resource_version) > int(stale_version), "patch bumps resourceVersion")
    stale.data = {"password": "b3RoZXI="}
    expect_status(lambda: v1.replace_namespaced_secret("db-app", NS, stale), 409,
                  "replace with a stale resourceVersion")
    got.data = {"password": "b3RoZXI="}
    replaced = v1.replace_namespaced_secret("db-app", NS, got)
    expect(replaced.data == {"password": "b3RoZXI="}, "replace with the current version")
    listed = v1.list_namespaced_secret(NS, label_selector="app=pg,tier in (db,cache)")
    expect([s.metadata.name for s in listed.items] == ["db-app"], "label selector matches")
    expect(not v1.list_namespaced_secret(NS, label_selector="app!=pg").items,
           "label selector excludes")
    v1.delete_namespaced_secret("db-app", NS)
    expect_status(lambda: v1.read_namespaced_secret("db-app", NS), 404, "read after delete")

    pod = client.V1Pod(metadata=client.V1ObjectMeta(name="web-0", labels={"role": "primary"}),
                       spec=client.V1PodSpec(containers=[client.V1Container(name="db",
                                                                            image="x")]))
    v1.create_namespaced_pod(NS, pod)
    pods = v1.list_namespaced_pod(NS, label_selector="role=primary")
    expect([p.metadata.name for p in pods.items] == ["web-0"], "list pods by label")
    v1.delete_namespaced_pod("web-0", NS)

    lease = client.V1Lease(metadata=client.V1ObjectMeta(name="hasteward-leader"),
                           spec=client.V1LeaseSpec(holder_identity="a",
                                                   lease_duration_seconds=15))
    held = coord.create_namespaced_lease(NS, lease)
    held.spec.holder_identity = "b"
    coord.replace_namespaced_lease("hasteward-leader", NS, held)
    held.spec.holder_identity = "c"
    expect_status(lambda: coord.replace_namespaced_lease("hasteward-leader", NS, held), 409,
                  "two holders racing on one lease: the second write conflicts")
    expect(coord.read_namespaced_lease("hasteward-leader", NS).spec.holder_identity == "b",
           "the lease keeps the first writer")


def custom():
    api = client.CustomObjectsApi()
    body = {"apiVersion": "postgresql.cnpg.io/v1", "kind": "Cluster",
            "metadata": {"name": "pg", "annotations": {"a": "1"}},
            "spec": {"instances": 3}}
    api.create_namespaced_custom_object("postgresql.cnpg.io", "v1", NS, "clusters", body)
    api.patch_namespaced_custom_object(
        "postgresql.cnpg.io", "v1", NS, "clusters", "pg",
        {"metadata": {"annotations": {"clinic.hasteward.prplanit.com/policy": "daily"}}})
    got = api.get_namespaced_custom_object("postgresql.cnpg.io", "v1", NS, "clusters", "pg")
    expect(got["metadata"]["annotations"] == {"a": "1",
                                              "clinic.hasteward.prplanit.com/policy": "daily"},
           "merge patch of a custom object")
    api.patch_namespaced_custom_object_status(
        "postgresql.cnpg.io", "v1", NS, "clusters", "pg", {"status": {"phase": "healthy"}})
    got = api.get_namespaced_custom_object("postgresql.cnpg.io", "v1", NS, "clusters", "pg")
    expect(got["status"] == {"phase": "healthy"}, "status subresource patch")
    got["spec"]["instances"] = 5
    got["status"] = {"phase": "ignored"}
    api.replace_namespaced_custom_object("postgresql.cnpg.io", "v1", NS, "clusters", "pg", got)
    got = api.get_namespaced_custom_object("postgresql.cnpg.io", "v1", NS, "clusters", "pg")
    expect(got["spec"]["instances"] == 5 and got["status"] == {"phase": "healthy"},
           "the main endpoint ignores status")
    expect(got["metadata"]["generation"] == 2, "a spec change bumps generation")
    maria = {"apiVersion": "k8s.mariadb.com/v1alpha1", "kind": "MariaDB",
             "metadata": {"name": "maria"}, "spec": {"replicas": 3}}
    api.create_namespaced_custom_object("k8s.mariadb.com", "v1alpha1", NS, "mariadbs", maria)
    items = api.list_namespaced_custom_object("k8s.mariadb.com", "v1alpha1", NS,
                                              "mariadbs")["items"]
    expect([i["metadata"]["name"] for i in items] == ["maria"], "list MariaDB resources")
    api.delete_namespaced_custom_object("k8s.mariadb.com", "v1alpha1", NS, "mariadbs", "maria")
    expect_status(lambda: api.get_namespaced_custom_object("k8s.mariadb.com", "v1alpha1", NS,
                                                           "mariadbs", "maria"),
                  404, "custom object read after delete")


def make_secret(v1, name):
    v1.create_namespaced_secret(
        NS, client.V1Secret(metadata=client.V1ObjectMeta(name=name, labels={"w": "1"})))


def watch_events():
    v1 = client.CoreV1Api()
    start = v1.list_namespaced_secret(NS).metadata.resource_version
    timer = threading.Timer(0.5, lambda: make_secret(v1, "w-1"))
    timer.start()
    seen = []
    for event in watch.Watch().stream(v1.list_namespaced_secret, NS, resource_version=start,
                                      label_selector="w=1", timeout_seconds=3):
        seen.append((event["type"], event["object"].metadata.name))
        if seen:
            break
    timer.join()
    expect(seen == [("ADDED", "w-1")], "watch from a list's resourceVersion sees the create: %s"
           % seen)


def watch_expired(old_version):
    """Resumes from a compacted resourceVersion: 410, then relist and watch again."""
    v1 = client.CoreV1Api()
    try:
        for _ in watch.Watch().stream(v1.list_namespaced_secret, NS,
                                      resource_version=old_version, timeout_seconds=2):
            pass
        expect(False, "a watch from a compacted resourceVersion must end with 410 Expired")
    except ApiException as error:
        expect(error.status == 410, "watch from a compacted version: status %s" % error.status)
    relisted = v1.list_namespaced_secret(NS)
    names = sorted(s.metadata.name for s in relisted.items)
    expect("after-compaction" in names, "relist after 410 sees the current state: %s" % names)


def bookmarks():
    v1 = client.CoreV1Api()
    start = v1.list_namespaced_secret(NS).metadata.resource_version
    kinds = []
    for event in watch.Watch().stream(v1.list_namespaced_secret, NS, resource_version=start,
                                      allow_watch_bookmarks=True, timeout_seconds=3):
        kinds.append(event["type"])
        if event["type"] == "BOOKMARK":
            expect(int(event["raw_object"]["metadata"]["resourceVersion"]) >= int(start),
                   "a bookmark carries the current resourceVersion")
            break
    expect("BOOKMARK" in kinds, "allowWatchBookmarks yields BOOKMARK events: %s" % kinds)


def exec_pod(pod):
    v1 = client.CoreV1Api()
    out = stream(v1.connect_get_namespaced_pod_exec, pod, NS,
                 command=["sh", "-c", "echo out; echo err >&2"], stderr=True, stdin=False,
                 stdout=True, tty=False)
    expect(out.replace("\n", "") in ("outerr", "errout"), "exec output: %r" % out)
    resp = stream(v1.connect_get_namespaced_pod_exec, pod, NS,
                  command=["sh", "-c", "read line; echo got:$line; exit 3"], stderr=True,
                  stdin=True, stdout=True, tty=False, _preload_content=False)
    resp.write_stdin("hello\n")
    resp.run_forever(timeout=10)
    expect(resp.read_stdout().strip() == "got:hello", "stdin reaches the command")
    expect(resp.returncode == 3, "exit code from the status channel: %s" % resp.returncode)
    resp = stream(v1.connect_get_namespaced_pod_exec, pod, NS, command=["true"], stderr=True,
                  stdin=False, stdout=True, tty=False, _preload_content=False)
    resp.run_forever(timeout=10)
    expect(resp.returncode == 0, "exit code 0 is Success")


def echo_listener():
    """A server "in the pod" on loopback: echoes one connection's bytes until it closes."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)

    def serve():
        conn, _ = listener.accept()
        with conn:
            while True:
                data = conn.recv(65536)
                if not data:
                    return
                conn.sendall(data)

    threading.Thread(target=serve, daemon=True).start()
    return listener.getsockname()[1]


def portforward_echo(pod):
    port = echo_listener()
    v1 = client.CoreV1Api()
    pf = portforward(v1.connect_get_namespaced_pod_portforward, pod, NS, ports=str(port))
    sock = pf.socket(port)
    sock.settimeout(10)
    payload = bytes((index * 7) % 251 for index in range(300000))
    sock.sendall(payload)
    back = b""
    while len(back) < len(payload):
        data = sock.recv(65536)
        if not data:
            break
        back += data
    expect(back == payload, "echoed %d of %d bytes intact" % (len(back), len(payload)))
    expect(pf.error(port) is None, "no error on the error channel: %r" % pf.error(port))
    sock.close()


def portforward_refused(pod, port):
    v1 = client.CoreV1Api()
    pf = portforward(v1.connect_get_namespaced_pod_portforward, pod, NS, ports=port)
    sock = pf.socket(int(port))
    sock.settimeout(10)
    expect(sock.recv(1024) == b"", "a refused dial ends the connection")
    error = pf.error(int(port)) or ""
    expect("error forwarding port " + port in error, "the error channel says why: %r" % error)


def main():
    config.load_kube_config(config_file=sys.argv[1])
    scenario = sys.argv[2]
    if scenario == "crud":
        crud()
    elif scenario == "custom":
        custom()
    elif scenario == "watch":
        watch_events()
    elif scenario == "watch-expired":
        watch_expired(sys.argv[3])
    elif scenario == "bookmarks":
        bookmarks()
    elif scenario == "exec":
        exec_pod(sys.argv[3])
    elif scenario == "portforward":
        portforward_echo(sys.argv[3])
    elif scenario == "portforward-refused":
        portforward_refused(sys.argv[3], sys.argv[4])
    else:
        expect(False, "unknown scenario " + scenario)
    print("ok " + scenario)


if __name__ == "__main__":
    main()
