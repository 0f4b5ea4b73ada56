"""Generic Caliper 1.2 event rules: action/type pairing and profile consistency."""

from __future__ import annotations

from typing import Any

from validators.errors import ValidationIssue, echo, join_path
from validators.vocabulary import ALL_ACTIONS, EVENT_ACTIONS, EVENT_PROFILES, KNOWN_PROFILES


def caliper_event_issues(event: dict[str, Any], index: int, base: str) -> list[ValidationIssue]:
    issues: list[ValidationIssue] = []
    kind = event.get("type")
    if not isinstance(kind, str) or kind not in EVENT_ACTIONS:
        return issues
    action = event.get("action")
    if isinstance(action, str) and action not in EVENT_ACTIONS[kind]:
        allowed = (
            ", ".join(sorted(EVENT_ACTIONS[kind])) if kind != "Event" else "any Caliper action"
        )
        code = "action_type_mismatch" if action in ALL_ACTIONS else "unknown_action"
        issues.append(
            ValidationIssue(
                index,
                join_path(base, "action"),
                code,
                f"{echo(action)} is not an allowed action for {kind}; allowed: {allowed}",
            )
        )
    profile = event.get("profile")
    if isinstance(profile, str):
        if profile not in KNOWN_PROFILES:
            issues.append(
                ValidationIssue(
                    index,
                    join_path(base, "profile"),
                    "unknown_profile",
                    f"{echo(profile)} is not a Caliper 1.2 profile; allowed: "
                    + ", ".join(sorted(KNOWN_PROFILES)),
                )
            )
        elif profile not in EVENT_PROFILES[kind]:
            issues.append(
                ValidationIssue(
                    index,
                    join_path(base, "profile"),
                    "profile_type_mismatch",
                    f"{profile} does not include {kind}; profiles that do: "
                    + ", ".join(sorted(EVENT_PROFILES[kind])),
                )
            )
    elif profile is not None:
        issues.append(
            ValidationIssue(
                index, join_path(base, "profile"), "wrong_type", "profile must be a string"
            )
        )
    return issues
