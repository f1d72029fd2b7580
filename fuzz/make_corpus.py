#!/usr/bin/python3
"""Regenerates the seed corpora in fuzz/corpus/ from examples/rules/sample.yaml
and events like the tests' ones. Each seed exists twice: proto-JSON (selector
byte 'J', even) and binary (selector byte 0x01, odd: wire format), as
DecodeMessage in fuzz_support.cc reads them. Crash reproducers (corpus/*/crash-*) are
kept as they are. Needs protoc and Debian's python3-protobuf and python3-yaml.

  /usr/bin/python3 fuzz/make_corpus.py
"""
import hashlib
import json
import os
import subprocess
import sys
import tempfile

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "fuzz", "corpus")

EVENTS = [
    {"id": "e-created", "type": "ticket.created", "occurred_at": "2026-01-31T09:00:00Z",
     "actor": "requester",
     "ticket": {"id": "t1", "subject": "Checkout is down", "status": "TICKET_STATUS_NEW",
                "priority": "TICKET_PRIORITY_NORMAL", "channel": "email", "tags": ["web"],
                "requester": {"id": "r1", "email": "pat@example.com", "name": "Pat"},
                "created_at": "2026-01-31T08:59:00Z",
                "custom_fields": {"plan": "gold", "score": 9.5, "nested": {"a": [1, "x", None, True]}}}},
    {"id": "e1", "type": "ticket.updated", "occurred_at": "2026-01-31T09:00:00Z",
     "ticket": {"id": "t1", "status": "TICKET_STATUS_OPEN",
                "custom_fields": {"plan": "gold", "nested": {"a": [1, 2]}}},
     "previous": {"id": "t1", "status": "TICKET_STATUS_SOLVED"}, "actor": "requester"},
    {"id": "e-pending", "type": "ticket.updated", "occurred_at": "2026-02-01T10:00:00Z",
     "ticket": {"id": "t1", "status": "TICKET_STATUS_PENDING", "priority": "TICKET_PRIORITY_HIGH"},
     "previous": {"id": "t1", "status": "TICKET_STATUS_OPEN"}},
    {"id": "c1", "type": "comment.created", "occurred_at": "2026-02-01T11:00:00Z",
     "ticket": {"id": "t2", "status": "TICKET_STATUS_PENDING"},
     "comment": {"id": "c1", "body": "any news?", "public": True, "author_id": "r1"}},
    {"id": "tick", "type": "schedule.tick", "occurred_at": "2026-02-05T00:00:00Z",
     "ticket": {"id": "t3", "status": "TICKET_STATUS_OPEN", "updated_at": "2026-02-01T00:00:00Z"},
     "payload": {"automation": "stale", "n": 3, "list": [1, {"k": "v"}]},
     "causation_ids": ["e1"]},
    {"id": "breach", "type": "sla.breached", "ticket": {"id": "T1", "tags": ["vip", "outage"]}},
    {"id": "s1", "type": "ticket.created", "ticket": {"id": "T1"}},
]

# Rules beyond the sample: every operator family and the catalog's actions.
EXTRA_RULES = [
    {"name": "operators", "trigger": {"event_types": ["ticket.created", "ticket.updated"]},
     "condition": {"all": [
         {"predicate": {"field": "ticket.subject", "operator": "starts_with", "value": "re:", "ignore_case": True}},
         {"predicate": {"field": "ticket.tags", "operator": "includes_all", "value": ["a", "b"]}},
         {"not": {"predicate": {"field": "ticket.custom_fields.score", "operator": "less_than_or_equal", "value": 3}}},
         {"predicate": {"field": "ticket.priority", "operator": "not_changed"}}]},
     "actions": [{"type": "ticket.set_fields", "params": {"status": "TICKET_STATUS_OPEN", "add_tags": ["x"]}}]},
    {"name": "more operators", "trigger": {"event_types": ["ticket.updated"]},
     "condition": {"any": [
         {"predicate": {"field": "ticket.created_at", "operator": "greater_than", "value": "2026-01-01T00:00:00Z"}},
         {"predicate": {"field": "ticket.hours_since_created", "operator": "greater_than_or_equal", "value": 1}},
         {"predicate": {"field": "ticket.group_id", "operator": "not_in", "value": ["tier1"]}},
         {"predicate": {"field": "ticket.description", "operator": "not_contains", "value": "spam"}},
         {"predicate": {"field": "ticket.tags", "operator": "includes_none", "value": ["x"]}}]},
     "actions": [{"type": "ticket.add_tags", "params": {"tags": ["y"]}},
                 {"type": "email.send", "params": {"to": ["requester"]}}]},
    {"name": "disabled", "enabled": False, "position": -5, "trigger": {"event_types": ["comment.created"]},
     "condition": {"predicate": {"field": "comment.body", "operator": "ends_with", "value": "?"}},
     "actions": [{"type": "ticket.fail", "params": {"message": "x"}}]},
]

ACTION_MAP = {  # sample.yaml's plugin actions -> the fuzz catalog's
    "ticket.set_fields": "ticket.set_fields", "ticket.add_tags": "ticket.add_tags",
    "email.send": "email.send",
}


def compile_protos(out):
    protos = os.path.join(ROOT, "protos")
    files = [os.path.join(protos, "triggerfish", "v1", f) for f in
             ("rule.proto", "event.proto", "ticket.proto")]
    subprocess.check_call(["protoc", "-I", protos, "-I", "/usr/include",
                           "--python_out", out] + files)
    sys.path.insert(0, out)


def write(target, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    name = "seed-" + hashlib.sha1(data).hexdigest()[:16]
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def emit(target, message_type, obj):
    from google.protobuf import json_format
    text = json.dumps(obj, separators=(",", ":")).encode()
    write(target, b"J" + text)
    msg = json_format.Parse(text, message_type())
    write(target, b"\x01" + msg.SerializeToString())


def main():
    for target in ("rule_fuzzer", "event_fuzzer"):
        d = os.path.join(CORPUS, target)
        if os.path.isdir(d):
            for f in os.listdir(d):
                if f.startswith("seed-"):
                    os.remove(os.path.join(d, f))
    with tempfile.TemporaryDirectory() as tmp:
        compile_protos(tmp)
        from triggerfish.v1 import event_pb2, rule_pb2
        with open(os.path.join(ROOT, "examples", "rules", "sample.yaml")) as f:
            sample = yaml.safe_load(f)
        for rule in sample["rules"] + EXTRA_RULES:
            rule = json.loads(json.dumps(rule))
            for a in rule.get("actions", []):
                a["type"] = ACTION_MAP.get(a["type"], a["type"])
                if a["type"] == "ticket.set_fields":
                    p = a.get("params", {})
                    for k in ("priority", "status"):
                        if k in p and not p[k].startswith("TICKET_"):
                            p[k] = ("TICKET_STATUS_" if k == "status" else "TICKET_PRIORITY_") + p[k].upper()
            emit("rule_fuzzer", rule_pb2.Rule, rule)
        for event in EVENTS:
            emit("event_fuzzer", event_pb2.Event, event)


if __name__ == "__main__":
    main()
