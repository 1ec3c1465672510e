#!/usr/bin/env python3
"""Rewrites an operator's release manifest for a node without a registry (install.sh): every image
named FROM=TO is replaced, in containers and in environment values (the operator hands its own
image name to the pods it makes), every pull policy becomes IfNotPresent, and CPU limits go.
  local_manifest.py IN OUT FROM=TO...
"""
import sys

import yaml


def patch_pod_spec(spec, images):
    for container in spec.get("containers", []) + spec.get("initContainers", []):
        container["image"] = images.get(container.get("image"), container.get("image"))
        container["imagePullPolicy"] = "IfNotPresent"
        for env in container.get("env", []):
            if env.get("value") in images:
                env["value"] = images[env["value"]]
        limits = container.get("resources", {}).get("limits", {})
        limits.pop("cpu", None)


def main():
    source, target = sys.argv[1], sys.argv[2]
    images = dict(pair.split("=", 1) for pair in sys.argv[3:])
    documents = [d for d in yaml.safe_load_all(open(source)) if d]
    for document in documents:
        template = document.get("spec", {}).get("template", {}) if isinstance(document.get("spec"), dict) else {}
        if document.get("kind") in ("Deployment", "StatefulSet", "DaemonSet") and "spec" in template:
            patch_pod_spec(template["spec"], images)
    with open(target, "w") as out:
        yaml.safe_dump_all(documents, out)


if __name__ == "__main__":
    main()
