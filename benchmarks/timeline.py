"""The timeline experiment: is a long plan's timeline better drawn another way? (issue 18)

    python -m benchmarks.timeline --rows 1000 [--work DIR]

Takes the pipeline's own overview HTML for a synthetic plan (`benchmarks/generate.py`) and
makes one document per way of drawing the timeline, each with the title block and the
timeline section only (the activity table is measured once on its own, as the baseline every
variant is added to):

- `table`: the activity table alone (no timeline), for reference;
- `rows` (a): the current timeline, one laid-out table row per activity (positioned boxes);
- `svg` (b): the same rows drawn as one inline SVG per page (pre-paginated, ROWS_PER_SVG rows
  each), every SVG a figure (PDF /Figure) whose <title> is its text alternative; the table
  keeps the data; `svg-plain` the same with plain bars instead of the hatching pattern;
- `lanes` (c): one lane per theme, one SVG figure: for each theme and month how many
  activities run then (a shade and the number), and its meetings as ticks.

Each document is made into a PDF/UA-1 PDF by WeasyPrint directly in a child process (the
pipeline's own finisher adds the table headers' /Scope), which reports the seconds to lay out
and write it and its peak RSS (`getrusage`); then its pages are counted, it is checked with
page-validation's PDF/UA-1 profile, and its page 2 is rendered to PNG (pdftoppm -r 50) to look
at. Results go to DIR/timeline.json and are printed as a table.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from html import escape
from pathlib import Path

from benchmarks import floor, generate

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT / "templates"
VARIANTS = ("table", "rows", "svg", "svg-plain", "lanes")
ROWS_PER_SVG = 40  # rows of one SVG page: 7 mm + 40 × 4 mm fit in the page's 182 mm of content
FIRST_SVG_ROWS = 32  # on the first page, below the heading and the legend
# The page's content box (A4 landscape minus the margins in oversigt.css), in millimetres.
PAGE_WIDTH_MM, PAGE_HEIGHT_MM = 273.0, 182.0
LABEL_SHARE = 0.32  # the label column's share of the width, as in the current timeline
ROW_MM, HEAD_MM = 4.0, 7.0
NS = "http://www.w3.org/1999/xhtml"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.timeline", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1000, help="activities in the synthetic plan")
    parser.add_argument("--work", type=Path, help="folder for the plan, HTML, PDFs and PNGs")
    parser.add_argument("--variants", default=",".join(VARIANTS), help="which to measure, comma-separated")
    parser.add_argument("--measure", nargs=2, type=Path, metavar=("HTML", "PDF"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:  # in the child process
        print(json.dumps(_measure(*args.measure)))
        return 0
    work = (args.work or Path(f"/tmp/pipeline-timeline-{args.rows}")).resolve()
    work.mkdir(parents=True, exist_ok=True)
    documents = variant_documents(args.rows, work)
    results = {}
    for name in args.variants.split(","):
        html = work / f"{name}.html"
        html.write_text(documents[name], encoding="utf-8")
        results[name] = measure(html, work / f"{name}.pdf")
        print(f"  {name}: " + ", ".join(f"{k} {v}" for k, v in results[name].items() if k != "failures"),
              flush=True)
    (work / "timeline.json").write_text(json.dumps({"rows": args.rows, "results": results}, indent=1,
                                                   ensure_ascii=False), encoding="utf-8")
    print(report(args.rows, results))
    return 0


# --- The documents ------------------------------------------------------------------------------

def variant_documents(rows: int, work: Path) -> dict[str, str]:
    """Return each variant's HTML, made from the pipeline's overview HTML for a synthetic plan."""
    import lxml.html

    plan = generate.write_plan(work, rows)
    kinds = floor.document_kinds()
    overview = next(d for d in floor.plan_documents(floor.load_plans([plan])) if d.kind is kinds.OVERVIEW)
    context = floor.build_context(overview)
    html = floor.overview_html(context, TEMPLATES)
    # The timeline lists the activities in the table's order; the table rows carry their themes.
    themes = [row["tema"] for group in context["grupper"] for row in group["raekker"]]
    items = context["tidslinje"]
    assert len(themes) == len(items)

    def variant(change) -> str:
        tree = lxml.html.document_fromstring(html)
        change(tree)
        return lxml.html.tostring(tree, encoding="unicode", doctype="<!DOCTYPE html>")

    def table_only(tree) -> None:
        _drop(tree, "section", "tidslinje-afsnit")

    def timeline_only(tree) -> None:
        _drop(tree, "section", "aktiviteter")

    def replaced(make_figures):
        def change(tree) -> None:
            timeline_only(tree)
            frame = _find(tree, "div", "tidslinje-ramme")
            parent = frame.getparent()
            for figure in make_figures():
                frame.addprevious(lxml.html.fragment_fromstring(figure))
            parent.remove(frame)
            tree.find("head").append(lxml.html.fragment_fromstring(f"<style>{FIGURE_CSS}</style>"))
        return change

    year = context.get("aar", overview.year)
    return {
        "table": variant(table_only),
        "rows": variant(timeline_only),
        "svg": variant(replaced(lambda: svg_pages(items, year))),
        "svg-plain": variant(replaced(lambda: svg_pages(items, year, hatched=False))),
        "lanes": variant(replaced(lambda: [lanes_figure(items, themes, year)])),
    }


def _find(tree, tag: str, css_class: str):
    return next(e for e in tree.iter(tag) if css_class in (e.get("class") or "").split())


def _drop(tree, tag: str, css_class: str) -> None:
    element = _find(tree, tag, css_class)
    element.getparent().remove(element)


FIGURE_CSS = """
div.tidslinje-figur { break-inside: avoid; margin: 0 0 2mm 0; }
div.tidslinje-figur + div.tidslinje-figur { break-before: page; }
div.tidslinje-figur svg { display: block; }
"""
MONTHS = ("jan.", "feb.", "mar.", "apr.", "maj", "jun.", "jul.", "aug.", "sep.", "okt.", "nov.", "dec.")


def svg_pages(items: list[dict], year: int, *, hatched: bool = True) -> list[str]:
    """Return the timeline as one SVG figure per page, ROWS_PER_SVG activities each. Without
    `hatched`, a period's bar is filled plainly (light) instead of with the hatching pattern."""
    pages = []
    total, first = len(items), 0
    while first < total:
        # The first page also holds the section's heading and legend: fewer rows fit there.
        count = FIRST_SVG_ROWS if first == 0 else ROWS_PER_SVG
        pages.append(_svg_page(items[first:first + count], first, total, year, hatched))
        first += count
    return pages


