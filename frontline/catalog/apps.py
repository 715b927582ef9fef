from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "frontline.catalog"
    label = "catalog"

    def ready(self) -> None:
        from frontline.catalog import personal_data
        from frontline.privacy.registry import personal_data_source_register

        personal_data_source_register(
            "catalog",
            export=personal_data.catalog_personal_data_export,
            erase=personal_data.catalog_personal_data_erase,
            relations=["catalog.Hold.customer", "catalog.BackInStockWatch.customer"],
        )
