from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "frontline.orders"
    label = "orders"

    def ready(self) -> None:
        from frontline.orders.personal_data import orders_personal_data_export
        from frontline.privacy.registry import personal_data_source_register

        # No eraser: orders keep their amounts and point at the anonymised customer row.
        personal_data_source_register(
            "orders", export=orders_personal_data_export, relations=["orders.Order.customer"]
        )