def _svg_page(items: list[dict], first: int, total: int, year: int, hatched: bool) -> str:
    width, height = PAGE_WIDTH_MM, HEAD_MM + ROW_MM * len(items)
    x0 = width * LABEL_SHARE
    span = width - x0
    def x(fraction):
        return x0 + span * fraction
    forms = {}
    for item in items:
        forms[item["form"]] = forms.get(item["form"], 0) + 1
    counted = ", ".join(f"{count} {_FORM_NAMES.get(form, form)}" for form, count in forms.items())
    title = (f"Tidslinje {year}, aktivitet {first + 1}–{first + len(items)} af {total}, i samme "
             f"rækkefølge som tabellen Aktiviteter i datoorden, der har alle datoer: {counted}.")
    out = [f'<div class="tidslinje-figur"><svg xmlns="http://www.w3.org/2000/svg" width="{width}mm" '
           f'height="{height}mm" viewBox="0 0 {width} {height}" font-family="DejaVu Sans Condensed" '
           f'font-size="2.3">', f"<title>{escape(title)}</title>", _PATTERN,
           f'<rect x="0" y="0" width="{width}" height="{HEAD_MM - 1}" fill="#dde7ef"/>',
           f'<text x="1" y="{HEAD_MM - 2.5}" font-weight="bold">Aktivitet</text>']
    for month in range(12):
        left = x(month / 12)
        out.append(f'<text x="{left + span / 24:.2f}" y="{HEAD_MM - 2.5}" text-anchor="middle" '
                   f'font-weight="bold">{MONTHS[month]}</text>')
        out.append(f'<line x1="{left:.2f}" y1="0" x2="{left:.2f}" y2="{height}" stroke="#a6a6a6" '
                   'stroke-width="0.18"/>')
    for index, item in enumerate(items):
        top = HEAD_MM + ROW_MM * index
        if index % 2:
            out.append(f'<rect x="0" y="{top}" width="{width}" height="{ROW_MM}" fill="#f2f2f2"/>')
        out.append(f'<text x="1" y="{top + 2.9}">{escape(item["etiket"][:70])}</text>')
        middle = top + ROW_MM / 2
        if item["form"] in ("periode", "loebende"):
            left, right = x(item["start"]), x(item["slut"])
            dash = ' stroke-dasharray="0.8 0.5"' if item["form"] == "loebende" else ""
            fill = ("#00507a" if item["statusform"] == "gennemfoert"
                    else "url(#skravering)" if hatched else "#bcd3e2")
            if item["statusform"] == "udskudt":
                fill, dash = "#ffffff", ' stroke-dasharray="0.3 0.4"'
            out.append(f'<rect x="{left:.2f}" y="{top + 0.7}" width="{max(right - left, 0.7):.2f}" '
                       f'height="{ROW_MM - 1.4}" fill="{fill}" stroke="#00324d" stroke-width="0.28"{dash}/>')
            if item["statusform"] == "aflyst":
                out.append(f'<line x1="{left:.2f}" y1="{middle}" x2="{right:.2f}" y2="{middle}" '
                           'stroke="#000" stroke-width="0.5"/>')
        else:
            centre = x(item["midt"])
            if item["form"] == "moede":
                out.append(f'<circle cx="{centre:.2f}" cy="{middle}" r="1.1" fill="#000"/>')
            elif item["form"] == "udenfor":
                tip = 1.6 if item["efter"] else -1.6
                out.append(f'<path d="M{centre - tip:.2f},{middle - 1.1} L{centre:.2f},{middle} '
                           f'L{centre - tip:.2f},{middle + 1.1} Z" fill="#000"/>')
            else:
                out.append(f'<path d="M{centre:.2f},{middle - 1.2} l1.2,1.2 l-1.2,1.2 l-1.2,-1.2 Z" '
                           'fill="#fff" stroke="#000" stroke-width="0.35"/>')
        text = item["dato"] + (f" · {item['udvalg']}" if item["udvalg"] else "") + \
            (f" ({item['note']})" if item["note"] else "") + (f" · {item['status']}" if item["status"] else "")
        anchor = x(item["anker"])
        if item["side"] == "venstre":
            out.append(f'<text x="{anchor - 2:.2f}" y="{top + 2.9}" text-anchor="end">{escape(text)}</text>')
        else:
            out.append(f'<text x="{anchor + 2:.2f}" y="{top + 2.9}">{escape(text)}</text>')
    out.append("</svg></div>")
    return "".join(out)


