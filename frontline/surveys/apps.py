from __future__ import annotations

from django.apps import AppConfig


class SurveysConfig(AppConfig):
    name = "frontline.surveys"
    label = "surveys"
    verbose_name = "Surveys (NPS)"

    def ready(self) -> None:
        from frontline.privacy.registry import personal_data_source_register
        from frontline.sentiment.feedback import rated_feedback_source_register
        from frontline.surveys import personal_data, selectors

        personal_data_source_register(
            "surveys",
            export=personal_data.surveys_personal_data_export,
            erase=personal_data.surveys_personal_data_erase,
            relations=["surveys.Survey.customer"],
        )
        # Answers with a comment teach the learned sentiment model the brand's voice.
        rated_feedback_source_register("surveys", selectors.survey_comments_rated)
