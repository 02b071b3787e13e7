"""The report as one printable HTML page: tables and SVG charts inline, no script, no network, so
it opens the same on the kiosk, a laptop or paper. Every text from the database is escaped."""

from __future__ import annotations

from html import escape
from typing import Any

from cxkiosk.report_text import NO_KIOSK_ID

STYLE = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2430;
  margin:32px;max-width:1100px}
h1{font-size:24px;margin:0 0 4px}
h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #d5dae1;padding-bottom:4px}
.muted{color:#5b6574}
.verdict{font-size:16px;background:#f2f6fb;border-left:4px solid #2f6fbf;padding:10px 14px}
table{border-collapse:collapse;width:100%;margin:6px 0}
th,td{padding:4px 8px;border-bottom:1px solid #e6e9ee;text-align:right}
th:first-child,td:first-child{text-align:left}th{background:#f6f7f9;font-weight:600}
.cards{display:flex;gap:12px;flex-wrap:wrap}
.card{border:1px solid #e0e4ea;border-radius:6px;padding:8px 14px;min-width:110px}
.card b{display:block;font-size:20px}svg{max-width:100%}
@media print{body{margin:12mm}h2{break-after:avoid}}
"""


NO_PLAYS = "No targeted or holdout plays yet."


def render_html(report: dict[str, Any], title: str = "cxkiosk report") -> str:
    totals, uplift = report["totals"], report.get("uplift") or {}
    overall = uplift.get("overall") or {}
    period = f"{report['since'] or 'all history'} to {report['until']}"
    if report.get("kiosk") is not None:
        name = report.get("kiosk_name") or ""
        period += f"; kiosk {report['kiosk'] or NO_KIOSK_ID}" + (f" ({name})" if name else "")
    parts = [f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{escape(title)}</title>"
             f"<style>{STYLE}</style></head><body>",
             f"<h1>{escape(title)}</h1><div class='muted'>{escape(period)}</div>",
             "<h2>Does targeting make people tap more?</h2>",
             f"<p class='verdict'>{escape(overall.get('verdict') or NO_PLAYS)}</p>"]
    if overall:
        parts.append(_rates_chart(overall))
    captions = (uplift.get("captions") or {}).get("overall")
    if captions and captions["with_caption"]["plays"]:
        parts.append(f"<p><b>Captions:</b> {escape(captions['verdict'])}</p>")
    parts.append("<div class='cards'>" + "".join(
        f"<div class='card'><b>{escape(_fmt(totals.get(key)))}</b>{escape(label)}</div>" for key, label in (
            ("plays", "plays"), ("targeted", "targeted"), ("holdout", "holdout"), ("ots", "people present"),
            ("play_watchers", "watchers"), ("attention", "seconds watched"), ("taps", "taps"),
            ("visitors", "visitors"), ("failed_to_load", "failed to load (not plays)"))) + "</div>")
    parts.append("<h2>Per item</h2>" + _table(
        ("Item", "Plays", "Targeted", "Holdout", "People", "Watchers", "Seconds watched", "Taps",
         "Taps/100 watchers, targeted", "Taps/100 watchers, holdout"),
        [(row["title"], row["plays"], row["targeted"], row["holdout"], row["ots"], row["watchers"],
          row["attention"], row["taps"], *_item_rates(uplift, row["item_id"])) for row in report["items"]]))
    if report.get("kiosks"):
        parts.append("<h2>Per kiosk</h2>" + _table(
            ("Kiosk", "Name", "Plays", "Seconds on screen", "Taps", "Visits", "Visitors"),
            [(row["kiosk"] or NO_KIOSK_ID, row["name"], row["plays"], row["seconds"], row["taps"],
              row["visits"], row["visitors"]) for row in report["kiosks"]]))
    parts.append("<h2>Visitors and plays by hour</h2>" + _hours_chart(report["hours"]))
    if report["segments"]:
        parts.append("<h2>Who was there</h2>" + _table(
            ("Gender", "Age", "People"),
            [(s["gender"], s["age_band"], s["people"]) for s in report["segments"]]))
    parts.append(f"<p class='muted'>Method: {escape(uplift.get('method', ''))}; at least "
                 f"{escape(str(uplift.get('minimum_watchers_per_side', '')))} watchers on each side before "
                 "a difference is stated. Holdout plays are visits shown the normal loop on purpose. "
                 "Only anonymous counts are stored: no images, no identities.</p></body></html>")
    return "\n".join(parts)


def _fmt(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.1f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def _table(header: tuple[str, ...], rows: list[tuple[Any, ...]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{escape(_fmt(c))}</td>" for c in row) + "</tr>" for row in rows)
    body = body or "<tr><td>nothing yet</td></tr>"
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _item_rates(uplift: dict[str, Any], item_id: Any) -> tuple[Any, Any]:
    row = next((r for r in uplift.get("items", []) if r["item_id"] == item_id), None)
    if row is None:
        return None, None
    return row["targeted"]["rate"], row["holdout"]["rate"]


def _rates_chart(overall: dict[str, Any]) -> str:
    """Two bars, taps per 100 watchers, with each side's watchers under it."""
    sides = [("Targeted", overall["targeted"], "#2f6fbf"),
             ("Holdout (normal loop)", overall["holdout"], "#9aa5b4")]
    top = max([s["rate"] or 0 for _n, s, _c in sides] + [1.0])
    bars = []
    for n, (label, side, colour) in enumerate(sides):
        width = 300 * (side["rate"] or 0) / top
        y = 10 + n * 46
        bars.append(f"<text x='0' y='{y + 20}' font-size='13'>{escape(label)}</text>"
                    f"<rect x='190' y='{y + 4}' width='{width:.1f}' height='24' fill='{colour}'/>"
                    f"<text x='{196 + width:.1f}' y='{y + 21}' font-size='13'>{escape(_fmt(side['rate']))} "
                    f"per 100 watchers ({escape(_fmt(side['watchers']))} watchers)</text>")
    label = "taps per 100 watchers"
    return f"<svg width='800' height='104' role='img' aria-label='{label}'>{''.join(bars)}</svg>"


def _hours_chart(hours: list[dict[str, Any]]) -> str:
    top = max([h["visitors"] for h in hours] + [h["plays"] for h in hours] + [1])
    bars = []
    for h in hours:
        x = 30 + h["hour"] * 31
        for offset, key, colour in ((0, "visitors", "#2f6fbf"), (14, "plays", "#c9a227")):
            height = 120 * h[key] / top
            bars.append(f"<rect x='{x + offset}' y='{140 - height:.1f}' width='12' height='{height:.1f}' "
                        f"fill='{colour}'><title>{h['hour']:02d}:00 {key}: {h[key]}</title></rect>")
        bars.append(f"<text x='{x + 4}' y='156' font-size='10'>{h['hour']:02d}</text>")
    legend = ("<rect x='30' y='166' width='10' height='10' fill='#2f6fbf'/>"
              "<text x='44' y='175' font-size='12'>visitors</text>"
              "<rect x='110' y='166' width='10' height='10' fill='#c9a227'/>"
              "<text x='124' y='175' font-size='12'>plays</text>")
    label = "visitors and plays by hour"
    return f"<svg width='800' height='182' role='img' aria-label='{label}'>{''.join(bars)}{legend}</svg>"
