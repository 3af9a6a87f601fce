"""Document capture: page detection, rectification, quality checks, PDF, receipt QR codes.

``detect.py`` (find the page quad), ``rectify.py`` (warp to A4/A5/ID-1,
shadow cleanup, binarisation), ``quality.py`` (what the citizen should fix;
``capture_page`` does detect + check + rectify), ``pdf.py`` (multi-page PDF
within a per-page byte budget), ``qr.py`` (receipt QR codes),
``synthetic.py`` (generated test/benchmark pages with ground truth).

The materials screen goes through a scanner (``devices/scanner``)::

    page = scanner.scan(PageFormat.A4)            # doccam or SANE flatbed
    if page.keys:  show(page.keys[0])             # document.guide.* i18n key
    else:          pages.append(page.image)       # memory only
    pdf = assemble_pdf(pages, max_page_bytes=300_000)   # bytes for the outbox

and a progress query reads a receipt with ``QrReader().decode(frame.image)``.
"""
