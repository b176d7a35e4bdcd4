"""Printing a workbook as a reader would: headless LibreOffice Calc (Debian's libreoffice-calc-nogui).

Skips without LibreOffice, unless DEMANDLAB_REQUIRE_OFFICE=1 (set by .ci/run): then a missing LibreOffice
is a failure."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader


def to_pdf(workbook: Path, folder: Path) -> PdfReader:
    """``workbook`` converted to PDF in ``folder`` (a LibreOffice profile of its own: never the user's)."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        if os.environ.get("DEMANDLAB_REQUIRE_OFFICE") == "1":
            pytest.fail("LibreOffice is required (DEMANDLAB_REQUIRE_OFFICE=1): apt-get install libreoffice-calc-nogui")
        pytest.skip("LibreOffice not installed (apt-get install libreoffice-calc-nogui)")
    folder.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "HOME": str(folder)}
    done = subprocess.run(
        [soffice, "--headless", "--convert-to", "pdf", "--outdir", str(folder), str(workbook)],
        capture_output=True, text=True, timeout=300, env=env, check=False,
    )  # fmt: skip
    pdf = folder / (workbook.stem + ".pdf")
    assert done.returncode == 0 and pdf.exists(), done.stderr
    return PdfReader(pdf)
