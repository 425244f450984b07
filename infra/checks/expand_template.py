#!/usr/bin/env python3
"""Expands template.yaml with the SAM translator, as CloudFormation does at deploy time, into plain CloudFormation JSON.

    expand_template.py TEMPLATE OUTPUT.json

What `sam package` would upload is stood in for offline: the functions' CodeUri becomes an S3 URI, and each state
machine's DefinitionUri is inlined as its Definition (so the checks see the ASL that is deployed). The translator runs
with no IAM access (managed policies by ARN only), as the emulator runs it. The checks over the expanded template
(cfn-lint, dependency cycles, stack invariants, the IAM contract) read this file.
"""
import json
import os
import sys
from types import SimpleNamespace

from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse


def expand(path):
    root = os.path.dirname(os.path.abspath(path))
    with open(path, encoding="utf-8") as f:
        template = yaml_parse(f.read())
    globals_fn = template.get("Globals", {}).get("Function", {})
    if isinstance(globals_fn.get("CodeUri"), str):
        globals_fn["CodeUri"] = "s3://sluice-artifacts/" + globals_fn["CodeUri"]
    for resource in template["Resources"].values():
        props = resource.get("Properties", {})
        if resource["Type"] == "AWS::Serverless::Function" and isinstance(props.get("CodeUri"), str) \
                and not props["CodeUri"].startswith("s3://"):
            props["CodeUri"] = "s3://sluice-artifacts/" + props["CodeUri"]
        if resource["Type"] == "AWS::Serverless::StateMachine" and isinstance(props.get("DefinitionUri"), str):
            with open(os.path.join(root, props.pop("DefinitionUri")), encoding="utf-8") as f:
                props["Definition"] = json.load(f)
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    return transform(template, {}, SimpleNamespace(load=lambda: {}))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: expand_template.py TEMPLATE OUTPUT.json")
    expanded = expand(sys.argv[1])
    with open(sys.argv[2], "w", encoding="utf-8") as out:
        json.dump(expanded, out, indent=1, sort_keys=True)
        out.write("\n")
