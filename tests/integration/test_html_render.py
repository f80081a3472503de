"""report.html renders in a real headless browser (Debian's chromium), offline.

Marked slow. Chromium comes from ``make chromium`` (Debian's package, as root; `.ci/run`
calls it); without it the test is skipped and the reason says how to get it.
"""

from __future__ import annotations

import shutil
import subprocess

import pytest

from harness.report import write_reports
from harness.scenario.parse import scenario_of
from tests.unit.test_readme_tour import tour
from tests.unit.test_report import journal

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        CHROMIUM is None,
        reason="chromium not installed: `make chromium` as root, or `sudo apt-get install "
        "chromium` (Debian/Ubuntu)",
    ),
]


def screenshot(html, png, profile, size: str = "1200,2600") -> None:
    assert CHROMIUM is not None
    subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", f"--window-size={size}",
         f"--screenshot={png}", html.as_uri()],
        check=True,
        capture_output=True,
        timeout=120,
    )  # fmt: skip


def test_report_html_renders_the_timeline_and_tables(tmp_path):
    from matplotlib.image import imread

    records = journal()
    write_reports(tmp_path, records, scenario_of(records))
    png = tmp_path / "shot.png"
    screenshot(tmp_path / "report.html", png, tmp_path / "profile")
    pixels = imread(str(png))
    height, width = pixels.shape[:2]
    assert (width, height) == (1200, 2600)
    rgb = pixels[..., :3]
    # the page is not blank: dark text and the plot's coloured lines and shading
    dark = (rgb.max(axis=2) < 0.3).mean()
    coloured = ((rgb.max(axis=2) - rgb.min(axis=2)) > 0.25).mean()
    assert dark > 0.002, dark
    assert coloured > 0.002, coloured
    # the inline PNG decoded: a region of the plot (below the summary table) has colour
    plot_band = rgb[int(height * 0.15) : int(height * 0.45)]
    assert ((plot_band.max(axis=2) - plot_band.min(axis=2)) > 0.25).mean() > 0.002


def test_the_timeline_of_a_real_run_shows_the_backlog_in_the_fault_window(tmp_path):
    # issue 13: during the outage nothing completes, and the plot was empty there
    from matplotlib.image import imread

    records = tour().records()  # README's tour: a real token-expiry run
    write_reports(tmp_path, records, scenario_of(records))
    png = tmp_path / "shot.png"
    screenshot(tmp_path / "report.html", png, tmp_path / "profile", size="1200,1900")
    rgb = imread(str(png))[..., :3]
    red = (abs(rgb[..., 0] - 0.84) < 0.08) & (rgb[..., 1] < 0.3) & (rgb[..., 2] < 0.3)
    # the in-flight line and the oldest job's age climb through the fault window: many
    # more saturated red pixels than the dashed "detect" line alone draws
    plot = red[400:1600]
    assert plot.sum() > 1500, plot.sum()  # measured: ~4000; without those lines ~300
