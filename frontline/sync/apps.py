from __future__ import annotations

from django.apps import AppConfig


class SyncConfig(AppConfig):
    name = "frontline.sync"
    label = "sync"
    verbose_name = "Sync with CRM and ERP"
