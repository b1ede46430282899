"""The meap_deployment role's plan pass asks the device exactly what the rollout will do: its check-mode task
takes the same options as the rollout's task, and its variables are validated against the same spec."""

from __future__ import annotations

import os

import yaml

ROLE = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                    "roles", "meap_deployment")
MODULE = "printfleet.canon.canon_meap_app"


def module_tasks(path):
    with open(os.path.join(ROLE, "tasks", path), encoding="utf-8") as fh:
        tasks = yaml.safe_load(fh)
    found = []
    for task in tasks:
        for inner in task.get("block", [task]):
            if MODULE in inner:
                found.append(inner)
    return found


def test_plan_and_rollout_run_the_module_with_the_same_options():
    (plan,), (rollout,) = module_tasks("plan.yml"), module_tasks("main.yml")
    assert plan[MODULE] == rollout[MODULE]
    assert plan["check_mode"] is True and "check_mode" not in rollout
    assert plan["register"] == "meap_deployment_plan" and rollout["register"] == "meap_deployment_result"


def test_plan_entry_point_takes_the_rollouts_options():
    with open(os.path.join(ROLE, "meta", "argument_specs.yml"), encoding="utf-8") as fh:
        specs = yaml.safe_load(fh)["argument_specs"]
    assert specs["plan"]["options"] == specs["main"]["options"]
