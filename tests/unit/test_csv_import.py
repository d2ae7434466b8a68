"""CSV import plans: line numbers, one error per failing field, header and size checks."""

from __future__ import annotations

from services.membership.csv_import import (
    COLUMNS,
    EXAMPLE_ROW,
    MAX_ROWS,
    RowError,
    parse_organizations_csv,
    template_csv,
)
from services.membership.domain import CooperationType


def errors_of(text: str) -> list[tuple[int, str]]:
    return [(error.row, error.field) for error in parse_organizations_csv(text).errors]


def test_mixed_rows_give_exact_line_numbers_and_fields() -> None:
    text = (
        "legal_name,vat,country,website,nace_codes,technologies,cooperation_types\n"
        "Acme Robotics SRL,RO12345674,RO,https://Acme.ro/,62.10;26.11,AI; Robots,"
        "research_cooperation;licensing\n"
        "Bad Country Ltd,,XX,,99.99,,\n"
        "\n"
        '"Multi\nLine GmbH",DE123456788,DE,ftp://x.de,62,,\n'
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
    assert [(e.row, e.field) for e in plan.errors] == [(1, "email")]
    assert plan.errors[0].reason.startswith("unknown column 'email'; expected columns: legal_name,")
    assert plan.rows == []


def test_missing_required_column_is_reported_on_line_1() -> None:
    assert errors_of("legal_name,city\nAcme,Cluj\n") == [(1, "country")]


def test_empty_file_is_one_error() -> None:
    assert errors_of("") == [(1, "header")]
    assert errors_of("\n\n") == [(1, "header")]


def test_file_without_header_is_one_error() -> None:
    plan = parse_organizations_csv("Acme,RO12345674,RO\nBeta,,HU\n")
    assert len(plan.errors) == 1
    assert (plan.errors[0].row, plan.errors[0].field) == (1, "header")


def test_header_with_bom_and_spaces_is_understood() -> None:
    plan = parse_organizations_csv("\ufeffLegal_Name , country\nAcme,RO\n")
    assert plan.errors == []
    assert plan.rows[0][1].legal_name == "Acme"


def test_duplicates_within_the_file_are_reported_on_the_later_row() -> None:
    text = (
        "legal_name,vat,country\n"
        "Acme SRL,RO12345674,RO\n"
        "Acme Robotics,ro-12345674,RO\n"
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


def test_a_semicolon_separated_file_is_read_with_lists_separated_by_commas() -> None:
    text = (
        "legal_name;vat;country;nace_codes;technologies;offers\n"
        "Acme, Robotics SRL;RO18547290;RO;62.10,28;AI, robots;welding, painting\n"
        '"Beta; Quoted";;DE;"62;26.11";;\n'
    )
    plan = parse_organizations_csv(text)
    assert plan.errors == []
    (_, acme), (_, beta) = plan.rows
    assert acme.legal_name == "Acme, Robotics SRL"
    assert acme.nace_codes == ["62.10", "28"]
    assert acme.technologies == ["ai", "robots"]
    assert acme.offers == "welding, painting"  # not a list column: kept whole
    assert beta.legal_name == "Beta; Quoted"
    assert beta.nace_codes == ["62", "26.11"]  # a quoted cell may use ';' too


def test_a_comma_separated_file_keeps_commas_inside_list_values() -> None:
    plan = parse_organizations_csv('legal_name,country,technologies\nAcme,RO,"a, b;c"\n')
    assert plan.rows[0][1].technologies == ["a, b", "c"]


def test_an_unknown_column_is_named_with_the_closest_known_one() -> None:
    for text in ("legal_name,countri\nAcme,RO\n", "legal_name;countri\nAcme;RO\n"):
        errors = parse_organizations_csv(text).errors
        assert errors[0].field == "countri"
        assert errors[0].reason.startswith("unknown column 'countri' (did you mean 'country'?)")


def test_the_template_is_a_valid_file_naming_every_column() -> None:
    text = template_csv()
    header, _example, *rest = text.split("\r\n")
    assert header.split(",") == list(COLUMNS)
    assert rest == [""]
    plan = parse_organizations_csv(text)
    assert plan.errors == []
    assert plan.notices == []
    ((line, draft),) = plan.rows
    assert line == 2
    assert draft.legal_name == EXAMPLE_ROW["legal_name"]
    assert draft.nace_codes == EXAMPLE_ROW["nace_codes"].split(";")


def test_rev2_codes_are_converted_and_each_conversion_is_reported_with_its_row() -> None:
    text = "legal_name,country,nace_codes\nAcme,RO,62.01;28\nBeta,RO,62.10\nGamma,RO,63.11\n"
    plan = parse_organizations_csv(text)
    assert [draft.nace_codes for _, draft in plan.rows] == [["62.10", "28"], ["62.10"], ["63.10"]]
    assert [(n.row, n.field) for n in plan.notices] == [(2, "nace_codes"), (4, "nace_codes")]
    assert "63.11 is 63.10" in plan.notices[1].reason


def test_a_nul_in_a_cell_is_an_error_of_that_row() -> None:
    assert errors_of("legal_name,country,city\nAc\x00me,RO,Cluj\nBeta,RO,\n") == [(2, "legal_name")]


def test_a_huge_bad_cell_is_reported_shortened() -> None:
    plan = parse_organizations_csv(f"legal_name,country,languages\nAcme,RO,{'x' * 100_000}\n")
    assert len(plan.errors[0].reason) < 400
