"""Reading a CSV download of the studio (streamed, with Excel's byte-order mark)."""

from __future__ import annotations

import csv
import io


def csv_of(response) -> list[list[str]]:
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))
