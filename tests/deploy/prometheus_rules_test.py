#!/usr/bin/env python3
"""deploy/monitoring checked by Prometheus' own tool (Debian 12's `prometheus` package ships
promtool 2.42; tools/setup.sh installs it): the PrometheusRule's groups pass `promtool check rules`,
every dashboard query parses as PromQL, and `promtool test rules` runs the series fixtures of
tests/deploy/fixtures/prometheus, in which every alert has a case where it fires (with its labels
and annotations) and a case where it does not. A case that cannot fail proves nothing, so each one
is also run alone against a rule broken on purpose (never firing, always firing) and must fail.

That every metric these rules and the dashboard name is exported by a running `serve` is
tests/deploy/monitoring_metrics_test.cpp (it needs a database to back up).

Environment: PROMTOOL (default promtool), HS_SOURCE_DIR (the checkout; defaults to ../..).
"""

import copy
import json
import os
import shutil
import subprocess
import tempfile
import unittest

import yaml

SOURCE_DIR = os.environ.get(
    "HS_SOURCE_DIR", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
MONITORING_DIR = os.path.join(SOURCE_DIR, "deploy", "monitoring")
FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "prometheus")
PROMTOOL = os.environ.get("PROMTOOL", "promtool")
RULES_FILE = "hasteward-rules.yaml"  # the name the fixtures' rule_files give


def rule_spec():
    """The PrometheusRule's spec: exactly a Prometheus rule file (groups)."""
    with open(os.path.join(MONITORING_DIR, "prometheusrule.yaml"), encoding="utf-8") as handle:
        rule = yaml.safe_load(handle)
    assert rule["kind"] == "PrometheusRule", rule["kind"]
    return rule["spec"]


def alerts(spec):
    return {rule["alert"]: rule for group in spec["groups"] for rule in group["rules"] if "alert" in rule}


def dashboard_queries():
    """Every PromQL expression of the dashboard's panels, with the template variable substituted
    as Grafana would for "All"."""
    with open(os.path.join(MONITORING_DIR, "hasteward-dashboard.json"), encoding="utf-8") as handle:
        dashboard = json.load(handle)
    queries = [(panel["title"], target["expr"]) for panel in dashboard["panels"]
               for target in panel.get("targets", [])]
    return [(title, expr.replace("$namespace", ".*")) for title, expr in queries]


def fixture_files():
    return sorted(name for name in os.listdir(FIXTURES) if name.endswith(".test.yaml"))


def load_fixture(name):
    with open(os.path.join(FIXTURES, name), encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def promtool(*args, cwd=None):
    result = subprocess.run([PROMTOOL, *args], capture_output=True, text=True, timeout=300, cwd=cwd)
    return result.returncode, result.stdout + result.stderr


def cases(fixture):
    """(test group, one alert_rule_test entry) for every alert check of a fixture file."""
    for group in fixture["tests"]:
        for check in group.get("alert_rule_test", []):
            yield group, check


class PromtoolRulesTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="hs-promtool-")
        self.addCleanup(shutil.rmtree, self.tmp)

    def write_rules(self, spec, directory=None):
        path = os.path.join(directory or self.tmp, RULES_FILE)
        with open(path, "w", encoding="utf-8") as handle:
            yaml.safe_dump(spec, handle, sort_keys=False)
        return path

    def test_promtool_is_the_one_of_debian_12(self):
        code, out = promtool("--version")
        self.assertEqual(code, 0, out)
        self.assertRegex(out, r"promtool, version 2\.\d+")

    def test_check_rules_accepts_every_rule(self):
        spec = rule_spec()
        code, out = promtool("check", "rules", self.write_rules(spec))
        self.assertEqual(code, 0, out)
        count = sum(len(group["rules"]) for group in spec["groups"])
        self.assertIn(f"SUCCESS: {count} rules found", out)

    def test_check_rules_refuses_a_broken_expression(self):
        # The check above would pass vacuously if promtool never read the expressions.
        spec = rule_spec()
        spec["groups"][0]["rules"][0]["expr"] += ")"
        code, out = promtool("check", "rules", self.write_rules(spec))
        self.assertNotEqual(code, 0, out)
        self.assertIn("parse error", out)

    def test_every_dashboard_query_parses(self):
        # Each panel query becomes a recording rule, which `check rules` parses like an alert's.
        queries = dashboard_queries()
        self.assertTrue(queries)
        spec = {"groups": [{"name": "dashboard", "rules": [
            {"record": f"hasteward_dashboard:panel_{index}", "expr": expr}
            for index, (_, expr) in enumerate(queries)]}]}
        code, out = promtool("check", "rules", self.write_rules(spec))
        self.assertEqual(code, 0, "\n".join(f"{title}: {expr}" for title, expr in queries) + "\n" + out)

    def test_every_alert_has_a_firing_and_a_quiet_case(self):
        names = set(alerts(rule_spec()))
        firing, quiet = set(), set()
        for name in fixture_files():
            fixture = load_fixture(name)
            self.assertEqual(fixture["rule_files"], [RULES_FILE], name)
            for _, check in cases(fixture):
                # A misspelt alertname would make an empty exp_alerts pass whatever the rules do.
                self.assertIn(check["alertname"], names, f"{name}: no such alert")
                (firing if check.get("exp_alerts") else quiet).add(check["alertname"])
        self.assertEqual(sorted(names - firing), [], "alerts without a case where they fire")
        self.assertEqual(sorted(names - quiet), [], "alerts without a case where they stay quiet")

    def test_promtool_test_rules_passes_every_fixture(self):
        self.write_rules(rule_spec())
        for name in fixture_files():
            shutil.copy(os.path.join(FIXTURES, name), self.tmp)
        code, out = promtool("test", "rules", *fixture_files(), cwd=self.tmp)
        self.assertEqual(code, 0, out)
        self.assertEqual(out.count("SUCCESS"), len(fixture_files()), out)

    def test_every_case_fails_against_a_broken_rule(self):
        """Each alert check runs alone with its alert's expression replaced: by one that never
        fires for the cases expecting alerts, by one that always fires for the cases expecting
        none. Every run must fail; one that passes is a case that checks nothing (evaluated before
        the alert's `for` could elapse, or with labels nobody compares)."""
        spec = rule_spec()
        passed = []
        runs = 0
        for name in fixture_files():
            fixture = load_fixture(name)
            for index, (group, check) in enumerate(cases(fixture)):
                broken = "vector(1)" if not check.get("exp_alerts") else "vector(0) > 1"
                directory = os.path.join(self.tmp, f"{name}-{index}")
                os.makedirs(directory)
                self.write_rules(self.only_alert(spec, check["alertname"], broken), directory)
                alone = {key: value for key, value in fixture.items() if key != "tests"}
                alone["tests"] = [dict(group, alert_rule_test=[check])]
                with open(os.path.join(directory, "case.test.yaml"), "w", encoding="utf-8") as handle:
                    yaml.safe_dump(alone, handle, sort_keys=False)
                code, out = promtool("test", "rules", "case.test.yaml", cwd=directory)
                runs += 1
                if code == 0:
                    passed.append(f"{name}: {check['alertname']} at {check['eval_time']}")
                else:
                    self.assertIn("FAILED", out)
        self.assertGreater(runs, 0)
        self.assertEqual(passed, [], "cases that pass against a broken rule")

    @staticmethod
    def only_alert(spec, alert, expr):
        rule = copy.deepcopy(alerts(spec)[alert])
        rule["expr"] = expr
        return {"groups": [{"name": "broken", "rules": [rule]}]}


if __name__ == "__main__":
    unittest.main(verbosity=2)
