#!/usr/bin/python3
"""Checks deploy/k8s/*.yaml and deploy/Dockerfile for the mistakes that only
show up in a cluster: every document parses and has a kind and a name, the
kinds a deployment needs are there, probes use gRPC health on a port the
container exposes, the Service speaks grpc on a port named grpc that reaches
the container, the pod's termination grace covers the server's drain, the
SQLite store is not scaled out, and the image runs as the pod's user.

Usage: check_manifests.py REPO_ROOT
"""

import glob
import os
import re
import sys

import yaml

errors = []


def check(condition, message):
    if not condition:
        errors.append(message)
    return condition


def main():
    root = sys.argv[1]
    k8s = os.path.join(root, "deploy", "k8s")
    docs = {}  # kind -> [document]
    files = sorted(glob.glob(os.path.join(k8s, "*.yaml")))
    check(files, f"no manifests in {k8s}")
    for path in files:
        name = os.path.basename(path)
        with open(path) as f:
            try:
                loaded = [d for d in yaml.safe_load_all(f) if d is not None]
            except yaml.YAMLError as e:
                errors.append(f"{name}: does not parse: {e}")
                continue
        for doc in loaded:
            kind = doc.get("kind")
            if not check(kind and doc.get("apiVersion"), f"{name}: a document without kind/apiVersion"):
                continue
            if kind != "Kustomization":
                check(doc.get("metadata", {}).get("name"), f"{name}: {kind} without metadata.name")
            docs.setdefault(kind, []).append((name, doc))

    for kind in ["Deployment", "Service", "ConfigMap", "Secret", "PodDisruptionBudget",
                 "HorizontalPodAutoscaler", "PersistentVolumeClaim", "Kustomization"]:
        check(kind in docs, f"no {kind} in deploy/k8s")
    if errors:
        return

    # Kustomization lists every file.
    _, kustomization = docs["Kustomization"][0]
    listed = set(kustomization.get("resources", []))
    for path in files:
        name = os.path.basename(path)
        if name != "kustomization.yaml":
            check(name in listed, f"kustomization.yaml does not list {name}")

    # The server's config from the ConfigMap.
    _, configmap = docs["ConfigMap"][0]
    config = yaml.safe_load(configmap["data"]["triggerfish.yaml"])
    grace_ms = config.get("shutdown_grace_ms", 10000)
    listen_port = int(str(config.get("listen", "0.0.0.0:50051")).rsplit(":", 1)[1])

    _, deployment = docs["Deployment"][0]
    pod = deployment["spec"]["template"]["spec"]
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    check(deployment["spec"]["selector"]["matchLabels"].items() <= pod_labels.items(),
          "Deployment selector does not match its pod labels")
    containers = pod["containers"]
    check(len(containers) == 1, "expected one container")
    container = containers[0]
    ports = {p["name"]: p["containerPort"] for p in container.get("ports", [])}
    check(ports.get("grpc") == listen_port,
          f"container port grpc is {ports.get('grpc')}, the config listens on {listen_port}")
    check("http-admin" in ports, "container has no http-admin port")

    for probe_name in ["readinessProbe", "livenessProbe", "startupProbe"]:
        probe = container.get(probe_name)
        if not check(probe, f"container has no {probe_name}"):
            continue
        if not check("grpc" in probe, f"{probe_name} is not a grpc (grpc.health.v1) probe"):
            continue
        port = probe["grpc"]["port"]
        check(port in ports.values(), f"{probe_name} probes port {port}, not a container port")
        check(port == ports.get("grpc"), f"{probe_name} does not probe the grpc port")

    # Termination: preStop sleep + drain grace < terminationGracePeriodSeconds,
    # and the liveness probe does not fire during the drain.
    pre_stop = container.get("lifecycle", {}).get("preStop", {})
    sleep_s = 0
    command = pre_stop.get("exec", {}).get("command", [])
    if command[:1] == ["sleep"]:
        sleep_s = int(command[1])
    elif "sleep" in pre_stop:
        sleep_s = int(pre_stop["sleep"]["seconds"])
    termination_s = pod.get("terminationGracePeriodSeconds", 30)
    check(termination_s * 1000 > sleep_s * 1000 + grace_ms,
          f"terminationGracePeriodSeconds {termination_s} s does not cover preStop {sleep_s} s "
          f"+ shutdown_grace_ms {grace_ms}")
    liveness = container["livenessProbe"]
    check(liveness.get("periodSeconds", 10) * liveness.get("failureThreshold", 3) * 1000 > grace_ms,
          "the liveness probe would restart the pod during its drain")
    check(pod.get("enableServiceLinks") is False,
          "enableServiceLinks must be false: a Service named triggerfish would set "
          "TRIGGERFISH_* variables")
    env = {e["name"]: e.get("value") for e in container.get("env", [])}
    mounts = {m["name"]: m["mountPath"] for m in container.get("volumeMounts", [])}
    check(env.get("TRIGGERFISH_CONFIG", "").startswith(mounts.get("config", "?") + "/"),
          "TRIGGERFISH_CONFIG does not point into the mounted ConfigMap")
    store = str(config.get("store", "triggerfish.db"))
    check(store.startswith(mounts.get("data", "?") + "/"), f"store {store} is not on the data volume")
    secret_names = {d["metadata"]["name"] for _, d in docs["Secret"]}
    for source in container.get("envFrom", []):
        if "secretRef" in source:
            check(source["secretRef"]["name"] in secret_names,
                  f"envFrom names a missing Secret {source['secretRef']['name']}")
    configmap_names = {d["metadata"]["name"] for _, d in docs["ConfigMap"]}
    for volume in pod.get("volumes", []):
        if "configMap" in volume:
            check(volume["configMap"]["name"] in configmap_names,
                  f"volume {volume['name']} names a missing ConfigMap")

    # Service: grpc port with appProtocol grpc reaching the container.
    _, service = docs["Service"][0]
    check(service["spec"]["selector"].items() <= pod_labels.items(),
          "Service selector does not match the pod labels")
    service_ports = {p["name"]: p for p in service["spec"]["ports"]}
    grpc_port = service_ports.get("grpc")
    if check(grpc_port, "Service has no port named grpc"):
        check(grpc_port.get("appProtocol") == "grpc", "Service port grpc needs appProtocol: grpc")
        target = grpc_port.get("targetPort", grpc_port["port"])
        check(target == "grpc" or target == ports.get("grpc"),
              f"Service port grpc targets {target}, not the container's grpc port")
    admin_port = service_ports.get("http-admin")
    if check(admin_port, "Service has no port named http-admin"):
        check(admin_port["port"] == 9090, "Service port http-admin is not 9090")

    # SQLite: one replica, never two pods on the database file.
    if store.endswith(".db") or "://" not in store:
        check(deployment["spec"].get("replicas", 1) == 1, "SQLite store: replicas must be 1")
        check(deployment["spec"].get("strategy", {}).get("type") == "Recreate",
              "SQLite store: the Deployment strategy must be Recreate")
        _, hpa = docs["HorizontalPodAutoscaler"][0]
        check(hpa["spec"]["maxReplicas"] == 1, "SQLite store: HPA maxReplicas must be 1")
    _, hpa = docs["HorizontalPodAutoscaler"][0]
    check(hpa["spec"]["scaleTargetRef"]["name"] == deployment["metadata"]["name"],
          "HPA does not target the Deployment")
    _, pdb = docs["PodDisruptionBudget"][0]
    check(pdb["spec"]["selector"]["matchLabels"].items() <= pod_labels.items(),
          "PodDisruptionBudget selector does not match the pod labels")

    # The image's user is the pod's user.
    with open(os.path.join(root, "deploy", "Dockerfile")) as f:
        dockerfile = f.read()
    user = re.search(r"^USER (\d+)", dockerfile, re.M)
    if check(user, "Dockerfile has no numeric USER"):
        check(int(user.group(1)) == pod["securityContext"]["runAsUser"],
              "Dockerfile USER differs from the pod's runAsUser")
    check(re.search(r"^FROM debian:bookworm\b", dockerfile, re.M), "build stage is not debian:bookworm")
    check("scripts/install-deps.sh" in dockerfile, "Dockerfile does not use scripts/install-deps.sh")
    check(str(listen_port) in re.findall(r"^EXPOSE (\d+)", dockerfile, re.M),
          "Dockerfile does not EXPOSE the grpc port")


if __name__ == "__main__":
    main()
    for e in errors:
        print("FAIL:", e)
    if errors:
        sys.exit(1)
    print("deploy manifests: all checks passed")
