"""The service catalog: standardized guides of the items a kiosk offers.

``load_catalog(Path("config/catalog"))`` reads and cross-validates the files;
``catalog.subset(site.catalog)`` narrows it to what one site offers.
"""

from kiosk.catalog.document import canonical as canonical_json
from kiosk.catalog.document import digest as catalog_digest
from kiosk.catalog.document import document as catalog_document
from kiosk.catalog.document import etag as catalog_etag
from kiosk.catalog.document import settings_digest
from kiosk.catalog.loader import load_catalog, load_catalog_document
from kiosk.catalog.models import (
    PREFILL_SOURCES,
    Bundle,
    Catalog,
    Choice,
    Department,
    FormField,
    LifeEvent,
    Material,
    ServiceItem,
)

__all__ = [
    "PREFILL_SOURCES", "Bundle", "Catalog", "Choice", "Department", "FormField", "LifeEvent",
    "Material", "ServiceItem", "canonical_json", "catalog_digest", "catalog_document",
    "catalog_etag", "load_catalog", "load_catalog_document", "settings_digest",
]
