from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "frontline.customers"
    label = "customers"

    def ready(self) -> None:
        from frontline.customers import personal_data
        from frontline.customers.sentiment import reviews_rated
        from frontline.privacy.registry import personal_data_source_register
        from frontline.sentiment.feedback import rated_feedback_source_register

        personal_data_source_register(
            "customers",
            export=personal_data.customer_personal_data_export,
            erase=personal_data.customer_personal_data_erase,
            relations=personal_data.RELATIONS,
        )
        # Product reviews with stars (synced) teach the learned sentiment model the brand's voice.
        rated_feedback_source_register("reviews", reviews_rated)
