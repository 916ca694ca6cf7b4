"""The overview's PDF: WeasyPrint sealed off, and a long overview laid out in parts and merged.

Who owns what, in the order a long overview passes through them:

- `sealed`: WeasyPrint's public API, sealed off from the machine (fetcher, fonts, log, dates);
- `split`: the overview's HTML cut into parts, and the footer document (HTML only);
- `adapter`: every use of WeasyPrint's and pydyf's internals; turns a laid-out part, or the
  footer document, into plain data;
- `part`: that plain data (`Part`, `Footers`) and the markers its references are written with;
- `writer` (with `syntax`): the streaming writer of the merged file, on bytes only;
- `outline`: the merged file's bookmarks from the parts' headings (WeasyPrint's tree, carried over);
- `merge`: the steps together (`layout_part` in any process, `Merger` in one).

- `cache`: the part cache, which keeps laid-out parts between builds, keyed by every version
  that shapes their bytes.
"""
