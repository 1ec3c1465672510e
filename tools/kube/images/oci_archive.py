#!/usr/bin/env python3
"""Packs a root directory into an OCI image archive that `ctr images import` reads: one
uncompressed layer (GNU tar of the root, numeric owners), the image config, a manifest and an
index naming the image. No registry, no container engine: how HASteward's real node gets its
images (tools/kube/images/build.sh). The layout is the OCI image spec's (image-layout.md,
manifest.md, config.md); containerd's importer names the image after the index's
io.containerd.image.name annotation.

  oci_archive.py ROOT NAME:TAG OUT.tar [--entrypoint JSON] [--cmd JSON] [--env K=V]...
                 [--user U] [--workdir DIR]
"""
import argparse
import hashlib
import json
import os
import subprocess
import tarfile
import tempfile


def blob(directory, data):
    digest = hashlib.sha256(data).hexdigest()
    with open(os.path.join(directory, "blobs", "sha256", digest), "wb") as out:
        out.write(data)
    return "sha256:" + digest, len(data)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("root")
    parser.add_argument("name")
    parser.add_argument("out")
    parser.add_argument("--entrypoint", type=json.loads)
    parser.add_argument("--cmd", type=json.loads)
    parser.add_argument("--env", action="append", default=[])
    parser.add_argument("--user")
    parser.add_argument("--workdir")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(dir=os.path.dirname(os.path.abspath(args.out))) as work:
        os.makedirs(os.path.join(work, "blobs", "sha256"))
        layer_path = os.path.join(work, "layer.tar")
        # GNU tar keeps hard links, devices, modes and numeric owners as the root has them.
        subprocess.run(["tar", "--numeric-owner", "--xattrs", "-C", args.root, "-cf", layer_path,
                        "."], check=True)
        hasher = hashlib.sha256()
        with open(layer_path, "rb") as layer:
            for chunk in iter(lambda: layer.read(1 << 20), b""):
                hasher.update(chunk)
        layer_digest = "sha256:" + hasher.hexdigest()
        layer_size = os.path.getsize(layer_path)
        os.rename(layer_path, os.path.join(work, "blobs", "sha256", hasher.hexdigest()))

        env = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"] + args.env
        config = {"Env": env}
        if args.entrypoint is not None:
            config["Entrypoint"] = args.entrypoint
        if args.cmd is not None:
            config["Cmd"] = args.cmd
        if args.user:
            config["User"] = args.user
        if args.workdir:
            config["WorkingDir"] = args.workdir
        image_config = {"architecture": "amd64", "os": "linux", "config": config,
                        "rootfs": {"type": "layers", "diff_ids": [layer_digest]}}
        config_digest, config_size = blob(work, json.dumps(image_config).encode())
        manifest = {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                       "digest": config_digest, "size": config_size},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                        "digest": layer_digest, "size": layer_size}],
        }
        manifest_digest, manifest_size = blob(work, json.dumps(manifest).encode())
        index = {
            "schemaVersion": 2,
            "manifests": [{
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "digest": manifest_digest, "size": manifest_size,
                "platform": {"architecture": "amd64", "os": "linux"},
                "annotations": {"io.containerd.image.name": args.name,
                                "org.opencontainers.image.ref.name": args.name},
            }],
        }
        with open(os.path.join(work, "index.json"), "w") as out:
            json.dump(index, out)
        with open(os.path.join(work, "oci-layout"), "w") as out:
            json.dump({"imageLayoutVersion": "1.0.0"}, out)
        with tarfile.open(args.out + ".partial", "w") as archive:
            for name in ("oci-layout", "index.json", "blobs"):
                archive.add(os.path.join(work, name), arcname=name)
        os.rename(args.out + ".partial", args.out)


if __name__ == "__main__":
    main()
