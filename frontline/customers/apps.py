from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "frontline.customers"
    label = "customers"

    def ready(self) -> None:
        from frontline.customers import personal_data
        from frontline.privacy.registry import personal_data_source_register

        personal_data_source_register(
            "customers",
            export=personal_data.customer_personal_data_export,
            erase=personal_data.customer_personal_data_erase,
            relations=personal_data.RELATIONS,
        )
