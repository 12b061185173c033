"""The event catalog: editions, offers, prices and deadlines, read from the file staff edit."""

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

import yaml
from rencontres_contracts.events.common import BillableLine, Language
from rencontres_contracts.events.registration import OfferKind

from rencontres_registration.formatting import format_day

Campus = Literal["ales", "montpellier"]
DEFAULT_CATALOG = Path(__file__).resolve().parents[2] / "catalog" / "forum-2027.yaml"


@dataclass(frozen=True)
class Edition:
    """A campus on a day: what a stand or a student pass is booked for."""

    id: str
    campus: Campus
    campus_name: str
    date: date
    stands: int
    student_passes: int
    registration_deadline: datetime


@dataclass(frozen=True)
class Offer:
    kind: OfferKind
    label: dict[Language, str]
    unit_price_excl_vat_cents: int
    vat_rate_percent: int

    @property
    def is_free(self) -> bool:
        return self.unit_price_excl_vat_cents == 0


@dataclass(frozen=True)
class IncubatorCall:
    id: str
    title: dict[Language, str]
    opens: datetime
    closes: datetime


@dataclass(frozen=True)
class PoolRules:
    min_members: int
    max_members: int
    deadline_days_before_edition: int


@dataclass(frozen=True)
class Catalog:
    forum: str
    editions: dict[str, Edition]
    offers: dict[str, Offer]
    consent_version: str
    incubator_call: IncubatorCall
    pools: PoolRules
    offer_hold_hours: int
    raw: dict[str, Any]

    def offer(self, kind: OfferKind) -> Offer:
        return self.offers[kind]

    def edition_label(self, edition_id: str, language: Language) -> str:
        return self._edition_label(edition_id, language)

    def edition_name(self, edition_id: str, language: Language) -> str:
        """An edition, or the incubator call, as a person reads it."""
        if edition_id == self.incubator_call.id:
            return self.incubator_call.title[language]
        return self._edition_label(edition_id, language)

    def lines_for(
        self, offer: Offer, edition_ids: list[str], language: Language
    ) -> list[BillableLine]:
        """One invoice line per edition booked; none for a free offer."""
        if offer.is_free:
            return []
        return [
            BillableLine(
                description=f"{offer.label[language]} — {self._edition_label(eid, language)}",
                quantity=1,
                unit_price_excl_vat_cents=offer.unit_price_excl_vat_cents,
                vat_rate_percent=offer.vat_rate_percent,
            )
            for eid in edition_ids
        ]

    def _edition_label(self, edition_id: str, language: Language) -> str:
        edition = self.editions[edition_id]
        return f"{edition.campus_name}, {format_day(edition.date, language)}"


def parse_catalog(text: str) -> Catalog:
    """Build the catalog from its YAML text; a malformed file fails loudly at start-up."""
    raw = yaml.safe_load(text)
    editions = {e["id"]: Edition(**e) for e in raw["editions"]}
    offers = {
        kind: Offer(
            kind=kind,
            label=spec["label"],
            unit_price_excl_vat_cents=int(spec["unit_price_excl_vat_cents"]),
            vat_rate_percent=int(spec["vat_rate_percent"]),
        )
        for kind, spec in raw["offers"].items()
    }
    pool = raw["offers"]["pool_seat"]
    call = raw["incubator_call"]
    return Catalog(
        forum=raw["forum"],
        editions=editions,
        offers=offers,
        consent_version=raw["consent"]["data_processing_version"],
        incubator_call=IncubatorCall(call["id"], call["title"], call["opens"], call["closes"]),
        pools=PoolRules(
            pool["pool_min_members"],
            pool["pool_max_members"],
            pool["pool_deadline_days_before_edition"],
        ),
        offer_hold_hours=int(raw["waiting_list"]["offer_hold_hours"]),
        raw=raw,
    )


def load_catalog(path: Path = DEFAULT_CATALOG) -> Catalog:
    return parse_catalog(path.read_text(encoding="utf-8"))
