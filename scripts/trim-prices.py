#!/usr/bin/env python3
"""Trims LiteLLM's model price table to what the gateway bills with.

Usage: scripts/trim-prices.py PATH/model_prices_and_context_window.json [OUT]

Writes OUT (default: data/model_prices.json beside this script's parent) with,
for every model, its provider, mode, context window and every numeric field
whose name contains "cost". One model per line, keys sorted, so that a
refresh of the upstream table reads as a small diff. Legacy models that the
upstream table has dropped but clients still name are added when absent.
"""

import json
import os
import sys

KEPT_FIELDS = ("litellm_provider", "mode")
KEPT_INTEGERS = ("max_input_tokens", "max_output_tokens")

# Models retired upstream whose names clients still send; their list prices.
LEGACY = {
    "gpt-3.5-turbo-0301": {
        "litellm_provider": "openai",
        "mode": "chat",
        "max_input_tokens": 4097,
        "max_output_tokens": 4096,
        "input_cost_per_token": 1.5e-06,
        "output_cost_per_token": 2e-06,
    },
    "gpt-3.5-turbo-0613": {
        "litellm_provider": "openai",
        "mode": "chat",
        "max_input_tokens": 4097,
        "max_output_tokens": 4096,
        "input_cost_per_token": 1.5e-06,
        "output_cost_per_token": 2e-06,
    },
    "claude-3-5-sonnet-20241022": {
        "litellm_provider": "anthropic",
        "mode": "chat",
        "max_input_tokens": 200000,
        "max_output_tokens": 8192,
        "input_cost_per_token": 3e-06,
        "output_cost_per_token": 1.5e-05,
        "cache_read_input_token_cost": 3e-07,
        "cache_creation_input_token_cost": 3.75e-06,
    },
}


def is_number(value):
    # bool is an int in Python; a flag is never a price.
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def trim_entry(entry):
    kept = {}
    for name, value in entry.items():
        if name in KEPT_FIELDS and isinstance(value, str):
            kept[name] = value
        elif name in KEPT_INTEGERS and is_number(value):
            kept[name] = int(value)
        elif "cost" in name and is_number(value):
            kept[name] = value
    return kept


def trim(table):
    trimmed = {
        model: trim_entry(entry)
        for model, entry in table.items()
        if model != "sample_spec" and isinstance(entry, dict)
    }
    for model, entry in LEGACY.items():
        trimmed.setdefault(model, dict(entry))
    return trimmed


def render(trimmed):
    lines = [
        json.dumps(model, ensure_ascii=False)
        + ":"
        + json.dumps(trimmed[model], ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        for model in sorted(trimmed)
    ]
    return "{\n" + ",\n".join(lines) + "\n}\n"


def main(argv):
    if len(argv) not in (2, 3):
        sys.stderr.write(__doc__)
        return 2
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = argv[2] if len(argv) == 3 else os.path.join(repo, "data", "model_prices.json")
    with open(argv[1], encoding="utf-8") as source:
        table = json.load(source)
    trimmed = trim(table)
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w", encoding="utf-8") as sink:
        sink.write(render(trimmed))
    sys.stderr.write(f"{len(trimmed)} models written to {out}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
