"""services.views.board: counts, exact totals, cards and filters, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from pacetrack.adapters.clock import FrozenClock
from pacetrack.bootstrap import Container
from pacetrack.db.tables import Item
from pacetrack.services import templates
from pacetrack.services.board_setting import BoardSetting
from pacetrack.services.errors import NotFound
from pacetrack.services.templates import PipelineTemplateUpdate
from pacetrack.services.views.board import CARDS_PER_COLUMN, Board, board
from pacetrack.services.views.pipeline_view import ItemFilters
from tests.conftest import Login
from tests.services.moves_support import actor_for
from tests.services.views_support import Sales, open_sales
from tests.support.versions import publish_and_upgrade


@pytest.fixture
def sales(container: Container, clock: FrozenClock, admin: Login) -> Sales:
    return open_sales(container, clock, admin)


def read(sales: Sales, filters: ItemFilters | None = None, **options: object) -> Board:
    with sales.container.uow() as uow:
        return board(
            uow, sales.admin, sales.pipeline.instance_id, filters or ItemFilters(), **options
        )  # type: ignore[arg-type]


def column(shown: Board, name: str):
    return next(c for c in shown.columns if c.step.name == name)


def test_each_column_counts_its_items_and_totals_the_money_field_exactly(sales: Sales) -> None:
    sales.add("Acme", deal_value="0.10")
    sales.add("Globex", deal_value="0.20")
    sales.add("Initech", deal_value="150000.00")
    sales.add("Hooli")
    sales.add("Umbrella", "Won", deal_value="1234.50")

    shown = read(sales)

    lead = column(shown, "Lead")
    assert (lead.count, lead.total) == (4, Decimal("150000.30"))
    assert (column(shown, "Won").count, column(shown, "Won").total) == (1, Decimal("1234.50"))
    assert (column(shown, "Qualified").count, column(shown, "Qualified").total) == (0, Decimal(0))
    assert shown.count == 5


def test_cards_show_the_chosen_fields_people_by_initials_and_days_in_step(sales: Sales) -> None:
    deal = sales.add(
        "Acme", owner=sales.bea, deal_value="5000.00", close_date="2026-04-01", company_size="40"
    )
    sales.assign(deal, sales.admin.account_id, sales.bea)  # type: ignore[arg-type]
    sales.clock.advance(timedelta(days=2, hours=1))

    card = column(read(sales), "Lead").cards[0]

    assert card.name == "Acme"
    assert card.owner is not None and card.owner.name == "bea" and card.owner.initials == "B"
    assert [person.name for person in card.assignees] == ["ada", "bea"]
    assert [(value.label, value.text) for value in card.fields] == [
        ("Close date", "2026-04-01"),
        ("Company size", "40"),
    ]
    assert card.days_in_step == 2 and not card.at_risk


def test_an_item_past_its_steps_target_is_at_risk_and_the_filter_keeps_only_those(
    sales: Sales,
) -> None:
    late = sales.add("Late", deal_value="10.00")
    sales.clock.advance(timedelta(days=4))
    sales.add("Fresh", deal_value="20.00")

    everything = column(read(sales), "Lead")
    risky = column(read(sales, ItemFilters(at_risk=True)), "Lead")

    assert {card.name: card.at_risk for card in everything.cards} == {"Late": True, "Fresh": False}
    assert [card.id for card in risky.cards] == [late]
    assert (risky.count, risky.total) == (1, Decimal("10.00"))


def test_owner_assignee_and_text_filters_narrow_counts_and_cards(sales: Sales) -> None:
    mine = sales.add("Acme Corp", owner=sales.bea, deal_value="1.00")
    sales.add("Acme Ltd", deal_value="2.00")
    other = sales.add("Globex", deal_value="4.00")
    sales.assign(other, sales.bea)

    def names(filters: ItemFilters) -> list[str]:
        return sorted(card.name for card in column(read(sales, filters), "Lead").cards)

    assert names(ItemFilters(owner=sales.bea)) == ["Acme Corp"]
    assert names(ItemFilters(assignee=sales.bea)) == ["Globex"]
    assert names(ItemFilters(q="acme")) == ["Acme Corp", "Acme Ltd"]
    assert names(ItemFilters(q="100%")) == []
    assert column(read(sales, ItemFilters(q="acme")), "Lead").total == Decimal("3.00")
    assert mine in {card.id for card in column(read(sales), "Lead").cards}


def test_a_column_shows_its_newest_cards_and_more_on_request(sales: Sales) -> None:
    for number in range(CARDS_PER_COLUMN + 3):
        sales.add(f"Deal {number:02d}")
        sales.clock.advance(timedelta(minutes=1))
    sales.add("Elsewhere", "Won")

    lead = column(read(sales), "Lead")
    expanded = column(read(sales, expanded=sales.pipeline.step("Lead")), "Lead")

    assert lead.count == CARDS_PER_COLUMN + 3
    assert len(lead.cards) == CARDS_PER_COLUMN and lead.hidden == 3
    assert lead.cards[0].name == f"Deal {CARDS_PER_COLUMN + 2:02d}"
    assert len(expanded.cards) == CARDS_PER_COLUMN + 3 and expanded.hidden == 0
    assert len(column(read(sales), "Won").cards) == 1


def test_another_tenant_cannot_read_the_board(sales: Sales, other_admin: Login) -> None:
    stranger = actor_for(other_admin.tenant_id, other_admin.account_id, "admin")
    with sales.container.uow() as uow, pytest.raises(NotFound):
        board(uow, stranger, sales.pipeline.instance_id, ItemFilters())


def test_the_status_filter_shows_open_completed_archived_or_any_items(sales: Sales) -> None:
    sales.add("Acme", deal_value="10.00")
    won = sales.add("Globex", "Won", deal_value="20.00")
    parked = sales.add("Initech", deal_value="40.00")
    with sales.container.uow() as uow:
        for item_id, status in ((won, "completed"), (parked, "archived")):
            row = uow.session.get(Item, (sales.admin.tenant_id, item_id))
            assert row is not None
            row.status = status
        uow.commit()

    def counts(status: str) -> dict[str, tuple[int, Decimal | None]]:
        shown = read(sales, ItemFilters(status=status))  # type: ignore[arg-type]
        return {c.step.name: (c.count, c.total) for c in shown.columns if c.count}

    assert counts("open") == {"Lead": (1, Decimal("10.00"))}
    assert counts("completed") == {"Won": (1, Decimal("20.00"))}
    assert counts("archived") == {"Lead": (1, Decimal("40.00"))}
    assert counts("any") == {"Lead": (2, Decimal("50.00")), "Won": (1, Decimal("20.00"))}
    assert not ItemFilters().active and ItemFilters(status="any").active


def test_a_board_setting_edit_reaches_a_running_board_once_published_and_upgraded(
    sales: Sales,
) -> None:
    sales.add("Acme", deal_value="100.00", close_date="2026-04-01", company_size="40")
    with sales.container.uow() as uow:
        templates.update_template(
            uow,
            sales.admin,
            PipelineTemplateUpdate(
                id=sales.pipeline.template_id,
                board=BoardSetting(money_field=None, card_fields=["company_size"]),
            ),
        )

    drafted = read(sales)
    publish_and_upgrade(sales.container, sales.admin, sales.pipeline.template_id)
    upgraded = read(sales)

    # The edit is a draft: the running board keeps the setting of the version it runs.
    assert column(drafted, "Lead").total == Decimal("100.00")
    assert [f.name for f in column(drafted, "Lead").cards[0].fields] == [
        "close_date",
        "company_size",
    ]
    assert column(upgraded, "Lead").total is None
    assert [f.name for f in column(upgraded, "Lead").cards[0].fields] == ["company_size"]
