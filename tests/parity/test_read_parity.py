"""Read parity (SPEC §4): a persona sees in the portal exactly the objects the API lists.

For every portal page that names a GET twin in the route registry, as each persona: when the
page is shown (its own rule may be narrower than the API's, e.g. an admin screen), the objects
on it are the objects the API answers; an object the API hides (404) the portal hides too. A
page with a twin and no scenario in tests/parity/listings.py fails here.
"""

import pytest

from drec.routes import portal_actions
from tests.parity.listings import LISTINGS, Listing
from tests.parity.world import PERSONAS, world_build

PAGES = sorted(key for key, declared in portal_actions().items() if key[1] == "GET" and declared.twin)


@pytest.fixture
def world(db, admin_user):
    return world_build(admin_user)


def test_every_portal_page_with_an_api_twin_has_a_read_scenario():
    assert [key for key in PAGES if key not in LISTINGS] == []
    assert len(PAGES) >= 20


def _shown(response, scenario) -> bool:
    if response.status_code != 200:
        return False
    return scenario.shown(response) if scenario.shown else True


@pytest.mark.parametrize("key", PAGES, ids=[name for name, _ in PAGES])
def test_a_persona_sees_in_the_portal_exactly_what_the_api_lists(key, world):
    problems, compared = [], 0
    for persona in PERSONAS:
        scenario = LISTINGS[key](world, persona, key[0])
        portal, api = world.portal(persona), world.api(persona)
        if isinstance(scenario, Listing):
            page = portal.get(scenario.portal)
            if page.status_code in (302, 403):  # sign in, or a page this persona is not offered
                continue
            answer = api.get(scenario.api)
            if page.status_code != 200 or answer.status_code != 200:
                if page.status_code != answer.status_code:
                    problems.append(f"{persona}: portal {page.status_code}, API {answer.status_code}")
                continue
            seen, listed = set(scenario.portal_ids(page.context)), set(scenario.api_ids(answer.json()))
            compared += 1
            if seen != listed:
                problems.append(f"{persona}: portal shows {sorted(seen)}, the API lists {sorted(listed)}")
            continue
        pages = {target: portal.get(path) for target, path, _api in scenario.targets}
        if all(response.status_code in (302, 403) for response in pages.values()):
            continue
        seen = {target for target, response in pages.items() if _shown(response, scenario)}
        listed = {target for target, _path, path in scenario.targets if api.get(path).status_code == 200}
        compared += 1
        if seen != listed:
            problems.append(f"{persona}: portal shows {sorted(seen)}, the API shows {sorted(listed)}")
    assert compared, f"no persona could compare {key}"
    assert problems == [], "\n".join(problems)
