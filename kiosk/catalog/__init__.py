"""The service catalog: standardized guides of the items a kiosk offers.

``load_catalog(Path("config/catalog"))`` reads and cross-validates the files;
``catalog.subset(site.catalog)`` narrows it to what one site offers.
"""

from kiosk.catalog.loader import load_catalog
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
    "Material", "ServiceItem", "load_catalog",
]
