"""The floor: what the libraries alone take for one plan, measured in one fresh process.

Run as `python -m benchmarks.floor PLAN TEMPLATES OUT.json [--reps N] [--pdf-reps N] ...`; the
main benchmark starts it once per plan and reads the JSON it writes.

Outside the timed sections: the pipeline reads and plans the file and builds every document's
context (`load_plans` → `plan_documents` → `build_context`) and renders the overview's HTML
with `pipeline.render.overview.render_template`, so the floor sees exactly the data the pipeline uses.

Timed, sequentially, with no pipeline code around the library call:
- read: `pandas.read_excel(PLAN, sheet_name=None, header=None, dtype=object, engine="calamine")`
  (the same call and arguments `pipeline/read.py` makes);
- docx: per Word document, `DocxTemplate(template).render(context, jinja_env, autoescape=True)`
  and `save()` into a BytesIO. The environment is a plain `jinja2.Environment` carrying the
  templates' Danish filters (the templates cannot render without them);
- pdf: `weasyprint.HTML(string=html, base_url=templates).write_pdf()` with default options.

Optionally (for the per-document comparison), interleaved with the bare docxtpl call on the same
document (every document, or every K-th of each kind with --pipeline-word-every K):
`pipeline.render.dispatch.render(document, templates)`, i.e. everything a worker does for
one Word document (context, strict sandboxed environment, metadata, deterministic zip). And
`pipeline.render.overview.render_pdf` for the overview, and bare WeasyPrint with `pdf_variant="pdf/ua-1"`,
to split the PDF's cost between WeasyPrint itself, the PDF/UA tagging WeasyPrint does when asked,
and what the pipeline adds (splitting, font sealing).
"""

from __future__ import annotations

import argparse
import gc
import io
import json
import statistics
import sys
import time
from pathlib import Path


