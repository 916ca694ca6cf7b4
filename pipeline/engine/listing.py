"""`pipeline list`: what a build would do with each document, and why, without doing it."""

from __future__ import annotations

import os
from collections.abc import Callable

from pipeline.engine.fingerprint import FingerprintCache, bytes_fingerprint, fingerprint
from pipeline.engine.gather import calendars
from pipeline.engine.manifest import Manifest
from pipeline.engine.options import BuildOptions
from pipeline.engine.rules import Action, DocumentState, assess, check_owners, orphans, rules_for
from pipeline.source.plans import find_plans, load_plans, read_plan_files


def document_states(options: BuildOptions,
                    warn: Callable[[str], None] = lambda message: None) -> list[DocumentState]:
    """Return every document a build would produce or remove, and for each whether and why.

    Reads only: damaged bookkeeping is passed to `warn`, not set aside."""
    from pipeline.documents.planning import plan_documents
    from pipeline.engine.changes import data_note, diff_plans, load_snapshot, plan_rows

    plans = load_plans(read_plan_files(find_plans(options.plans)), options.year)
    documents = plan_documents(plans)
    rules = rules_for(options, documents)
    manifest = Manifest.load(options.output)
    previous, warnings = load_snapshot(options.output)
    for warning in manifest.warnings + warnings:
        warn(warning)
    check_owners(documents, manifest)
    changes = diff_plans(previous, plan_rows(plans))
    cache = FingerprintCache()
    states = [assess(str(document.path), *fingerprint(document, options.templates, cache), manifest, rules,
                     data_note(document, changes) if changes else "")
              for document in documents]
    if not options.plans:
        states += [assess(path, *bytes_fingerprint(data), manifest, rules)
                   for path, data in calendars(documents).items()]
    kept = {s.path for s in states if s.action in (Action.RENDER_BESIDE, Action.KEEP_EDIT, Action.CLOSED)}
    keep = {s.path for s in states} | {p for p, e in manifest.entries.items() if e.new_version_of in kept}
    names = {p.name for p in options.plans}
    removed = orphans(manifest, rules, {str(d.path): d for d in documents}, keep,
                      lambda entry: not options.plans or entry.plan in names)
    return states + [state for _, state in removed if os.path.lexists(options.output / state.path)]
