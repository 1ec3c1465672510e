#!/usr/bin/env python3
"""Checks of deploy/ without a cluster: the real kubectl renders the kustomize bases offline, the
CRD schemas accept HASteward's README examples and refuse broken objects, RBAC holds no wildcard
and no cluster-admin, and the Deployment's args, ports and probe paths are the ones the real
`hasteward serve` accepts and answers on (the binary is started with them).

Environment: HASTEWARD_TEST_BIN (the binary), HS_SOURCE_DIR (the checkout; defaults to ../..).
"""

import copy
import os
import re
import socket
import subprocess
import tempfile
import time
import unittest
import urllib.error
import urllib.request

import jsonschema
import yaml

SOURCE_DIR = os.environ.get(
    "HS_SOURCE_DIR", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
DEPLOY_DIR = os.path.join(SOURCE_DIR, "deploy")
FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")
KUBECTL = os.environ.get("KUBECTL", "kubectl")

# The complete grant set of the base, pinned: a rule added to deploy/ must be added here on
# purpose (and be needed by a test against the real kube-apiserver, which enforces these rules).
# (binding kind, role name, api group, resource, verb, resourceNames)
EXPECTED_GRANTS = {
    ("ClusterRoleBinding", "hasteward-operator", "", "pods", verb, ()) for verb in ("get", "list")
} | {
    # Exec and port-forward over WebSocket are authorized as get and create (KEP-4006), over SPDY
    # as create. SQL sessions and dump tools reach the pods through the API server's port-forward
    # when the account is used from a kubeconfig (docs/platforms.md).
    ("ClusterRoleBinding", "hasteward-operator", "", sub, verb, ())
    for sub in ("pods/exec", "pods/portforward") for verb in ("get", "create")
} | {
    ("ClusterRoleBinding", "hasteward-operator", group, plural, verb, ())
    for group, plural in (("postgresql.cnpg.io", "clusters"), ("k8s.mariadb.com", "mariadbs"))
    for verb in ("get", "list", "watch")
} | {
    ("ClusterRoleBinding", "hasteward-operator", "postgresql.cnpg.io", "clusters", "patch", ()),
    # The CloudNativePG switchover: status.targetPrimary, as `kubectl cnpg promote` writes it.
    ("ClusterRoleBinding", "hasteward-operator", "postgresql.cnpg.io", "clusters/status", "patch",
     ()),
    ("ClusterRoleBinding", "hasteward-operator", "", "events", "create", ()),
} | {
    # The Galera heal through the API (docs/platforms.md): suspend the MariaDB, scale its
    # StatefulSet below the node, reset the node's state in a helper pod, then delete it.
    ("ClusterRoleBinding", "hasteward-operator", "", "pods", "create", ()),
    ("ClusterRoleBinding", "hasteward-operator", "", "pods", "delete", ()),
    ("ClusterRoleBinding", "hasteward-operator", "k8s.mariadb.com", "mariadbs", "patch", ()),
    ("ClusterRoleBinding", "hasteward-operator", "apps", "statefulsets", "get", ()),
    ("ClusterRoleBinding", "hasteward-operator", "apps", "statefulsets", "patch", ()),
} | {
    ("ClusterRoleBinding", "hasteward-operator", "clinic.hasteward.prplanit.com", plural, verb, ())
    for plural in ("backuppolicies", "backuprepositories", "standbyclusters")
    for verb in ("list", "watch")
} | {
    ("ClusterRoleBinding", "hasteward-operator", "clinic.hasteward.prplanit.com", plural + "/status",
     "patch", ())
    for plural in ("backuppolicies", "backuprepositories", "standbyclusters")
} | {
    ("RoleBinding", "hasteward-secret-reader", "", "secrets", "get", ()),
    ("RoleBinding", "hasteward-leader-election", "coordination.k8s.io", "leases", "create", ()),
    ("RoleBinding", "hasteward-leader-election", "coordination.k8s.io", "leases", "get", ("hasteward-leader",)),
    ("RoleBinding", "hasteward-leader-election", "coordination.k8s.io", "leases", "update", ("hasteward-leader",)),
}


def render(path):
    result = subprocess.run([KUBECTL, "kustomize", path], capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise AssertionError(f"kubectl kustomize {path} failed: {result.stderr}")
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def load_fixture(name):
    with open(os.path.join(FIXTURES, name), encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def to_json_schema(openapi):
    """A CRD's structural OpenAPI v3 schema as JSON Schema (draft 4 keywords are the same; the
    x-kubernetes-* extensions and `default`/`format` annotations carry no validation here)."""
    if isinstance(openapi, dict):
        return {key: to_json_schema(value) for key, value in openapi.items()
                if not key.startswith("x-kubernetes-")}
    if isinstance(openapi, list):
        return [to_json_schema(item) for item in openapi]
    return openapi


def undeclared_fields(obj, schema, where=""):
    """Fields the API server would prune silently (not in `properties`): a README field the schema
    forgot would vanish on apply instead of failing, so it is an error here."""
    missing = []
    if isinstance(obj, dict) and schema.get("type") == "object" and "properties" in schema:
        for key, value in obj.items():
            if key not in schema["properties"]:
                missing.append(f"{where}.{key}")
            else:
                missing += undeclared_fields(value, schema["properties"][key], f"{where}.{key}")
    elif isinstance(obj, list) and "items" in schema:
        for index, item in enumerate(obj):
            missing += undeclared_fields(item, schema["items"], f"{where}[{index}]")
    return missing


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_get(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


class RenderTest(unittest.TestCase):
    def test_base_renders_offline_with_every_part(self):
        kinds = sorted({doc["kind"] for doc in render(DEPLOY_DIR)})
        self.assertEqual(kinds, sorted([
            "ClusterRole", "ClusterRoleBinding", "ConfigMap", "CustomResourceDefinition", "Deployment",
            "Namespace", "PrometheusRule", "Role", "RoleBinding", "Service", "ServiceAccount",
            "ServiceMonitor"]))

    def test_job_template_renders_and_uses_the_operator_account(self):
        docs = render(os.path.join(DEPLOY_DIR, "job"))
        jobs = [doc for doc in docs if doc["kind"] == "Job"]
        self.assertEqual(len(jobs), 1)
        spec = jobs[0]["spec"]["template"]["spec"]
        self.assertEqual(spec["serviceAccountName"], "hasteward")
        self.assertEqual(jobs[0]["metadata"]["namespace"], "hasteward")

    def test_every_object_carries_the_common_labels_and_selectors_stay_narrow(self):
        # The labels are written into each resource file (kubectl 1.20's kustomize v2 has no
        # `labels:` transformer); a file added without them is caught here. Selectors must not
        # gain part-of: a selector is immutable on a live Deployment.
        common = {"app.kubernetes.io/name": "hasteward", "app.kubernetes.io/part-of": "hasteward"}
        for doc in render(DEPLOY_DIR) + render(os.path.join(DEPLOY_DIR, "job")):
            labels = doc["metadata"].get("labels", {})
            with self.subTest(kind=doc["kind"], name=doc["metadata"]["name"]):
                self.assertEqual({key: labels.get(key) for key in common}, common)
        deployment = next(doc for doc in render(DEPLOY_DIR) if doc["kind"] == "Deployment")
        self.assertEqual(deployment["spec"]["selector"]["matchLabels"],
                         {"app.kubernetes.io/name": "hasteward", "app.kubernetes.io/component": "operator"})

    def test_the_dashboard_configmap_keeps_its_name_and_sidecar_label(self):
        maps = [doc for doc in render(DEPLOY_DIR) if doc["kind"] == "ConfigMap"]
        self.assertEqual(sorted(doc["metadata"]["name"] for doc in maps),
                         ["hasteward-config", "hasteward-grafana-dashboard"])
        dashboard = next(doc for doc in maps if doc["metadata"]["name"] == "hasteward-grafana-dashboard")
        self.assertEqual(dashboard["metadata"]["labels"].get("grafana_dashboard"), "1")

    def test_dashboard_is_valid_json_in_a_configmap(self):
        import json
        maps = [doc for doc in render(DEPLOY_DIR)
                if doc["kind"] == "ConfigMap" and doc["metadata"]["name"] == "hasteward-grafana-dashboard"]
        self.assertEqual(len(maps), 1)
        dashboard = json.loads(maps[0]["data"]["hasteward-dashboard.json"])
        self.assertTrue(dashboard["panels"])


class CrdSchemaTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.crds = {doc["spec"]["names"]["kind"]: doc for doc in render(DEPLOY_DIR)
                    if doc["kind"] == "CustomResourceDefinition"}

    def schema_of(self, kind):
        version = self.crds[kind]["spec"]["versions"][0]
        return version["schema"]["openAPIV3Schema"]

    def check(self, fixture):
        obj = load_fixture(fixture)
        schema = self.schema_of(obj["kind"])
        jsonschema.validate(obj, to_json_schema(schema))
        self.assertEqual(undeclared_fields(obj, schema), [], f"{fixture}: fields the schema would prune")

    def test_every_crd_is_cluster_scoped_with_a_status_subresource(self):
        self.assertEqual(sorted(self.crds), ["BackupPolicy", "BackupRepository", "StandbyCluster"])
        for kind, crd in self.crds.items():
            self.assertEqual(crd["spec"]["group"], "clinic.hasteward.prplanit.com", kind)
            self.assertEqual(crd["spec"]["scope"], "Cluster", kind)
            versions = crd["spec"]["versions"]
            self.assertEqual([v["name"] for v in versions], ["v1alpha1"], kind)
            self.assertIn("status", versions[0]["subresources"], kind)
            self.assertIn("status", versions[0]["schema"]["openAPIV3Schema"]["properties"], kind)

    def test_readme_examples_validate_and_lose_no_field(self):
        for fixture in ("backup_policy_readme.yaml", "backup_policy_full.yaml",
                        "backup_repository_readme.yaml", "backup_repository_s3.yaml",
                        "standby_cluster_example.yaml"):
            with self.subTest(fixture=fixture):
                self.check(fixture)

    def test_broken_objects_are_rejected(self):
        for fixture in sorted(os.listdir(FIXTURES)):
            if not fixture.startswith("broken_"):
                continue
            with self.subTest(fixture=fixture):
                obj = load_fixture(fixture)
                with self.assertRaises(jsonschema.ValidationError):
                    jsonschema.validate(obj, to_json_schema(self.schema_of(obj["kind"])))

    def test_the_deploy_example_standby_is_the_fixture(self):
        with open(os.path.join(DEPLOY_DIR, "examples", "standby-cluster.yaml"), encoding="utf-8") as f:
            self.assertEqual(yaml.safe_load(f), load_fixture("standby_cluster_example.yaml"))

    def test_a_readme_field_missing_from_the_schema_is_caught(self):
        # The check above would pass vacuously if undeclared_fields found nothing ever.
        schema = copy.deepcopy(self.schema_of("BackupRepository"))
        del schema["properties"]["spec"]["properties"]["restic"]["properties"]["envSecretRef"]
        self.assertEqual(undeclared_fields(load_fixture("backup_repository_readme.yaml"), schema),
                         [".spec.restic.envSecretRef"])


class RbacTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.docs = render(DEPLOY_DIR)

    def roles(self):
        return {(doc["kind"], doc["metadata"]["name"]): doc for doc in self.docs
                if doc["kind"] in ("Role", "ClusterRole")}

    def test_no_wildcard_anywhere(self):
        for (kind, name), role in self.roles().items():
            for rule in role.get("rules", []):
                for field in ("apiGroups", "resources", "verbs", "resourceNames", "nonResourceURLs"):
                    self.assertNotIn("*", rule.get(field, []), f"{kind} {name}: {field} grants *")
                    for value in rule.get(field, []):
                        self.assertNotIn("*", value, f"{kind} {name}: {field} {value}")
                self.assertNotIn("nonResourceURLs", rule, f"{kind} {name}")

    def test_no_builtin_admin_role_is_bound(self):
        for doc in self.docs:
            if doc["kind"] in ("RoleBinding", "ClusterRoleBinding"):
                self.assertNotIn(doc["roleRef"]["name"], ("cluster-admin", "admin", "edit"),
                                 f"{doc['kind']} {doc['metadata']['name']}")
                self.assertIn((doc["roleRef"]["kind"], doc["roleRef"]["name"]), self.roles())
                for subject in doc["subjects"]:
                    self.assertEqual((subject["kind"], subject["name"], subject["namespace"]),
                                     ("ServiceAccount", "hasteward", "hasteward"))

    def test_secrets_are_get_only_and_never_granted_cluster_wide(self):
        roles = self.roles()
        for doc in self.docs:
            if doc["kind"] not in ("RoleBinding", "ClusterRoleBinding"):
                continue
            role = roles[(doc["roleRef"]["kind"], doc["roleRef"]["name"])]
            for rule in role["rules"]:
                if "secrets" in rule["resources"]:
                    self.assertEqual(doc["kind"], "RoleBinding", "secrets must be bound per namespace")
                    self.assertEqual(rule["verbs"], ["get"])

    def test_grants_are_exactly_the_pinned_set(self):
        roles = self.roles()
        grants = set()
        for doc in self.docs:
            if doc["kind"] not in ("RoleBinding", "ClusterRoleBinding"):
                continue
            role = roles[(doc["roleRef"]["kind"], doc["roleRef"]["name"])]
            for rule in role["rules"]:
                for group in rule["apiGroups"]:
                    for resource in rule["resources"]:
                        for verb in rule["verbs"]:
                            grants.add((doc["kind"], role["metadata"]["name"], group, resource, verb,
                                        tuple(rule.get("resourceNames", []))))
        self.assertEqual(sorted(grants - EXPECTED_GRANTS), [], "grants not pinned")
        self.assertEqual(sorted(EXPECTED_GRANTS - grants), [], "pinned grants missing")

    def test_the_secret_reader_example_binds_the_same_role(self):
        with open(os.path.join(DEPLOY_DIR, "examples", "secret-reader-rolebinding.yaml"), encoding="utf-8") as f:
            example = yaml.safe_load(f)
        self.assertEqual(example["roleRef"], {"apiGroup": "rbac.authorization.k8s.io",
                                              "kind": "ClusterRole", "name": "hasteward-secret-reader"})


class OperatorDeploymentTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.docs = render(DEPLOY_DIR)
        cls.binary = os.environ["HASTEWARD_TEST_BIN"]
        deployments = [doc for doc in cls.docs if doc["kind"] == "Deployment"]
        assert len(deployments) == 1
        cls.deployment = deployments[0]
        cls.container = cls.deployment["spec"]["template"]["spec"]["containers"][0]

    def flag_values(self):
        args = self.container["args"]
        self.assertEqual(args[0], "serve")
        values = {}
        for arg in args[1:]:
            match = re.fullmatch(r"(--[a-z-]+)=(.*)", arg)
            self.assertIsNotNone(match, f"write flags as --name=value: {arg}")
            values[match.group(1)] = match.group(2)
        return values

    def port_named(self, name):
        return next(p["containerPort"] for p in self.container["ports"] if p["name"] == name)

    def test_two_replicas_with_the_operator_account(self):
        spec = self.deployment["spec"]
        self.assertEqual(spec["replicas"], 2)
        self.assertEqual(spec["template"]["spec"]["serviceAccountName"], "hasteward")

    def test_every_arg_is_a_flag_of_serve(self):
        help_text = subprocess.run([self.binary, "serve", "--help"], capture_output=True, text=True,
                                   timeout=30).stdout
        for flag in self.flag_values():
            self.assertRegex(help_text, rf"(^|\s){re.escape(flag)}\b", f"serve --help lacks {flag}")

    def test_ports_match_the_listen_flags_and_probes_hit_the_health_port(self):
        flags = self.flag_values()
        self.assertEqual(int(flags["--metrics-addr"].rsplit(":", 1)[1]), self.port_named("metrics"))
        self.assertEqual(int(flags["--health-addr"].rsplit(":", 1)[1]), self.port_named("health"))
        self.assertEqual(self.container["livenessProbe"]["httpGet"]["port"], "health")
        self.assertEqual(self.container["readinessProbe"]["httpGet"]["port"], "health")
        service = next(doc for doc in self.docs if doc["kind"] == "Service")
        self.assertEqual(service["spec"]["ports"][0]["targetPort"], "metrics")
        monitor = next(doc for doc in self.docs if doc["kind"] == "ServiceMonitor")
        self.assertEqual(monitor["spec"]["endpoints"][0]["port"], "metrics")

    def config(self):
        config_map = next(doc for doc in self.docs
                          if doc["kind"] == "ConfigMap" and doc["metadata"]["name"] == "hasteward-config")
        return yaml.safe_load(config_map["data"]["config.yaml"])

    def test_the_config_runs_on_kubernetes_and_discovers_clusters_by_annotations(self):
        config = self.config()
        self.assertEqual(config["platform"], "kubernetes")
        self.assertIs(config["discovery"]["annotations"], True)

    def test_the_real_serve_answers_the_probes_and_exports_every_alerted_metric(self):
        """Starts the binary with the Deployment's args and the ConfigMap's config (listen hosts
        moved to loopback on free ports, the state file into a temp dir) and asks it the probe
        and scrape paths the manifests name."""
        flags = self.flag_values()
        config_map = next(doc for doc in self.docs
                          if doc["kind"] == "ConfigMap" and doc["metadata"]["name"] == "hasteward-config")
        config = yaml.safe_load(config_map["data"]["config.yaml"])
        mount = next(m for m in self.container["volumeMounts"] if m["name"] == "config")
        self.assertEqual(flags["--config"], mount["mountPath"] + "/config.yaml")
        with tempfile.TemporaryDirectory(prefix="hs-deploy-") as tmp:
            config["stateFile"] = os.path.join(tmp, os.path.basename(config["stateFile"]))
            # No API server here: the probes and metrics do not depend on the platform (serve on
            # the kubernetes platform is run against a real kube-apiserver in tests/integration/serve_*).
            config.pop("platform")
            config.pop("discovery")
            config_path = os.path.join(tmp, "config.yaml")
            with open(config_path, "w", encoding="utf-8") as handle:
                yaml.safe_dump(config, handle)
            metrics_port, health_port = free_port(), free_port()
            flags.update({"--config": config_path, "--metrics-addr": f"127.0.0.1:{metrics_port}",
                          "--health-addr": f"127.0.0.1:{health_port}"})
            env = dict(os.environ, HASTEWARD_STATE_DIR=tmp)
            process = subprocess.Popen([self.binary, "serve"] + [f"{k}={v}" for k, v in flags.items()],
                                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
            try:
                ready = (0, "")
                deadline = time.monotonic() + 30
                while time.monotonic() < deadline and ready[0] != 200:
                    time.sleep(0.2)
                    if process.poll() is not None:
                        self.fail("serve exited: " + process.stdout.read().decode())
                    try:
                        ready = http_get(f"http://127.0.0.1:{health_port}"
                                         + self.container["readinessProbe"]["httpGet"]["path"])
                    except OSError:
                        continue
                self.assertEqual(ready[0], 200)
                live = http_get(f"http://127.0.0.1:{health_port}" + self.container["livenessProbe"]["httpGet"]["path"])
                self.assertEqual(live[0], 200)
                monitor = next(doc for doc in self.docs if doc["kind"] == "ServiceMonitor")
                code, metrics = http_get(f"http://127.0.0.1:{metrics_port}" + monitor["spec"]["endpoints"][0]["path"])
                self.assertEqual(code, 200)
            finally:
                process.terminate()
                process.wait(timeout=90)  # serve stops after its shutdown grace
        # Declared families only (no cluster is managed here); that each has samples once serve
        # manages a cluster is MonitoringMetricsTest (monitoring_metrics_test.cpp).
        exported = set(re.findall(r"^# TYPE (hasteward_\w+) ", metrics, re.MULTILINE))
        self.assertIn("hasteward_backup_success", exported)
        rule = next(doc for doc in self.docs if doc["kind"] == "PrometheusRule")
        used = set()
        for group in rule["spec"]["groups"]:
            for alert in group["rules"]:
                used |= set(re.findall(r"hasteward_\w+", alert["expr"]))
        dashboard = next(doc for doc in self.docs
                         if doc["kind"] == "ConfigMap" and doc["metadata"]["name"] == "hasteward-grafana-dashboard")
        used_by_dashboard = set(re.findall(r"hasteward_\w+", dashboard["data"]["hasteward-dashboard.json"]))
        self.assertEqual(sorted(used - exported), [], "alerts on metrics serve does not export")
        self.assertEqual(sorted(used_by_dashboard - exported), [], "dashboard panels on unknown metrics")
        # The alerts the issue asks for: backup age, verification failures, triage verdicts.
        for needed in ("hasteward_last_backup_timestamp_seconds", "hasteward_verification_success",
                       "hasteward_triage_state"):
            self.assertIn(needed, used)

    def test_job_flags_are_flags_of_the_command(self):
        job = next(doc for doc in render(os.path.join(DEPLOY_DIR, "job")) if doc["kind"] == "Job")
        args = job["spec"]["template"]["spec"]["containers"][0]["args"]
        # Global flags (-e/-c/-n) are listed by `hasteward --help`, the command's own by `<cmd> --help`.
        help_text = "".join(subprocess.run([self.binary] + command + ["--help"], capture_output=True, text=True,
                                           timeout=30).stdout for command in ([], [args[0]]))
        for arg in args[1:]:
            flag = arg.split("=", 1)[0]
            self.assertRegex(help_text, rf"(^|\s|,){re.escape(flag)}\b", f"{args[0]} --help lacks {flag}")


if __name__ == "__main__":
    unittest.main(verbosity=2)
