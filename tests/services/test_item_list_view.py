"""services.views.item_list and csv_export: sorting, filters, pages and the CSV rows, on
SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest

from pacetrack.adapters.clock import FrozenClock
from pacetrack.bootstrap import Container
from pacetrack.services.errors import InvalidInput
from pacetrack.services.views import csv_export, item_list
from pacetrack.services.views.item_list import PAGE_SIZE, ItemList
from pacetrack.services.views.pipeline_view import ItemFilters
from tests.conftest import Login
from tests.services.views_support import Sales, open_sales


@pytest.fixture
def sales(container: Container, clock: FrozenClock, admin: Login) -> Sales:
    return open_sales(container, clock, admin)


def listed(sales: Sales, filters: ItemFilters | None = None, **options: object) -> ItemList:
    with sales.container.uow() as uow:
        return item_list.item_list(
            uow,
            sales.admin,
            sales.pipeline.instance_id,
            filters or ItemFilters(),
            **options,  # type: ignore[arg-type]
        )


def names(sales: Sales, **options: object) -> list[str]:
    return [row.name for row in listed(sales, **options).rows]


def test_the_list_sorts_by_each_column_both_ways(sales: Sales) -> None:
    sales.add("bravo", "Qualified", deal_value="900.00", company_size="5")
    sales.clock.advance(timedelta(days=2))
    sales.add("Alpha", "Won", owner=sales.bea, deal_value="1000.00", company_size="40")
    sales.clock.advance(timedelta(days=1))
    charlie = sales.add("Charlie", deal_value="99.50")
    sales.assign(charlie, sales.bea)

    assert names(sales) == ["Alpha", "bravo", "Charlie"]
    assert names(sales, direction="desc") == ["Charlie", "bravo", "Alpha"]
    assert names(sales, sort_key="step") == ["Charlie", "bravo", "Alpha"]
    assert names(sales, sort_key="days", direction="desc") == ["bravo", "Alpha", "Charlie"]
    assert names(sales, sort_key="days") == ["Charlie", "Alpha", "bravo"]
    assert names(sales, sort_key="field:deal_value") == ["Charlie", "bravo", "Alpha"]
    assert names(sales, sort_key="field:company_size", direction="desc") == [
        "Alpha",
        "bravo",
        "Charlie",
    ]
    # Items without an owner's name or an assignee come last either way.
    assert names(sales, sort_key="owner", direction="desc")[0] in {"Alpha", "bravo", "Charlie"}
    assert names(sales, sort_key="assignees")[0] == "Charlie"
    assert names(sales, sort_key="assignees", direction="desc")[0] == "Charlie"


def test_an_unknown_sort_or_direction_is_refused_naming_it(sales: Sales) -> None:
    for options, field in (
        ({"sort_key": "field:secret"}, "sort"),
        ({"sort_key": "name", "direction": "up"}, "direction"),
    ):
        with pytest.raises(InvalidInput) as refused:
            listed(sales, **options)
        assert [problem.field for problem in refused.value.problems] == [field]


def test_the_list_pages_by_fifty_and_keeps_the_filters(sales: Sales) -> None:
    for number in range(PAGE_SIZE + 5):
        sales.add(f"Deal {number:03d}")
    sales.add("Other", owner=sales.bea)

    first = listed(sales, ItemFilters(q="deal"))
    last = listed(sales, ItemFilters(q="deal"), page=9)

    assert (first.total, first.pages, len(first.rows)) == (PAGE_SIZE + 5, 2, PAGE_SIZE)
    assert (last.page, len(last.rows)) == (2, 5)
    assert [row.name for row in listed(sales, ItemFilters(owner=sales.bea)).rows] == ["Other"]


def test_the_csv_has_every_matching_row_with_formulas_neutralised(sales: Sales) -> None:
    sales.add('=HYPERLINK("http://evil")', deal_value="-5.00", close_date="2026-04-01")
    sales.add("@risk +1", deal_value="1234.50")
    sales.add("Plain", "Won")
    with sales.container.uow() as uow:
        view, sort = item_list.export_view(
            uow, sales.admin, sales.pipeline.instance_id, sort_key="name", direction="asc"
        )

    def exported(filters: ItemFilters) -> list[list[str]]:
        with sales.container.uow() as uow:
            text = "".join(
                csv_export.csv_lines(
                    view, item_list.all_rows(uow, sales.admin, view, filters, sort)
                )
            )
        return list(csv.reader(io.StringIO(text)))

    rows = exported(ItemFilters())
    assert rows[0] == [
        "Name",
        "Step",
        "Owner",
        "Assigned to",
        "Days in step",
        "At risk",
        "Deal value (USD)",
        "Close date",
        "Company size",
    ]
    by_name = {row[0]: row for row in rows[1:]}
    assert by_name.keys() == {'\'=HYPERLINK("http://evil")', "'@risk +1", "Plain"}
    assert by_name['\'=HYPERLINK("http://evil")'][1:] == [
        "Lead",
        "ada",
        "",
        "0",
        "no",
        "-5.00",
        "2026-04-01",
        "",
    ]
    assert by_name["'@risk +1"][6] == "1234.50"
    assert [row[0] for row in exported(ItemFilters(q="plain"))[1:]] == ["Plain"]
