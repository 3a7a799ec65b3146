"""LanceDB imported with pydantic's call validation deferred: validation still happens, on the
first call, and pydantic is left as it was."""

from __future__ import annotations

import subprocess
import sys

PROGRAM = """
import pydantic
eager = pydantic.validate_call
from sector_cli.context.lancedb_import import import_lancedb
lancedb = import_lancedb()
assert pydantic.validate_call is eager, "validate_call was not restored"
assert import_lancedb() is lancedb
from lance_namespace_urllib3_client.api.table_api import TableApi
try:
    TableApi().describe_table(id=123, describe_table_request=None)
except pydantic.ValidationError as error:
    print("validated:", error.errors()[0]["loc"])
else:
    raise SystemExit("a wrong argument type was not refused")
@pydantic.validate_call
def after(n: int) -> int:
    return n
try:
    after("x")
except pydantic.ValidationError:
    print("later decorators validate at once")
"""


def test_lancedb_imports_with_validation_deferred_not_skipped() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "validated: ('id',)" in done.stdout
    assert "later decorators validate at once" in done.stdout