_FORM_NAMES = {"periode": "perioder", "loebende": "løbende", "dag": "enkeltdage", "moede": "møder",
               "udenfor": "uden for året"}
_PATTERN = ('<defs><pattern id="skravering" width="1.3" height="1.3" patternUnits="userSpaceOnUse" '
            'patternTransform="rotate(45)"><rect width="1.3" height="1.3" fill="#fff"/>'
            '<rect width="0.45" height="1.3" fill="#00507a"/></pattern></defs>')


def lanes_figure(items: list[dict], themes: list[str], year: int) -> str:
    """Return one SVG figure with a lane per theme: per month how many of its activities run
    then (shade and number), and a tick per meeting."""
    by_theme: dict[str, list[dict]] = {}
    for item, theme in zip(items, themes):
        by_theme.setdefault(theme.split("\n")[0], []).append(item)
    lanes = sorted(by_theme.items(), key=lambda pair: -len(pair[1]))
    lane_mm = min(12.0, (PAGE_HEIGHT_MM - 40 - HEAD_MM) / max(len(lanes), 1))
    width, height = PAGE_WIDTH_MM, HEAD_MM + lane_mm * len(lanes)
    x0 = width * LABEL_SHARE
    span = width - x0
    counts = {theme: [sum(1 for i in lane if i["start"] < (m + 1) / 12 and i["slut"] > m / 12)
                      for m in range(12)] for theme, lane in lanes}
    most = max((c for row in counts.values() for c in row), default=1) or 1
    summary = "; ".join(f"{theme}: {len(lane)} aktiviteter, "
                        f"flest i {MONTHS[max(range(12), key=counts[theme].__getitem__)]}"
                        for theme, lane in lanes)
    title = (f"Tidslinje {year} med ét spor pr. tema: for hver måned, hvor mange af temaets "
             f"aktiviteter der foregår. {summary}. Alle aktiviteter med datoer står i tabellen.")
    out = [f'<div class="tidslinje-figur"><svg xmlns="http://www.w3.org/2000/svg" width="{width}mm" '
           f'height="{height}mm" viewBox="0 0 {width} {height}" font-family="DejaVu Sans Condensed" '
           f'font-size="2.6">', f"<title>{escape(title)}</title>",
           f'<rect x="0" y="0" width="{width}" height="{HEAD_MM - 1}" fill="#dde7ef"/>',
           f'<text x="1" y="{HEAD_MM - 2.5}" font-weight="bold">Tema (antal aktiviteter)</text>']
    for month in range(12):
        out.append(f'<text x="{x0 + span * (month + 0.5) / 12:.2f}" y="{HEAD_MM - 2.5}" '
                   f'text-anchor="middle" font-weight="bold">{MONTHS[month]}</text>')
    for index, (theme, lane) in enumerate(lanes):
        top = HEAD_MM + lane_mm * index
        out.append(f'<text x="1" y="{top + lane_mm / 2 + 0.9:.2f}">{escape(theme[:60])} ({len(lane)})</text>')
        for month, count in enumerate(counts[theme]):
            shade = 255 - int(200 * count / most)
            colour = f"#{shade:02x}{shade:02x}ff" if count else "#ffffff"
            left = x0 + span * month / 12
            out.append(f'<rect x="{left:.2f}" y="{top + 0.5:.2f}" width="{span / 12:.2f}" height="{lane_mm - 1:.2f}" '
                       f'fill="{colour}" stroke="#7f7f7f" stroke-width="0.15"/>')
            ink = "#ffffff" if shade < 130 else "#000000"
            out.append(f'<text x="{left + span / 24:.2f}" y="{top + lane_mm / 2 + 0.9:.2f}" text-anchor="middle" '
                       f'fill="{ink}">{count}</text>')
        for item in lane:
            if item["form"] == "moede":
                tick = x0 + span * item["midt"]
                out.append(f'<line x1="{tick:.2f}" y1="{top + lane_mm - 1.6:.2f}" x2="{tick:.2f}" '
                           f'y2="{top + lane_mm - 0.5:.2f}" stroke="#000" stroke-width="0.35"/>')
    out.append("</svg></div>")
    return "".join(out)


