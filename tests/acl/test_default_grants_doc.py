"""docs/access-control.md's table of default role grants is what the migration seeds."""

from pathlib import Path

import pytest

from acl.models import EntityType, ModulePermission

DOC = Path(__file__).resolve().parents[2] / "docs" / "access-control.md"


def documented_grants() -> set[tuple[str, str, str]]:
    section = DOC.read_text().split("## Default role grants", 1)[1].split("\n## ", 1)[0]
    lines = section.splitlines()
    rows = [line for line in lines if line.startswith("| ") and not line.startswith("| Module")]
    roles = [cell.strip() for cell in next(line for line in lines if line.startswith("| Module")).split("|")[2:-1]]
    grants = set()
    for row in rows:
        cells = [cell.strip() for cell in row.split("|")[1:-1]]
        for role, verbs in zip(roles, cells[1:], strict=True):
            grants |= {(cells[0], role, verb.strip()) for verb in verbs.split(",") if verb.strip()}
    return grants


@pytest.mark.django_db
def test_documented_default_grants_match_the_database():
    seeded = {
        (grant.module.name, grant.role.name, verb)
        for grant in ModulePermission.objects.filter(entity_type=EntityType.ROLE, is_active=True).select_related(
            "module", "role"
        )
        for verb in grant.permissions
    }
    assert documented_grants() == seeded