def _timed(function, *args, **kwargs) -> tuple[float, object]:
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return time.perf_counter() - start, result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.floor")
    parser.add_argument("plan", type=Path)
    parser.add_argument("templates", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--reps", type=int, default=3, help="repetitions of read and docx (median)")
    parser.add_argument("--pdf-reps", type=int, default=1, help="repetitions of the PDF (median)")
    parser.add_argument("--pipeline-word", action="store_true",
                        help="also time pipeline.render.dispatch.render per Word document, interleaved")
    parser.add_argument("--pipeline-word-every", type=int, default=1, metavar="K",
                        help="compare with the pipeline on every K-th Word document of each kind only")
    parser.add_argument("--pipeline-pdf", action="store_true",
                        help="also time pipeline.render.overview.render_pdf on the same context "
                             "(and bare WeasyPrint with PDF/UA-1, as --pdf-ua)")
    parser.add_argument("--pdf-ua", action="store_true",
                        help="also time bare WeasyPrint with the PDF/UA-1 tagging the pipeline asks for")
    args = parser.parse_args(argv)
    result: dict = {"plan": str(args.plan), "reps": args.reps, "pdf_reps": args.pdf_reps}

    # --- imports (reported, not part of the floor's work) ---
    imports = {}
    for module in ("pandas", "python_calamine", "docxtpl", "weasyprint"):
        imports[module], _ = _timed(__import__, module)
    result["import_seconds"] = imports
    import jinja2
    import pandas as pd
    import weasyprint
    from docxtpl import DocxTemplate

    # --- the pipeline's data, untimed for the floor but recorded for the breakdown ---
    DocumentKind = document_kinds()
    templates = args.templates.resolve()
    load_s, plans = _timed(load_plans, [args.plan])
    plan_s, documents = _timed(plan_documents, plans)
    # Contexts are built per document right before its timed render and dropped after it, so the
    # process holds what a build worker holds (the plan and its documents), not every context at
    # once: a bigger heap makes Python's cyclic GC, and so every render, slower.
    contexts_s, _ = _timed(lambda: [build_context(d) for d in documents])
    result["pipeline_load_plans_s"] = load_s
    result["pipeline_plan_documents_s"] = plan_s
    result["pipeline_build_contexts_s"] = contexts_s
    word = [d for d in documents if d.kind in (DocumentKind.ORIENTATION, DocumentKind.DISCUSSION)]
    overview = next((d for d in documents if d.kind is DocumentKind.OVERVIEW), None)
    html_s, html = _timed(overview_html, build_context(overview), templates) if overview else (0.0, "")
    result["html_jinja_s"] = html_s
    result["html_chars"] = len(html)
    result["documents"] = {kind.value: sum(1 for d in documents if d.kind is kind) for kind in DocumentKind}
    gc.collect()

    # --- floor: read ---
    reads = []
    for _ in range(args.reps):
        seconds, _frames = _timed(pd.read_excel, args.plan, sheet_name=None, header=None,
                                  dtype=object, engine="calamine")
        reads.append(seconds)
    result["read_s"] = statistics.median(reads)
    result["read_all"] = reads

    # --- floor: docx (and, interleaved, the pipeline's render of the same document) ---
    environment = jinja2.Environment(autoescape=True)
    environment.filters.update(template_filters())

    def bare_docx(document, context) -> bytes:
        template = DocxTemplate(templates / _kinds().of(document.kind).template)
        template.render(context, jinja_env=environment, autoescape=True)
        buffer = io.BytesIO()
        template.save(buffer)
        return buffer.getvalue()

    # Warm-up (untimed): first use of docxtpl/python-docx/Babel paths for each template.
    for template in sorted({_kinds().of(d.kind).template for d in word}):
        document = next(d for d in word if _kinds().of(d.kind).template == template)
        bare_docx(document, build_context(document))
        if args.pipeline_word:
            pipeline_render(document, templates)

    bare = {str(d.path): [] for d in word}
    piped = {str(d.path): [] for d in word}
    compared = set()
    for kind in (DocumentKind.ORIENTATION, DocumentKind.DISCUSSION):
        paths = [str(d.path) for d in word if d.kind is kind]
        compared.update(paths[::max(1, args.pipeline_word_every)])
    for _ in range(args.reps):
        for document in word:
            context = build_context(document)  # untimed: the floor gets the pipeline's data
            gc.collect()
            seconds, _ = _timed(bare_docx, document, context)
            bare[str(document.path)].append(seconds)
            del context
            if args.pipeline_word and str(document.path) in compared:
                gc.collect()
                seconds, _ = _timed(pipeline_render, document, templates)  # builds its own context
                piped[str(document.path)].append(seconds)
    kinds = {str(d.path): d.kind.value for d in word}
    result["docx"] = {
        path: {"kind": kinds[path], "bare": statistics.median(times),
               **({"pipeline": statistics.median(piped[path])} if piped[path] else {})}
        for path, times in bare.items()
    }
    result["docx_s"] = sum(item["bare"] for item in result["docx"].values())
    if args.pipeline_word:
        # The per-document comparison: both sums over the same (possibly subset of) documents.
        pairs = [item for item in result["docx"].values() if "pipeline" in item]
        result["compared_docs"] = len(pairs)
        result["compared_bare_s"] = sum(item["bare"] for item in pairs)
        result["pipeline_word_s"] = sum(item["pipeline"] for item in pairs)

    # --- floor: PDF ---
    if overview:
        base = str(templates) + "/"
        pdfs = []
        for _ in range(args.pdf_reps):
            gc.collect()
            seconds, pdf = _timed(lambda: weasyprint.HTML(string=html, base_url=base).write_pdf())
            pdfs.append(seconds)
        result["pdf_s"] = statistics.median(pdfs)
        result["pdf_all"] = pdfs
        result["pdf_bytes"] = len(pdf)
        if args.pdf_ua or args.pipeline_pdf:
            # WeasyPrint alone with the PDF/UA-1 tagging the pipeline asks for: what the
            # library needs for an accessible PDF, before anything the pipeline adds.
            gc.collect()
            seconds, _ = _timed(lambda: weasyprint.HTML(string=html, base_url=base).write_pdf(
                pdf_variant="pdf/ua-1"))
            result["pdf_ua_s"] = seconds
        if args.pipeline_pdf:
            gc.collect()
            context = build_context(overview)
            gc.collect()
            seconds, pdf = _timed(pipeline_render_pdf, overview, context, templates)
            result["pipeline_pdf_s"] = seconds
            result["pipeline_pdf_bytes"] = len(pdf)
    else:
        result["pdf_s"] = 0.0
    result["floor_s"] = result["read_s"] + result["docx_s"] + result["pdf_s"]
    import resource

    result["max_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    args.out.write_text(json.dumps(result, indent=1, ensure_ascii=False), encoding="utf-8")


# --- The pipeline, in one place --------------------------------------------------------------------
# Every import of pipeline code by the benchmarks is in one of these small functions (module
# paths inside pipeline/ move, issue 12): when one moves, only this section changes.

def load_plans(paths: list[Path]) -> list:
    """Read and check plan files as a build does; return the plans."""
    from pipeline.source.plans import load_plans, read_plan_files

    return load_plans(read_plan_files(paths))


def plan_documents(plans: list) -> list:
    """Return the documents a build makes from `plans`."""
    from pipeline.documents.planning import plan_documents

    return plan_documents(plans)


def build_context(document) -> dict:
    """Return a document's template context."""
    from pipeline.documents.kinds import build_context

    return build_context(document)


def _kinds():
    """Return the registry of document kinds (`of(kind).template`, …)."""
    from pipeline.documents import kinds

    return kinds


def document_kinds():
    """Return the enum of document kinds (ORIENTATION, DISCUSSION, OVERVIEW, WEBPAGE)."""
    from pipeline.core.model import DocumentKind

    return DocumentKind


def template_filters() -> dict:
    """Return the Jinja filters the templates need (Danish dates, lines, …)."""
    from pipeline.render.templating import FILTERS

    return FILTERS


def overview_html(context: dict, templates: Path) -> str:
    """Return the overview's HTML (`oversigt.html` rendered with `context`)."""
    from pipeline.render.overview import render_template

    return render_template(context, templates)


def pipeline_render(document, templates: Path) -> bytes:
    """Return a document's bytes exactly as a build worker makes them."""
    from pipeline.render.dispatch import render

    return render(document, templates)


def pipeline_render_pdf(document, context: dict, templates: Path) -> bytes:
    """Return the overview PDF as the pipeline makes it in one process (split when long)."""
    from pipeline.render.overview import render_pdf

    return render_pdf(document, context, templates)


def pdf_finisher():
    """Return the pipeline's WeasyPrint `finisher` for the overview (table header /Scope)."""
    from pipeline.render.pdf.adapter import add_header_scopes

    return add_header_scopes


def worker_tasks_module():
    """Return the module whose `_guarded(function, *arguments)` runs every task of a build's
    workers (and the parent's merge of a long overview): `benchmarks.profiled` wraps it to time
    each task. Workers are forked, so they inherit the wrapper."""
    import pipeline.engine.workers

    return pipeline.engine.workers


# Where the status page and the change log are made: the modules' file names, which a profile
# of a build is searched for (see benchmarks.profiled.module_share).
STATUS_AND_CHANGE_LOG_MODULES = ("status.py", "changes.py")


if __name__ == "__main__":
    sys.exit(main())
