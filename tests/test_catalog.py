"""The topic catalog is the truth: what it says each service consumes and produces, the code does.

Each service's router says which event types it handles; its `events.PUBLISHES` says which it
publishes, and each of those models must be constructed somewhere in its package (a publishing
path, not a declaration alone).
"""

import re
from importlib import import_module
from pathlib import Path

import pytest
from rencontres_contracts import EVENT_TYPES
from rencontres_contracts.topics import TOPICS, consumed_by, producers_of, subscriptions
from rencontres_kit.handlers import EventRouter

SERVICES = ("registration", "billing", "notify")

NOT_YET_PUBLISHED: dict[str, str] = {}
"""Types the catalog promises and no service publishes yet: each test below is a strict xfail,
so it fails (and must leave this list) as soon as its producer exists."""


def router_of(service: str) -> EventRouter[object]:
    module = import_module(f"rencontres_{service}.handlers")
    router: EventRouter[object] = module.router
    return router


def published_by(service: str) -> set[str]:
    module = import_module(f"rencontres_{service}.events")
    return {model.event_type for model in module.PUBLISHES}


def package_source(service: str) -> str:
    package = Path(import_module(f"rencontres_{service}").__file__ or "").parent
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted(package.rglob("*.py")))


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_handles_exactly_what_the_catalog_routes_to_it(service: str) -> None:
    assert router_of(service).event_types == consumed_by(service)


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_subscribes_to_the_topics_of_what_it_handles(service: str) -> None:
    topics = {EVENT_TYPES[t].topic for t in router_of(service).event_types}
    assert set(subscriptions(service)) == topics


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_declares_only_what_the_catalog_names_it_producer_of(service: str) -> None:
    for event_type in published_by(service):
        assert service in producers_of(event_type), f"{service} publishes {event_type}"


def _producer_cases() -> list[object]:
    cases = []
    for topic in TOPICS:
        for event_type in topic.event_types:
            marks = []
            if event_type in NOT_YET_PUBLISHED:
                marks.append(pytest.mark.xfail(strict=True, reason=NOT_YET_PUBLISHED[event_type]))
            cases.append(pytest.param(event_type, id=event_type, marks=marks))
    return cases


@pytest.mark.parametrize("event_type", _producer_cases())
def test_every_listed_producer_has_a_publishing_path(event_type: str) -> None:
    model = EVENT_TYPES[event_type].__name__
    for service in producers_of(event_type):
        assert event_type in published_by(service), f"{service} does not declare {event_type}"
        constructed = re.findall(rf"\b{model}\(", package_source(service))
        assert constructed, f"{service} never builds a {model}"


@pytest.mark.parametrize("event_type", sorted(EVENT_TYPES))
def test_a_handled_type_has_a_producer(event_type: str) -> None:
    handled_by = [s for s in SERVICES if event_type in router_of(s).event_types]
    if handled_by:
        assert producers_of(event_type), f"{handled_by} handle {event_type} that nobody produces"
