"""CSV import plans: line numbers, one error per failing field, header and size checks."""

from __future__ import annotations

from services.membership.csv_import import MAX_ROWS, RowError, parse_organizations_csv
from services.membership.domain import CooperationType


def errors_of(text: str) -> list[tuple[int, str]]:
    return [(error.row, error.field) for error in parse_organizations_csv(text).errors]


def test_mixed_rows_give_exact_line_numbers_and_fields() -> None:
    text = (
        "legal_name,vat,country,website,nace_codes,technologies,cooperation_types\n"
        "Acme Robotics SRL,RO12345678,RO,https://Acme.ro/,62.10;26.11,AI; Robots,"
        "research_cooperation;licensing\n"
        "Bad Country Ltd,,XX,,99.99,,\n"
        "\n"
        '"Multi\nLine GmbH",DE123456789,DE,ftp://x.de,62,,\n'
        "Fine Kft,,HU,,,,\n"
        ",,RO,,,,\n"
    )
    plan = parse_organizations_csv(text)
    assert [line for line, _ in plan.rows] == [2, 7]
    first = plan.rows[0][1]
    assert first.nace_codes == ["62.10", "26.11"]
    assert first.technologies == ["ai", "robots"]
    assert first.cooperation_types == [
        CooperationType.RESEARCH_COOPERATION,
        CooperationType.LICENSING,
    ]
    assert first.website == "https://acme.ro"
    assert [(e.row, e.field) for e in plan.errors] == [
        (3, "country"),
        (3, "nace_codes"),
        (5, "website"),
        (8, "legal_name"),
    ]
    nace_error = plan.errors[1]
    assert "'99.99'" in nace_error.reason
    assert not nace_error.reason.startswith("Value error")


def test_two_bad_items_of_one_column_make_one_error() -> None:
    plan = parse_organizations_csv("legal_name,country,languages\nAcme,RO,en;eng;xyz\n")
    assert len(plan.errors) == 1
    error = plan.errors[0]
    assert (error.row, error.field) == (2, "languages")
    assert "'eng'" in error.reason
    assert "'xyz'" in error.reason


def test_unknown_header_column_is_one_error_on_line_1() -> None:
    plan = parse_organizations_csv("legal_name,country,email\nAcme,RO,a@b.ro\n")
    assert plan.errors == [RowError(1, "email", "unknown column")]
    assert plan.rows == []


def test_missing_required_column_is_reported_on_line_1() -> None:
    assert errors_of("legal_name,city\nAcme,Cluj\n") == [(1, "country")]


def test_empty_file_is_one_error() -> None:
    assert errors_of("") == [(1, "header")]
    assert errors_of("\n\n") == [(1, "header")]


def test_file_without_header_is_one_error() -> None:
    plan = parse_organizations_csv("Acme,RO12345678,RO\nBeta,,HU\n")
    assert len(plan.errors) == 1
    assert (plan.errors[0].row, plan.errors[0].field) == (1, "header")


def test_header_with_bom_and_spaces_is_understood() -> None:
    plan = parse_organizations_csv("\ufeffLegal_Name , country\nAcme,RO\n")
    assert plan.errors == []
    assert plan.rows[0][1].legal_name == "Acme"


def test_duplicates_within_the_file_are_reported_on_the_later_row() -> None:
    text = (
        "legal_name,vat,country\n"
        "Acme SRL,RO12345678,RO\n"
        "Acme Robotics,ro-12345678,RO\n"
        "Beta S.R.L.,,RO\n"
        "beta srl,,RO\n"
        "Beta SRL,,HU\n"
    )
    plan = parse_organizations_csv(text)
    assert [line for line, _ in plan.rows] == [2, 4, 6]
    assert plan.errors == [
        RowError(3, "vat", "duplicate of row 2"),
        RowError(5, "legal_name", "duplicate of row 4"),
    ]


def test_more_cells_than_columns_is_an_error() -> None:
    assert errors_of("legal_name,country\nAcme,RO,extra\nBeta,RO,\n") == [(2, "row")]


def test_more_than_the_maximum_number_of_rows_is_refused() -> None:
    body = "".join(f"Org {i},RO\n" for i in range(MAX_ROWS + 1))
    plan = parse_organizations_csv("legal_name,country\n" + body)
    assert len(plan.rows) == MAX_ROWS
    assert [(e.row, e.field) for e in plan.errors] == [(MAX_ROWS + 2, "row")]


def test_exactly_the_maximum_number_of_rows_is_accepted() -> None:
    body = "".join(f"Org {i},RO\n" for i in range(MAX_ROWS))
    plan = parse_organizations_csv("legal_name,country\n" + body)
    assert plan.errors == []
    assert len(plan.rows) == MAX_ROWS
