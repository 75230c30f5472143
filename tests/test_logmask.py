"""Nothing personal in the logs: phones masked in every record, SQL errors without values."""

import logging

import pytest
from sqlalchemy import text

from seba import logmask
from seba.db import ShopUnavailable, session_scope
from seba.text import mask_phones


@pytest.mark.parametrize(
    "raw, masked",
    [
        ("order 10456 phone 01711000001", "order 10456 phone 017•••••001"),
        ("+880 1711-000001", "017•••••001"),
        ("৮৮০১৭১১০০০০০১ দিলাম", "017•••••001 দিলাম"),
        ("০১৭১১ ০০০ ০০১", "017•••••001"),
        ("amount 1250, order 10460", "amount 1250, order 10460"),
        ("a 12-digit 017110000012 is not a phone", "a 12-digit 017110000012 is not a phone"),
    ],
)
def test_phones_are_masked_in_free_text(raw, masked):
    assert mask_phones(raw) == masked


def test_every_log_record_is_masked_including_tracebacks(caplog):
    logmask.install()
    log = logging.getLogger("seba.test")
    with caplog.at_level(logging.INFO):
        log.info("verifying %s with %s", "10456", "01711000001")
        try:
            raise ValueError("bad phone 01811000002")
        except ValueError:
            log.exception("failed for %s", "+8801911000003")
    text = caplog.text
    assert "01711000001" not in text and "01811000002" not in text and "1911000003" not in text
    assert "017•••••001" in text and "018•••••002" in text and "019•••••003" in text


def test_sql_errors_do_not_carry_the_bound_values(db_url, caplog):
    with caplog.at_level(logging.WARNING):
        with pytest.raises(ShopUnavailable) as error:
            with session_scope(db_url) as session:
                session.execute(
                    text("SELECT * FROM no_such_table WHERE address = :p"),
                    {"p": "House 12, Road 5, Dhanmondi"},
                )
    assert "no_such_table" in caplog.text  # the error is logged ...
    assert "Dhanmondi" not in str(error.value) + caplog.text  # ... without the values
