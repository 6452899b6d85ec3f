"""Operation ids a generated client can use as method names: one rule for every route of every service.

The id is the route handler's name in camelCase (`create_goal` → `createGoal`, `list_subscriptions` →
`listSubscriptions`). A GET handler named for what it answers, with no verb in its name, gets `get` in front
(`goal_progress` → `getGoalProgress`, `tree` → `getTree`). The handler's name is the author's readable choice
and Python keeps it unique within a module; the path and method are not in the id, so it stays the same when
a prefix moves. Ids must be unique across a service: tests/unit/runtime/test_openapi_documented.py checks it.
"""

from __future__ import annotations

from fastapi.routing import APIRoute

# Words that make a handler's name a verb phrase already (`operator_issue_key`, `rotate_secret`).
VERBS = frozenset(
    {
        "get", "list", "create", "issue", "revise", "update", "archive", "delete", "revoke", "plan", "record",
        "rotate", "retry", "replay", "receive", "set", "add", "remove", "import", "export", "search", "send",
        "test", "verify", "bind", "unbind", "put", "patch",
    }
)  # fmt: skip


def operation_id(route: APIRoute) -> str:
    """`route`'s operationId: its handler's name in camelCase, `get` in front of a GET named by a noun."""
    words = [word for word in route.name.split("_") if word]
    if "GET" in (route.methods or ()) and not VERBS.intersection(words):
        words.insert(0, "get")
    return words[0].lower() + "".join(word[:1].upper() + word[1:] for word in words[1:])
