"""The shared world of staff and safeguarding tests (tests/school_world.py)."""

from tests.school_world import _mail_task_runs_inline, world  # noqa: F401 (fixtures)
