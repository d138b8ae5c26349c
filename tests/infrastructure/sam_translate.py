"""Translates a SAM template (a JSON file, the argument) into plain CloudFormation (JSON on stdout), offline.

Run by SAM CLI's own interpreter (.venv-sam), so the translation is the one `sam deploy` makes: the SAM
translator pins pydantic to one minor version, which the project's environment must not be held to.
No AWS call: the managed-policy map is fixed below, and the region comes from AWS_DEFAULT_REGION.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from samtranslator.translator.transform import transform

# The only managed policy the template's functions get: the one SAM attaches to every function's role.
MANAGED_POLICIES = {
    "AWSLambdaBasicExecutionRole": "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
}


class FakeManagedPolicyLoader:
    def load(self) -> dict[str, str]:
        return dict(MANAGED_POLICIES)


def pseudo_parameters(region: str) -> dict[str, Any]:
    return {
        "AWS::Region": region,
        "AWS::Partition": "aws",
        "AWS::AccountId": "123456789012",
        "AWS::URLSuffix": "amazonaws.com",
    }


def main() -> None:
    template = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    parameters = {
        name: spec["Default"] for name, spec in (template.get("Parameters") or {}).items() if "Default" in spec
    }
    parameters.update(pseudo_parameters(os.environ["AWS_DEFAULT_REGION"]))
    translated = transform(template, parameters, FakeManagedPolicyLoader())
    json.dump(translated, sys.stdout, sort_keys=True)


if __name__ == "__main__":
    main()
