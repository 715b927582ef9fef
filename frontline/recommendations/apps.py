from django.apps import AppConfig


class RecommendationsConfig(AppConfig):
    name = "frontline.recommendations"
    label = "recommendations"
    verbose_name = "Product recommendations"

    def ready(self) -> None:
        from frontline.privacy.registry import personal_data_source_register
        from frontline.recommendations import personal_data

        personal_data_source_register(
            "recommendations",
            export=personal_data.recommendations_personal_data_export,
            erase=personal_data.recommendations_personal_data_erase,
            relations=["recommendations.CustomerRecommendations.customer"],
        )