# --- Measuring ----------------------------------------------------------------------------------

def measure(html: Path, pdf: Path) -> dict:
    """Make `html` into `pdf` in a child process; add pages, PDF/UA-1 result and a PNG of page 2."""
    child = subprocess.run([sys.executable, "-m", "benchmarks.timeline", "--measure", str(html), str(pdf)],
                           cwd=ROOT, capture_output=True, text=True, check=True)
    result = json.loads(child.stdout.strip().splitlines()[-1])
    result.update(pdf_ua(pdf))
    result["pdf_kb"] = round(pdf.stat().st_size / 1024)
    page = 2 if result["pages"] >= 2 else 1
    subprocess.run(["pdftoppm", "-png", "-r", "50", "-f", str(page), "-l", str(page), "-singlefile",
                    str(pdf), str(pdf.with_suffix(""))], check=True)
    result["png"] = str(pdf.with_suffix(".png"))
    return result


def _measure(html: Path, pdf: Path) -> dict:
    """In the child: lay out and write the PDF (PDF/UA-1, the pipeline's finisher), timed."""
    import weasyprint

    started = time.perf_counter()
    document = weasyprint.HTML(string=html.read_text("utf-8"), base_url=TEMPLATES.as_uri() + "/").render(
        pdf_variant="pdf/ua-1")
    laid_out = time.perf_counter()
    pdf.write_bytes(document.write_pdf(pdf_variant="pdf/ua-1", finisher=floor.pdf_finisher()))
    done = time.perf_counter()
    return {"layout_s": round(laid_out - started, 2), "write_s": round(done - laid_out, 2),
            "total_s": round(done - started, 2), "pages": len(document.pages),
            "peak_rss_mb": round(_peak_rss_kb() / 1024)}


def _peak_rss_kb() -> int:
    """Return this process's peak RSS in kB. VmHWM starts afresh at exec; getrusage's
    ru_maxrss would still hold the forking parent's peak (it survives exec on Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def pdf_ua(pdf: Path) -> dict:
    """Return the PDF/UA-1 verdict of page-validation and its failures by rule (with counts)."""
    import page

    report = page.validate_pdf(str(pdf), profile="ua1")
    rules: dict[str, int] = {}
    for failure in report.failures:
        rules[failure.rule_id] = rules.get(failure.rule_id, 0) + 1
    return {"pdf_ua1": "compliant" if report.is_compliant else "not compliant", "failures": rules}


def report(rows: int, results: dict) -> str:
    """Return the results as a Markdown table (timeline cost = variant − nothing: each variant
    document holds the title block and the timeline only)."""
    lines = [f"{rows:,} activities", "",
             "| variant | layout + write | of which layout | peak RSS | pages | PDF | PDF/UA-1 |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for name, r in results.items():
        failures = ", ".join(f"{rule} ×{count}" for rule, count in r.get("failures", {}).items())
        lines.append(f"| {name} | {r['total_s']:.2f} s | {r['layout_s']:.2f} s | {r['peak_rss_mb']} MB | "
                     f"{r['pages']} | {r['pdf_kb']} kB | {r['pdf_ua1']}{' (' + failures + ')' if failures else ''} |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
