"""What an email attempt records of a refusal or an error is printable text, bounded: a server's reply (several
lines, or escape codes) reaches the delivery log and the API as one line."""

from __future__ import annotations

from goalstream_notifications.adapters.email import MAX_ERROR_CHARS, _refused


def test_a_multi_line_smtp_reply_is_recorded_as_one_printable_line() -> None:
    result = _refused(
        550, "message refused: 550 5.1.1 No such user\r\n550 5.1.1 \x1b[31mreally\x00", stage_is_final=True
    )
    assert result.error == "message refused: 550 5.1.1 No such user 550 5.1.1 [31mreally"
    assert result.permanent and result.status_code == 550
    assert len(_refused(451, "x" * 5000, stage_is_final=False).error or "") == MAX_ERROR_CHARS
