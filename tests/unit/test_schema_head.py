"""SCHEMA_HEAD (what this payctl expects) must be Alembic's head revision."""

from __future__ import annotations

from alembic.script import ScriptDirectory

from payctl.db.schema import SCHEMA_HEAD, alembic_config


def test_schema_head_matches_alembic_head():
    script = ScriptDirectory.from_config(alembic_config())
    heads = script.get_heads()
    assert len(heads) == 1, f"migrations have several heads {heads}: merge them"
    assert heads[0] == SCHEMA_HEAD, (
        f"payctl/db/schema.py SCHEMA_HEAD is {SCHEMA_HEAD!r} but the newest migration is "
        f"{heads[0]!r}: update SCHEMA_HEAD"
    )


def test_migration_chain_is_linear_from_base():
    script = ScriptDirectory.from_config(alembic_config())
    revisions = list(script.walk_revisions("base", "heads"))
    assert revisions, "no migrations found inside the package"
    assert revisions[-1].down_revision is None
    for newer, older in zip(revisions, revisions[1:], strict=False):
        assert newer.down_revision == older.revision
